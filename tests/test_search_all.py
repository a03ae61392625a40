"""The one search in the header: every pillar's results grouped, only what the person may see, typo tolerance."""

import re

import pytest

from portal.models import QuestionOption
from tests import factories
from tests.conftest import HX


@pytest.fixture
def content(app, session):
    handbook = factories.make_handbook(session)
    regulation = factories.make_toolkit_item(session, "regulation", title="Netralitas Pegawai Aparatur Sipil Negara",
                                             tags="netralitas")
    draft = factories.make_toolkit_item(session, "template", status="draf", title="Templat netralitas rahasia",
                                        tags="netralitas")
    workshop = factories.make_workshop(session, title="Pelatihan Netralitas di Media Sosial")
    hidden = factories.make_workshop(session, status="draft", title="Netralitas draf pelatihan")
    topic = factories.make_topic(session, name="Netralitas ASN")
    question = factories.make_question(session, topic, stem="Bolehkah menyukai unggahan kampanye?")
    return handbook, regulation, draft, workshop, hidden, topic, question


def groups(html):
    return dict(re.findall(r'<h2 id="group-(\w+)">.*?<span class="badge info">(\d+)</span>', html, re.S))


def test_every_page_has_the_search_form_in_its_header(client, login_as):
    login_as("employee")
    for url in ("/", "/check/", "/notifications/", "/handbook/"):
        header = client.get(url).get_data(as_text=True).split("</header>")[0]
        assert re.search(r'<form[^>]*action="/cari/"[^>]*>.*?<input[^>]*name="q"', header, re.S), url


def test_one_word_finds_a_regulation_a_section_a_workshop_and_a_topic(client, login_as, content):
    _handbook, regulation, draft, workshop, hidden, topic, question = content
    login_as("employee")
    html = client.get("/cari/?q=netralitas").get_data(as_text=True)
    found = groups(html)
    assert int(found["handbook"]) >= 1 and found["toolkit"] == "1" and found["workshops"] == "1"
    assert found["quiz"] == "1"
    assert 'href="/handbook/bagian/netralitas-politik"' in html
    assert f'href="/toolkit/item/{regulation.id}"' in html
    assert f'href="/workshops/{workshop.id}"' in html
    assert f"/toolkit/item/{draft.id}" not in html and "Templat netralitas rahasia" not in html  # unapproved
    assert f"/workshops/{hidden.id}" not in html  # a draft workshop
    assert "Bolehkah menyukai" not in html  # topics, never questions or answers
    assert 'href="/handbook/cari?q=netralitas"' in html and 'href="/toolkit/?q=netralitas"' in html


def test_quiz_answers_never_appear(client, login_as, content, session):
    *_rest, question = content
    login_as("employee")
    from sqlmodel import select

    options = session.exec(select(QuestionOption)).all()
    for option in options:
        for word in re.findall(r"\w{5,}", option.text)[:2]:
            html = client.get("/cari/", query_string={"q": word}).get_data(as_text=True)
            assert option.text not in html


def test_an_editor_sees_drafts_in_the_toolkit_group(client, login_as, content):
    _handbook, _regulation, draft, *_rest = content
    login_as("admin")
    html = client.get("/cari/?q=netralitas").get_data(as_text=True)
    assert f"/toolkit/item/{draft.id}" in html


@pytest.mark.parametrize("typed, meant", [("netralitass", "netralitas"), ("hoakss", "hoaks"),
                                          ("unggahh", "unggah"), ("netralitsa", "netralitas"),
                                          ("netralutas", "netralitas"), ("hoks", "hoaks")])
def test_a_misspelt_word_still_lands(client, login_as, content, typed, meant):
    login_as("employee")
    html = client.get("/cari/", query_string={"q": typed}).get_data(as_text=True)
    assert f'href="/cari/?q={meant}"' in html
    assert "Menampilkan hasil untuk" in html
    assert "/handbook/bagian/" in html


def test_a_known_word_gets_no_suggestion_and_nonsense_no_error(client, login_as, content):
    login_as("employee")
    assert "Maksud Anda" not in client.get("/cari/?q=hoaks").get_data(as_text=True)
    for q in ("", "   ", "\"'*:()", "x" * 500, "zzzzqqq"):
        response = client.get("/cari/", query_string={"q": q})
        assert response.status_code == 200, q


def test_htmx_gets_the_results_block(client, login_as, content):
    login_as("employee")
    html = client.get("/cari/?q=foto", headers=HX).get_data(as_text=True)
    assert "<html" not in html and "group-handbook" in html


@pytest.mark.parametrize("role, offered", [("employee", False), ("admin", True)])
def test_a_suggestion_is_offered_only_when_it_finds_something_the_person_may_see(client, login_as, session, role,
                                                                                 offered):
    factories.make_toolkit_item(session, "template", status="draf", title="Templat zebrakuda", tags="uji")
    login_as(role)
    html = client.get("/cari/?q=zebrakudaa").get_data(as_text=True)
    assert ('href="/cari/?q=zebrakuda"' in html) is offered  # the word of a draft
    assert ("Templat <mark>zebrakuda</mark>" in html) is offered


def test_more_than_the_cap_is_said_so(client, login_as, session, monkeypatch):
    from portal import search

    real_top = search.top
    monkeypatch.setattr(search, "top", lambda *args, **kwargs: real_top(*args, **{**kwargs, "cap": 2}))
    for n in range(4):
        factories.make_toolkit_item(session, "regulation", title=f"Koreksi berita {n}", tags="koreksi")
    login_as("employee")
    html = client.get("/cari/?q=koreksi").get_data(as_text=True)
    assert re.search(r'<h2 id="group-toolkit">.*?<span class="badge info" title="lebih dari 2">2\+</span>', html, re.S)
    assert "Lebih dari 2 hasil untuk" in html


