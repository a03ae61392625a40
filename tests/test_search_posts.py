"""The content plan's posts in the header search ("Rencana konten"): found by their topic, caption, tags and audience,
only by whom `access.can_see_post` lets see them, re-indexed when changed, typo tolerant; never the unplanned posts
of a metrics import."""

import re

import pytest
from sqlmodel import select

from portal.models import ContentPost, SearchDocument
from portal.permissions import CENTRAL_HUMAS_UNIT
from tests import factories
from tests.conftest import HX


@pytest.fixture
def world(session):
    """Under one root: the central humas bureau, a bureau with a section (its account and pengelola), another unit."""
    from types import SimpleNamespace

    root = factories.make_unit(session, code="SETJEN-S", name="Sekretariat Uji")
    central = factories.make_unit(session, code=CENTRAL_HUMAS_UNIT, name="Biro Hubungan Masyarakat", parent=root)
    biro = factories.make_unit(session, code="BIRO-S", name="Biro Uji", parent=root)
    bagian = factories.make_unit(session, code="BAG-S", name="Bagian Uji", parent=biro)
    other = factories.make_unit(session, code="UPT-S", name="Balai Lain", parent=root)
    w = SimpleNamespace(root=root, biro=biro, bagian=bagian, other=other)
    w.pengelola = factories.make_user(session, unit=bagian, full_name="Pengelola Bagian")
    w.account = factories.make_content_account(session, bagian, handle="bagian_uji", managers=[w.pengelola])
    w.account_x = factories.make_content_account(session, bagian, platform="X", handle="bagian_uji",
                                                 managers=[w.pengelola])
    w.pillar = factories.make_content_pillar(session, name="Edukasi & Literasi")
    w.users = {
        "pengelola": w.pengelola,
        "supervisor of the unit": factories.make_user(session, roles=("supervisor",), unit=bagian),
        "supervisor above": factories.make_user(session, roles=("supervisor",), unit=biro),
        "humas above": factories.make_user(session, roles=("humas",), unit=biro),
        "central humas": factories.make_user(session, roles=("humas",), unit=central),
        "admin": factories.make_user(session, roles=("admin",), unit=other),
        "employee of the unit": factories.make_user(session, unit=bagian),
        "employee elsewhere": factories.make_user(session, unit=other),
        "supervisor elsewhere": factories.make_user(session, roles=("supervisor",), unit=other),
        "humas elsewhere": factories.make_user(session, roles=("humas",), unit=other),
        "pengelola elsewhere": factories.make_user(session, unit=other),
    }
    factories.make_content_account(session, other, handle="balai_lain", managers=[w.users["pengelola elsewhere"]])
    return w


def plan(app, session, w, **values):
    return factories.make_planned_post(app, session, w.pengelola, [w.account], w.pillar, **values)


def content_group(html):
    """(count, the group's HTML) of the "Rencana konten" group, or None when the page has none."""
    match = re.search(r'<section class="search-group" aria-labelledby="group-content">(.*?)</section>', html, re.S)
    if match is None:
        return None
    count = re.search(r'<span class="badge info"[^>]*>(\d+)\+?</span>', match.group(1))
    return int(count.group(1)), match.group(1)


