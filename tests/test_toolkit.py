"""The toolkit (Perangkat Humas): uploads refused or cleaned, visibility for employees, search and facets, the
approval workflow, counters, template use, files never orphaned, demo content.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

import functools
import io
import re
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import update
from sqlmodel import select

from portal.models import AuditLog, ToolkitItem, ToolkitPhoto, ToolkitRegulation, ToolkitStatusChange, User
from portal.toolkit import access, editing, facets, finder, workflow
from portal.toolkit.labels import today
from tests import factories
from tests.conftest import HX
from tests.statements import recorded

HOSTILE_QUERIES = ['"NEAR(*', "*", '"', "(", "-foo", "NEAR/2", "a AND OR NOT b", "foto:*", "title_terms:foto",
                   "'; DROP TABLE toolkit_item; --", "x" * 5000, "😀", "%", "_", "&|!<->", "\\", "foto\x00", "١٢٣"]


# --- helpers -------------------------------------------------------------------------------------------------------

def stored_files(app):
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def items(session):
    session.expire_all()
    return session.exec(select(ToolkitItem)).all()


@pytest.fixture
def central(session):
    """A humas of a sub-unit of the Biro Hubungan Masyarakat: may approve."""
    bhm = factories.make_central_unit(session)
    unit = factories.make_unit(session, parent=bhm)
    return factories.make_user(session, roles=("humas",), unit=unit, full_name="Humas Pusat Uji")


def photo_form(raw, name="foto.jpg", **values):
    data = {"title": "Foto uji", "description": "", "tags": "uji", "consent": "tidak_perlu", "credit": "Humas",
            "photo": (io.BytesIO(raw), name)}
    data.update(values)
    return data


def regulation_form(**values):
    data = {"title": "Disiplin Pegawai Negeri Sipil", "reg_type": "PP", "number": "94", "year": "2021",
            "legal_status": "berlaku", "issuer": "Presiden", "tags": "disiplin"}
    data.update(values)
    return data


def bomb_png(width, height):
    """A tiny PNG whose header declares `width` × `height` pixels."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def has_gps(raw):
    with Image.open(io.BytesIO(raw)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(ExifTags.IFD.GPSInfo)) or ExifTags.Base.GPSInfo in exif or bool(exif)


# --- uploads through the form: refused cleanly ------------------------------------------------------------------