@pytest.mark.parametrize("who, sees", [("inside", True), ("outside", False), ("registered", True)])
def test_workshops_for_an_audience_are_found_only_by_it_and_their_participants(client, login, session, who, sees):
    from portal.models import WorkshopAudienceUnit

    biro = factories.make_unit(session)
    bagian = factories.make_unit(session, parent=biro)
    workshop = factories.make_workshop(session, title="Pelatihan Kurasi Kanal Biro")
    session.add(WorkshopAudienceUnit(workshop_id=workshop.id, unit_id=biro.id))
    session.commit()
    user = factories.make_user(session, unit=bagian if who == "inside" else None)
    if who == "registered":
        factories.make_participant(session, workshop, user=user)
    login(user)
    html = client.get("/cari/?q=kurasi").get_data(as_text=True)
    assert (f'href="/workshops/{workshop.id}"' in html) is sees


def test_kept_groups_follow_every_write_and_never_cross_scopes(client, login, session, content):
    """The handbook, toolkit and quiz groups are kept per process (search_all `_kept`) under what decides them: a
    toolkit write, a topic write or a new edition shows at once; an editor's group never reaches an employee; a
    write behind the services' back is not seen while the group is kept (what shows that it is kept at all)."""
    from portal.models import ToolkitItem
    from portal.toolkit import workflow

    handbook, regulation, draft, *_rest = content
    employee, admin = factories.make_user(session), factories.make_user(session, roles=("admin",))

    def found(user, q="netralitas"):
        client.post("/logout")
        login(user)
        return client.get("/cari/", query_string={"q": q}).get_data(as_text=True)

    assert f"/toolkit/item/{draft.id}" not in found(employee)
    assert f"/toolkit/item/{draft.id}" in found(admin)
    assert f"/toolkit/item/{draft.id}" not in found(employee)

    regulation.status = "draf"  # behind the services' back
    session.add(regulation)
    session.commit()
    assert f"/toolkit/item/{regulation.id}" in found(employee)
    workflow.submit(session, admin, session.get(ToolkitItem, draft.id))
    workflow.approve(session, factories.make_user(session, roles=("admin",)), session.get(ToolkitItem, draft.id))
    session.commit()
    after = found(employee)
    assert f"/toolkit/item/{draft.id}" in after and f"/toolkit/item/{regulation.id}" not in after

    factories.make_topic(session, name="Netralitas di grup percakapan")
    assert "grup percakapan" in found(employee)

    section = next(iter(handbook.sections.values()))
    factories.edit_section(session, handbook.humas, section, title="Netralitas bagian yang baru")
    assert "bagian yang baru" not in found(employee)  # a draft is not the published edition
    factories.publish_edition(session, handbook.humas, "2025.2")
    assert "bagian yang baru" in found(employee)


def test_kept_workshop_and_content_groups_follow_writes_and_never_cross_scopes(app, client, login, session):
    """The workshops' group is kept per unit path and participations outside the audience, the content plan's per
    planning scope (search_all `kept_group`): a registration, a post's submission and a workshop's return to draft
    show at once, and nobody gets the group of someone who may see more."""
    from portal.content import approval
    from portal.models import ContentPost, WorkshopAudienceUnit
    from portal.workshops import catalog

    biro, elsewhere = factories.make_unit(session), factories.make_unit(session)
    trainer = factories.make_user(session, roles=("trainer",))
    workshop = factories.make_workshop(session, trainer=trainer, title="Pelatihan Kurasi Kanal Biro")
    session.add(WorkshopAudienceUnit(workshop_id=workshop.id, unit_id=biro.id))
    session.commit()
    inside = factories.make_user(session, unit=biro)
    outside, registered = factories.make_user(session, unit=elsewhere), factories.make_user(session, unit=elsewhere)
    pengelola = factories.make_user(session, unit=elsewhere)
    account = factories.make_content_account(session, elsewhere, managers=[pengelola])
    post = factories.make_planned_post(app, session, pengelola, [account], topic="Kurasi kanal draf")

    def found(user):
        client.post("/logout")
        login(user)
        html = client.get("/cari/?q=kurasi").get_data(as_text=True)
        return f'href="/workshops/{workshop.id}"' in html, f'href="/content/pos/{post.id}"' in html

    assert found(inside) == (True, False)
    assert found(outside) == (False, False)
    assert found(pengelola) == (False, True)  # the draft of an account they manage
    assert found(outside) == (False, False)  # not the pengelola's group
    factories.make_participant(session, workshop, user=registered)
    assert found(registered)[0] is True  # outside the audience, but theirs
    assert found(outside)[0] is False  # same unit, not registered: not the registered person's group
    with app.test_request_context():
        approval.submit(session, pengelola, session.get(ContentPost, post.id), post.version)
        session.commit()
    assert found(outside) == (False, True)  # submitted: every employee sees it
    values = {name: getattr(workshop, name) for name in catalog.WORKSHOP_FIELDS} | {"status": "draft"}
    with app.test_request_context():
        catalog.save_workshop(session, trainer, session.get(type(workshop), workshop.id), values, [trainer.id],
                              [biro.id], "")
        session.commit()
    assert found(inside)[0] is False and found(registered)[0] is False