def search_as(app, user, q, headers=None):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 302
    response = client.get("/cari/", query_string={"q": q}, headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_submitted_post_is_found_by_any_employee_from_a_word_of_its_caption(app, session, world):
    post = plan(app, session, world, topic="Jam layanan akhir pekan", status="diajukan",
                caption="Layanan tatap muka dibuka setiap Sabtu; bawa kartu antrean dari aplikasi.")
    html = search_as(app, world.users["employee elsewhere"], "antrean")
    count, group = content_group(html)
    assert count == 1
    assert 'id="group-content">Rencana konten' in html
    assert f'href="/content/pos/{post.id}"' in group and "Jam layanan akhir pekan" in group
    assert "kartu <mark>antrean</mark>" in group  # the snippet comes from the caption
    assert re.search(r'<p class="small muted">diajukan · \w+, \d+ \w+ \d{4}</p>', group)  # status, day in WIB
    assert 'href="/content/bulan"' in group  # the group's link: the shared calendar


@pytest.mark.parametrize("who, sees", [
    ("pengelola", True), ("supervisor of the unit", True), ("supervisor above", True), ("humas above", True),
    ("central humas", True), ("admin", True),
    ("employee of the unit", False), ("employee elsewhere", False), ("supervisor elsewhere", False),
    ("humas elsewhere", False), ("pengelola elsewhere", False)])
@pytest.mark.parametrize("status", ["draf", "ide"])
def test_drafts_and_ideas_are_found_only_by_whom_may_see_them(app, session, world, who, sees, status):
    post = plan(app, session, world, topic="Rencana literasi digital", caption="Seri konten cek fakta.",
                status=status)
    group = content_group(search_as(app, world.users[who], "literasi"))
    assert group is not None  # every employee may view the content plan: the group is there, maybe empty
    assert (f'href="/content/pos/{post.id}"' in group[1]) is sees
    assert group[0] == (1 if sees else 0)


def test_tags_and_audience_find_a_post(app, session, world):
    post = plan(app, session, world, topic="Pengumuman", caption="Teks.", tags="beasiswa, vokasi",
                audience="pelajar SMK", status="diajukan")
    employee = world.users["employee elsewhere"]
    for q in ("vokasi", "pelajar"):
        assert f'href="/content/pos/{post.id}"' in content_group(search_as(app, employee, q))[1], q


def test_an_edited_topic_is_found_by_the_new_word_not_the_old(app, session, world):
    post = plan(app, session, world, topic="Sosialisasi zonasi sekolah", caption="Penjelasan singkat.")
    client = app.test_client()
    client.post("/login", data={"username": world.pengelola.username, "password": factories.PASSWORD})
    data = {"account_ids": [world.account.id], "day": post.scheduled_at.date().isoformat(), "clock": "10:00",
            "pillar_id": world.pillar.id, "key_message_id": "0", "topic": "Sosialisasi kurikulum merdeka",
            "audience": "", "caption": "Penjelasan singkat.", "tags": "", "status": "draf", "version": post.version}
    assert client.post(f"/content/pos/{post.id}/ubah", data=data).status_code == 303
    assert f'href="/content/pos/{post.id}"' in content_group(search_as(app, world.pengelola, "kurikulum"))[1]
    assert content_group(search_as(app, world.pengelola, "zonasi"))[0] == 0


def test_a_copy_is_found_too(app, session, world):
    post = plan(app, session, world, topic="Hari guru nasional", caption="Ucapan.", status="diajukan")
    client = app.test_client()
    client.post("/login", data={"username": world.pengelola.username, "password": factories.PASSWORD})
    assert client.post(f"/content/pos/{post.id}/salin", data={"account_id": world.account_x.id}).status_code == 303
    copy = session.exec(select(ContentPost).where(ContentPost.id != post.id)).one()
    count, group = content_group(search_as(app, world.pengelola, "guru"))
    assert count == 2 and f'href="/content/pos/{copy.id}"' in group


def test_a_status_change_needs_no_reindex(app, session, world):
    """Submitting a draft makes it visible to everyone at once: visibility is read at query time."""
    post = plan(app, session, world, topic="Cuti bersama lebaran", caption="Jadwal layanan.")
    employee = world.users["employee elsewhere"]
    assert content_group(search_as(app, employee, "lebaran"))[0] == 0
    client = app.test_client()
    client.post("/login", data={"username": world.pengelola.username, "password": factories.PASSWORD})
    assert client.post(f"/content/pos/{post.id}/ajukan", data={"version": post.version}).status_code == 303
    assert f'href="/content/pos/{post.id}"' in content_group(search_as(app, employee, "lebaran"))[1]


def test_a_misspelt_word_still_lands_on_the_post(app, session, world):
    post = plan(app, session, world, topic="Kampanye anti hoaks", caption="Ajak warga memeriksa sumber.",
                status="diajukan")
    html = search_as(app, world.users["employee elsewhere"], "kampanyee")
    assert "Menampilkan hasil untuk" in html and 'href="/cari/?q=kampanye"' in html
    assert f'href="/content/pos/{post.id}"' in content_group(html)[1]


def test_a_misspelt_word_of_a_draft_is_not_offered_to_whom_may_not_see_it(app, session, world):
    plan(app, session, world, topic="Rahasia zebrapos", caption="Belum boleh dilihat.")
    assert 'href="/cari/?q=zebrapos"' in search_as(app, world.pengelola, "zebraposs")
    assert 'href="/cari/?q=zebrapos"' not in search_as(app, world.users["employee elsewhere"], "zebraposs")


def test_without_content_view_there_is_no_group(app, session, world, monkeypatch):
    from portal.permissions import ADMIN, MATRIX

    plan(app, session, world, topic="Literasi keuangan", caption="Tips.", status="diajukan")
    monkeypatch.setitem(MATRIX, "content.view", {ADMIN})
    html = search_as(app, world.users["employee elsewhere"], "literasi")
    assert content_group(html) is None and "group-handbook" in html
    assert content_group(search_as(app, world.users["admin"], "literasi"))[0] == 1


def test_the_page_and_its_htmx_block_render(app, session, world):
    post = plan(app, session, world, topic="Layanan <b>paspor</b> daring", caption="Daftar & bayar daring.",
                status="diajukan")
    user = world.users["employee elsewhere"]
    page = search_as(app, user, "paspor")
    assert "<html" in page and f'href="/content/pos/{post.id}"' in page
    assert "Layanan &lt;b&gt;<mark>paspor</mark>&lt;/b&gt; daring" in page  # escaped, then highlighted
    block = search_as(app, user, "paspor", headers=HX)
    assert "<html" not in block and 'id="group-content"' in block and f'href="/content/pos/{post.id}"' in block
    client = app.test_client()
    client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
    english = client.get("/cari/", query_string={"q": "paspor", "lang": "en"}).get_data(as_text=True)
    assert 'id="group-content">Content plan' in english
    assert re.search(r'<p class="small muted">submitted · \w+, \d+ \w+ \d{4}</p>', english)


def test_unplanned_posts_of_a_metrics_import_are_not_indexed(app, session, world):
    planned = plan(app, session, world, topic="Pos terencana", caption="Teks.")
    unplanned = factories.make_content_post(session, world.pengelola, [world.account], topic="Pos impor",
                                            status="terbit")
    unplanned.planned = False
    session.add(unplanned)
    session.commit()
    with app.test_request_context():
        from portal.content.post_search import SEARCH_KIND, index_post

        index_post(session, unplanned)
        session.commit()
    refs = set(session.exec(select(SearchDocument.ref_id).where(SearchDocument.kind == SEARCH_KIND)).all())
    assert refs == {planned.id}