@pytest.mark.parametrize("raw, name, message", [
    (b"GIF89a/*\x00\x00\x00\x00*/=1;alert(document.domain)//" + b"\x00" * 20, "foto.gif",
     "bukan gambar yang valid"),
    (factories.image_bytes(fmt="GIF"), "foto.jpg", "Hanya gambar JPEG, PNG, atau WebP"),
    (factories.pdf_bytes(), "foto.jpg", "bukan gambar yang valid"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (21 * 1024 * 1024), "besar.png", "terlalu besar (paling besar 20 MB)"),
    (bomb_png(100_000, 100_000), "bom.png", "Resolusi gambar terlalu besar"),
    (bomb_png(9_000, 9_000), "bom.png", "Resolusi gambar terlalu besar"),
    (b"", "kosong.jpg", "Berkas kosong"),
])
def test_bad_photo_is_refused_with_a_message_and_leaves_nothing(app, client, session, login_as, raw, name, message):
    login_as("humas")
    response = client.post("/toolkit/baru/photo", data=photo_form(raw, name), content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert items(session) == []
    assert stored_files(app) == []


def test_png_with_appended_html_is_served_reencoded(app, client, session, login_as):
    raw = factories.image_bytes(fmt="PNG") + b"<html><script>alert(1)</script></html>"
    login_as("humas")
    response = client.post("/toolkit/baru/photo", data=photo_form(raw, "poliglot.png"),
                           content_type="multipart/form-data")
    assert response.status_code == 303
    item = items(session)[0]
    served = client.get(f"/toolkit/item/{item.id}/berkas/asli")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script" not in served.data and b"<html" not in served.data
    assert Image.open(io.BytesIO(served.data)).size == (64, 48)


def test_type_comes_from_the_content_not_the_name(app, client, session, login_as):
    login_as("humas")
    raw = factories.image_bytes(fmt="WEBP")
    assert client.post("/toolkit/baru/photo", data=photo_form(raw, "menyamar.pdf"),
                       content_type="multipart/form-data").status_code == 303
    photo = session.exec(select(ToolkitPhoto)).one()
    assert photo.mime == "image/webp" and photo.path.endswith(".webp")
    assert photo.path == f"toolkit/photos/{photo.sha256[:2]}/{photo.sha256}.webp"  # named by content hash


def test_renamed_image_is_refused_as_regulation_pdf(app, client, session, login_as):
    login_as("humas")
    data = regulation_form(pdf=(io.BytesIO(factories.image_bytes(fmt="JPEG")), "pp-94-2021.pdf"))
    response = client.post("/toolkit/baru/regulation", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "bukan PDF yang valid" in response.get_data(as_text=True)
    assert items(session) == [] and stored_files(app) == []


def test_oversized_pdf_is_refused(app, client, session, login_as):
    login_as("humas")
    raw = b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024) + b"\n%%EOF\n"
    response = client.post("/toolkit/baru/regulation", data=regulation_form(pdf=(io.BytesIO(raw), "besar.pdf")),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PDF terlalu besar" in response.get_data(as_text=True)
    assert items(session) == [] and stored_files(app) == []


def test_invalid_fields_after_a_good_file_leave_no_file(app, client, session, login_as):
    """The file is checked before the row; when the use case fails afterwards the stored file goes again."""
    login_as("humas")
    data = photo_form(factories.image_bytes(), "ok.png", consent_doc=(io.BytesIO(b"bukan dokumen"), "izin.txt"),
                      consent="ya")
    response = client.post("/toolkit/baru/photo", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PDF atau gambar" in response.get_data(as_text=True)
    assert items(session) == [] and stored_files(app) == []


def test_gps_exif_is_stripped_from_the_original_and_every_rendition(app, client, session, login_as):
    raw = factories.image_bytes(size=(1600, 900), fmt="JPEG", exif=factories.gps_exif(),
                                comment=b"<script>alert(1)</script>")
    assert has_gps(raw)
    login_as("humas")
    assert client.post("/toolkit/baru/photo", data=photo_form(raw, "gps.jpg"),
                       content_type="multipart/form-data").status_code == 303
    item = items(session)[0]
    sizes = {"asli": (1600, 900), "web": (1280, 720), "thumb": (320, 180), "square": (1080, 1080),
             "landscape": (1200, 675)}
    for variant, size in sizes.items():
        response = client.get(f"/toolkit/item/{item.id}/berkas/{variant}")
        assert response.status_code == 200, variant
        assert response.headers["Content-Type"] == "image/jpeg"
        assert not has_gps(response.data), variant
        with Image.open(io.BytesIO(response.data)) as image:
            assert image.size == size, variant
            assert "comment" not in image.info and "xmp" not in image.info
        assert b"<script" not in response.data


def test_renditions_are_made_once_at_upload_never_on_a_viewers_request(app, client, session, login_as):
    humas = login_as("humas")
    item = factories.make_toolkit_item(session, "photo", status="draf", author=humas, app=app)
    made = [p for p in stored_files(app) if p.startswith("renditions/")]
    assert sorted(name.rsplit("-", 1)[1] for name in made) == ["landscape.jpg", "square.jpg", "thumb.jpg", "web.jpg"]
    stamps = {p: (Path(app.config["UPLOAD_DIR"]) / p).stat().st_mtime_ns for p in made}
    for variant in ("square", "thumb", "web", "landscape"):
        assert client.get(f"/toolkit/item/{item.id}/berkas/{variant}").status_code == 200
    assert {p: (Path(app.config["UPLOAD_DIR"]) / p).stat().st_mtime_ns for p in made} == stamps
    # A rendition that is missing (still with the job worker) is not made by a viewer: the original is shown.
    for p in made:
        (Path(app.config["UPLOAD_DIR"]) / p).unlink()
    response = client.get(f"/toolkit/item/{item.id}/berkas/square")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert not [p for p in stored_files(app) if p.startswith("renditions/")]
    page = client.get(f"/toolkit/item/{item.id}").get_data(as_text=True)
    assert "sedang disiapkan" in page and "/berkas/square" not in page


def test_large_photos_get_their_renditions_from_the_job_worker(app, client, session, login_as, monkeypatch):
    from portal.models import Job
    from portal.toolkit import files

    monkeypatch.setattr(files, "INLINE_RENDITION_PIXELS", 100)
    humas = login_as("humas")
    item = factories.make_toolkit_item(session, "photo", status="draf", author=humas, app=app)
    job = session.exec(select(Job).where(Job.kind == files.RENDITIONS_JOB)).one()
    assert job.status == "done"  # tests run jobs right after the commit that queued them
    assert len([p for p in stored_files(app) if p.startswith("renditions/")]) == 4
    assert client.get(f"/toolkit/item/{item.id}/berkas/thumb").mimetype == "image/jpeg"


def test_unknown_variant_is_404(app, client, session, login_as):
    login_as("employee")
    item = factories.make_toolkit_item(session, "photo", app=app)
    assert client.get(f"/toolkit/item/{item.id}/berkas/../../etc").status_code == 404
    assert client.get(f"/toolkit/item/{item.id}/berkas/besar").status_code == 404
    assert client.get(f"/toolkit/item/{item.id}/berkas/pdf").status_code == 404


def test_file_headers(app, client, session, login_as):
    login_as("employee")
    regulation = factories.make_toolkit_item(session, "regulation", files={"pdf": factories.pdf_bytes()}, app=app)
    inline = client.get(f"/toolkit/item/{regulation.id}/berkas/pdf")
    assert inline.status_code == 200
    assert inline.headers["Content-Type"] == "application/pdf"
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    attachment = client.get(f"/toolkit/item/{regulation.id}/berkas/pdf?unduh=1")
    assert attachment.headers["Content-Disposition"].startswith("attachment")
    assert "pp-94-2021" in attachment.headers["Content-Disposition"]


# --- what employees see ----------------------------------------------------------------------------------------------

@pytest.fixture
def every_state(app, session):
    """A photo and a regulation in every workflow state, plus one approved photo whose consent has expired."""
    made = {}
    for status in ("draf", "diajukan", "disetujui", "ditolak", "diarsipkan"):
        made[("photo", status)] = factories.make_toolkit_item(
            session, "photo", status=status, app=app, title=f"Foto rahasia {status}", tags=f"tag-{status}",
            files={"photo": (factories.image_bytes(color=(len(status) * 20, 40, 90)), "f.png")})
        made[("regulation", status)] = factories.make_toolkit_item(
            session, "regulation", status=status, app=app, title=f"Peraturan {status}", number=str(len(status)),
            files={"pdf": factories.pdf_bytes(status)}, tags=f"tag-{status}")
    return made


HIDDEN = ("draf", "diajukan", "ditolak", "diarsipkan")


def test_employee_sees_only_approved_items(app, client, session, login_as, every_state):
    login_as("employee")
    page = client.get("/toolkit/").get_data(as_text=True)
    assert "Foto rahasia disetujui" in page and "Peraturan disetujui" in page
    for status in HIDDEN:
        assert f"Foto rahasia {status}" not in page
        assert f"Peraturan {status}" not in page
        assert f"tag-{status}" not in page  # not even as a facet
    assert "2 item" in page


def test_employee_search_and_facet_counts_ignore_hidden_items(app, client, session, login_as, every_state):
    employee = login_as("employee")
    found = finder.search_items(session, employee, finder.SearchRequest(q="rahasia"))
    assert [r.item.title for r in found.results] == ["Foto rahasia disetujui"]
    assert found.total == 1
    assert found.facets["kind"] == [("photo", "Foto", 1)]
    assert found.facets["tag"] == [("tag-disetujui", "tag-disetujui", 1)]
    assert "status" not in found.facets
    everything = finder.search_items(session, employee, finder.SearchRequest())
    assert dict((k, n) for k, _l, n in everything.facets["kind"]) == {"photo": 1, "regulation": 1}
    assert sum(n for _v, _l, n in everything.facets["unit"]) == 2
    for status in HIDDEN:
        tagged = finder.search_items(session, employee, finder.SearchRequest(tags=(f"tag-{status}",)))
        assert tagged.total == 0
    page = re.sub(r"</?mark>", "", client.get("/toolkit/?q=peraturan").get_data(as_text=True))
    assert "Peraturan disetujui" in page
    assert all(f"Peraturan {s}" not in page for s in HIDDEN)


@pytest.mark.parametrize("status", HIDDEN)
def test_hidden_items_are_404_for_employees_by_direct_url(app, client, session, login_as, every_state, status):
    login_as("employee")
    photo, regulation = every_state[("photo", status)], every_state[("regulation", status)]
    for url in (f"/toolkit/item/{photo.id}", f"/toolkit/item/{photo.id}/berkas/asli",
                f"/toolkit/item/{photo.id}/berkas/thumb", f"/toolkit/item/{regulation.id}",
                f"/toolkit/item/{regulation.id}/berkas/pdf"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/toolkit/item/{photo.id}/unduh/asli").status_code == 404
    assert client.post(f"/toolkit/item/{regulation.id}/unduh/pdf").status_code == 404
    session.expire_all()
    assert session.get(ToolkitItem, photo.id).download_count == 0


def test_central_humas_see_every_state_with_status_facet(app, client, session, login, central, every_state):
    humas = login(central)
    found = finder.search_items(session, humas, finder.SearchRequest())
    assert found.total == 8  # archived items only when asked for
    statuses = {value: n for value, _label, n in found.facets["status"]}
    assert statuses == {"draf": 2, "diajukan": 2, "disetujui": 2, "ditolak": 2, "diarsipkan": 2}
    archived = finder.search_items(session, humas, finder.SearchRequest(status="diarsipkan"))
    assert {r.item.title for r in archived.results} == {"Foto rahasia diarsipkan", "Peraturan diarsipkan"}
    draft = every_state[("photo", "draf")]
    assert client.get(f"/toolkit/item/{draft.id}").status_code == 200
    assert client.get(f"/toolkit/item/{draft.id}/berkas/thumb").status_code == 200


def test_expired_validity_hides_an_item_from_employees(app, client, session, login_as):
    item = factories.make_toolkit_item(session, "regulation", valid_until=today() + timedelta(days=3))
    item.valid_until = item.visible_until = today() - timedelta(days=1)  # time passes
    session.add(item)
    session.commit()
    login_as("employee")
    assert client.get(f"/toolkit/item/{item.id}").status_code == 404
    assert "Disiplin" not in client.get("/toolkit/?q=disiplin").get_data(as_text=True)


def test_expired_consent_hides_the_photo_from_employees_and_warns_humas(app, client, session, login, central):
    consent = factories.pdf_bytes("Persetujuan")
    photo = factories.make_toolkit_item(
        session, "photo", app=app, consent="ya", consent_expires_on=today() + timedelta(days=5),
        files={"photo": (factories.image_bytes(), "orang.png"), "consent": consent}, title="Foto pegawai")
    employee = factories.make_user(session)
    login(employee)
    assert client.get(f"/toolkit/item/{photo.id}").status_code == 200
    assert client.get(f"/toolkit/item/{photo.id}/berkas/persetujuan").status_code == 404  # personal data
    # The consent expires.
    row = session.get(ToolkitPhoto, photo.id)
    row.consent_expires_on = today() - timedelta(days=1)
    item = session.get(ToolkitItem, photo.id)
    item.visible_until = row.consent_expires_on
    session.add_all([row, item])
    session.commit()
    assert client.get(f"/toolkit/item/{photo.id}").status_code == 404
    assert client.get(f"/toolkit/item/{photo.id}/berkas/web").status_code == 404
    assert "Foto pegawai" not in client.get("/toolkit/?kind=photo").get_data(as_text=True)
    client.post("/logout")
    login(central)
    page = client.get(f"/toolkit/item/{photo.id}").get_data(as_text=True)
    assert "Persetujuan orang dalam foto kedaluwarsa" in page
    assert "tidak tampil bagi pegawai" in page
    assert "Foto pegawai" in client.get("/toolkit/kelola").get_data(as_text=True)
    assert client.get(f"/toolkit/item/{photo.id}/berkas/persetujuan").status_code == 200


def test_saving_consent_expiry_sets_visibility(app, session):
    soon = today() + timedelta(days=10)
    photo = factories.make_toolkit_item(session, "photo", app=app, consent="ya", consent_expires_on=soon,
                                        valid_until=soon + timedelta(days=30),
                                        files={"photo": (factories.image_bytes(), "a.png"),
                                               "consent": factories.pdf_bytes()})
    assert photo.visible_until == soon


def test_the_worklist_reads_each_list_through_an_index(app, session):
    from sqlalchemy import event

    from portal.toolkit import worklist

    soon = today() + timedelta(days=10)
    expiring = factories.make_toolkit_item(session, "regulation", title="Berakhir segera", valid_until=soon)
    consent = factories.make_toolkit_item(session, "photo", app=app, consent="ya", consent_expires_on=soon,
                                          files={"photo": (factories.image_bytes(), "a.png"),
                                                 "consent": factories.pdf_bytes()})
    long_ago = factories.make_toolkit_item(session, "regulation", title="Lama berakhir", valid_until=soon)
    long_ago.valid_until = long_ago.visible_until = today() - timedelta(days=900)  # approved, then expired
    session.add(long_ago)
    session.commit()
    factories.make_toolkit_item(session, "regulation", title="Masih lama", valid_until=soon + timedelta(days=400))
    admin = factories.make_user(session, roles=("admin",))
    engine, statements = session.get_bind(), []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "toolkit_item" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with app.test_request_context():
            found = worklist.worklist(session, admin)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    # what expired long ago comes first, then what ends soon; the rest is not listed
    assert [item.id for item, _warnings in found.attention][:1] == [long_ago.id]
    assert sorted(item.id for item, _warnings in found.attention) == sorted([long_ago.id, expiring.id, consent.id])
    if engine.dialect.name == "sqlite":  # every list in its index's order, never every item (PostgreSQL: its planner)
        with engine.connect() as connection:
            plans = {statement: [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                             parameters)]
                     for statement, parameters in statements}
        for statement, plan in plans.items():
            assert not any(step == "SCAN toolkit_item" for step in plan), (statement, plan)
            # (what expires soon sorts its merged first 50 of each status, no more: its outer ORDER BY may sort)
            if "ORDER BY toolkit_item" in statement and "GROUP BY" not in statement \
                    and "IN (SELECT anon_1.id" not in statement:
                assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), (statement, plan)
        expiring = next(plan for statement, plan in plans.items() if "visible_until <=" in statement)
        assert any("ix_toolkit_item_visible_facets" in step for step in expiring), expiring


def test_the_worklist_shows_the_first_of_each_list_and_counts_them_all(app, client, session, login_as, monkeypatch):
    """Each list shows its first few; its heading counts the whole list (kept per toolkit generation: a write shows
    at once) and a link leads to all of it; what needs attention shows more on request."""
    from portal.toolkit import worklist

    monkeypatch.setattr(worklist, "worklist", functools.partial(worklist.worklist, limit=1))
    admin = login_as("admin")
    author = factories.make_user(session, roles=("humas",), full_name="Humas Daerah Uji")
    for title in ("Draf pertama", "Draf kedua"):
        factories.make_toolkit_item(session, "regulation", status="draf", author=author, title=title)
    soon = today() + timedelta(days=10)
    for title in ("Berakhir satu", "Berakhir dua"):
        factories.make_toolkit_item(session, "regulation", title=title, valid_until=soon)
    page = client.get("/toolkit/kelola").get_data(as_text=True)
    drafts = page[page.index('id="drafts-title"'):page.index('id="rejected-title"')]
    assert '<span class="count">2</span>' in drafts and drafts.count("<li>") == 1
    assert 'href="/toolkit/?status=draf">Lihat semua 2 item' in drafts
    listed = client.get("/toolkit/?status=draf").get_data(as_text=True)
    assert "Draf pertama" in listed and "Draf kedua" in listed
    attention = page[page.index('id="attention-title"'):page.index('id="waiting-title"')]
    assert attention.count("<li>") == 1 and "Tampilkan lebih banyak" in attention
    every = client.get("/toolkit/kelola?perhatian=semua").get_data(as_text=True)
    every = every[every.index('id="attention-title"'):every.index('id="waiting-title"')]
    assert every.count("<li>") == 2 and "Tampilkan lebih sedikit" in every
    # the counts are kept, and a write (through the toolkit's services) counts afresh
    factories.make_toolkit_item(session, "regulation", status="draf", author=author, title="Draf ketiga")
    page = client.get("/toolkit/kelola").get_data(as_text=True)
    assert 'Lihat semua 3 item' in page
    assert worklist.status_counts(session, admin)["draf"] == 3


# --- search -----------------------------------------------------------------------------------------------------------

@pytest.fixture
def regulations(session):
    pp94 = factories.make_toolkit_item(session, "regulation", title="Disiplin Pegawai Negeri Sipil", number="94",
                                       year=2021, tags="disiplin")
    pp53 = factories.make_toolkit_item(session, "regulation", title="Disiplin Pegawai Negeri Sipil (lama)",
                                       number="53", year=2010, legal_status="dicabut")
    uu = factories.make_toolkit_item(session, "regulation", title="Aparatur Sipil Negara", reg_type="UU",
                                     number="20", year=2023, tags="asn")
    return {"pp94": pp94, "pp53": pp53, "uu": uu}


@pytest.mark.parametrize("query", ["PP 94/2021", "PP 94 2021", "94/2021", "pp94", "peraturan pemerintah 94",
                                   "PP No. 94 Tahun 2021", "942021"])
def test_regulation_number_forms_find_the_discipline_regulation(client, session, login_as, regulations, query):
    employee = login_as("employee")
    found = finder.search_items(session, employee, finder.SearchRequest(q=query))
    assert found.results, query
    assert found.results[0].item.id == regulations["pp94"].id, query
    assert regulations["pp53"].id not in {r.item.id for r in found.results}
    assert "Disiplin Pegawai Negeri Sipil" in client.get("/toolkit/", query_string={"q": query}).get_data(as_text=True)


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_fts_syntax_never_errors(client, session, login_as, regulations, query):
    login_as("employee")
    response = client.get("/toolkit/", query_string={"q": query})
    assert response.status_code == 200
    assert client.get("/toolkit/", query_string={"q": query, "kind": "photo", "tag": query, "sort": "used"},
                      headers=HX).status_code == 200
    login_as("humas")
    assert client.get("/toolkit/", query_string={"q": query, "status": "draf"}).status_code == 200


def test_hostile_filter_values_are_ignored(client, session, login_as, regulations):
    login_as("employee")
    for args in ({"kind": "x' OR 1=1"}, {"unit": "99999999999999"}, {"year": "-1"}, {"page": "0"},
                 {"page": "999999999999"}, {"sort": "id; drop"}, {"status": "draf"}, {"tag": "a" * 500}):
        assert client.get("/toolkit/", query_string=args).status_code == 200, args
    # status is for editors only: an employee asking for drafts still sees only approved items
    draft = factories.make_toolkit_item(session, "template", status="draf", title="Templat draf rahasia")
    assert draft.title not in client.get("/toolkit/?status=draf").get_data(as_text=True)


def test_stemming_and_abbreviations(session, login_as):
    factories.make_toolkit_item(session, "template", title="Klarifikasi unggahan", body="Unggahan {nama} dihapus.",
                                category="klarifikasi hoaks", description="Dipakai untuk mengunggah klarifikasi.")
    factories.make_toolkit_item(session, "regulation", title="Aparatur Sipil Negara", reg_type="UU", number="20",
                                year=2023)
    employee = login_as("employee")
    assert finder.search_items(session, employee, finder.SearchRequest(q="diunggah")).total == 1
    assert finder.search_items(session, employee, finder.SearchRequest(q="ASN")).total == 1
    assert finder.search_items(session, employee, finder.SearchRequest(q="undang-undang 20")).total == 1


def test_search_highlights_and_escapes(session, client, login_as):
    factories.make_toolkit_item(session, "template", title="Tanggapan <b>hoaks</b>", body="Hoaks {nama} <script>",
                                category="klarifikasi hoaks")
    login_as("employee")
    page = client.get("/toolkit/?q=hoaks").get_data(as_text=True)
    assert "<mark>hoaks</mark>" in page
    assert "<b>hoaks" not in page and "<script>" not in page and "&lt;b&gt;" in page


def test_facets_filters_sort_and_pagination(session, client, login_as, monkeypatch):
    monkeypatch.setattr(finder, "PAGE_SIZE", 2)
    for i in range(5):
        item = factories.make_toolkit_item(session, "template", title=f"Templat {i}", tags="keluhan, lapor" if i % 2
                                           else "keluhan", body=f"Isi {{nama}} {i}")
        item.use_count = item.usage_count = i
        session.add(item)
    session.commit()
    employee = login_as("employee")
    found = finder.search_items(session, employee, finder.SearchRequest(tags=("lapor",), sort="used"))
    assert found.total == 2 and [r.item.title for r in found.results] == ["Templat 3", "Templat 1"]
    assert dict((t, n) for t, _l, n in found.facets["tag"]) == {"keluhan": 2, "lapor": 2}
    page2 = finder.search_items(session, employee, finder.SearchRequest(sort="title", page=2))
    assert [r.item.title for r in page2.results] == ["Templat 2", "Templat 3"] and page2.pages == 3
    fragment = client.get("/toolkit/?tag=lapor&sort=used", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'hx-swap-oob="true"' in body and 'name="tag" value="lapor"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert 'hx-trigger="input changed delay:300ms' in client.get("/toolkit/").get_data(as_text=True)
    restored = client.get("/toolkit/?tag=lapor", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restored.get_data(as_text=True)  # back button: the whole page, not the fragment


def test_empty_result_suggests_what_to_try(session, client, login_as):
    factories.make_toolkit_item(session, "template", title="Klarifikasi hoaks", body="Hoaks {nama}",
                                category="klarifikasi hoaks", tags="hoaks, klarifikasi")
    login_as("employee")
    page = client.get("/toolkit/?q=hoaks+zzzyyy&kind=photo").get_data(as_text=True)
    assert "Tidak ada item yang cocok" in page
    assert "Hapus semua saringan" in page
    assert ">hoaks</a> (1)" in page
    assert "#hoaks" in page
    factories.make_toolkit_item(session, "template", title="Hoaks lagi", body="Hoaks {nama}", tags="hoaks")
    page = client.get("/toolkit/?q=hoaks+zzzyyy&kind=photo").get_data(as_text=True)
    assert ">hoaks</a> (2)" in page  # the suggestions are kept, but not past a write


# --- workflow ---------------------------------------------------------------------------------------------------------

def test_humas_creates_submits_and_central_humas_approves(app, client, session, login, central):
    regional = factories.make_user(session, roles=("humas",), full_name="Humas Daerah")
    login(regional)
    response = client.post("/toolkit/baru/template", data={
        "title": "Tanggapan uji", "body": "Halo {nama}", "category": "keluhan", "channels": ["Instagram", "X"],
        "tags": "uji, Keluhan, #uji", "owner_unit_id": regional.unit_id})
    assert response.status_code == 303
    item = items(session)[0]
    assert item.status == "draf" and item.created_by_id == regional.id
    assert editing.form_values(session, item)["tags"] == "keluhan, uji"
    assert client.post(f"/toolkit/item/{item.id}/ajukan").status_code == 303
    assert client.post(f"/toolkit/item/{item.id}/setujui").status_code == 403  # not central
    client.post("/logout")
    login(central)
    assert client.post(f"/toolkit/item/{item.id}/setujui").status_code == 303
    session.expire_all()
    item = session.get(ToolkitItem, item.id)
    assert item.status == "disetujui" and item.decided_by_id == central.id
    history = session.exec(select(ToolkitStatusChange.to_status, ToolkitStatusChange.actor_id)
                           .where(ToolkitStatusChange.item_id == item.id).order_by(ToolkitStatusChange.id)).all()
    assert history == [("draf", regional.id), ("diajukan", regional.id), ("disetujui", central.id)]
    actions = session.exec(select(AuditLog.action).where(AuditLog.object_type == "toolkit_item")).all()
    assert actions == ["toolkit.create", "toolkit.submit", "toolkit.approve"]


def test_nobody_approves_their_own_item(app, client, session, login, central):
    login(central)
    item = factories.make_toolkit_item(session, "template", status="diajukan", author=central)
    response = client.post(f"/toolkit/item/{item.id}/setujui", follow_redirects=True)
    assert "yang Anda buat atau ajukan sendiri" in response.get_data(as_text=True)
    assert client.post(f"/toolkit/item/{item.id}/tolak", data={"reason": "Menolak sendiri"}).status_code in (303, 422)
    session.expire_all()
    assert session.get(ToolkitItem, item.id).status == "diajukan"
    # An admin who created an item cannot approve it either.
    admin = factories.make_user(session, roles=("admin",))
    own = factories.make_toolkit_item(session, "template", status="diajukan", author=admin)
    assert access.approval_problem(session, admin, own)
    with pytest.raises(Exception, match="sendiri"):
        workflow.approve(session, admin, own)
    session.rollback()


def test_submitter_cannot_approve_what_they_submitted(session, central):
    author = factories.make_user(session, roles=("humas",), unit=central.unit)
    item = factories.make_toolkit_item(session, "template", status="draf", author=author)
    workflow.submit(session, central, item)  # central humas may edit and submit anyone's item
    assert access.approval_problem(session, central, item)
    session.rollback()


def test_reject_requires_a_reason(app, client, session, login, central):
    item = factories.make_toolkit_item(session, "template", status="diajukan")
    login(central)
    response = client.post(f"/toolkit/item/{item.id}/tolak", data={"reason": "  "})
    assert response.status_code == 422
    assert "alasan penolakan" in response.get_data(as_text=True).lower()
    session.expire_all()
    assert session.get(ToolkitItem, item.id).status == "diajukan"
    assert client.post(f"/toolkit/item/{item.id}/tolak", data={"reason": "Sumber foto tidak jelas."}).status_code == 303
    session.expire_all()
    rejected = session.get(ToolkitItem, item.id)
    assert rejected.status == "ditolak" and rejected.rejection_reason == "Sumber foto tidak jelas."
    page = client.get(f"/toolkit/item/{item.id}").get_data(as_text=True)
    assert "Sumber foto tidak jelas." in page


@pytest.mark.parametrize("action", ["ajukan", "tarik", "setujui", "tolak", "arsipkan", "pulihkan", "hapus"])
def test_employees_cannot_move_items(client, session, login_as, action):
    item = factories.make_toolkit_item(session, "template", status="draf")
    login_as("employee")
    assert client.post(f"/toolkit/item/{item.id}/{action}", data={"reason": "x" * 10}).status_code == 403
    session.expire_all()
    assert session.get(ToolkitItem, item.id).status == "draf"


def test_humas_of_another_unit_cannot_edit_or_submit(client, session, login_as):
    item = factories.make_toolkit_item(session, "template", status="draf")
    login_as("humas")  # a humas of another, non-central unit
    assert client.get(f"/toolkit/item/{item.id}/ubah").status_code == 403
    assert client.post(f"/toolkit/item/{item.id}/ajukan").status_code == 403
    assert client.get(f"/toolkit/item/{item.id}").status_code == 404  # another region's draft is not theirs to read


def test_editing_an_approved_item_sends_it_back_to_draft(app, client, session, login):
    author = factories.make_user(session, roles=("humas",))
    item = factories.make_toolkit_item(session, "template", author=author, title="Templat terbit")
    employee = factories.make_user(session)
    login(author)
    response = client.post(f"/toolkit/item/{item.id}/ubah", data={
        "title": "Templat terbit (revisi)", "body": "Halo {nama}!", "category": "keluhan", "channels": ["email"],
        "owner_unit_id": author.unit_id})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(ToolkitItem, item.id).status == "draf"
    client.post("/logout")
    login(employee)
    assert client.get(f"/toolkit/item/{item.id}").status_code == 404


def test_photo_without_consent_cannot_be_submitted(app, session):
    item = factories.make_toolkit_item(session, "photo", status="draf", app=app, consent="tidak")
    with pytest.raises(Exception, match="tanpa persetujuan"):
        workflow.submit(session, session.get(User, item.created_by_id), item)
    session.rollback()
    item = factories.make_toolkit_item(session, "photo", status="draf", app=app, consent="ya")
    with pytest.raises(Exception, match="dokumen persetujuan"):
        workflow.submit(session, session.get(User, item.created_by_id), item)
    session.rollback()


def test_validation_messages(app, client, session, login_as):
    login_as("humas")
    bad_placeholder = client.post("/toolkit/baru/template", data={
        "title": "T", "body": "Halo {Nama Lengkap}", "category": "keluhan", "channels": ["X"]})
    assert bad_placeholder.status_code == 422
    assert "{Nama Lengkap}" in bad_placeholder.get_data(as_text=True)
    no_number = client.post("/toolkit/baru/regulation", data=regulation_form(number=""))
    assert no_number.status_code == 422 and "sebutan singkat" in no_number.get_data(as_text=True)
    ok = client.post("/toolkit/baru/regulation", data=regulation_form(
        number="", short_name="SKB 11 K/L", reg_type="SKB", year="2019", title="Disiplin Pegawai\x00 Negeri Sipil"))
    assert ok.status_code == 303
    regulation = session.exec(select(ToolkitRegulation)).one()
    assert regulation.number is None
    page = client.get(f"/toolkit/item/{regulation.item_id}").get_data(as_text=True)
    assert "SKB 11 K/L" in page
    assert items(session)[0].title == "Disiplin Pegawai Negeri Sipil"


def test_relations_are_stored_once_and_shown_both_ways(client, session, login_as, regulations):
    pp94, pp53 = regulations["pp94"], regulations["pp53"]
    author = session.get(User, pp94.created_by_id)
    values = editing.form_values(session, pp94)
    values["revokes"] = [pp53.id]
    editing.save_item(session, author, "regulation", values, item=pp94)
    workflow.submit(session, author, pp94)
    workflow.approve(session, factories.make_user(session, roles=("admin",)), pp94)
    session.commit()
    login_as("employee")
    assert re.search(r"Mencabut</span>\s*<a[^>]*>PP 53/2010", client.get(f"/toolkit/item/{pp94.id}").get_data(
        as_text=True))
    assert re.search(r"Dicabut oleh</span>\s*<a[^>]*>PP 94/2021", client.get(f"/toolkit/item/{pp53.id}").get_data(
        as_text=True))


# --- templates: use, revoked citations --------------------------------------------------------------------------------

def test_use_template_fills_escapes_and_counts_posts_only(client, session, login_as):
    item = factories.make_toolkit_item(session, "template", body="Halo Kak {nama}, tiket {nomor_tiket}.")
    login_as("employee")
    form = client.get(f"/toolkit/item/{item.id}/gunakan")
    assert form.status_code == 200 and 'name="isi_nomor_tiket"' in form.get_data(as_text=True)
    assert 'src="/static/js/clipboard.js?v=' in form.get_data(as_text=True)
    session.expire_all()
    assert session.get(ToolkitItem, item.id).use_count == 0
    response = client.post(f"/toolkit/item/{item.id}/gunakan",
                           data={"isi_nama": "<b>Budi</b>", "isi_nomor_tiket": "LAPOR-123"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Halo Kak &lt;b&gt;Budi&lt;/b&gt;, tiket LAPOR-123." in body
    assert "<b>Budi" not in body
    assert 'readonly' in body and 'data-copy-target="#filled-text"' in body
    session.expire_all()
    assert session.get(ToolkitItem, item.id).use_count == 1
    missing = client.post(f"/toolkit/item/{item.id}/gunakan", data={"isi_nama": "Budi"})
    assert missing.status_code == 422
    htmx = client.post(f"/toolkit/item/{item.id}/gunakan", data={"isi_nama": "A", "isi_nomor_tiket": "B"},
                       headers=HX)
    assert htmx.status_code == 200 and "<html" not in htmx.get_data(as_text=True)
    session.expire_all()
    assert session.get(ToolkitItem, item.id).use_count == 2
    assert session.get(ToolkitItem, item.id).usage_count == 2


def test_template_citing_a_revoked_regulation_warns(client, session, login, central, regulations):
    template = factories.make_toolkit_item(session, "template", title="Templat versi lama",
                                           cites=[regulations["pp53"].id], body="Sesuai PP 53/2010, {nama}.")
    fine = factories.make_toolkit_item(session, "template", title="Templat baru", cites=[regulations["pp94"].id])
    employee = factories.make_user(session)
    login(employee)
    page = client.get(f"/toolkit/item/{template.id}").get_data(as_text=True)
    assert "merujuk peraturan yang sudah dicabut" in page and "PP 53/2010" in page
    used = client.post(f"/toolkit/item/{template.id}/gunakan", data={"isi_nama": "Budi"}).get_data(as_text=True)
    assert "merujuk peraturan yang sudah dicabut" in used
    assert "merujuk peraturan yang sudah dicabut" not in client.get(f"/toolkit/item/{fine.id}").get_data(as_text=True)
    client.post("/logout")
    login(central)
    listing = client.get("/toolkit/?kind=template").get_data(as_text=True)
    assert listing.count("merujuk peraturan yang dicabut") == 1
    assert "Templat versi lama" in client.get("/toolkit/kelola").get_data(as_text=True)


def test_download_counts_only_on_post(app, client, session, login_as):
    login_as("employee")
    photo = factories.make_toolkit_item(session, "photo", app=app)
    assert client.get(f"/toolkit/item/{photo.id}/berkas/asli?unduh=1").status_code == 200
    session.expire_all()
    assert session.get(ToolkitItem, photo.id).download_count == 0
    response = client.post(f"/toolkit/item/{photo.id}/unduh/square")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/toolkit/item/{photo.id}/berkas/square?unduh=1")
    client.post(f"/toolkit/item/{photo.id}/unduh/asli")
    session.expire_all()
    assert session.get(ToolkitItem, photo.id).download_count == 2
    assert session.get(ToolkitItem, photo.id).usage_count == 2
    assert client.post(f"/toolkit/item/{photo.id}/unduh/persetujuan").status_code == 404


def test_downloads_need_the_csrf_token(csrf_app, csrf_session):
    from tests.conftest import csrf_token_from

    photo = factories.make_toolkit_item(csrf_session, "photo", app=csrf_app)
    employee = factories.make_user(csrf_session)
    client = csrf_app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": employee.username, "password": factories.PASSWORD,
                                "csrf_token": csrf_token_from(page.data)})
    assert client.post(f"/toolkit/item/{photo.id}/unduh/asli").status_code == 400
    token = csrf_token_from(client.get(f"/toolkit/item/{photo.id}").data)
    assert client.post(f"/toolkit/item/{photo.id}/unduh/asli", data={"csrf_token": token}).status_code == 303


# --- files are never orphaned ---------------------------------------------------------------------------------------

def test_deleting_a_draft_removes_its_files(app, client, session, login):
    author = factories.make_user(session, roles=("humas",))
    photo = factories.make_toolkit_item(session, "photo", status="draf", author=author, app=app,
                                        files={"photo": (factories.image_bytes(), "a.png"),
                                               "consent": factories.pdf_bytes("izin")}, consent="ya")
    login(author)
    assert client.get(f"/toolkit/item/{photo.id}/berkas/thumb").status_code == 200
    assert len(stored_files(app)) == 6  # photo, consent document, four renditions
    assert client.post(f"/toolkit/item/{photo.id}/hapus").status_code == 303
    assert items(session) == []
    assert stored_files(app) == []
    assert session.exec(select(AuditLog.action).where(AuditLog.action == "toolkit.delete")).one()


def test_a_file_shared_by_another_item_is_kept(app, client, session, login):
    author = factories.make_user(session, roles=("humas",))
    same = factories.image_bytes(color=(1, 2, 3))
    first = factories.make_toolkit_item(session, "photo", status="draf", author=author, app=app,
                                        files={"photo": (same, "a.png")})
    second = factories.make_toolkit_item(session, "photo", status="draf", author=author, app=app,
                                         files={"photo": (same, "b.png")})
    assert len(stored_files(app)) == 5  # one photo and its four renditions
    login(author)
    client.post(f"/toolkit/item/{first.id}/hapus")
    assert len(stored_files(app)) == 5
    client.post(f"/toolkit/item/{second.id}/hapus")
    assert stored_files(app) == []


def test_only_the_creator_deletes_and_only_never_approved_drafts(app, client, session, login):
    author = factories.make_user(session, roles=("humas",))
    other = factories.make_user(session, roles=("humas",), unit=session.get(User, author.id).unit)
    draft = factories.make_toolkit_item(session, "template", status="draf", author=author)
    login(other)
    client.post(f"/toolkit/item/{draft.id}/hapus")
    assert session.get(ToolkitItem, draft.id) is not None
    client.post("/logout")
    approved = factories.make_toolkit_item(session, "template", author=author)
    editing.save_item(session, author, "template", editing.form_values(session, approved), item=approved)
    session.commit()
    assert approved.status == "draf"
    login(author)
    response = client.post(f"/toolkit/item/{approved.id}/hapus", follow_redirects=True)
    assert "arsipkan" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(ToolkitItem, approved.id) is not None


def test_archiving_keeps_files_and_replacing_a_photo_removes_the_old_one(app, client, session, login):
    author = factories.make_user(session, roles=("humas",))
    photo = factories.make_toolkit_item(session, "photo", author=author, app=app,
                                        files={"photo": (factories.image_bytes(color=(9, 9, 9)), "a.png")})
    old = session.get(ToolkitPhoto, photo.id).path
    login(author)
    assert client.post(f"/toolkit/item/{photo.id}/arsipkan").status_code == 303
    assert old in stored_files(app)
    assert client.post(f"/toolkit/item/{photo.id}/pulihkan").status_code == 303
    response = client.post(f"/toolkit/item/{photo.id}/ubah", data=photo_form(
        factories.image_bytes(color=(200, 9, 9)), "baru.png", owner_unit_id=author.unit_id),
        content_type="multipart/form-data")
    assert response.status_code == 303
    session.expire_all()
    new = session.get(ToolkitPhoto, photo.id).path
    assert new != old and [p for p in stored_files(app) if not p.startswith("renditions/")] == [new]
    digest = Path(new).stem
    assert all(Path(p).name.startswith(digest) for p in stored_files(app) if p.startswith("renditions/"))


# --- pages, demo ------------------------------------------------------------------------------------------------------

def test_humas_pages_render(app, client, session, login, central):
    factories.make_toolkit_item(session, "regulation")
    login(central)
    for url in ("/toolkit/", "/toolkit/kelola", "/toolkit/baru/photo", "/toolkit/baru/regulation",
                "/toolkit/baru/template", "/toolkit/?status=disetujui", "/toolkit/?facets=0&q=disiplin"):
        assert client.get(url).status_code == 200, url
    assert client.get("/toolkit/baru/video").status_code == 404


def test_demo_content(app, session):
    from portal.demo.seed import seed_people
    from portal.toolkit import demo

    with app.app_context():
        seed_people(session)
        message = demo.seed(session)
        assert demo.seed(session) == "toolkit: already there"
    assert "regulations" in message and "22 photos" in message
    statuses = {item.status for item in items(session)}
    assert statuses == {"draf", "diajukan", "disetujui", "ditolak", "diarsipkan"}
    skb = session.exec(select(ToolkitRegulation).where(ToolkitRegulation.number.is_(None))).one()
    assert skb.short_name == "SKB 11 K/L"
    assert len(finder.revoked_citing(session)) == 1
    photos = session.exec(select(ToolkitPhoto)).all()
    assert len(photos) == 22
    root = Path(app.config["UPLOAD_DIR"])
    for photo in photos:  # the two GPS-tagged sources were cleaned on upload
        assert not has_gps((root / photo.path).read_bytes()), photo.path
    employee = factories.make_user(session)
    hidden = finder.search_items(session, employee, finder.SearchRequest(kind="photo"))
    assert hidden.total == 14  # 22 minus drafts, submitted, rejected, archived, expired consent and validity
    pdf = (root / session.exec(select(ToolkitRegulation.pdf_path).where(ToolkitRegulation.pdf_path.is_not(None)))
           .first()).read_bytes()
    assert pdf.startswith(b"%PDF-1.4") and b"SALINAN DEMO" in pdf and pdf.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("store", ["process", "redis"])
def test_facet_counts_of_large_sets_are_cached_until_the_next_write(app, session, store, request):
    if store == "redis":  # shared by every process and instance
        app.config["REDIS_URL"] = f"redis://127.0.0.1:6379/{request.getfixturevalue('redis_db')}"
    app.config["TOOLKIT_FACET_CACHE_MIN"] = 2  # "large" for this test
    author = factories.make_user(session, roles=("humas",))
    for i in range(2):
        factories.make_toolkit_item(session, "template", author=author, title=f"Templat {i}")
    employee = factories.make_user(session)
    with app.test_request_context():
        assert finder.search_items(session, employee, finder.SearchRequest()).total == 2
        hidden = session.exec(select(ToolkitItem)).first()
        hidden.status = "draf"  # behind the services' back: the cached counts do not know
        session.add(hidden)
        session.commit()
        assert finder.search_items(session, employee, finder.SearchRequest()).facets["kind"] == [
            ("template", "Templat jawaban", 2)]
        factories.make_toolkit_item(session, "template", author=author, title="Templat 3")  # a write forgets
        found = finder.search_items(session, employee, finder.SearchRequest())
        assert found.total == 2 and found.facets["kind"] == [("template", "Templat jawaban", 2)]
        assert {r.item.title for r in found.results} == {"Templat 1", "Templat 3"}
        key = (facets.generation(session), "relevance", "", "templat")
        facets.keep("ranking", key, [7, 3])  # first matches are kept the same way
        assert facets.kept("ranking", key) == [7, 3]
        factories.make_toolkit_item(session, "template", author=author, title="Templat 4", status="draf")
        assert facets.generation(session) == key[0] + 1  # every write moves the generation that keys hold
        assert facets.kept("ranking", (facets.generation(session), *key[1:])) is None
        app.config["TOOLKIT_FACET_CACHE_MIN"] = 1000  # small sets are always counted afresh
        facets.forget()
        assert finder.search_items(session, employee, finder.SearchRequest()).total == 2
        session.get(ToolkitItem, hidden.id).status = "disetujui"
        session.commit()
        assert finder.search_items(session, employee, finder.SearchRequest()).total == 3


def test_dashboard_tells_central_humas_what_waits_for_approval(client, session, login):
    from portal.models import Unit

    central = session.exec(select(Unit).where(Unit.code == "BHM")).first() or factories.make_unit(session, code="BHM")
    approver = factories.make_user(session, roles=("humas",), unit=central)
    author = factories.make_user(session, roles=("humas",), unit=central)
    factories.make_toolkit_item(session, "template", status="diajukan", author=author)
    login(approver)
    page = client.get("/").get_data(as_text=True)
    assert "1 item menunggu persetujuan Anda." in page
    client.post("/logout")
    login(factories.make_user(session))
    assert "menunggu persetujuan" not in client.get("/").get_data(as_text=True)


# --- row rules, loaders and their cost --------------------------------------------------------------------------------

def statements_during(app, send):
    """(response, [sql, ...]) of what the database received while `send()` ran."""
    with recorded(app.extensions["db_engine"]) as statements:
        response = send()
    return response, [" ".join(sql.split()) for sql, _parameters in statements]


def test_approving_asks_once_whether_the_approver_is_central_humas(app, client, session, login, central):
    item = factories.make_toolkit_item(session, "template", status="diajukan")
    login(central)
    response, sql = statements_during(app, lambda: client.post(f"/toolkit/item/{item.id}/setujui"))
    assert response.status_code == 303
    central_checks = [s for s in sql if "unit.code =" in s]
    assert len(central_checks) == 1, central_checks
    assert len([s for s in sql if "FROM unit" in s]) <= 2, [s for s in sql if "FROM unit" in s]
    session.expire_all()
    assert session.get(ToolkitItem, item.id).status == "disetujui"


def test_the_editors_item_page_is_cheap(app, client, session, login):
    author = factories.make_user(session, roles=("humas",))
    photo = factories.make_toolkit_item(session, "photo", status="diajukan", author=author, app=app)
    login(author)
    response, sql = statements_during(app, lambda: client.get(f"/toolkit/item/{photo.id}"))
    assert response.status_code == 200
    unit_reads = [s for s in sql if "FROM unit" in s]
    assert len(unit_reads) <= 3, unit_reads  # the owner's name, the editor's and the owner's paths: once each
    assert len(sql) <= 20, sql


def test_regional_humas_do_not_read_other_regions_drafts_or_consent_documents(app, client, session, login, central):
    other_region = factories.make_user(session, roles=("humas",), full_name="Humas Wilayah Lain")
    draft = factories.make_toolkit_item(session, "photo", status="diajukan", author=other_region, app=app,
                                        title="Foto wilayah lain", consent="ya",
                                        files={"photo": (factories.image_bytes(color=(5, 80, 5)), "w.png"),
                                               "consent": factories.pdf_bytes("izin")})
    approved = factories.make_toolkit_item(session, "photo", author=other_region, app=app, consent="ya",
                                           title="Foto wilayah lain disetujui",
                                           files={"photo": (factories.image_bytes(color=(5, 5, 80)), "x.png"),
                                                  "consent": factories.pdf_bytes("izin kedua")})
    regional = factories.make_user(session, roles=("humas",), full_name="Humas Daerah Penguji")
    login(regional)
    for url in (f"/toolkit/item/{draft.id}", f"/toolkit/item/{draft.id}/berkas/asli",
                f"/toolkit/item/{draft.id}/berkas/persetujuan", f"/toolkit/item/{approved.id}/berkas/persetujuan"):
        assert client.get(url).status_code == 404, url
    page = client.get(f"/toolkit/item/{approved.id}").get_data(as_text=True)
    assert "Foto wilayah lain disetujui" in page and "/berkas/persetujuan" not in page
    listed = client.get("/toolkit/?status=diajukan").get_data(as_text=True)
    assert "Foto wilayah lain" not in listed
    assert "Foto wilayah lain" not in client.get("/toolkit/kelola").get_data(as_text=True).replace(
        "Foto wilayah lain disetujui", "")
    client.post("/logout")
    for reader in (other_region, central):  # the owning unit and central humas
        login(reader)
        consent = client.get(f"/toolkit/item/{draft.id}/berkas/persetujuan")
        assert consent.status_code == 200, reader.full_name
        assert consent.headers["Content-Disposition"].startswith("attachment")
        client.post("/logout")
    login(factories.make_user(session))  # an employee
    assert client.get(f"/toolkit/item/{approved.id}/berkas/persetujuan").status_code == 404


def test_workflow_sends_domain_events_inside_the_transaction(app, session, central):
    from portal import events

    seen = []

    def on_submitted(sender, **kwargs):
        seen.append(("submitted", kwargs["item"].id, sender.in_transaction()))

    def on_decided(sender, **kwargs):
        seen.append((kwargs["decision"], kwargs["item"].id, sender.in_transaction()))

    events.toolkit_item_submitted.connect(on_submitted)
    events.toolkit_item_decided.connect(on_decided)
    try:
        item = factories.make_toolkit_item(session, "template", status="disetujui", approver=central)
        rejected = factories.make_toolkit_item(session, "template", status="ditolak", approver=central)
    finally:
        events.toolkit_item_submitted.disconnect(on_submitted)
        events.toolkit_item_decided.disconnect(on_decided)
    assert seen == [("submitted", item.id, True), ("approved", item.id, True),
                    ("submitted", rejected.id, True), ("rejected", rejected.id, True)]


# --- hostile PDFs ----------------------------------------------------------------------------------------------------

def build_pdf(catalog_extra=b"", page_extra=b"", extra_objects=()):
    """A one-page PDF written by hand, with `catalog_extra` in the catalog, `page_extra` in the page and extra
    objects numbered from 5 on."""
    stream = b"BT /F1 12 Tf 72 700 Td (Uji) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + page_extra + b" >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


HOSTILE_PDFS = {
    "open-action-js": (build_pdf(b"/OpenAction 5 0 R", extra_objects=[b"<< /S /JavaScript /JS (app.alert(1)) >>"]),
                       "JavaScript"),
    "launch": (build_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), "menjalankan program"),
    "page-aa-escaped-names": (build_pdf(page_extra=b"/AA << /O << /S /J#61vaScript /J#53 (x) >> >>"), "JavaScript"),
    "embedded-file": (build_pdf(b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
                                extra_objects=[b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
                                               b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"]),
                      "berkas sisipan"),
    "annotation-js": (build_pdf(page_extra=b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] "
                                           b"/A << /S /JavaScript /JS (this.exportDataObject()) >> >>]"),
                      "JavaScript"),
    "names-javascript": (build_pdf(b"/Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (1) >>] >> >>"),
                         "JavaScript"),
}


@pytest.mark.parametrize("name", list(HOSTILE_PDFS))
def test_hostile_pdfs_are_refused_with_a_clear_message(app, client, session, login_as, name):
    raw, message = HOSTILE_PDFS[name]
    login_as("humas")
    response = client.post("/toolkit/baru/regulation", data={**regulation_form(), "pdf": (io.BytesIO(raw), "p.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "tidak diizinkan" in page
    assert items(session) == [] and stored_files(app) == []


def test_a_consent_document_with_javascript_is_refused(app, client, session, login_as):
    login_as("humas")
    raw = HOSTILE_PDFS["open-action-js"][0]
    response = client.post("/toolkit/baru/photo", data=photo_form(
        factories.image_bytes(), consent="ya", consent_doc=(io.BytesIO(raw), "izin.pdf")),
        content_type="multipart/form-data")
    assert response.status_code == 422 and "JavaScript" in response.get_data(as_text=True)
    assert items(session) == [] and stored_files(app) == []


def test_a_clean_pdf_opens_inline_and_one_not_known_clean_downloads(app, client, session, login_as):
    login_as("employee")
    regulation = factories.make_toolkit_item(session, "regulation", files={"pdf": build_pdf()}, app=app)
    checked = client.get(f"/toolkit/item/{regulation.id}/berkas/pdf")
    assert checked.headers["Content-Disposition"].startswith("inline")
    row = session.get(ToolkitRegulation, regulation.id)
    row.pdf_checked = False  # stored before PDFs were checked
    session.add(row)
    session.commit()
    unchecked = client.get(f"/toolkit/item/{regulation.id}/berkas/pdf")
    assert unchecked.status_code == 200 and unchecked.headers["Content-Disposition"].startswith("attachment")


def test_damaged_and_encrypted_pdfs_are_refused():
    from portal import pdfs

    assert pdfs.active_content(build_pdf()) == []
    assert pdfs.active_content(b"%PDF-1.4\n1 0 obj <<\n%%EOF") == ["unreadable"]
    encrypted = build_pdf().replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /Standard /V 1 /R 2 "
                                                   b"/O (0123456789abcdef0123456789abcdef) "
                                                   b"/U (0123456789abcdef0123456789abcdef) /P -4 >>")
    assert pdfs.active_content(encrypted) in (["encrypted"], ["unreadable"])


# --- uploads and crashes ----------------------------------------------------------------------------------------------

def test_a_failed_save_leaves_no_file_and_a_crash_before_the_commit_only_a_leftover(app, session):
    from portal import maintenance
    from portal.toolkit import editing

    author = factories.make_user(session, roles=("humas",))
    values = {"title": "Foto uji", "consent": "tidak_perlu", "owner_unit_id": author.unit_id}
    with app.app_context():
        editing.save_item(session, author, "photo", values, files={"photo": (factories.image_bytes(), "a.png")})
        assert all(p.endswith(".part") for p in stored_files(app))  # nothing in place before the commit
        session.rollback()
        assert stored_files(app) == []
        # A crash before the commit: the process dies, the `.part` stays; fsck calls it a leftover.
        editing.save_item(session, author, "photo", values, files={"photo": (factories.image_bytes(), "a.png")})
        session.info.pop("after_commit", None)
        session.info.pop("uploads_pending", None)
        session.rollback()
        report = maintenance.check()
        assert report.leftovers and not report.orphans and not report.missing
        maintenance.check(repair=True)
        assert stored_files(app) == []


def test_fsck_finishes_a_move_that_a_crash_interrupted_after_the_commit(app, session):
    from portal import maintenance
    from portal.toolkit import editing

    author = factories.make_user(session, roles=("humas",))
    with app.app_context():
        editing.save_item(session, author, "photo", {"title": "Foto uji", "owner_unit_id": author.unit_id},
                          files={"photo": (factories.image_bytes(), "a.png")})
        session.info.pop("after_commit", None)  # the process dies right after the commit
        session.commit()
        path = session.exec(select(ToolkitPhoto.path)).one()
        report = maintenance.check()
        assert report.unfinished == [path] and not report.missing and not report.leftovers
        maintenance.check(repair=True)
        assert path in stored_files(app) and maintenance.check().clean


# --- search cost: one match per request, query plans ---------------------------------------------------------------

def full_text_matches(sql):
    return [s for s in sql if re.search(r"search_fts\w* MATCH", s) or "@@ to_tsquery" in s]


@pytest.fixture
def many_regulations(session):
    author = factories.make_user(session, roles=("humas",))
    for number in range(1, 31):
        factories.make_toolkit_item(session, "regulation", author=author, number=str(number), year=2000 + number % 20,
                                    title=f"Disiplin pegawai bagian {number}", tags=f"disiplin, bagian {number % 4}")
    return author


def test_a_search_matches_the_words_once_per_request(app, client, session, login_as, many_regulations):
    login_as("employee")
    walked = 0
    for url in ("/toolkit/?q=disiplin+pegawai", "/toolkit/?q=disiplin+pegawai&sort=title&page=2",
                "/toolkit/?q=disiplin&tag=bagian+1", "/toolkit/?q=disiplin&facets=0",
                "/toolkit/?q=disiplin&reg_type=PP&legal_status=berlaku"):
        response, sql = statements_during(app, lambda url=url: client.get(url))
        assert response.status_code == 200 and "result-title" in response.get_data(as_text=True), url
        matches = full_text_matches(sql)
        # One walk of the index that stops after a number of matches and reads no score (search.newest_edges):
        # whether more than TOOLKIT_FACET_EXACT_MAX match (else the counting is left to the one statement) and
        # where the TOOLKIT_RANK_POOL newest begin (for ranking every match from one statement). A large result
        # is then counted up to the limit (search.count_up_to); the words are matched at most twice besides the
        # walk, ranked at most once.
        ranked = [s for s in matches if "bm25(" in s or "ts_rank_cd(" in s]
        walks = [s for s in matches if s not in ranked and "row_number()" in s and "score" not in s]
        assert len(ranked) <= 1 and len(walks) <= 1 and len(matches) - len(walks) <= 2, (url, matches)
        walked += len(walks)
    assert walked  # the walk is recognised: the bounds above hold for it


def test_a_small_result_is_counted_once_with_its_page(app, client, session, login_as, many_regulations, monkeypatch):
    """Whether a result may be large is first asked of the full-text index alone (search.newest_edges: a walk that
    stops after TOOLKIT_FACET_EXACT_MAX + 1 matches); a result that cannot be is counted by the one statement that
    reads its page. One that can is counted up to the limit by a walk that checks each match's visibility and
    stops there (search.count_up_to), never grouped by kind and status over every match."""
    login_as("employee")
    monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 30)  # 30 match: not more
    response, sql = statements_during(app, lambda: client.get("/toolkit/?q=disiplin"))
    assert "30 item cocok" in response.get_data(as_text=True)
    assert not [s for s in sql if "SELECT count(*) AS count_1" in s and "EXISTS" in s]
    monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 29)  # more than that: counted up to 29
    response, sql = statements_during(app, lambda: client.get("/toolkit/?q=disiplin+pegawai"))
    assert "Lebih dari 29 item cocok dengan “disiplin pegawai”" in response.get_data(as_text=True)
    assert [s for s in sql if "SELECT count(*) AS count_1" in s and "EXISTS" in s and "LIMIT" in s]
    assert not [s for s in sql if "GROUP BY toolkit_item.kind, toolkit_item.status" in s]
    monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 30)  # a filter leaves 30 or fewer: counted again
    page = client.get("/toolkit/?q=disiplin+pegawai&kind=regulation").get_data(as_text=True)
    assert "30 item cocok" in page and "Lebih dari" not in page


def test_a_large_result_is_counted_up_to_the_limit_and_other_facets_over_its_best_matches(
        app, client, session, login_as, many_regulations, monkeypatch):
    """Counting every one of 40,000 matches cost more than the rest of the page: a result larger than
    TOOLKIT_FACET_EXACT_MAX says "more than" that, offers its kinds (and the editors' statuses) without counts, and
    counts the other facets over its best matches. Hidden items do not count towards the limit."""
    from portal.toolkit import facets, finder

    monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 10)
    monkeypatch.setattr(finder, "BEST_CANDIDATES", 12)
    employee = login_as("employee")
    with app.test_request_context():
        found = finder.search_items(session, employee, finder.SearchRequest(q="disiplin"))
        chosen = finder.search_items(session, employee, finder.SearchRequest(q="disiplin", kind="regulation"))
    assert (found.total, found.more_than, found.facet_sample) == (11, 10, 12)  # all 12 best are visible
    assert found.facets["kind"] == [("photo", "Foto", None), ("regulation", "Peraturan", None),
                                    ("template", "Templat jawaban", None)]
    assert sum(n for _tag, _label, n in found.facets["tag"] if _tag == "disiplin") == 12  # the 12 best only
    assert len(found.results) == 12  # the first page, cut from the 12 best
    assert (chosen.total, chosen.more_than) == (11, 10)
    page = client.get("/toolkit/?q=disiplin").get_data(as_text=True)
    assert "Lebih dari 10 item cocok dengan “disiplin”" in page and "dihitung dari 12 hasil paling relevan" in page
    tabs = page[page.index('class="subnav kind-tabs"'):page.index("</nav>", page.index('class="subnav kind-tabs"'))]
    assert "Peraturan" in tabs and 'class="count"' not in tabs
    small = client.get("/toolkit/?q=disiplin&tag=bagian+1").get_data(as_text=True)  # 7 or 8: exact again
    assert "hasil paling relevan" not in small and "Lebih dari" not in small
    # only 10 of the matches are visible: the result is not "more than 10"
    hidden = session.exec(select(ToolkitItem).where(ToolkitItem.title.contains("Disiplin")).limit(20)).all()
    for item in hidden:
        item.status = "draf"
    session.commit()
    with app.test_request_context():
        facets.forget()  # the statuses were changed behind the services' back: no generation moved
        visible = finder.search_items(session, employee, finder.SearchRequest(q="disiplin"))
    assert (visible.total, visible.more_than) == (10, 0)
    assert visible.facets["kind"] == [("regulation", "Peraturan", 10)]


def test_editors_pick_a_status_of_a_large_result_without_counts(app, client, session, login_as, many_regulations,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 10)
    login_as("humas")
    page = client.get("/toolkit/?q=disiplin").get_data(as_text=True)
    assert "Lebih dari 10 item cocok" in page
    facet = page[page.index("<h3>Status</h3>"):page.index("</section>", page.index("<h3>Status</h3>"))]
    assert "Disetujui" in facet and "Draf" in facet and 'class="count"' not in facet
    chosen = client.get("/toolkit/?q=disiplin&status=disetujui").get_data(as_text=True)
    assert "Lebih dari 10 item cocok" in chosen


@pytest.fixture
def disiplin_regulations(session):
    """30 regulations matching "disiplin" whose relevance does not follow their age: the word is said one to five
    times in titles of different lengths."""
    author = factories.make_user(session, roles=("humas",))
    ids = []
    for number in range(1, 31):
        said = " ".join(["disiplin"] * ((number * 7) % 5 + 1))
        item = factories.make_toolkit_item(session, "regulation", author=author, number=str(number), year=2010,
                                           title=f"{said} pegawai {'bagian ' * (number % 3)}{number}")
        ids.append(item.id)
    return ids


def _every_page(app, session, user, request_args, fresh):
    """Every result id of a search, page after page (`fresh`: forget the kept counts and rankings before each)."""
    from portal.toolkit import facets, finder

    ids, page = [], 1
    while True:
        with app.test_request_context():
            if fresh:
                facets.forget()
            found = finder.search_items(session, user, finder.SearchRequest(page=page, **request_args))
        ids += [hit.item.id for hit in found.results]
        if page >= found.pages:
            return ids, found
        page += 1


@pytest.mark.parametrize("exact_max", [29, 2000], ids=["large", "counted-with-the-page"])
def test_a_common_query_ranks_its_newest_matches_and_lists_the_older_ones_after_them(
        app, client, session, login_as, disiplin_regulations, monkeypatch, exact_max):
    """TOOLKIT_RANK_POOL: bm25 costs about a microsecond a match, so a word in 30,000 of 100,000 items took 25-30 ms
    to rank; only the newest matches are ranked. Every page and every path (the kept first matches, a page read
    over every match, one statement with the counts) gives the same order: the newest POOL by relevance, then the
    rest newest first, each match once; and the page says so."""
    from portal.toolkit import finder

    monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", exact_max)
    monkeypatch.setattr(finder, "PAGE_SIZE", 4)
    monkeypatch.setattr(finder, "BEST_CANDIDATES", 8)  # pages 1-2 from the kept ranking, 3 on over every match
    employee = login_as("employee")
    monkeypatch.setitem(app.config, "TOOLKIT_RANK_POOL", 0)
    exact, found = _every_page(app, session, employee, {"q": "disiplin"}, fresh=True)
    assert sorted(exact) == sorted(disiplin_regulations) and found.ranked_newest == 0
    assert exact != sorted(exact, reverse=True)  # relevance, not age
    monkeypatch.setitem(app.config, "TOOLKIT_RANK_POOL", 10)
    newest = set(sorted(disiplin_regulations)[-10:])
    expected = [i for i in exact if i in newest] + sorted(set(disiplin_regulations) - newest, reverse=True)
    for fresh in (False, True):  # first with what the unpooled search kept: kept under another key
        pooled, found = _every_page(app, session, employee, {"q": "disiplin"}, fresh=fresh)
        assert pooled == expected, fresh
        assert found.ranked_newest == 10 and found.total == 30
    page = client.get("/toolkit/?q=disiplin").get_data(as_text=True)
    assert "urutan relevansi dihitung atas 10 item terbaru yang cocok" in page
    # A kind's tab ranks that kind's newest matches; a smaller result than the pool is ranked whole.
    of_kind, _found = _every_page(app, session, employee, {"q": "disiplin", "kind": "regulation"}, fresh=False)
    assert of_kind == expected
    monkeypatch.setitem(app.config, "TOOLKIT_RANK_POOL", 30)
    whole, found = _every_page(app, session, employee, {"q": "disiplin"}, fresh=True)
    assert whole == exact and found.ranked_newest == 0
    assert "item terbaru yang cocok" not in client.get("/toolkit/?q=disiplin&sort=relevance").get_data(as_text=True)
    # What the filters leave (here: what an employee may see) can be fewer than the pool while the word matches more
    # items of the kind: those left outside the pool follow newest first, and the page says so too.
    monkeypatch.setitem(app.config, "TOOLKIT_RANK_POOL", 10)
    hidden = sorted(disiplin_regulations)[-25:]
    session.execute(update(ToolkitItem).where(ToolkitItem.id.in_(hidden)).values(status="diarsipkan"))
    session.commit()
    left, found = _every_page(app, session, employee, {"q": "disiplin"}, fresh=True)
    assert left == sorted(set(disiplin_regulations) - set(hidden), reverse=True)
    assert found.total == 5 and found.ranked_newest == 10


def _plans(app, sql_with_params):
    engine = app.extensions["db_engine"]
    plans = []
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET enable_seqscan = off")  # a tiny test table: ask whether an index CAN serve it
        for sql, params in sql_with_params:
            prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            cursor.execute(prefix + sql, params)
            plans.append((sql, "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())))
        cursor.close()
        connection.rollback()
    return plans


def test_search_query_plans_use_the_indexes(app, session, many_regulations, monkeypatch):
    from sqlalchemy import event

    employee = factories.make_user(session)
    engine = app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        # PostgreSQL plans by statistics: give the index a realistic table (documents of no item never show) and
        # fresh statistics with the GIN pending list flushed, as autovacuum keeps it in production.
        from portal import search

        filler = ((10_000_000 + i, f"lain {i % 700}", f"teks {i}", "") for i in range(8000))
        search.bulk_index(session, "toolkit", filler)
        session.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE search_document")
    captured = []

    def record(_conn, _cursor, sql, params, *_args):
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((sql, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context():
            from portal import db

            found = finder.search_items(db.session(), employee, finder.SearchRequest(q="disiplin pegawai"))
            browse = finder.search_items(db.session(), employee, finder.SearchRequest(sort="newest", facets=False))
            monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 29)  # a large result: ranked by best_matches
            large = finder.search_items(db.session(), employee, finder.SearchRequest(q="disiplin"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert found.total == 30 and browse.total == 30 and large.more_than == 29
    assert [sql for sql, _params in captured if ("bm25(" in sql or "ts_rank_cd(" in sql) and "LIMIT" in sql]
    hot = [(sql, params) for sql, params in captured if "search_fts" in sql or "fts_vector" in sql
           or ("toolkit_item" in sql and "ORDER BY toolkit_item.created_at" in sql)]
    assert hot
    for sql, plan in _plans(app, hot):
        if engine.dialect.name == "sqlite":
            full_scans = re.findall(r"SCAN (toolkit_item|search_document|toolkit_tag)\b(?! USING)", plan)
            assert not full_scans, (sql, plan)
        else:
            assert "Seq Scan on search_document" not in plan and "Seq Scan on toolkit_item" not in plan, (sql, plan)
            if "fts_vector" in sql:
                assert "fts_search_document_vector" in plan, plan
                assert "to_tsvector" not in sql  # ranking reads the stored column, nothing is rebuilt per row
            if "ts_rank_cd" in sql:
                # the matches to rank come from the GIN index (and, for the newest ones, the ref id index's range),
                # never from a walk of the ref id index newest first that tests each row's tsvector until enough
                # matched: 35,000-55,000 rows for 5,000 matches of a common word at 100,000 items. The planner
                # chose that walk for a LIMIT under ORDER BY ref_id; the ranking asks for no such order.
                assert "ORDER BY d.ref_id DESC" not in sql and "Index Scan Backward" not in plan, (sql, plan)


def test_a_new_query_reads_its_matched_items_through_the_covering_index(
        app, session, many_regulations, monkeypatch):
    """A new query's matches are counted up to the limit, its best page checked for visibility and (ordered by
    relevance) its filtered set built from the index by id, never from the items' rows: at 100,000 items the count
    of a common word took 30 ms through the rows, 22 through the index (SQLite only: without statistics for that
    index it reads the rows; PostgreSQL plans by statistics)."""
    from sqlalchemy import event

    engine = app.extensions["db_engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner only: PostgreSQL is not told which index to use")
    employee = factories.make_user(session)
    captured = []

    def record(_conn, _cursor, sql, params, *_args):
        if ("toolkit_item" in sql or " MATCH " in sql) and sql.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((sql, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context():
            from portal import db

            monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 29)  # 30 matches: a large result
            large = finder.search_items(db.session(), employee, finder.SearchRequest(q="disiplin"))
            again = finder.search_items(db.session(), employee, finder.SearchRequest(q="disiplin", page=2))
            monkeypatch.setitem(app.config, "TOOLKIT_FACET_EXACT_MAX", 2000)  # counted exactly with the page
            small = finder.search_items(db.session(), employee, finder.SearchRequest(q="pegawai disiplin"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert large.total == again.total == small.total == 30 and large.facet_sample
    counts = [c for c in captured if c[0].startswith("SELECT count(*)") and "EXISTS" in c[0]]
    best_page = [c for c in captured if c[0].startswith("SELECT toolkit_item.id") and " IN (" in c[0]]
    filtered = [c for c in captured if "toolkit_filtered AS MATERIALIZED" in c[0] and "search_match" in c[0]]
    assert counts and best_page and filtered
    for sql, plan in _plans(app, [counts[0], best_page[0], filtered[-1]]):
        lookups = [line for line in plan.splitlines() if " toolkit_item " in f" {line} "]
        assert lookups and all("COVERING INDEX ix_toolkit_item_id_facets" in line for line in lookups), (sql, plan)
    # The toolkit's full-text table is keyed by the item's id: matching, counting and ranking never step through
    # search_document (24,000 matches of a common word: counted in 12 ms instead of 18, ranked in 20 instead of 28).
    matched = [sql for sql, _params in captured if "search_fts_toolkit MATCH" in sql]
    assert len(matched) >= 3 and not [sql for sql in matched if "search_document" in sql], matched


# --- facets of regulations and templates: regulation type, legal status, template channel (issue 16 item 7) ---------

@pytest.fixture
def legal_mix(session):
    """Regulations of three types and statuses, templates on several channels, and hidden items of each kind."""
    humas = factories.make_user(session, roles=("humas",))

    def regulation(title, reg_type, number, year, legal_status="berlaku", status="disetujui"):
        return factories.make_toolkit_item(session, "regulation", author=humas, status=status, title=title,
                                           reg_type=reg_type, number=number, year=year, legal_status=legal_status,
                                           tags="netralitas")

    def template(title, channels, status="disetujui"):
        return factories.make_toolkit_item(session, "template", author=humas, status=status, title=title,
                                           channels=channels, body="Halo {nama}, netralitas dijaga.",
                                           tags="netralitas")

    return {
        "uu_asn": regulation("Aparatur Sipil Negara", "UU", "20", 2023),
        "uu_lama": regulation("Aparatur Sipil Negara (lama)", "UU", "5", 2014, legal_status="dicabut"),
        "pp94": regulation("Disiplin Pegawai Negeri Sipil", "PP", "94", 2021),
        "pp11": regulation("Manajemen Pegawai Negeri Sipil", "PP", "11", 2017, legal_status="diubah"),
        "se": regulation("Netralitas pegawai dalam pemilihan umum", "SE", "2", 2023),
        "pp_draft": regulation("Peraturan rahasia draf", "PP", "99", 2024, status="draf"),
        "uu_submitted": regulation("Undang-undang rahasia diajukan", "UU", "98", 2024, status="diajukan"),
        "ig": template("Templat Instagram", ["Instagram"]),
        "ig_x": template("Templat Instagram dan X", ["Instagram", "X"]),
        "tiktok": template("Templat TikTok", ["TikTok"]),
        "x_draft": template("Templat X rahasia", ["X"], status="draf"),
    }


def _counts(found, name):
    return {value: n for value, _label, n in found.facets.get(name, [])}


def test_regulation_type_legal_status_and_channel_facets_count_visible_items(session, login_as, legal_mix):
    employee = login_as("employee")
    found = finder.search_items(session, employee, finder.SearchRequest())
    assert found.total == 8
    assert _counts(found, "reg_type") == {"UU": 2, "PP": 2, "SE": 1}  # drafts and submitted never count
    assert [value for value, _label, _n in found.facets["reg_type"]] == ["UU", "PP", "SE"]  # the usual order
    assert _counts(found, "legal_status") == {"berlaku": 3, "diubah": 1, "dicabut": 1}
    assert _counts(found, "channel") == {"Instagram": 2, "X": 1, "TikTok": 1}  # "X" is a whole name only
    assert dict((v, str(label)) for v, label, _n in found.facets["legal_status"])["dicabut"] == "Dicabut"


def test_new_facets_combine_with_each_other_and_the_existing_ones(session, login_as, legal_mix):
    employee = login_as("employee")
    uu = finder.search_items(session, employee, finder.SearchRequest(reg_type="UU"))
    assert {r.item.id for r in uu.results} == {legal_mix["uu_asn"].id, legal_mix["uu_lama"].id}
    assert uu.total == 2
    # every facet is counted without its own filter and with all the others
    assert _counts(uu, "reg_type") == {"UU": 2, "PP": 2, "SE": 1}
    assert _counts(uu, "legal_status") == {"berlaku": 1, "dicabut": 1}
    assert _counts(uu, "kind") == {"regulation": 2} and _counts(uu, "channel") == {}
    in_force = finder.search_items(session, employee, finder.SearchRequest(reg_type="UU", legal_status="berlaku"))
    assert [r.item.id for r in in_force.results] == [legal_mix["uu_asn"].id]
    assert _counts(in_force, "reg_type") == {"UU": 1, "PP": 1, "SE": 1}
    assert _counts(in_force, "year") == {"2023": 1} or _counts(in_force, "year") == {2023: 1}
    by_year = finder.search_items(session, employee, finder.SearchRequest(legal_status="berlaku", year=2023))
    assert {r.item.id for r in by_year.results} == {legal_mix["uu_asn"].id, legal_mix["se"].id}
    tagged = finder.search_items(session, employee, finder.SearchRequest(reg_type="PP", tags=("netralitas",),
                                                                         kind="regulation"))
    assert {r.item.id for r in tagged.results} == {legal_mix["pp94"].id, legal_mix["pp11"].id}
    x = finder.search_items(session, employee, finder.SearchRequest(channel="X"))
    assert [r.item.id for r in x.results] == [legal_mix["ig_x"].id]
    assert _counts(x, "channel") == {"Instagram": 2, "X": 1, "TikTok": 1}
    assert _counts(x, "reg_type") == {}
    nothing = finder.search_items(session, employee, finder.SearchRequest(channel="X", reg_type="UU"))
    assert nothing.total == 0 and not nothing.results


def test_regulation_type_filter_with_words(client, session, login_as, legal_mix):
    employee = login_as("employee")
    found = finder.search_items(session, employee, finder.SearchRequest(q="pegawai", reg_type="PP"))
    assert {r.item.id for r in found.results} == {legal_mix["pp94"].id, legal_mix["pp11"].id}
    assert found.total == 2
    assert _counts(found, "reg_type") == {"PP": 2, "SE": 1}  # the words still narrow the other types
    assert _counts(found, "legal_status") == {"berlaku": 1, "diubah": 1}
    revoked = finder.search_items(session, employee, finder.SearchRequest(q="aparatur", legal_status="dicabut"))
    assert [r.item.id for r in revoked.results] == [legal_mix["uu_lama"].id]
    page = re.sub(r"</?mark>", "", client.get("/toolkit/", query_string={"q": "pegawai", "reg_type": "PP"})
                  .get_data(as_text=True))
    assert "Disiplin Pegawai Negeri Sipil" in page and "Manajemen Pegawai Negeri Sipil" in page
    assert "Netralitas pegawai dalam pemilihan umum" not in page
    assert "Jenis peraturan: PP" in page  # the active filter's chip


def test_new_facets_are_links_that_toggle_and_work_with_htmx(client, session, login_as, legal_mix):
    login_as("employee")
    page = client.get("/toolkit/").get_data(as_text=True)
    assert "Jenis peraturan" in page and "Status hukum" in page and "Kanal templat" in page
    assert 'href="/toolkit/?reg_type=UU"' in page and 'href="/toolkit/?legal_status=dicabut"' in page
    assert 'href="/toolkit/?channel=TikTok"' in page
    chosen = client.get("/toolkit/?reg_type=UU&legal_status=berlaku", headers=HX)
    body = chosen.get_data(as_text=True)
    assert chosen.status_code == 200 and "<html" not in body
    assert "Aparatur Sipil Negara" in body and "(lama)" not in body and "Disiplin" not in body
    # the chosen value links back to the list without it, keeping the other filter
    assert 'href="/toolkit/?legal_status=berlaku" data-hx-get="/toolkit/?legal_status=berlaku"' in body
    assert 'aria-current="true"' in body
    english = client.get("/toolkit/?legal_status=dicabut&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Regulation type" in english and "Legal status" in english and "Legal status: Revoked" in english


def test_bad_facet_values_in_the_url_are_ignored(client, session, login_as, legal_mix):
    login_as("employee")
    for args in ({"reg_type": "XYZ"}, {"reg_type": "U" * 400}, {"legal_status": "hidup"},
                 {"legal_status": "'; drop table toolkit_item; --"}, {"channel": "%"}, {"channel": "x"},
                 {"channel": "Instagram,X"}, {"reg_type": ""}, {"channel": "a" * 400, "q": "pegawai"}):
        response = client.get("/toolkit/", query_string=args)
        assert response.status_code == 200, args
        assert response.get_data(as_text=True).count('class="card result') >= 1, args  # the filter is ignored
    assert client.get("/toolkit/?reg_type=XYZ", headers=HX).status_code == 200
    assert "8 item" in client.get("/toolkit/?reg_type=XYZ&legal_status=hidup").get_data(as_text=True)


def test_employees_never_count_unapproved_regulations_or_templates(client, session, login, login_as, central,
                                                                    legal_mix):
    employee = login_as("employee")
    drafts = finder.search_items(session, employee, finder.SearchRequest(q="rahasia"))
    assert drafts.total == 0 and _counts(drafts, "reg_type") == {} and _counts(drafts, "channel") == {}
    page = client.get("/toolkit/?reg_type=PP").get_data(as_text=True)
    assert "Peraturan rahasia draf" not in page
    assert "Templat X rahasia" not in client.get("/toolkit/?channel=X").get_data(as_text=True)
    humas = login(central)
    everything = finder.search_items(session, humas, finder.SearchRequest())
    assert _counts(everything, "reg_type") == {"UU": 3, "PP": 3, "SE": 1}
    assert _counts(everything, "channel") == {"Instagram": 2, "X": 2, "TikTok": 1}
    drafts = finder.search_items(session, humas, finder.SearchRequest(reg_type="PP", status="draf"))
    assert [r.item.id for r in drafts.results] == [legal_mix["pp_draft"].id]


def test_new_filters_are_part_of_the_facet_cache_key(app, session, login_as, legal_mix, monkeypatch):
    app.config.update(TOOLKIT_FACET_CACHE_SECONDS=60, TOOLKIT_FACET_CACHE_MIN=0)
    employee = login_as("employee")
    with app.test_request_context():
        from portal import db

        uu = finder.search_items(db.session(), employee, finder.SearchRequest(reg_type="UU"))
        pp = finder.search_items(db.session(), employee, finder.SearchRequest(reg_type="PP"))
        ig = finder.search_items(db.session(), employee, finder.SearchRequest(channel="Instagram"))
        revoked = finder.search_items(db.session(), employee, finder.SearchRequest(legal_status="dicabut"))
    assert (uu.total, pp.total, ig.total, revoked.total) == (2, 2, 2, 1)
    assert _counts(uu, "legal_status") != _counts(pp, "legal_status")


def test_relevance_pages_read_from_the_best_matches_equal_the_pages_over_every_match(app, session, central,
                                                                                       monkeypatch):
    """The first relevance pages of a query whose counts are cached are read from the engine's best matches alone
    (finder._best_page_ids); they must be the pages the full match gives, ties and filters included, and the full
    match must take over whenever the best matches cannot fill a page."""
    monkeypatch.setattr(finder, "PAGE_SIZE", 3)
    monkeypatch.setattr(finder, "BEST_CANDIDATES", 8)
    app.config["TOOLKIT_FACET_CACHE_MIN"] = 1  # every count is cached, so every first page may take the short way
    author = factories.make_user(session, roles=("humas",))
    for i in range(22):
        kind = ("template", "regulation")[i % 2]
        words = " ".join(["netralitas"] * (1 + i % 4))  # four scores, many ties between them
        extra = {"number": str(100 + i)} if kind == "regulation" else {}
        item = factories.make_toolkit_item(session, kind, author=author, title=f"Pedoman {i % 7}",
                                           status="draf" if i % 5 == 0 else "disetujui",
                                           description=f"{words} pegawai kantor {i % 3}", **extra)
        item.usage_count = i % 3  # ties in every order
        session.add(item)
    session.commit()
    employee = factories.make_user(session)
    took, declined = [], []
    short_way = finder._best_page_ids

    def spy(*args):
        ids = short_way(*args)
        (took if ids is not None else declined).append(ids)
        return ids

    monkeypatch.setattr(finder, "_best_page_ids", spy)
    with app.test_request_context():
        for asked in ({"q": "netralitas"}, {"q": "netralitas", "kind": "regulation"}, {"q": "netral kantor"},
                      {"q": "netralitas", "year": 2021}, {"q": "pegawai netralitas", "sort": "relevance"},
                      {"q": "netralitas", "sort": "used"}, {"q": "netralitas", "kind": "template", "sort": "newest"},
                      {"q": "pegawai", "sort": "title"}):
            for page in (1, 2, 3, 4, 5, 9):
                request = finder.SearchRequest(page=page, **asked)
                monkeypatch.setattr(finder, "BEST_PAGES", 0)
                facets.forget()
                everything = {user.id: finder.search_items(session, user, request) for user in (employee, central)}
                monkeypatch.setattr(finder, "BEST_PAGES", 4)
                for user in (employee, central):  # the second one cuts their page from the ranking kept before
                    best = finder.search_items(session, user, request)
                    full = everything[user.id]
                    assert [r.item.id for r in best.results] == [r.item.id for r in full.results], \
                        (user.full_name, asked, page)
                    assert (best.total, best.page, best.pages) == (full.total, full.page, full.pages)
        request = finder.SearchRequest(q="netralitas")
        hidden = finder.search_items(session, employee, request).results[0].item
        hidden.status = "draf"  # behind the services' back: the kept ranking still holds it, the page must not
        session.add(hidden)
        session.commit()
        took.clear()
        assert hidden.id not in [r.item.id for r in finder.search_items(session, employee, request).results]
        assert took  # cut from the kept ranking
    assert took and declined  # both ways were exercised


def test_result_blocks_are_kept_per_viewer_until_a_toolkit_write(client, session, login):
    """/toolkit/ keeps its rendered result block (toolkit/views.py `_results`): a write through the services shows
    at once, a viewer never gets the block of another scope, the query is shown as typed, and a write behind the
    services' back is not seen while the block is kept (what shows the block is kept at all)."""
    author = factories.make_user(session, roles=("humas",))
    approver = factories.make_user(session, roles=("admin",))
    alfa = factories.make_toolkit_item(session, "template", author=author, title="Templat netralitas Alfa")
    bravo = factories.make_toolkit_item(session, "template", author=author, title="Templat netralitas Bravo",
                                        status="diajukan")
    employee = factories.make_user(session)

    def page(user, url="/toolkit/?q=netralitas", headers=None):
        client.post("/logout")
        login(user)
        return client.get(url, headers=headers or {}).get_data(as_text=True)

    first = page(employee)
    assert "Alfa" in first and "Bravo" not in first
    assert "Bravo" in page(author)  # the author's own submitted item, in their scope
    assert "Bravo" not in page(employee)  # not the author's block
    assert "NETRALITAS" in page(employee, "/toolkit/?q=NETRALITAS")  # as typed, not the cached lower case
    fragment = page(employee, headers=HX)
    assert "Alfa" in fragment and 'data-hx-swap-oob="true"' in fragment and "<header" not in fragment

    alfa.title = "Templat netralitas Charlie"  # behind the services' back: the generation does not move
    session.add(alfa)
    session.commit()
    assert "Charlie" not in page(employee)
    workflow.approve(session, approver, session.get(ToolkitItem, bravo.id))  # a toolkit write
    session.commit()
    after = page(employee)
    assert "Bravo" in after and "Charlie" in after
