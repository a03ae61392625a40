"""The handbook: published editions only for employees, editing with revisions and conflict detection, editions and
acknowledgement, reading progress, unit reports with CSV, and the demo content."""

import csv
import io
import os
import re
import threading
from unittest import mock

import pytest
from flask import url_for
from sqlmodel import Session, func, select

from portal import db
from portal.handbook import editions as editions_module
from portal.handbook import services
from portal.models import (
    Acknowledgement,
    AcknowledgementState,
    AuditLog,
    Chapter,
    Edition,
    EditionSection,
    Section,
    SectionRead,
    SectionRevision,
    Unit,
    User,
)
from tests import factories
from tests.conftest import HX, csrf_token_from
from tests.statements import recorded

DRAFT_WORD = "zirkoniumdraf"
DRAFT_TITLE = "Judul Rahasia Draf"


@pytest.fixture
def handbook(session):
    return factories.make_handbook(session)


@pytest.fixture
def sign_in(app):
    """sign_in(user) -> a new test client signed in as `user` (several people at once)."""

    def do_sign_in(user):
        client = app.test_client()
        response = client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
        assert response.status_code == 302
        return client

    return do_sign_in


def text_of(response):
    assert response.status_code == 200, (response.status_code, response.data[:300])
    return response.data.decode()


def flashes(page):
    return re.findall(r'<p class="flash flash-(\w+)">([^<]*)</p>', page)


def count(session, model, *where):
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def read_all(client, *slugs):
    """The signed-in employee opens sections (all of the current edition when no slug is given)."""
    if not slugs:
        slugs = re.findall(r'href="/handbook/bagian/([^"]+)"', text_of(client.get("/handbook/")))
    for slug in dict.fromkeys(slugs):
        assert client.post(f"/handbook/bagian/{slug}/dibaca").status_code == 303


def current_revision(session, section):
    session.refresh(section)
    return session.get(SectionRevision, section.current_revision_id)


# --- drafts never reach employees ---------------------------------------------------------------------------------

def test_employee_sees_only_the_published_text(handbook, session, client, login_as, sign_in):
    section = handbook.sections["hoaks-dan-verifikasi"]
    factories.edit_section(session, handbook.humas, section, title=DRAFT_TITLE,
                           body=f"Teks baru yang belum terbit: {DRAFT_WORD} untuk semua.")
    login_as("employee")
    pages = {url: text_of(client.get(url)) for url in [
        "/handbook/", "/handbook/bagian/hoaks-dan-verifikasi", "/handbook/cetak", "/handbook/perubahan",
        "/handbook/cari?q=rahasia+draf", "/handbook/cari?q=hoaks", "/", "/handbook/perubahan?sejak=2025.1",
    ]}
    for url, page in pages.items():
        assert DRAFT_WORD not in page, url
        assert DRAFT_TITLE not in page, url
    assert "Jangan menyebarkan hoaks." in pages["/handbook/bagian/hoaks-dan-verifikasi"]
    assert "Jangan menyebarkan hoaks." in pages["/handbook/cetak"]
    assert "Hoaks dan verifikasi" in pages["/handbook/"]
    assert "/handbook/bagian/hoaks-dan-verifikasi" in pages["/handbook/cari?q=hoaks"]
    assert "0 bagian cocok" in pages["/handbook/cari?q=rahasia+draf"]
    results = text_of(client.get(f"/handbook/cari?q={DRAFT_WORD}", headers=HX))
    assert "0 bagian cocok" in results and "/handbook/bagian/" not in results and "<mark>" not in results

    # humas reads the same published text, and finds the draft in the editor
    humas = sign_in(handbook.humas)
    assert DRAFT_WORD not in text_of(humas.get("/handbook/bagian/hoaks-dan-verifikasi"))
    assert "0 bagian cocok" in text_of(humas.get(f"/handbook/cari?q={DRAFT_WORD}"))
    editor = text_of(humas.get(f"/handbook/kelola/bagian/{section.id}"))
    assert DRAFT_WORD in editor and DRAFT_TITLE in editor
    manage = text_of(humas.get("/handbook/kelola"))
    assert "draf berubah" in manage and "1 bagian berubah sejak edisi terakhir" in manage


def test_draft_becomes_visible_once_published(handbook, session, client, login_as):
    section = handbook.sections["hoaks-dan-verifikasi"]
    factories.edit_section(session, handbook.humas, section, body=f"Sekarang terbit: {DRAFT_WORD}.")
    factories.publish_edition(session, handbook.humas, "2025.2")
    login_as("employee")
    assert DRAFT_WORD in text_of(client.get("/handbook/bagian/hoaks-dan-verifikasi"))
    assert "/handbook/bagian/hoaks-dan-verifikasi" in text_of(client.get(f"/handbook/cari?q={DRAFT_WORD}"))


def test_section_created_after_the_last_edition_is_not_found(handbook, session, client, login_as, sign_in):
    chapter = handbook.chapters[0]
    services.create_section(session, handbook.humas, chapter.id, "Bagian masa depan", f"Isi {DRAFT_WORD}.",
                            slug="bagian-masa-depan")
    login_as("employee")
    assert client.get("/handbook/bagian/bagian-masa-depan").status_code == 404
    assert client.post("/handbook/bagian/bagian-masa-depan/dibaca").status_code == 404
    assert "bagian-masa-depan" not in text_of(client.get("/handbook/"))
    assert "bagian-masa-depan" not in text_of(client.get("/handbook/cetak"))
    assert sign_in(handbook.humas).get("/handbook/bagian/bagian-masa-depan").status_code == 404
    assert client.get("/handbook/bagian/tidak-ada").status_code == 404


def test_nothing_published_yet(session, client, login_as):
    factories.make_handbook(session, version=None)
    login_as("employee")
    assert "Pedoman belum diterbitkan" in text_of(client.get("/handbook/"))
    assert client.get("/handbook/bagian/akun-pribadi").status_code == 404
    assert client.get("/handbook/perubahan").status_code == 404
    assert client.get("/handbook/cetak").status_code == 200
    assert client.post("/handbook/setujui", data={"confirm": "y"}).status_code == 303
    assert count(session, Acknowledgement) == 0


def _manage_urls(app, section_id, chapter_id, revision_id):
    """(method, URL) of every /handbook/kelola/* endpoint, with real ids."""
    values = {"section_id": section_id, "chapter_id": chapter_id, "revision_id": revision_id}
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("handbook.") and rule.rule.startswith("/handbook/kelola"):
            args = {name: values[name] for name in rule.arguments}
            if rule.endpoint == "handbook.diff":
                args["dari"] = revision_id
            with app.test_request_context():
                url = url_for(rule.endpoint, **args)
            urls.extend((method, url) for method in sorted(rule.methods & {"GET", "POST"}))
    return urls


@pytest.mark.parametrize("role", ["employee", "supervisor", "trainer"])
def test_only_humas_and_admin_reach_the_editor(app, handbook, session, client, login_as, role):
    section = handbook.sections["akun-pribadi"]
    urls = _manage_urls(app, section.id, handbook.chapters[0].id, section.current_revision_id)
    assert len(urls) >= 12
    login_as(role)
    for method, url in urls:
        response = client.open(url, method=method, data={"title": "x", "body": "y", "version": "2030.1",
                                                         "notes": "n", "arsip": "1"})
        assert response.status_code == 403, (method, url)
    assert count(session, Edition) == 1
    assert count(session, SectionRevision) == 4
    assert count(session, Section, Section.archived) == 0


@pytest.mark.parametrize("role", ["humas", "admin"])
def test_humas_and_admin_open_every_editor_page(app, handbook, session, client, login_as, role):
    section = handbook.sections["akun-pribadi"]
    factories.edit_section(session, handbook.humas, section, body="Revisi kedua.")
    login_as(role)
    for method, url in _manage_urls(app, section.id, handbook.chapters[0].id, section.current_revision_id):
        if method == "GET":
            assert client.get(url).status_code == 200, url


# --- editions and acknowledgement ---------------------------------------------------------------------------------

def test_first_edition_asks_for_acknowledgement(handbook, session, client, login_as):
    user = login_as("employee")
    index = text_of(client.get("/handbook/"))
    assert 'name="confirm"' in index
    assert "Edisi 2025.1" in index
    dashboard = text_of(client.get("/"))
    assert "Baca dan setujui pedoman" in dashboard
    assert not services.has_acknowledged(session, user)


def test_acknowledging_records_it(handbook, session, client, login_as):
    user = login_as("employee")
    read_all(client)
    response = client.post("/handbook/setujui", data={"confirm": "y"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/handbook/")
    page = text_of(client.get("/handbook/"))
    assert ("success", "Terima kasih. Persetujuan Anda atas pedoman ini sudah tercatat.") in flashes(page)
    assert "Anda sudah menyatakan membaca dan memahami edisi 2025.1" in page
    assert 'name="confirm"' not in page
    ack = session.exec(select(Acknowledgement).where(Acknowledgement.user_id == user.id)).one()
    assert ack.edition_id == handbook.edition.id
    assert "Pedoman sudah Anda setujui" in text_of(client.get("/"))
    # twice is harmless
    assert client.post("/handbook/setujui", data={"confirm": "y"}).status_code == 303
    assert count(session, Acknowledgement, Acknowledgement.user_id == user.id) == 1


def test_acknowledging_without_the_checkbox_records_nothing(handbook, session, client, login_as):
    user = login_as("employee")
    for data in ({}, {"confirm": ""}):
        response = client.post("/handbook/setujui", data=data)
        assert response.status_code == 303
        page = text_of(client.get("/handbook/"))
        assert flashes(page) == [("error", "Centang pernyataan “Saya telah membaca dan memahami pedoman ini” "
                                           "untuk menyetujui.")]
    assert count(session, Acknowledgement, Acknowledgement.user_id == user.id) == 0
    assert not services.has_acknowledged(session, user)


def test_acknowledging_with_htmx_redirects_by_header(handbook, client, login_as):
    login_as("employee")
    read_all(client)
    response = client.post("/handbook/setujui", data={"confirm": "y"}, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/handbook/"


def test_non_material_edition_keeps_acknowledgement(handbook, session, client, login_as):
    user = login_as("employee")
    read_all(client)
    client.post("/handbook/setujui", data={"confirm": "y"})
    factories.edit_section(session, handbook.humas, handbook.sections["foto-kegiatan"], body="Perbaikan ejaan.")
    factories.publish_edition(session, handbook.humas, "2025.2", material=False)
    assert services.has_acknowledged(session, user)
    index = text_of(client.get("/handbook/"))
    assert "Edisi 2025.2 tidak memuat perubahan material, jadi persetujuan Anda tetap berlaku." in index
    assert 'name="confirm"' not in index
    assert "Pedoman sudah Anda setujui" in text_of(client.get("/"))
    # someone who never acknowledged still has to, and acknowledging the non-material edition counts
    other = factories.make_user(session)
    assert not services.has_acknowledged(session, other)
    factories.acknowledge(session, other, services.latest_edition(session))
    assert services.has_acknowledged(session, other)


def _changes(page):
    """[(kind, title)] listed on /handbook/perubahan."""
    found = []
    for block in page.split('<section class="card change"')[1:]:
        heading = block[block.index("<h2"):block.index("</h2>")]
        kind = re.search(r'<span class="badge \w+">(\w+)</span>', heading).group(1)
        title = re.sub(r"<[^>]+>", "", heading.split("</span>", 1)[1]).strip()
        found.append((kind, title))
    return found


def test_material_edition_asks_again_and_shows_what_changed(handbook, session, client, login_as):
    user = login_as("employee")
    read_all(client)
    client.post("/handbook/setujui", data={"confirm": "y"})
    humas, sections = handbook.humas, handbook.sections
    # 2025.2 (not material): one wording fix
    factories.edit_section(session, humas, sections["akun-pribadi"], body="Akun pribadi: gunakan nama asli.")
    factories.publish_edition(session, humas, "2025.2", material=False)
    # 2026.1 (material): a change, a new section, a removed section, and an edit that was undone again
    factories.edit_section(session, humas, sections["hoaks-dan-verifikasi"],
                           body="ASN memeriksa sumber dan tanggal sebelum membagikan informasi.")
    services.create_section(session, humas, handbook.chapters[1].id, "Keamanan akun", "Aktifkan 2FA.",
                            slug="keamanan-akun")
    services.set_section_archived(session, humas, sections["foto-kegiatan"], True)
    session.commit()
    before = current_revision(session, sections["netralitas-politik"])
    factories.edit_section(session, humas, sections["netralitas-politik"], body="Sementara.")
    factories.edit_section(session, humas, sections["netralitas-politik"], body=before.body)
    factories.publish_edition(session, humas, "2026.1", material=True)

    assert not services.has_acknowledged(session, user)
    dashboard = text_of(client.get("/"))
    assert "Edisi 2026.1 memuat perubahan penting" in dashboard
    index = text_of(client.get("/handbook/"))
    assert "Edisi 2026.1 memuat perubahan material sejak edisi 2025.1 yang Anda setujui." in index
    assert 'name="confirm"' in index

    page = text_of(client.get("/handbook/perubahan"))
    assert "Perbedaan edisi 2026.1 dibandingkan edisi 2025.1." in page
    assert _changes(page) == [  # netralitas-politik has new revisions but the same text: not a change
        ("diubah", "Akun pribadi pegawai"),
        ("diubah", "Hoaks dan verifikasi"),
        ("baru", "Keamanan akun"),
        ("dihapus", "Mengunggah foto kegiatan"),
    ]
    assert re.search(r"<ins>\s*dan tanggal\s*</ins>", page)
    assert client.get("/handbook/bagian/foto-kegiatan").status_code == 404  # not in the current edition
    assert client.get("/handbook/bagian/keamanan-akun").status_code == 200

    # comparing with another edition on request
    page = text_of(client.get("/handbook/perubahan?sejak=2025.2"))
    assert [title for _kind, title in _changes(page)] == [
        "Hoaks dan verifikasi", "Keamanan akun", "Mengunggah foto kegiatan"]

    # a long list comes a page at a time, counted in full; the pages keep the edition compared with
    from portal.handbook import reading

    with mock.patch.object(reading, "CHANGES_PAGE", 3):
        first = text_of(client.get("/handbook/perubahan"))
        second = text_of(client.get("/handbook/perubahan?sejak=2025.1&page=2"))
        past_the_end = text_of(client.get("/handbook/perubahan?sejak=2025.1&page=99"))
    assert _changes(past_the_end) == _changes(second)
    assert [kind for kind, _title in _changes(first)] == ["diubah", "diubah", "baru"]
    assert _changes(second) == [("dihapus", "Mengunggah foto kegiatan")]
    assert "4 bagian berbeda: 2 diubah, 1 baru, 1 dihapus." in " ".join(first.split())
    assert "Ditampilkan 4–4." in second and 'id="chg-4"' in second
    assert "/handbook/perubahan?sejak=2025.1&amp;page=2" in first

    # the diffs of a pair of editions are the same for every reader: made once per process
    from portal.handbook import diffs

    with mock.patch.object(diffs, "rendered_diff", side_effect=AssertionError("diffed again")):
        assert text_of(client.get("/handbook/perubahan?sejak=2025.2")) == page

    # acknowledging means having read what changed since 2025.1 (also the non-material 2025.2 change)
    client.post("/handbook/setujui", data={"confirm": "y"})
    assert not services.has_acknowledged(session, user)
    index = text_of(client.get("/handbook/"))
    assert ("error", "Buka dulu bagian yang belum Anda baca (3 bagian), lalu nyatakan persetujuan.") in flashes(index)
    unread = index[index.index('class="unread-list"'):]
    unread = re.findall(r'href="/handbook/bagian/([^"]+)"', unread[:unread.index("</ul>")])
    assert unread == ["akun-pribadi", "hoaks-dan-verifikasi", "keamanan-akun"]
    read_all(client, "akun-pribadi", "hoaks-dan-verifikasi")
    client.post("/handbook/setujui", data={"confirm": "y"})
    assert not services.has_acknowledged(session, user)
    read_all(client, "keamanan-akun")
    client.post("/handbook/setujui", data={"confirm": "y"})
    assert services.has_acknowledged(session, user)
    page = text_of(client.get("/handbook/perubahan"))
    assert "tidak ada yang berubah sejak itu" in page
    assert _changes(page) == []


def test_changes_between_editions_service(handbook, session):
    humas, sections = handbook.humas, handbook.sections
    factories.edit_section(session, humas, sections["hoaks-dan-verifikasi"], body="Baru.")
    services.set_section_archived(session, humas, sections["akun-pribadi"], True)
    second = factories.publish_edition(session, humas, "2025.2", material=True)
    changes = services.changes_between(session, handbook.edition, second)
    assert [(c.kind, c.slug) for c in changes] == [("changed", "hoaks-dan-verifikasi"), ("removed", "akun-pribadi")]
    assert changes[0].old_revision_id != changes[0].new_revision_id
    assert changes[1].new_revision_id is None
    # editions never change: what changed between two is built once per process and shared
    assert services.changes_between(session, handbook.edition, second) is changes
    since = editions_module.changed_since(session, handbook.edition, second)
    assert since == {sections["hoaks-dan-verifikasi"].id: second.published_at}
    assert editions_module.changed_since(session, handbook.edition, second) is since


def test_reader_of_an_older_edition_opens_only_what_changed_since(handbook, session, client, login):
    """After a material edition the dashboard and the acknowledgement ask for the changed sections only, opened
    after they changed (an opening before the change does not count), also when the comparison comes from the
    per-process cache."""
    humas, sections = handbook.humas, handbook.sections
    reader = factories.make_user(session)
    factories.read_everything(session, reader)
    factories.acknowledge(session, reader, handbook.edition)
    factories.edit_section(session, humas, sections["hoaks-dan-verifikasi"], body="Teks yang berubah.")
    second = factories.publish_edition(session, humas, "2025.2", material=True)
    for _view in range(2):  # the second time from the cache
        unread = services.unread_for_acknowledgement(session, reader, second)
        assert [s.slug for s in unread] == ["hoaks-dan-verifikasi"]
    login(reader)
    assert "Masih 1 bagian yang perlu Anda buka." in text_of(client.get("/"))
    client.post("/handbook/bagian/hoaks-dan-verifikasi/dibaca")
    assert services.unread_for_acknowledgement(session, reader, second) == []
    assert "bagian yang perlu Anda buka" not in text_of(client.get("/"))


def test_archived_section_can_come_back(handbook, session, sign_in):
    section = handbook.sections["akun-pribadi"]
    humas = sign_in(handbook.humas)
    response = humas.post(f"/handbook/kelola/bagian/{section.id}/arsip", data={"arsip": "1"})
    assert response.status_code == 303
    manage = text_of(humas.get("/handbook/kelola"))
    assert "dihapus dari edisi berikutnya" in manage
    assert "Akun pribadi pegawai" in text_of(humas.get("/handbook/kelola/terbitkan"))
    editor = text_of(humas.get(f"/handbook/kelola/bagian/{section.id}"))
    assert "Kembalikan ke edisi berikutnya" in editor
    humas.post(f"/handbook/kelola/bagian/{section.id}/arsip", data={"arsip": "0"})
    session.refresh(section)
    assert not section.archived
    actions = session.exec(select(AuditLog.action).where(AuditLog.action.like("handbook.section_%archive"))).all()
    assert actions == ["handbook.section_archive", "handbook.section_unarchive"]


BAD_VERSIONS = [
    ("2026", "Versi ditulis sebagai tahun.nomor, misalnya 2026.2."),
    ("abc", "Versi ditulis sebagai tahun.nomor, misalnya 2026.2."),
    ("2026.1.1", "Versi ditulis sebagai tahun.nomor, misalnya 2026.2."),
    ("2025.1", "Edisi 2025.1 sudah ada."),
    (" 2025.1 ", "Edisi 2025.1 sudah ada."),
    ("", "Isi versi edisi, misalnya 2026.2."),
    ("2" * 30, "Paling banyak 20 karakter."),
]


def test_publishing_with_a_bad_version_is_refused(handbook, session, client, login_as):
    login_as("humas")
    for version, message in BAD_VERSIONS:
        response = client.post("/handbook/kelola/terbitkan", data={"version": version, "notes": "Catatan."})
        assert response.status_code == 422, version
        assert message in response.data.decode(), version
        assert 'name="notes"' in response.data.decode() and "Catatan.</textarea>" in response.data.decode()
    assert count(session, Edition) == 1


def test_publishing_needs_release_notes(handbook, session, client, login_as):
    login_as("humas")
    response = client.post("/handbook/kelola/terbitkan", data={"version": "2025.2", "notes": ""})
    assert response.status_code == 422
    assert "Tulis catatan rilis untuk pegawai." in response.data.decode()
    assert count(session, Edition) == 1


def test_publishing_through_the_form(handbook, session, client, login_as):
    login_as("admin")
    form = text_of(client.get("/handbook/kelola/terbitkan"))
    assert 'value="2025.2"' in form  # the next number is suggested
    response = client.post("/handbook/kelola/terbitkan",
                           data={"version": "2025.2", "notes": "Perbaikan kecil.", "material": "y"})
    assert response.status_code == 303
    job_page = text_of(client.get(response.headers["Location"]))  # the re-index job, done (immediate in tests)
    assert "Indeks pencarian pedoman" in job_page and "Indeks pencarian diperbarui" in job_page
    edition = services.latest_edition(session)
    assert (edition.version, edition.material, edition.notes) == ("2025.2", True, "Perbaikan kecil.")
    assert edition.published_at > handbook.edition.published_at
    assert count(session, EditionSection, EditionSection.edition_id == edition.id) == 4
    assert session.exec(select(AuditLog).where(AuditLog.action == "handbook.publish")).all()[-1].summary \
        == "2025.2 (material)"


@pytest.mark.parametrize("role", ["employee", "supervisor", "trainer"])
def test_publishing_needs_the_publish_permission(handbook, session, client, login_as, role):
    login_as(role)
    response = client.post("/handbook/kelola/terbitkan", data={"version": "2025.2", "notes": "x"})
    assert response.status_code == 403
    assert count(session, Edition) == 1


def test_publishing_an_empty_handbook_is_refused(session):
    humas = factories.make_user(session, roles=("humas",))
    with pytest.raises(services.DomainError, match="belum berisi bagian"):
        services.publish_edition(session, humas, "2025.1", "x", True)


def test_required_edition_is_the_newest_material_one(handbook, session):
    assert services.required_edition(session).version == "2025.1"
    factories.publish_edition(session, handbook.humas, "2025.2", material=False)
    assert services.required_edition(session).version == "2025.1"
    factories.publish_edition(session, handbook.humas, "2026.1", material=True)
    factories.publish_edition(session, handbook.humas, "2026.2", material=False)
    assert services.required_edition(session).version == "2026.1"
    assert [e.version for e in services.editions(session)] == ["2026.2", "2026.1", "2025.2", "2025.1"]


def test_the_current_editions_are_kept_per_process_and_follow_every_publication(app, handbook, session):
    """The section page and every dashboard read (latest, required) from a value kept per process under the
    editions' cache generation: kept between requests, never answered after a new edition has committed."""
    from portal.handbook import editions

    with app.app_context():
        kept = editions.current_editions(session)
        assert (kept[0].version, kept[1].version) == ("2025.1", "2025.1")
        session.commit()
        assert editions.current_editions(session) is kept  # a later transaction: the kept value
        session.commit()
        factories.publish_edition(session, handbook.humas, "2025.2", material=False)
        latest, required = editions.current_editions(session)
        assert (latest.version, required.version) == ("2025.2", "2025.1")
        factories.publish_edition(session, handbook.humas, "2026.1", material=True)
        assert [e.version for e in editions.current_editions(session)] == ["2026.1", "2026.1"]


def test_a_section_page_asks_two_statements_and_still_follows_a_new_edition(app, handbook, session, client,
                                                                           login_as):
    """The session record's statement also reads every cache counter (portal/generations.py): besides it the page
    asks only whether the section was read. A publication committed between two requests shows at the next one."""
    login_as("employee")
    assert client.get("/handbook/bagian/akun-pribadi").status_code == 200  # warm: the edition's parts are kept
    with recorded(app.extensions["db_engine"]) as seen:
        page = text_of(client.get("/handbook/bagian/akun-pribadi"))
    asked = [sql for sql, _parameters in seen if sql.strip().upper() not in ("BEGIN", "ROLLBACK", "COMMIT")]
    assert len(asked) == 2, asked
    assert "cache_generation" in asked[0] and "user_session" in asked[0] and "handbook_read" in asked[1]
    assert "Tandai sudah dibaca" in page  # not read yet: the read-mark form, with its CSRF field
    factories.publish_edition(session, handbook.humas, "2025.2", material=False)
    assert "Edisi 2025.2" in text_of(client.get("/handbook/bagian/akun-pribadi"))


def test_first_edition_needs_acknowledgement_even_when_not_material(session):
    handbook = factories.make_handbook(session, material=False)
    user = factories.make_user(session)
    assert services.required_edition(session).id == handbook.edition.id
    assert not services.has_acknowledged(session, user)


# --- editing ------------------------------------------------------------------------------------------------------

def test_slug_stays_when_the_title_changes(handbook, session, client, login_as, sign_in):
    section = handbook.sections["foto-kegiatan"]
    humas = sign_in(handbook.humas)
    base = current_revision(session, section)
    response = humas.post(f"/handbook/kelola/bagian/{section.id}", data={
        "title": "Membagikan dokumentasi kegiatan", "body": base.body, "summary": "Judul baru",
        "base_revision_id": str(base.id)})
    assert response.status_code == 303
    session.refresh(section)
    assert section.slug == "foto-kegiatan"
    factories.publish_edition(session, handbook.humas, "2025.2")
    login_as("employee")
    page = text_of(client.get("/handbook/bagian/foto-kegiatan"))
    assert "Membagikan dokumentasi kegiatan" in page
    assert client.get("/handbook/bagian/membagikan-dokumentasi-kegiatan").status_code == 404


def test_new_sections_get_a_slug_from_the_title_or_their_own(handbook, session, sign_in):
    chapter = handbook.chapters[0]
    humas = sign_in(handbook.humas)
    response = humas.post(f"/handbook/kelola/bab/{chapter.id}/bagian-baru",
                          data={"title": "Akun Pribadi Pegawai", "body": "Isi."})
    assert response.status_code == 303
    created = session.exec(select(Section).order_by(Section.id.desc())).first()
    assert created.slug == "akun-pribadi-pegawai"
    assert response.headers["Location"].endswith(f"/handbook/kelola/bagian/{created.id}")
    response = humas.post(f"/handbook/kelola/bab/{chapter.id}/bagian-baru",
                          data={"title": "Lain", "body": "Isi.", "slug": "Akun Pribadi"})
    assert response.status_code == 422
    assert "Penanda (slug) akun-pribadi sudah dipakai bagian lain." in response.data.decode()
    response = humas.post(f"/handbook/kelola/bab/{chapter.id}/bagian-baru",
                          data={"title": "Akun Pribadi Pegawai", "body": "Isi lagi."})
    assert session.exec(select(Section).order_by(Section.id.desc())).first().slug == "akun-pribadi-pegawai-2"


def test_revisions_have_numbers_authors_and_summaries(handbook, session, sign_in):
    section = handbook.sections["akun-pribadi"]
    other = factories.make_user(session, roles=("admin",), full_name="Admin Kedua")
    factories.edit_section(session, handbook.humas, section, body="Kedua.", summary="Memperbaiki contoh")
    factories.edit_section(session, other, section, body="Ketiga.", summary="Menambah dasar hukum")
    unchanged = factories.edit_section(session, other, section, body="Ketiga.", summary="tanpa perubahan")
    assert unchanged.number == 3  # saving the same text makes no empty revision
    revisions = services.section_revisions(session, section)
    assert [(r.number, author.full_name, r.summary) for r, author in revisions] == [
        (3, "Admin Kedua", "Menambah dasar hukum"),
        (2, "Humas Uji", "Memperbaiki contoh"),
        (1, "Humas Uji", "Bagian baru"),
    ]
    assert revisions[0][0].created_at >= revisions[2][0].created_at
    history = text_of(sign_in(handbook.humas).get(f"/handbook/kelola/bagian/{section.id}/riwayat"))
    for text in ("#3", "#2", "#1", "Admin Kedua", "Humas Uji", "Menambah dasar hukum", "Memperbaiki contoh"):
        assert text in history
    assert history.count("WIB") >= 3


def test_saving_on_an_outdated_revision_keeps_both_texts(handbook, session, sign_in):
    section = handbook.sections["akun-pribadi"]
    other_humas = factories.make_user(session, roles=("humas",), full_name="Humas Kedua")
    mine = sign_in(handbook.humas)
    editor = text_of(mine.get(f"/handbook/kelola/bagian/{section.id}"))
    base_id = re.search(r'name="base_revision_id" type="hidden" value="(\d+)"', editor).group(1)
    # someone else saves first
    theirs = factories.edit_section(session, other_humas, section, body="Teks <b>mereka</b> yang lebih dulu.",
                                    summary="Versi mereka")
    response = mine.post(f"/handbook/kelola/bagian/{section.id}", data={
        "title": "Akun pribadi pegawai", "body": "Teks saya sendiri.", "summary": "Versi saya",
        "base_revision_id": base_id})
    assert response.status_code == 409
    page = response.data.decode()
    assert "Terjadi benturan suntingan" in page
    assert "Teks &lt;b&gt;mereka&lt;/b&gt; yang lebih dulu." in page  # their text, escaped, in the conflict box
    assert "Teks saya sendiri.</textarea>" in page  # mine is still in the form
    assert 'value="Versi saya"' in page
    assert f'name="base_revision_id" type="hidden" value="{theirs.id}"' in page
    assert current_revision(session, section).id == theirs.id
    assert count(session, SectionRevision, SectionRevision.section_id == section.id) == 2
    # saving again on top of theirs is a knowing decision and goes through
    response = mine.post(f"/handbook/kelola/bagian/{section.id}", data={
        "title": "Akun pribadi pegawai", "body": "Teks gabungan.", "base_revision_id": str(theirs.id)})
    assert response.status_code == 303
    assert current_revision(session, section).body == "Teks gabungan."


def test_saving_with_a_missing_or_bogus_base_is_a_conflict(handbook, session, sign_in):
    section = handbook.sections["akun-pribadi"]
    humas = sign_in(handbook.humas)
    for base in ("", "abc", "0", "99999999999999999999"):
        response = humas.post(f"/handbook/kelola/bagian/{section.id}",
                              data={"title": "T", "body": "B", "base_revision_id": base})
        assert response.status_code == 409, base
    assert count(session, SectionRevision, SectionRevision.section_id == section.id) == 1


def test_two_sessions_saving_from_the_same_base(app, handbook):
    """Interleaved: both load the section, one saves, then the other (its copy of the section is stale)."""
    engine = app.extensions["db_engine"]
    section_id = handbook.sections["akun-pribadi"].id
    with Session(engine, expire_on_commit=False) as one, Session(engine, expire_on_commit=False) as two:
        # on SQLite every transaction holds the write lock: each ends its read before the other starts
        a, humas_a = one.get(Section, section_id), one.get(User, handbook.humas.id)
        one.commit()
        b, humas_b = two.get(Section, section_id), two.get(User, handbook.humas.id)
        two.commit()
        base = a.current_revision_id
        assert b.current_revision_id == base
        winner = services.save_section(one, humas_a, a, base, "Judul A", "Teks A", "A")
        one.commit()
        with pytest.raises(services.EditConflict) as conflict:
            services.save_section(two, humas_b, b, base, "Judul B", "Teks B", "B")
        assert conflict.value.current.id == winner.id
        two.rollback()
    with Session(engine) as check:
        section = check.get(Section, section_id)
        assert section.current_revision_id == winner.id
        bodies = check.exec(select(SectionRevision.body).where(SectionRevision.section_id == section_id)
                            .order_by(SectionRevision.number)).all()
        assert len(bodies) == 2 and bodies[1] == "Teks A"


def test_two_saves_at_the_same_time(app, handbook):
    """Truly concurrent: two threads, two sessions, one base. Exactly one wins; the other gets EditConflict."""
    engine = app.extensions["db_engine"]
    section_id, humas_id = handbook.sections["akun-pribadi"].id, handbook.humas.id
    barrier = threading.Barrier(2)
    outcome = {}

    def save(name):
        with db.unit_of_work(write=False, bind=engine) as db_session:
            section = db_session.get(Section, section_id)
            actor = db_session.get(User, humas_id)
            base = section.current_revision_id
            db.begin_write(db_session)  # ends the read transaction; the save takes the write lock
            barrier.wait()
            try:
                outcome[name] = services.save_section(db_session, actor, section, base, f"Judul {name}",
                                                      f"Teks {name}", name)
            except services.EditConflict as error:
                outcome[name] = error
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                outcome[name] = error

    threads = [threading.Thread(target=save, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    kinds = sorted(type(v).__name__ for v in outcome.values())
    assert kinds == ["EditConflict", "SectionRevision"], outcome
    winner = next(v for v in outcome.values() if isinstance(v, SectionRevision))
    loser = next(v for v in outcome.values() if isinstance(v, services.EditConflict))
    assert loser.current.id == winner.id
    with Session(engine) as check:
        assert check.get(Section, section_id).current_revision_id == winner.id
        numbers = check.exec(select(SectionRevision.number).where(SectionRevision.section_id == section_id)).all()
        assert sorted(numbers) == [1, 2]


def test_diff_between_revisions_is_marked_and_escaped(handbook, session, sign_in):
    section = handbook.sections["akun-pribadi"]
    first = current_revision(session, section)
    factories.edit_section(session, handbook.humas, section, body="Teks kedua.")
    third = factories.edit_section(session, handbook.humas, section, title="Akun <i>pribadi</i>",
                                   body="Teks ketiga <script>alert(1)</script> & lainnya.")
    humas = sign_in(handbook.humas)
    page = text_of(humas.get(f"/handbook/kelola/bagian/{section.id}/beda?dari={first.id}&ke={third.id}"))
    assert "<ins>" in page and "<del>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "&lt;i&gt;pribadi&lt;/i&gt;" in page and "<i>pribadi" not in page
    assert "Revisi #1 dibandingkan #3" in page
    # without "ke": against the current revision
    latest = text_of(humas.get(f"/handbook/kelola/bagian/{section.id}/beda?dari={first.id}"))
    assert "Revisi #1 dibandingkan #3" in latest
    other = handbook.sections["hoaks-dan-verifikasi"]
    for query in (f"dari={other.current_revision_id}", "dari=99999999999999999999", "dari=abc", ""):
        assert humas.get(f"/handbook/kelola/bagian/{section.id}/beda?{query}").status_code == 404, query


def test_word_diff():
    html = str(services.word_diff("satu dua tiga", "satu <b>empat</b> tiga"))
    assert html == "satu <del>dua</del><ins>&lt;b&gt;empat&lt;/b&gt;</ins> tiga"
    assert str(services.word_diff("", "baru")) == "<ins>baru</ins>"
    assert str(services.word_diff("lama", "")) == "<del>lama</del>"


def test_restoring_an_old_revision_makes_a_new_one(handbook, session, sign_in):
    section = handbook.sections["akun-pribadi"]
    first = current_revision(session, section)
    factories.edit_section(session, handbook.humas, section, title="Judul lain", body="Teks lain.")
    humas = sign_in(handbook.humas)
    response = humas.post(f"/handbook/kelola/bagian/{section.id}/pulihkan/{first.id}")
    assert response.status_code == 303
    page = text_of(humas.get(response.headers["Location"]))
    assert ("success", "Revisi #1 dipulihkan sebagai revisi #3.") in flashes(page)
    restored = current_revision(session, section)
    assert (restored.number, restored.title, restored.body) == (3, first.title, first.body)
    assert restored.summary == "Dipulihkan dari revisi #1"
    assert restored.html == first.html
    # a revision of another section cannot be restored here
    other = handbook.sections["hoaks-dan-verifikasi"]
    response = humas.post(f"/handbook/kelola/bagian/{section.id}/pulihkan/{other.current_revision_id}")
    assert response.status_code == 404
    assert current_revision(session, section).id == restored.id
    # restoring a revision whose text the head already has makes no revision
    response = humas.post(f"/handbook/kelola/bagian/{section.id}/pulihkan/{first.id}")
    page = text_of(humas.get(response.headers["Location"]))
    assert ("info", "Revisi terkini sudah memuat teks itu; tidak ada revisi baru.") in flashes(page)
    assert current_revision(session, section).id == restored.id


def test_live_preview_returns_a_sanitised_fragment(handbook, client, login_as):
    login_as("humas")
    body = "### Contoh\n\n**tebal** <script>alert(1)</script> [x](javascript:alert(1))"
    response = client.post("/handbook/kelola/pratinjau", data={"body": body}, headers=HX)
    assert response.status_code == 200
    html = response.data.decode()
    assert "<html" not in html
    assert '<h2 id="contoh">Contoh</h2>' in html and "<strong>tebal</strong>" in html
    assert "<script>" not in html and "javascript:" not in html.replace("[x](javascript:", "")
    assert "&lt;script&gt;" in html
    # without htmx it is the same fragment, not a broken page
    plain = client.post("/handbook/kelola/pratinjau", data={"body": body})
    assert plain.status_code == 200 and b"<html" not in plain.data
    too_long = client.post("/handbook/kelola/pratinjau", data={"body": "x" * 200_000}, headers=HX)
    assert too_long.status_code == 200
    assert "Isi bagian terlalu panjang" in too_long.data.decode()
    empty = client.post("/handbook/kelola/pratinjau", data={}, headers=HX)
    assert empty.status_code == 200 and b"Pratinjau tampil" in empty.data


BAD_SECTION_INPUT = [
    ({"title": "", "body": "Isi."}, "Judul wajib diisi."),
    ({"title": "   ", "body": "Isi."}, "Judul wajib diisi."),
    ({"title": "Judul", "body": ""}, "Isi bagian tidak boleh kosong."),
    ({"title": "Judul", "body": " \n\t "}, "Isi bagian tidak boleh kosong."),
    ({"title": "J" * 201, "body": "Isi."}, "Paling banyak 200 karakter."),
    ({"title": "Judul", "body": "kata " * 40_000}, "Isi bagian terlalu panjang (paling banyak 100000 karakter)."),
    ({"title": "Judul", "body": "Isi.", "summary": "r" * 301}, "Paling banyak 300 karakter."),
]


def test_bad_section_input_is_refused_with_a_message(handbook, session, sign_in):
    section = handbook.sections["akun-pribadi"]
    chapter = handbook.chapters[0]
    humas = sign_in(handbook.humas)
    for data, message in BAD_SECTION_INPUT:
        response = humas.post(f"/handbook/kelola/bagian/{section.id}",
                              data={**data, "base_revision_id": str(section.current_revision_id)})
        assert response.status_code == 422, message
        assert message in response.data.decode()
        response = humas.post(f"/handbook/kelola/bab/{chapter.id}/bagian-baru", data=data)
        assert response.status_code == 422, message
        assert message in response.data.decode()
    assert count(session, SectionRevision, SectionRevision.section_id == section.id) == 1
    assert count(session, Section) == 4


def test_chapters_are_created_and_edited(handbook, session, sign_in):
    humas = sign_in(handbook.humas)
    response = humas.post("/handbook/kelola/bab/baru", data={"title": "Bab Baru", "intro": "Pengantar."})
    assert response.status_code == 303
    chapter = session.exec(select(Chapter).where(Chapter.title == "Bab Baru")).one()
    assert chapter.slug == "bab-baru"
    assert humas.post("/handbook/kelola/bab/baru", data={"title": ""}).status_code == 422
    response = humas.post(f"/handbook/kelola/bab/{chapter.id}", data={"title": "Bab Diubah", "position": "abc"})
    assert response.status_code == 422
    assert "Isi dengan bilangan bulat." in response.data.decode()
    response = humas.post(f"/handbook/kelola/bab/{chapter.id}", data={"title": "Bab Diubah", "position": "5000"})
    assert "Urutan antara 0 dan 999." in response.data.decode()
    assert humas.post(f"/handbook/kelola/bab/{chapter.id}", data={"title": "Bab Diubah",
                                                                  "position": "1"}).status_code == 303
    session.refresh(chapter)
    assert (chapter.title, chapter.slug, chapter.position) == ("Bab Diubah", "bab-baru", 1)
    assert humas.get("/handbook/kelola/bab/99999999999").status_code == 404


def test_edits_are_audited(handbook, session):
    factories.edit_section(session, handbook.humas, handbook.sections["akun-pribadi"], body="Baru.", summary="Uji")
    actions = session.exec(select(AuditLog.action).where(AuditLog.actor_id == handbook.humas.id)).all()
    assert {"handbook.chapter_create", "handbook.section_create", "handbook.publish",
            "handbook.section_save"} <= set(actions)


# --- reading progress ---------------------------------------------------------------------------------------------

def test_marking_a_section_read(handbook, session, client, login_as):
    user = login_as("employee")
    page = text_of(client.get("/handbook/bagian/akun-pribadi"))
    assert "Tandai sudah dibaca" in page
    assert count(session, SectionRead) == 0  # opening a page (GET) changes nothing
    for _ in range(2):  # idempotent
        response = client.post("/handbook/bagian/akun-pribadi/dibaca")
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/handbook/bagian/akun-pribadi")
    assert count(session, SectionRead, SectionRead.user_id == user.id) == 1
    assert "Bagian ini tercatat sudah Anda baca" in text_of(client.get("/handbook/bagian/akun-pribadi"))
    assert services.reading_progress(session, user, handbook.edition) == (1, 4)
    index = text_of(client.get("/handbook/"))
    assert "1 dari 4 bagian sudah Anda buka." in index
    assert index.count('class="read-mark"') == 1
    dashboard = text_of(client.get("/"))
    assert '<progress value="25" max="100"' in dashboard


def test_marking_read_with_htmx_returns_the_small_fragment(handbook, session, client, login_as):
    user = login_as("employee")
    response = client.post("/handbook/bagian/hoaks-dan-verifikasi/dibaca", headers=HX)
    assert response.status_code == 200
    html = response.data.decode()
    assert "<html" not in html and "<article" not in html
    assert "Bagian ini tercatat sudah Anda baca" in html
    assert "HX-Request" in response.headers["Vary"]
    assert count(session, SectionRead, SectionRead.user_id == user.id) == 1


def test_reading_needs_a_csrf_token(csrf_app):
    with Session(csrf_app.extensions["db_engine"], expire_on_commit=False) as session:
        factories.make_handbook(session)
        user = factories.make_user(session)
        session.rollback()  # end the read transaction (SQLite: it would hold the write lock)
        client = csrf_app.test_client()
        token = csrf_token_from(client.get("/login").data)
        client.post("/login", data={"username": user.username, "password": factories.PASSWORD, "csrf_token": token})
        assert client.post("/handbook/bagian/akun-pribadi/dibaca").status_code == 400
        assert count(session, SectionRead) == 0
        session.rollback()
        token = csrf_token_from(client.get("/handbook/bagian/akun-pribadi").data)
        response = client.post("/handbook/bagian/akun-pribadi/dibaca", headers={**HX, "X-CSRFToken": token})
        assert response.status_code == 200
        assert count(session, SectionRead) == 1


def test_progress_counts_only_the_current_edition(handbook, session, client, login_as):
    user = login_as("employee")
    for slug in ("akun-pribadi", "foto-kegiatan"):
        client.post(f"/handbook/bagian/{slug}/dibaca")
    services.set_section_archived(session, handbook.humas, handbook.sections["foto-kegiatan"], True)
    services.create_section(session, handbook.humas, handbook.chapters[0].id, "Baru", "Isi.", slug="baru")
    edition = factories.publish_edition(session, handbook.humas, "2025.2")
    assert services.reading_progress(session, user, edition) == (1, 4)
    assert "1 dari 4 bagian sudah Anda buka." in text_of(client.get("/handbook/"))


def test_section_page_has_previous_and_next(handbook, client, login_as):
    login_as("employee")
    page = text_of(client.get("/handbook/bagian/foto-kegiatan"))
    assert 'rel="prev" href="/handbook/bagian/akun-pribadi"' in page
    assert 'rel="next" class="next" href="/handbook/bagian/netralitas-politik"' in page
    assert 'aria-current="page">Mengunggah foto kegiatan' in page


def test_print_view_has_every_published_section(handbook, client, login_as):
    login_as("employee")
    page = text_of(client.get("/handbook/cetak"))
    for slug in handbook.sections:
        assert f'<h3 id="bagian-{slug}">' in page
    # chapter (h2) > section (h3) > the section's own sub-headings (h4), ids unique in the whole book
    assert "Edisi 2025.1" in page and '<h4 id="akun-pribadi--contoh">Contoh</h4>' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert not re.search(r"<h[12][^>]*>Contoh", page)
    assert page.index("Akun Pribadi dan Akun Resmi") < page.index("Netralitas dan Informasi")


# --- reports ------------------------------------------------------------------------------------------------------

@pytest.fixture
def org(session, handbook):
    """Biro (supervisor, two staff, one inactive) ⊃ Bagian (one staff); Biro Lain (two staff) beside it."""
    root = factories.make_unit(session, code="SET", name="Sekretariat Uji")
    biro = factories.make_unit(session, code="BIRO", name="Biro Uji", parent=root)
    bagian = factories.make_unit(session, code="=SUM(A1)", name="Bagian Uji", parent=biro)
    lain = factories.make_unit(session, code="LAIN", name="Biro Lain", parent=root)
    make = factories.make_user
    people = {
        "atasan": make(session, roles=("supervisor",), unit=biro, full_name="Atasan Biro", nip=factories.valid_nip(1)),
        "ani": make(session, unit=biro, full_name="Ani Biro"),
        "formula": make(session, unit=biro, full_name='=HYPERLINK("x")'),
        "budi": make(session, unit=bagian, full_name="Budi Bagian"),
        "lina": make(session, unit=lain, full_name="Lina Lain"),
        "luki": make(session, unit=lain, full_name="Luki Lain"),
        "pensiun": make(session, unit=biro, full_name="Tidak Aktif", active=False),
    }
    for name in ("atasan", "ani", "budi", "lina", "pensiun"):
        factories.acknowledge(session, people[name], handbook.edition)
    return {"root": root, "biro": biro, "bagian": bagian, "lain": lain, **people}


def report_rows(page):
    """{unit name: (members, acknowledged)} from the report's table."""
    rows = {}
    for name, members, done in re.findall(
            r"<td data-label=\"Unit\">([^<]+)</td>\s*<td data-label=\"Pegawai aktif\" class=\"num\">(\d+)</td>\s*"
            r"<td data-label=\"Sudah menyetujui\" class=\"num\">(\d+)</td>", page):
        rows[name] = (int(members), int(done))
    return rows


def read_csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return read_csv_text(response.data.decode("utf-8"))


def read_csv_text(text):
    assert text.startswith("\ufeff")  # so Excel reads UTF-8
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))  # ";" as Excel in the Indonesian locale expects


def test_supervisor_sees_their_own_subtree(org, client, login):
    login(org["atasan"])
    page = text_of(client.get("/handbook/laporan"))
    assert report_rows(page) == {"Biro Uji": (3, 2), "Bagian Uji": (1, 1)}
    assert '<p class="stat">3 / 4</p>' in page
    missing = page[page.index('id="belum"'):]
    assert "=HYPERLINK(&#34;x&#34;)" in missing or "=HYPERLINK(&quot;x&quot;)" in missing
    for outside in ("Biro Lain", "Lina Lain", "Luki Lain", "Sekretariat Uji", "Tidak Aktif"):
        assert outside not in page
    assert client.get(f"/handbook/laporan?unit={org['lain'].id}").status_code == 403
    assert client.get(f"/handbook/laporan?unit={org['root'].id}").status_code == 403
    assert client.get(f"/handbook/laporan?unit={org['lain'].id}", headers=HX).status_code == 403
    assert client.get("/handbook/laporan?unit=99999999").status_code == 404
    assert client.get("/handbook/laporan?unit=99999999999999999999").status_code == 200  # ignored, not a crash
    bagian = client.get(f"/handbook/laporan?unit={org['bagian'].id}", headers=HX)
    assert bagian.status_code == 200 and b"<html" not in bagian.data
    assert "Semua pegawai di lingkup ini sudah menyetujui pedoman." in bagian.data.decode()


def test_supervisor_csv_covers_their_scope_and_neutralises_formulas(org, client, login):
    login(org["atasan"])
    rows = read_csv(client.get("/handbook/laporan.csv"))
    assert rows[0] == ["NIP", "Nama", "Kode unit", "Unit", "Status", "Bagian dibaca", "Jumlah bagian",
                       "Edisi disetujui", "Waktu persetujuan (WIB)"]
    body = {row[1]: row for row in rows[1:]}
    assert set(body) == {"Atasan Biro", "Ani Biro", "'=HYPERLINK(\"x\")", "Budi Bagian"}
    assert body["'=HYPERLINK(\"x\")"][4:7] == ["belum", "0", "4"]
    assert body["Ani Biro"][4:8] == ["sudah", "4", "4", "2025.1"]
    assert body["Atasan Biro"][0] == factories.valid_nip(1)
    assert body["Budi Bagian"][2] == "'=SUM(A1)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", body["Ani Biro"][8])  # WIB, as on every other page
    for row in rows[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), row


def test_a_large_export_is_prepared_by_the_worker_for_the_one_who_asked(org, app, client, login, login_as):
    login(org["atasan"])
    at_once = client.get("/handbook/laporan.csv").data
    app.config["EXPORT_JOB_MIN_ROWS"] = 3  # the supervisor's scope has 4 people: too many to read in the request
    offer = client.get("/handbook/laporan.csv")
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    assert "Berkas ini membaca 4 baris data" in text_of(offer) and 'method="post"' in offer.get_data(as_text=True)
    started = client.post("/handbook/laporan.csv")
    assert started.status_code == 303
    job_url = started.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "Berkas siap: 4 baris." in page and "Unduh berkas" in page
    file_url = re.search(r'href="(/jobs/\d+/berkas)"', page).group(1)
    prepared = client.get(file_url)
    assert prepared.headers["Content-Disposition"].startswith('attachment; filename=persetujuan-pedoman.csv')
    assert prepared.data == at_once  # the same file as the one sent at once
    # only the person who asked may download it, and only while it is kept
    client.post("/logout")
    login_as("admin")
    assert client.get(job_url).status_code == 200  # an admin sees every job's progress...
    assert client.get(file_url).status_code == 404  # ...but not someone else's file
    client.post("/logout")
    login(org["atasan"])
    from portal import export_jobs

    with app.app_context():
        for path in export_jobs.folder().iterdir():
            os.utime(path, (1, 1))
        assert export_jobs.purge_expired() == 1
    assert client.get(file_url).status_code == 404


def test_the_people_list_comes_a_page_at_a_time_and_counts_everyone(org, client, login, monkeypatch):
    from portal.handbook import reports

    monkeypatch.setattr(reports, "PEOPLE_PAGE", 2)
    login(org["atasan"])  # four active people in scope; one has not acknowledged

    def people(page):
        block = page[page.index('id="orang"'):]
        return re.findall(r'<td data-label="Nama">([^<]+)</td>', block)

    first = client.get("/handbook/laporan").get_data(as_text=True)
    assert "1 orang belum menyetujui pedoman." in first
    assert len(people(first)) == 2 and "HYPERLINK" in people(first)[0]  # who has not acknowledged comes first
    assert "page=2" in first
    second = client.get("/handbook/laporan?page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in second and people(second) == ["Atasan Biro", "Budi Bagian"]
    assert "1 orang belum menyetujui pedoman." in second  # the whole scope, whichever page
    bagian = client.get(f"/handbook/laporan?unit={org['bagian'].id}").get_data(as_text=True)
    assert people(bagian) == ["Budi Bagian"] and "Semua pegawai di lingkup ini sudah menyetujui" in bagian


@pytest.mark.parametrize("first", ["move", "acknowledgement"])
def test_a_move_and_an_acknowledgement_at_once_leave_the_state_in_the_new_unit(app, org, session, handbook, first):
    """PostgreSQL (READ COMMITTED), two transactions at once: a person moved to another unit while they acknowledge.
    Whichever writes first, the other waits for the person's row (the acknowledgement's trigger reads it FOR SHARE;
    an acknowledgement alone only takes the foreign key's lock, which a move does not wait for), and the state ends
    in the new unit. SQLite writes one transaction at a time."""
    from sqlalchemy import insert, update

    from portal.models import utcnow

    engine = app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    person, new_unit = org["luki"], org["biro"]
    session.commit()
    move = update(User).where(User.id == person.id).values(unit_id=new_unit.id)
    acknowledge = insert(Acknowledgement).values(user_id=person.id, edition_id=handbook.edition.id,
                                                 acknowledged_at=utcnow())
    statements = {"move": move, "acknowledgement": acknowledge}
    second = "acknowledgement" if first == "move" else "move"
    with engine.connect() as one, engine.connect() as other:
        one.execute(statements[first])  # not committed yet
        done = threading.Event()

        def write_second():
            other.execute(statements[second])
            other.commit()
            done.set()

        thread = threading.Thread(target=write_second)
        thread.start()
        try:
            assert not done.wait(0.5)  # waits for the first transaction's lock on the person's row
            one.commit()
            assert done.wait(10)
        finally:
            one.rollback()
            thread.join(10)
    session.expire_all()
    state = session.get(AcknowledgementState, person.id)
    assert state is not None and state.unit_id == new_unit.id and state.active


def test_the_units_come_a_page_at_a_time_and_the_totals_count_them_all(org, session, client, login, monkeypatch):
    """The chart and the table list UNITS_PAGE units (300 on one page made it 260 KB); the totals, the people
    list and its pager keep counting every unit in scope, and the pagers keep each other's place."""
    from portal.handbook import reports

    monkeypatch.setattr(reports, "UNITS_PAGE", 1)
    monkeypatch.setattr(reports, "PEOPLE_PAGE", 2)
    login(org["atasan"])  # Biro Uji and Bagian Uji: four active people, three acknowledged

    def units(page):
        return list(report_rows(page))

    def people(page):
        return re.findall(r'<td data-label="Nama">([^<]+)</td>', page[page.index('id="orang"'):])

    first = client.get("/handbook/laporan").get_data(as_text=True)
    assert units(first) == ["Biro Uji"] and "Unit 1–1 dari 2 unit" in first
    assert 'href="/handbook/laporan?unit_page=2"' in first and 'aria-label="Halaman unit"' in first
    second = client.get("/handbook/laporan?unit_page=2").get_data(as_text=True)
    assert units(second) == ["Bagian Uji"] and "Unit 2–2 dari 2 unit" in second
    assert client.get("/handbook/laporan?unit_page=99").get_data(as_text=True).count("Bagian Uji") >= 1
    for page in (first, second):  # the totals and the people list count every unit, on every page of units
        assert "3 / 4</p>" in page and "1 orang belum menyetujui pedoman." in page
        assert len(people(page)) == 2
    assert "/handbook/laporan?unit=&amp;unit_page=2&amp;page=2" in second  # the people's pager keeps the units' page
    assert f'href="/handbook/laporan?unit={org["biro"].id}#orang"' in first  # a unit's people, on page 1 of units


def test_every_page_of_people_is_cut_from_the_unit_counts_as_the_whole_sorted_list(org, session, handbook):
    """report_page reads only the units a page of people falls in: page after page, for several page sizes, the
    pages put together are the whole list in its order (not acknowledged first, then by unit path and name), with
    units of none, one or many people on either side of a page's edges."""
    import random

    from portal.handbook import reports

    rng = random.Random(4)
    extra = [factories.make_unit(session, name=f"Unit Acak {n}", parent=org["lain"] if n % 2 else org["biro"])
             for n in range(5)]
    for n in range(23):
        person = factories.make_user(session, unit=rng.choice(extra + [org["lain"]]), full_name=f"Orang {n:02d}")
        if rng.random() < 0.5:
            factories.acknowledge(session, person, handbook.edition)
    for scope, unit in ((None, None), (org["biro"].path, None), (None, org["lain"])):
        whole = {"rows": reports.ack_report(session, scope)}
        acked = set(session.exec(select(Acknowledgement.user_id)).all())
        by_name = session.exec(select(User.id, Unit.path).join(Unit, Unit.id == User.unit_id).where(
            User.active, Unit.path.startswith(unit.path if unit else (scope or "")))
            .order_by(User.full_name, User.id)).all()  # names as the database sorts them
        expected = [user_id for user_id, _path in sorted(by_name, key=lambda row: (row[0] in acked, row[1]))]
        for per_page in (1, 3, 7, 50):
            pages = -(-len(expected) // per_page)
            found = []
            for page in range(1, pages + 2):  # one past the end: empty
                found += [row.user.id for row in reports.people_progress(
                    session, [r for r in whole["rows"] if unit is None or r.unit.path.startswith(unit.path)],
                    page, per_page)]
            assert found == expected, (scope, unit, per_page)


def test_the_report_counts_a_units_people_from_the_kept_counts_alone(app, org, session):
    """ack_report's members and acknowledgements per unit are sums over handbook_ack_unit (a few rows per unit, kept
    by triggers), not counts over every person: two counts over 50,000 people's index entries took 5 ms a page."""
    from portal.handbook import reports

    with recorded(app.extensions["db_engine"]) as seen:
        assert reports.ack_report(session, None)
        assert reports.ack_report(session, org["biro"].path)
    counting = [sql for sql, _parameters in seen if "sum(" in sql]
    assert len(counting) == 2, seen
    for sql in counting:
        tables = re.findall(r"(?:FROM|JOIN)\s+\"?(\w+)", sql)
        assert tables == ["handbook_ack_unit"], sql


def test_the_acknowledgement_state_follows_every_write_the_way_the_acknowledgements_say(org, session, handbook):
    """handbook_ack_state and handbook_ack_unit, kept by the database's triggers, give the report, the follow-up list
    and the dashboard card what asking every person's acknowledgements and editions gives, after acknowledgements (a
    newer edition, one removed), a move to another unit, a deactivation and a reactivation (through the ORM and as a
    bulk statement, as an import writes), a new person, and a new required edition."""
    from sqlalchemy import delete, exists, update

    from portal.handbook import reports
    from portal.handbook.editions import required_edition

    def asked():
        """{active person's id: their unit's id, whether they acknowledged} from their acknowledgements."""
        required = required_edition(session)
        acknowledged = exists().where(Acknowledgement.user_id == User.id, Acknowledgement.edition_id == Edition.id,
                                      Edition.published_at >= required.published_at)
        return {user_id: (unit_id, bool(done)) for user_id, unit_id, done in session.exec(
            select(User.id, User.unit_id, acknowledged).where(User.active)).all()}

    def check(step):
        session.flush()
        people = asked()
        per_unit = {}  # unit id: [active people, who acknowledged]
        for unit_id, done in people.values():
            counts = per_unit.setdefault(unit_id, [0, 0])
            counts[0] += 1
            counts[1] += done
        assert {row.unit.id: [row.members, row.acknowledged] for row in reports.ack_report(session, None)
                if row.members} == per_unit, step  # the report's counts, kept per unit (handbook_ack_unit)
        missing = {user_id for user_id, (_unit, done) in people.items() if not done}
        listed = reports.team_topic_page(session, None, "handbook")["people"]  # the follow-up list (one page)
        assert len(listed) < reports.TEAM_PAGE and {row.id for row in listed} == missing, step
        assert reports.team_counts(session, None)["handbook"] == len(missing), step  # the dashboard card
        in_biro = {u.id for u in session.exec(select(Unit).where(Unit.path.startswith(org["biro"].path))).all()}
        assert reports.team_counts(session, org["biro"].path)["handbook"] == \
            sum(1 for user_id in missing if people[user_id][0] in in_biro), step

    check("the fixture")
    newcomer = factories.make_user(session, unit=org["bagian"], full_name="Orang Baru")
    check("a new person")
    factories.acknowledge(session, newcomer, handbook.edition)
    check("acknowledged")
    org["lina"].unit_id = org["biro"].id
    session.add(org["lina"])
    check("moved to another unit")
    org["ani"].active = False
    session.add(org["ani"])
    check("deactivated")
    session.exec(update(User).where(User.id == org["ani"].id).values(active=True, unit_id=org["lain"].id))
    check("reactivated and moved by a bulk statement")
    session.exec(delete(Acknowledgement).where(Acknowledgement.user_id == org["budi"].id))
    check("an acknowledgement removed")
    session.commit()
    newer = factories.publish_edition(session, handbook.humas, "2099.1", material=True)
    check("a newer required edition: nobody has acknowledged it")
    assert not any(row.acknowledged for row in reports.ack_report(session, None))
    factories.acknowledge(session, org["lina"], newer)
    check("the newer edition acknowledged")
    state = session.get(AcknowledgementState, org["lina"].id)
    assert state.unit_id == org["biro"].id and state.active
    never = session.get(AcknowledgementState, org["luki"].id)  # everyone has a state: never acknowledged, none
    assert never.acknowledged_published_at is None and never.unit_id == org["lain"].id




def test_admin_sees_every_unit(org, client, login_as):
    login_as("admin")
    page = text_of(client.get("/handbook/laporan"))
    rows = report_rows(page)
    assert rows["Biro Uji"] == (3, 2) and rows["Bagian Uji"] == (1, 1) and rows["Biro Lain"] == (2, 1)
    assert rows["Sekretariat Uji"] == (0, 0)
    assert client.get(f"/handbook/laporan?unit={org['lain'].id}").status_code == 200
    names = {row[1] for row in read_csv(client.get("/handbook/laporan.csv"))[1:]}
    assert {"Lina Lain", "Luki Lain", "Ani Biro", "Humas Uji"} <= names
    assert "Tidak Aktif" not in names


@pytest.mark.parametrize("role", ["employee", "humas", "trainer"])
def test_reports_are_refused_to_others(org, client, login_as, role):
    login_as(role)
    assert client.get("/handbook/laporan").status_code == 403
    assert client.get("/handbook/laporan.csv").status_code == 403


def test_an_empty_scope_reports_nothing(org, session):
    """report_scope() gives "" to someone who is neither admin nor supervisor: that means no unit, not every unit."""
    assert services.ack_report(session, "") == []
    assert services.team_follow_up(session, "", counted=False).empty
    assert services.ack_table(session, "")[1] == []
    assert len(services.ack_report(session, None)) >= 4
    assert {r.unit.name for r in services.ack_report(session, org["biro"].path)} == {"Biro Uji", "Bagian Uji"}


def test_report_follows_editions(org, handbook, session, client, login):
    humas = handbook.humas
    login(org["atasan"])
    factories.publish_edition(session, humas, "2025.2", material=False)
    assert report_rows(text_of(client.get("/handbook/laporan"))) == {"Biro Uji": (3, 2), "Bagian Uji": (1, 1)}
    factories.publish_edition(session, humas, "2026.1", material=True)
    page = text_of(client.get("/handbook/laporan"))
    assert report_rows(page) == {"Biro Uji": (3, 0), "Bagian Uji": (1, 0)}
    assert "Dihitung terhadap edisi 2026.1" in page
    factories.acknowledge(session, org["budi"], services.latest_edition(session))
    assert report_rows(text_of(client.get("/handbook/laporan")))["Bagian Uji"] == (1, 1)
    rows = read_csv(client.get("/handbook/laporan.csv"))
    status = {row[1]: (row[4], row[7]) for row in rows[1:]}
    assert status["Budi Bagian"] == ("sudah", "2026.1")
    assert status["Ani Biro"] == ("belum", "2025.1")


# --- demo content -------------------------------------------------------------------------------------------------

def test_published_handbook_is_made_once(session):
    first = factories.published_handbook(session)
    again = factories.published_handbook(session)
    assert again.edition.id == first.edition.id
    assert {slug: s.id for slug, s in again.sections.items()} == {slug: s.id for slug, s in first.sections.items()}
    assert [c.id for c in again.chapters] == [c.id for c in first.chapters]
    assert count(session, Edition) == 1


def test_demo_chapters_parse():
    from portal.handbook.demo import CONTENT_DIR, load_chapters

    chapters = load_chapters()
    assert len(chapters) >= 8
    slugs = [slug for _title, _intro, sections in chapters for slug, _t, _b in sections]
    assert len(slugs) >= 30
    assert len(slugs) == len(set(slugs))
    for title, _intro, sections in chapters:
        assert title and not title.startswith("#")
        for slug, section_title, body in sections:
            assert re.fullmatch(r"[a-z0-9-]+", slug) and section_title and len(body) > 100, slug
            assert "\n## " not in body  # every section heading was split off
    listed = [line.split("\t")[0] for line in (CONTENT_DIR / "SLUGS.txt").read_text().splitlines() if line.strip()]
    assert sorted(listed) == sorted(slugs)


def test_demo_seed(app, session):
    from portal.demo.seed import seed_demo

    with app.app_context():  # as `flask seed-demo` runs it (other pillars store files under the instance)
        seed_demo(session)
    editions = services.editions(session)
    assert [(e.version, e.material) for e in editions] == [("2026.1", True), ("2025.1", True)]
    pegawai = session.exec(select(User).where(User.username == "pegawai")).one()
    done, total = services.reading_progress(session, pegawai, editions[0])
    assert 0 < done < total
    assert total >= 30
    assert not services.has_acknowledged(session, pegawai)
    assert services.acknowledged_edition(session, pegawai).version == "2025.1"
    changes = services.changes_between(session, editions[1], editions[0])
    assert {c.kind for c in changes} == {"added", "changed"}
    # one draft waits for the next edition and is not published
    pending = [d for _chapter, sections in services.draft_toc(session) for d in sections if d.unpublished]
    assert [d.section.slug for d in pending] == ["cek-gambar-dan-video"]
    hits, _total = services.search_published(session, "medsos")
    assert hits

    def snapshot():
        counts = {model.__name__: count(session, model) for model in (
            User, Chapter, Section, SectionRevision, Edition, EditionSection, SectionRead, Acknowledgement)}
        counts["audit"] = count(session, AuditLog, AuditLog.action.like("handbook.%"))
        return counts

    before = snapshot()
    with app.app_context():
        seed_demo(session)
    assert snapshot() == before


# --- structure, caching and search plans (issues 9 and 10) ---------------------------------------------------------

def test_edition_published_is_sent_inside_the_transaction(handbook, session):
    from portal import events

    seen = []

    def receiver(sender, **kwargs):
        edition = kwargs["edition"]
        seen.append((sender.in_transaction(), edition.id is not None, kwargs["material"], kwargs["actor"].id))

    events.edition_published.connect(receiver)
    try:
        factories.publish_edition(session, handbook.humas, "2025.2", material=True)
    finally:
        events.edition_published.disconnect(receiver)
    assert seen == [(True, True, True, handbook.humas.id)]


def test_publishing_queues_the_reindex_job_with_progress(handbook, session, client, login_as):
    from portal.models import Job

    section = handbook.sections["hoaks-dan-verifikasi"]
    factories.edit_section(session, handbook.humas, section, body="Periksa tanggal unggahan zirkonbaru.")
    login_as("humas")
    assert not text_of(client.get("/handbook/cari?q=zirkonbaru")).count("Hoaks dan verifikasi")
    response = client.post("/handbook/kelola/terbitkan", data={"version": "2025.2", "notes": "n"})
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    job = session.exec(select(Job).where(Job.kind == "handbook.reindex")).one()
    assert (job.status, job.progress) == ("done", 100)
    assert "Hoaks dan verifikasi" in text_of(client.get("/handbook/cari?q=zirkonbaru"))
    # running it again (a worker restart) changes nothing and reports nothing re-indexed
    edition = services.latest_edition(session)
    assert services.reindex_edition(session, edition)["indexed"] == 0


def test_handbook_search_pages_are_kept_until_the_index_changes(app, handbook, session, client, login_as):
    """Results of the published handbook are the same for every reader and kept per process (a popular search
    costs a fifth of a fresh one). Publishing a change shows the previous text until the re-index job has run (see
    portal/handbook/publishing.py); once it has, the change shows at once: the job moves the index's generation."""
    from sqlalchemy import event

    from portal import jobs

    login_as("humas")
    factories.edit_section(session, handbook.humas, handbook.sections["hoaks-dan-verifikasi"],
                           body="Periksa tanggal unggahan zirkonbaru.")
    jobs.set_immediate(False)  # a worker that has not come round to the job yet
    try:
        response = client.post("/handbook/kelola/terbitkan", data={"version": "2025.2", "notes": "n"})
        assert response.status_code == 303
        assert "Hoaks dan verifikasi" not in text_of(client.get("/handbook/cari?q=zirkonbaru"))  # not indexed yet
        services.reindex_edition(session, services.latest_edition(session))  # the worker's turn
        session.commit()
    finally:
        jobs.set_immediate(True)
    engine = app.extensions["db_engine"]
    matched = []

    def record(_conn, _cursor, sql, *_args):
        if "MATCH" in sql or "to_tsquery" in sql:
            matched.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert "Hoaks dan verifikasi" in text_of(client.get("/handbook/cari?q=zirkonbaru"))
        searched = len(matched)
        assert "Hoaks dan verifikasi" in text_of(client.get("/handbook/cari?q=zirkonbaru"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert searched and len(matched) == searched  # kept: no full-text statement the second time


def test_section_page_collapses_other_chapters_and_reuses_the_cached_toc(handbook, session, client, login_as):
    from portal.handbook import editions

    login_as("employee")
    page = text_of(client.get("/handbook/bagian/akun-pribadi"))
    toc = page[page.index('class="toc"'):page.index("</nav>", page.index('class="toc"'))]
    assert "/handbook/bagian/foto-kegiatan" in toc  # same chapter: every section
    assert "/handbook/bagian/hoaks-dan-verifikasi" not in toc  # other chapter: one link to its start
    assert 'href="/handbook/bagian/netralitas-politik">2. Netralitas dan Informasi' in toc
    assert toc.count('aria-current="page"') == 1
    assert '<a href="/handbook/bagian/akun-pribadi" aria-current="page">' in toc
    edition = services.latest_edition(session)
    assert editions.edition_toc(session, edition) is editions.edition_toc(session, edition)  # built once
    # the chapter's rendered list is kept per process and language; the open section's mark moves with the page
    toc = text_of(client.get("/handbook/bagian/foto-kegiatan"))
    assert '<a href="/handbook/bagian/foto-kegiatan" aria-current="page">' in toc
    assert '<a href="/handbook/bagian/akun-pribadi">' in toc and toc.count('aria-current="page"') == 1
    english = text_of(client.get("/handbook/bagian/foto-kegiatan?lang=en"))
    assert 'aria-label="Handbook contents"' in english and "Daftar isi pedoman" not in english


def _search_statements(app, session, query):
    """The SQL statements (with parameters) that the handbook search runs."""
    from sqlalchemy import event

    engine = app.extensions["db_engine"]
    seen = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "MATCH" in statement or "to_tsquery" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with app.app_context():
            results, _total = services.search_published(db.session(), query)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert results
    return seen


def test_handbook_search_reads_its_own_index_not_the_shared_one(app, handbook, session):
    """Issue 10: handbook search must not match toolkit documents and filter them away afterwards."""
    from portal import search

    for n in range(30):  # other kinds' documents with the same words
        search.index_document(session, "toolkit", 10_000 + n, "Hoaks dan sumber", "Periksa sumber hoaks.")
    session.commit()
    statements = _search_statements(app, session, "hoaks sumber")
    assert statements
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        for statement, parameters in statements:
            if engine.dialect.name == "sqlite":
                plan = " | ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                      parameters).all())
                assert "search_fts_handbook VIRTUAL TABLE" in plan, plan
                assert "SCAN search_fts " not in plan and "SCAN d " not in plan and not plan.endswith("SCAN d"), plan
            else:
                conn.exec_driver_sql("SET enable_seqscan = off")
                plan = " | ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all())
                # the handbook's partial GIN index, or (on a tiny table) the kind index: toolkit rows are never read
                assert "Seq Scan" not in plan, plan
                assert "fts_search_fts_handbook" in plan or "Index Cond: ((kind)::text = 'handbook'" in plan, plan
    hits, _total = search.search(session, "handbook", "sumber")
    assert {h.ref_id for h in hits} <= {s.id for s in handbook.sections.values()}


# --- acknowledging means having read; readable changes (issue 16) ---------------------------------------------------

def test_admin_chooses_a_core_set_and_acknowledging_then_needs_only_it(handbook, session, client, login_as, sign_in):
    from portal.models import AcknowledgementRule

    admin = factories.make_user(session, roles=("admin",))
    core = [handbook.sections["akun-pribadi"].id, handbook.sections["netralitas-politik"].id]
    admin_client = sign_in(admin)
    assert 'value="core"' in text_of(admin_client.get("/handbook/aturan"))
    # the core rule without any core section is refused with a message, nothing saved
    response = admin_client.post("/handbook/aturan", data={"scope": "core"})
    assert response.status_code == 422
    assert "Pilih sedikitnya satu bagian inti" in response.data.decode()
    assert count(session, AcknowledgementRule) == 0
    response = admin_client.post("/handbook/aturan", data={"scope": "core", "core": [str(i) for i in core]})
    assert response.status_code == 303
    assert services.ack_scope(session) == "core"
    assert {s.id for s in session.exec(select(Section).where(Section.core)).all()} == set(core)
    assert session.exec(select(AuditLog).where(AuditLog.action == "handbook.ack_rule")).one().summary == "core"

    user = login_as("employee")
    index = text_of(client.get("/handbook/"))
    unread = index[index.index('class="unread-list"'):]
    assert re.findall(r'href="/handbook/bagian/([^"]+)"', unread[:unread.index("</ul>")]) == [
        "akun-pribadi", "netralitas-politik"]
    read_all(client, "akun-pribadi")
    client.post("/handbook/setujui", data={"confirm": "y"})
    assert not services.has_acknowledged(session, user)
    read_all(client, "netralitas-politik")
    client.post("/handbook/setujui", data={"confirm": "y"})
    assert services.has_acknowledged(session, user)
    # only admins set the rule
    assert client.get("/handbook/aturan").status_code == 403
    assert sign_in(handbook.humas).post("/handbook/aturan", data={"scope": "all"}).status_code == 403


def test_dashboard_does_not_congratulate_someone_who_has_not_read(handbook, session, client, login_as):
    login_as("employee")
    read_all(client, "akun-pribadi")
    client.post("/handbook/setujui", data={"confirm": "y"})
    dashboard = text_of(client.get("/"))
    assert "Pedoman sudah Anda setujui" not in dashboard
    assert "Masih 3 bagian yang perlu Anda buka." in dashboard


def test_changes_page_shows_a_rendered_word_diff(handbook, session, client, login_as):
    login_as("employee")
    read_all(client)
    client.post("/handbook/setujui", data={"confirm": "y"})
    section = handbook.sections["akun-pribadi"]
    old = current_revision(session, section).body
    factories.edit_section(session, handbook.humas, section,
                           body=old.replace("Gunakan nama asli", "Gunakan **nama asli** dan swafoto") +
                           "\n\n> **Contoh:** akun bernama jelas.")
    factories.publish_edition(session, handbook.humas, "2025.2", material=True)
    page = text_of(client.get("/handbook/perubahan"))
    diff = page[page.index('class="prose diff rendered-diff"'):]
    diff = diff[:diff.index("</details>")]
    assert "**" not in diff and "###" not in diff and "&gt; " not in diff
    assert re.search(r'<h2 id="chg1-contoh">Contoh</h2>', diff)  # the sub-heading stays a heading
    assert re.search(r"<strong>(<ins>)?nama(</ins>)?", diff) or "<ins><strong>" in diff or "<strong><ins>" in diff
    assert re.search(r"<ins>[^<]*swafoto", diff)
    assert "<blockquote>" in diff and re.search(r"<ins>\s*akun bernama jelas", diff)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_saving_unchanged_text_and_restoring_the_published_text_change_nothing(handbook, session, sign_in):
    section = handbook.sections["foto-kegiatan"]
    published = current_revision(session, section)
    humas = sign_in(handbook.humas)
    form = text_of(humas.get(f"/handbook/kelola/bagian/{section.id}"))
    response = humas.post(f"/handbook/kelola/bagian/{section.id}", data={
        "title": published.title, "body": published.body.replace("\n", "\r\n"), "summary": "tanpa ubah",
        "base_revision_id": str(published.id), "csrf_token": csrf_token_from(form.encode()) or ""})
    assert response.status_code == 303
    page = text_of(humas.get(response.headers["Location"]))
    assert ("info", "Tidak ada yang berubah, jadi tidak ada revisi baru.") in flashes(page)
    assert count(session, SectionRevision, SectionRevision.section_id == section.id) == 1
    # an edit, then restoring the published revision: a new revision, but nothing waits for the next edition
    factories.edit_section(session, handbook.humas, section, body="Teks sementara.")
    assert "draf berubah" in text_of(humas.get("/handbook/kelola"))
    humas.post(f"/handbook/kelola/bagian/{section.id}/pulihkan/{published.id}")
    assert current_revision(session, section).number == 3
    manage = text_of(humas.get("/handbook/kelola"))
    assert "draf berubah" not in manage and "belum terbit" not in manage
    assert "Tidak ada bagian yang berubah sejak edisi terakhir." in text_of(humas.get("/handbook/kelola/terbitkan"))


# --- supervisors: per-person progress, follow-up and reminders; XLSX ------------------------------------------------

def test_report_shows_each_persons_reading_progress(org, session, client, login):
    login(org["atasan"])
    factories.read_everything(session, org["formula"])
    page = text_of(client.get(f"/handbook/laporan?unit={org['biro'].id}", headers=HX))
    people = dict(re.findall(r'<td data-label="Nama">([^<]+)</td>.*?<span>(\d+/\d+)</span>', page, re.S))
    assert people == {"=HYPERLINK(&#34;x&#34;)": "4/4", "Atasan Biro": "4/4", "Ani Biro": "4/4", "Budi Bagian": "4/4"}
    assert page.index("HYPERLINK") < page.index("Ani Biro")  # those who have not acknowledged come first


def test_the_team_card_runs_no_statement_when_its_counts_are_kept(org, app, session):
    """The supervisor's card counts the unit tree (planned for its scope on PostgreSQL: one unit or the whole
    institution) only when the counts are not kept; a card from kept counts runs no statement at all, not even the
    planning setting, which would also have changed the plans of the rest of the dashboard's transaction."""
    from sqlalchemy import event

    from portal.handbook.reports import team_card
    from portal.permissions import report_scope

    engine = app.extensions["db_engine"]
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    scope = report_scope(org["atasan"])
    with app.test_request_context("/"):
        first = team_card(db.session(), org["atasan"], scope)
        db.session().commit()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            again = team_card(db.session(), org["atasan"], scope)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert again == first and "pedoman" in first["body"]
    assert statements == []


def test_supervisor_follow_up_and_reminders(org, session, client, login):
    from portal import events
    from portal.models import Attempt, Quiz, utcnow

    quiz = Quiz(title="Kuis uji", pass_mark=70)
    session.add(quiz)
    session.flush()
    session.add(Attempt(user_id=org["ani"].id, quiz_id=quiz.id, feedback_mode="immediate", pass_mark=70,
                        finished_at=utcnow(), score=90, passed=True))
    session.commit()
    login(org["atasan"])
    dashboard = text_of(client.get("/"))
    assert "Tindak lanjut unit Anda" in dashboard
    assert "1 orang belum menyetujui pedoman" in dashboard and "3 orang belum lulus kuis" in dashboard
    page = text_of(client.get("/handbook/tim"))
    assert "Lina Lain" not in page and "Tidak Aktif" not in page
    sent = []

    def receiver(sender, **kw):
        sent.append(kw)

    events.reminder_requested.connect(receiver)
    try:
        outsider = org["lina"].id  # not in the supervisor's scope: never reminded
        response = client.post("/handbook/tim/ingatkan", data={
            "topic": "quiz", "user_ids": [str(org["budi"].id), str(org["ani"].id), str(outsider)]})
        assert response.status_code == 303
        assert ("success", "Pengingat dikirim ke 1 orang.") in flashes(text_of(client.get("/handbook/tim")))
        assert [(s["topic"], s["user_ids"], s["actor"].id, s["url"]) for s in sent] == [
            ("quiz", [org["budi"].id], org["atasan"].id, "/quiz/")]
        assert "kuis" in sent[0]["text"] and sent[0]["key"].startswith("handbook.reminder:quiz:")
        # nobody chosen, or an unknown list: a message, no event
        client.post("/handbook/tim/ingatkan", data={"topic": "quiz"})
        client.post("/handbook/tim/ingatkan", data={"topic": "lain", "user_ids": [str(org["budi"].id)]})
        assert len(sent) == 1
    finally:
        events.reminder_requested.disconnect(receiver)
    assert session.exec(select(AuditLog).where(AuditLog.action == "handbook.reminder")).one()


def test_supervisor_card_counts_the_follow_up_lists_and_keeps_them_a_while(org, session, client, login, app):
    from portal.handbook import reports

    scope = org["biro"].path
    team = reports.team_follow_up(session, scope)
    counts = reports.team_counts(session, scope)
    assert counts == {"handbook": len(team.not_acknowledged), "quiz": len(team.no_quiz_pass),
                      "workshop": len(team.missed_workshop)}
    assert counts["handbook"] == 1 and counts["quiz"] == 4  # the formula person; nobody holds a quiz pass
    login(org["atasan"])
    assert "1 orang belum menyetujui pedoman" in text_of(client.get("/"))
    factories.acknowledge(session, org["formula"], services.latest_edition(session))
    assert reports.team_counts(session, scope)["handbook"] == 0
    # the card's counts scan the whole unit tree: kept DASHBOARD_CACHE_SECONDS per process, then counted afresh
    assert "1 orang belum menyetujui pedoman" in text_of(client.get("/"))
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    assert "0 orang belum menyetujui pedoman" in text_of(client.get("/"))


def test_the_follow_up_lists_the_first_people_and_counts_them_all(org, client, login, monkeypatch):
    from portal.handbook import reports

    monkeypatch.setattr(reports, "PEOPLE_LIMIT", 2)
    login(org["atasan"])
    page = text_of(client.get("/handbook/tim"))
    assert "4 orang belum lulus kuis" in page  # nobody in the Biro holds a quiz pass: counted in full
    assert "Yang ditampilkan: 2 orang pertama" in page and "Lihat semua 4 orang" in page
    assert page.count('name="user_ids"') == 2 + 1  # two of the quiz list, the one who has not acknowledged


FOLLOW_UP_STATS = (  # sqlite_stat1 of `bench/generate.py`'s database
    ("unit", "ix_unit_path", "313 1"), ("unit", "ix_unit_parent_id", "313 3"), ("unit", "ix_unit_code", "313 1"),
    ("quiz_attempt", "ix_quiz_attempt_valid_pass", "137474 4 1"),
    ("quiz_attempt", "ix_quiz_attempt_user_quiz", "200103 5 5"),
    ("quiz_attempt", "ix_quiz_attempt_user_id", "200103 5"),
    ("quiz_attempt", "ix_quiz_attempt_quiz_id", "200103 100052"),
    ("quiz_attempt", "ix_quiz_attempt_finished_at", "200103 2"),
    ("user", "ix_user_unit_id_active_name", "50063 160 81 1"), ("user", "ix_user_id_full_name", "50063 1 1"),
    ("user", "ix_user_lower_full_name", "50063 4"), ("user", "ix_user_full_name_id", "50063 4 1"),
    ("user", "ix_user_username", "50063 1"), ("user", "ix_user_nip", "50063 1"), ("user", "ix_user_email", "50063 1"),
    ("user", "ix_user_active", "50063 25032"),
)


def test_the_follow_up_lists_read_people_in_order_through_indexes(org, session, app):
    """Each list walks the units in path order and their active people in name order through indexes, and asks
    about a person's quiz passes through the partial index on passes (not every attempt's row): it stops at its
    first page instead of sorting the institution (the quiz list at 50,000 people: 3.9 -> 1.5 ms)."""
    from portal.handbook import reports

    engine = app.extensions["db_engine"]
    if engine.dialect.name == "sqlite":  # the statistics of the benchmark's database (50,000 people)
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl IN ('user', 'unit', 'quiz_attempt')")
            for row in FOLLOW_UP_STATS:
                conn.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", row)
            conn.commit()
        engine.dispose()  # connections read the statistics when they open
    with recorded(engine) as seen:
        reports.team_follow_up(session, None, counted=False)
    lists = [(sql, parameters) for sql, parameters in seen if "ORDER BY unit.path" in sql.replace('"', "")]
    assert len(lists) == 3
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL plans by its statistics; the indexes are the same
    with engine.connect() as conn:
        plans = [" | ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters))
                 for sql, parameters in lists]
    for plan in plans:
        assert "SCAN unit USING INDEX ix_unit_path" in plan and "INDEX ix_user_unit_id_active_name" in plan, plan
        assert "SCAN user" not in plan, plan
    assert "ix_quiz_attempt_valid_pass" in plans[1], plans[1]


def test_a_follow_up_list_has_pages_and_reminds_from_any_of_them(org, session, client, login, monkeypatch):
    """One topic's list (?topik=) goes page by page; a reminder sent from a later page reaches those people (they
    are checked against the whole list, not its first page) and leads back to that page."""
    from portal import events
    from portal.handbook import reports

    monkeypatch.setattr(reports, "TEAM_PAGE", 3)
    login(org["atasan"])
    first = client.get("/handbook/tim?topik=quiz").get_data(as_text=True)
    second = client.get("/handbook/tim?topik=quiz&page=2").get_data(as_text=True)
    ids = [re.findall(r'name="user_ids" value="(\d+)"', html) for html in (first, second)]
    assert len(ids[0]) == 3 and len(ids[1]) == 1 and not set(ids[0]) & set(ids[1])  # 4 people, 3 a page
    assert "4 orang belum lulus kuis" in second and 'aria-current="page">2<' in second
    assert 'name="back_to_topic" value="1"' in second and 'name="page" value="2"' in second
    past = client.get("/handbook/tim?topik=quiz&page=9").get_data(as_text=True)  # an old link: back to the last
    assert "Tidak ada." in past and re.search(r'href="/handbook/tim\?topik=quiz&amp;page=2"[^>]*>‹ Sebelumnya', past)
    sent = []

    def receiver(sender, **kw):
        sent.append(kw["user_ids"])

    events.reminder_requested.connect(receiver)
    try:
        response = client.post("/handbook/tim/ingatkan", data={"topic": "quiz", "user_ids": ids[1],
                                                               "back_to_topic": "1", "page": "2"})
        assert response.status_code == 303 and response.location.endswith("/handbook/tim?topik=quiz&page=2")
        assert sent == [[int(ids[1][0])]]
        # a page number that is not one leads back to the list's first page; an unknown topic to the overview
        response = client.post("/handbook/tim/ingatkan", data={"topic": "quiz", "user_ids": ids[1],
                                                               "back_to_topic": "1", "page": "x" * 50})
        assert response.location.endswith("/handbook/tim?topik=quiz")
        response = client.post("/handbook/tim/ingatkan", data={"topic": "lain", "back_to_topic": "1"})
        assert response.location.endswith("/handbook/tim")
    finally:
        events.reminder_requested.disconnect(receiver)
    # an unknown topic in the address shows the overview
    assert "Tindak lanjut unit" in text_of(client.get("/handbook/tim?topik=lain"))


def test_report_as_xlsx_in_the_interface_language(org, client, login):
    from datetime import datetime

    from openpyxl import load_workbook

    login(org["atasan"])
    response = client.get("/handbook/laporan.xlsx?lang=en")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("NIP", "Name", "Unit code", "Unit", "Status", "Sections read", "Sections in total",
                       "Edition acknowledged", "Acknowledged at (WIB)")
    body = {row[1]: row for row in rows[1:]}
    assert body["Ani Biro"][4] == "done" and body["=HYPERLINK(\"x\")"][4] == "not yet"
    assert isinstance(body["Ani Biro"][8], datetime) and body["Ani Biro"][5] == 4
    assert sheet.auto_filter.ref and sheet.freeze_panes == "A2"


def test_the_management_page_counts_each_chapter_as_the_draft_does_and_opens_one_chapter_when_large(
        handbook, session, sign_in, monkeypatch):
    from portal.handbook import drafts

    humas, sections = handbook.humas, handbook.sections
    first_chapter = handbook.chapters[0]
    # one of each: changed, changed then undone, new (never published), archived after publishing, archived new
    factories.edit_section(session, humas, sections["hoaks-dan-verifikasi"], body="Teks baru yang berbeda.")
    undone = sections["netralitas-politik"]
    published_body = session.get(SectionRevision, undone.current_revision_id).body
    factories.edit_section(session, humas, undone, body="Sementara.")
    factories.edit_section(session, humas, undone, body=published_body)
    services.create_section(session, humas, first_chapter.id, "Bagian baru", "Belum pernah terbit.", slug="baru")
    archived_new = services.create_section(session, humas, first_chapter.id, "Baru lalu dihapus", "Teks.",
                                           slug="baru-dihapus")
    services.set_section_archived(session, humas, archived_new, True)
    published_then_archived = next(s for slug, s in sections.items()
                                   if s.chapter_id == first_chapter.id and slug != "baru")
    services.set_section_archived(session, humas, published_then_archived, True)
    session.commit()

    toc = services.draft_toc(session, include_archived=True)
    counts = drafts.chapter_counts(session)
    for chapter, rows in toc:
        expected = drafts.ChapterCounts(
            sections=len(rows), changed=sum(d.unpublished for d in rows),
            never=sum(not d.section.archived and d.published_revision_id is None for d in rows),
            archived=sum(d.section.archived for d in rows))
        assert counts.get(chapter.id, drafts.ChapterCounts()) == expected, chapter.title
    pending = sum(d.unpublished for _chapter, rows in toc for d in rows)
    assert pending == 3 and drafts.manage_page(session)["pending"] == pending

    client = sign_in(humas)
    every = text_of(client.get("/handbook/kelola"))
    assert all(f"/handbook/kelola/bagian/{s.id}\"" in every for s in sections.values())
    # a large handbook: the chapters with their counts, and the sections of the chosen chapter only
    services.create_chapter(session, humas, "Bab kosong", "")
    session.commit()
    monkeypatch.setattr(drafts, "MANAGE_ALL_SECTIONS", 2)
    overview = text_of(client.get("/handbook/kelola"))
    assert "/handbook/kelola/bagian/" not in overview
    assert overview.count("Bab ini belum berisi bagian.") == 1  # the empty chapter; the others are only folded
    assert f"/handbook/kelola?bab={first_chapter.id}#ch-{first_chapter.id}" in overview
    assert "3 bagian berubah sejak edisi terakhir" in overview
    chosen = text_of(client.get(f"/handbook/kelola?bab={first_chapter.id}"))
    shown = {s.id for s in sections.values() if f"/handbook/kelola/bagian/{s.id}\"" in chosen}
    assert shown == {s.id for s in sections.values() if s.chapter_id == first_chapter.id}
    for wrong in ("999999", "abc", "-1", ""):
        assert "/handbook/kelola/bagian/" not in text_of(client.get(f"/handbook/kelola?bab={wrong}"))


def test_before_the_first_edition_every_section_counts_as_new(session):
    from portal.handbook import drafts

    draft = factories.make_handbook(session, version=None)
    counts = drafts.chapter_counts(session)
    for chapter in draft.chapters:
        n = sum(1 for s in draft.sections.values() if s.chapter_id == chapter.id)
        assert counts[chapter.id] == drafts.ChapterCounts(sections=n, changed=n, never=n, archived=0)
