"""Workshop participant import (portal/workshops/imports.py): files as Indonesian offices make them, the
all-or-nothing write in a few bulk statements, the pages and the templates."""

import codecs
import io
import os
import re

import openpyxl
import pytest
from sqlalchemy import event
from sqlmodel import select

from portal.models import AuditLog, WorkshopParticipant
from portal.workshops import imports
from tests import factories

HEADER = ["nama", "nip", "instansi", "jabatan", "email", "telepon"]


def cp1252_semicolons(rows):
    """Excel "CSV" in the Indonesian locale: Windows-1252, semicolons, CRLF, quotes only where a cell needs them."""
    def cell(value):
        return f'"{value}"' if ("\n" in value or ";" in value) else value
    text = "".join(";".join(cell(c) for c in row) + "\n" for row in rows)
    return text.replace("\n", "\r\n").encode("cp1252")


def unicode_text(rows):
    text = "".join("\t".join(f'"{c}"' if "\n" in c else c for c in row) + "\r\n" for row in rows)
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, workshop, raw, name="peserta.csv"):
    return client.post(f"/workshops/{workshop.id}/impor", data={"file": (io.BytesIO(raw), name)},
                       content_type="multipart/form-data")


def token_in(response):
    match = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def participants(session):
    session.expire_all()
    return session.exec(select(WorkshopParticipant).order_by(WorkshopParticipant.id)).all()


@pytest.fixture
def setting(session, login_as):
    trainer = login_as("trainer")
    employee = factories.make_user(session, nip=factories.valid_nip(21), full_name="Rina Wulandari")
    return trainer, factories.make_workshop(session, trainer=trainer, capacity=3), employee


def office_rows(employee):
    return [HEADER,
            ["José Ñúñez", "", "Dinas Pariwisata\nKota Bogor", "Pranata Humas", "jose@bogor.go.id", "0812 3456 789"],
            ["", employee.nip[:8] + " " + employee.nip[8:14] + " " + employee.nip[14] + " " + employee.nip[15:],
             "", "", "", ""],
            ["Ayu Pérez", "", "Dinas Kominfo – Depok", "", "", "'0811"]]


@pytest.mark.parametrize("make,described", [
    pytest.param(cp1252_semicolons, "Dibaca sebagai: Windows-1252, pemisah titik koma", id="cp1252-semicolon"),
    pytest.param(unicode_text, "Dibaca sebagai: UTF-16 (Unicode Text), pemisah tab", id="unicode-text"),
    pytest.param(xlsx, "Dibaca sebagai: XLSX, lembar Sheet", id="xlsx"),
])
def test_office_files_preview_then_import(client, session, setting, make, described):
    trainer, workshop, employee = setting
    response = upload(client, workshop, make(office_rows(employee)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert described in page
    for shown in ("José Ñúñez", "Dinas Pariwisata Kota Bogor", "Pranata Humas", "jose@bogor.go.id", "0812 3456 789",
                  "Rina Wulandari", employee.nip, "Dinas Kominfo – Depok"):
        assert shown in page, shown
    assert client.post(f"/workshops/{workshop.id}/impor/konfirmasi",
                       data={"token": token_in(response)}).status_code == 303
    rows = participants(session)
    assert [(r.user_id, r.name, r.institution, r.status, r.source) for r in rows] == [
        (None, "José Ñúñez", "Dinas Pariwisata Kota Bogor", "registered", "import"),
        (employee.id, "", "", "registered", "import"),
        (None, "Ayu Pérez", "Dinas Kominfo – Depok", "registered", "import")]
    assert rows[0].phone == "0812 3456 789" and len({r.code for r in rows}) == 3
    assert session.exec(select(AuditLog).where(AuditLog.action == "workshop.import")).one().actor_id == trainer.id


def test_errors_by_spreadsheet_row_and_mangled_nips_explained(app, session, setting):
    _trainer, workshop, employee = setting
    rows = [HEADER,
            ["Agus", "", "Dinas\nKota Bogor", "", "", ""],  # a quoted newline: still row 2
            ["Budi", "1,98501E+17", "", "", "", ""],  # row 3
            ["Cici", "198501012015011000", "", "", "", ""],  # row 4
            ["Dedi", "12AB", "", "", "", ""],  # row 5
            ["", employee.nip, "", "", "", ""]]  # row 6: fine
    with app.test_request_context():
        preview = imports.preview_import(session, workshop, cp1252_semicolons(rows))
    assert [line for line, _message in preview.errors] == [3, 4, 5]
    assert "angka ilmiah (1,98501E+17)" in preview.errors[0][1]
    assert "NIP berakhir 000" in preview.errors[1][1]
    assert preview.errors[2][1] == "NIP hanya berisi angka."


def test_capacity_waiting_list_and_a_cancelled_registration_coming_back(app, session, setting):
    trainer, workshop, employee = setting
    factories.make_participant(session, workshop, name="Sudah Ada")
    cancelled = factories.make_participant(session, workshop, employee, status="cancelled")
    raw = cp1252_semicolons([HEADER, ["Satu", "", "A", "", "", ""], ["", employee.nip, "", "", "", ""],
                             ["Tiga", "", "C", "", "", ""]])
    with app.test_request_context():
        preview = imports.apply_import(session, trainer, workshop, raw)
    assert preview.ok
    session.commit()
    rows = participants(session)
    assert [(r.name, r.user_id, r.status) for r in rows] == [
        ("Sudah Ada", None, "registered"), ("", employee.id, "registered"), ("Satu", None, "registered"),
        ("Tiga", None, "waitlisted")]
    assert rows[1].id == cancelled.id and rows[1].cancelled_at is None and rows[1].source == "import"


def test_statements_do_not_grow_per_row(app, session, setting):
    trainer, workshop, _employee = setting
    workshop.capacity = None
    session.add(workshop)
    session.commit()

    def run(first, n):
        raw = ("nama;instansi;email\n" + "".join(f"Tamu {i};Dinas {i};t{i}@x.go.id\n"
                                                for i in range(first, first + n))).encode()
        seen = []
        engine = session.get_bind()

        def count(*_args, **_kwargs):
            seen.append(1)

        session.refresh(trainer)
        session.refresh(workshop)
        event.listen(engine, "before_cursor_execute", count)
        try:
            with app.test_request_context():
                assert imports.apply_import(session, trainer, workshop, raw).ok
        finally:
            event.remove(engine, "before_cursor_execute", count)
        session.commit()
        return len(seen)

    assert run(0, 20) == run(20, 400)
    assert len(participants(session)) == 420


@pytest.mark.parametrize("raw,message", [
    pytest.param(b"", "Berkas kosong.", id="empty"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "melainkan PNG", id="png"),
    pytest.param(os.urandom(50_000), "bukan CSV teks atau XLSX", id="random"),
    pytest.param(b"PK\x03\x04broken", "XLSX rusak", id="broken-xlsx"),
    pytest.param(b"name;agency\nAgus;A\n", "Kolom wajib tidak ada: nama", id="english-header"),
    pytest.param(b"nama;instansi\nAgus;A;B;C\n", "Baris ini berisi 4 kolom", id="extra-cells"),
])
def test_ugly_files_get_a_clear_422_and_write_nothing(client, session, setting, raw, message):
    trainer, workshop, _employee = setting
    response = upload(client, workshop, raw)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert participants(session) == []


def test_templates_download(client, setting):
    trainer, workshop, _employee = setting
    response = client.get(f"/workshops/{workshop.id}/impor/templat.xlsx", follow_redirects=True)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book.worksheets[0][1]] == HEADER
    response = client.get(f"/workshops/{workshop.id}/impor/templat.csv")
    assert response.data == codecs.BOM_UTF8 + b"nama;nip;instansi;jabatan;email;telepon\r\n"
    assert client.get(f"/workshops/{workshop.id}/impor/templat.exe").status_code == 404


def test_a_token_of_another_workshop_is_refused(client, session, setting):
    trainer, workshop, _employee = setting
    other = factories.make_workshop(session, trainer=trainer)
    token = token_in(upload(client, workshop, b"nama\nAgus\n"))
    assert token
    assert client.post(f"/workshops/{other.id}/impor/konfirmasi", data={"token": token}).status_code == 400
    assert participants(session) == []


def test_a_large_file_is_imported_by_a_job(app, client, session, setting):
    from portal.models import Job

    _trainer, workshop, employee = setting
    app.config["IMPORT_JOB_MIN_ROWS"] = 3
    rows = [HEADER, ["", employee.nip, "", "", "", ""]] + [[f"Tamu {i}", "", "Dinas", "", "", ""] for i in range(5)]
    response = upload(client, workshop, xlsx(rows), "peserta.xlsx")
    response = client.post(f"/workshops/{workshop.id}/impor/konfirmasi", data={"token": token_in(response)})
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    session.expire_all()
    job = session.exec(select(Job)).one()
    assert (job.kind, job.status, job.progress) == ("import.participants", "done", 100), job.message
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "6 peserta diimpor." in page and f"/workshops/{workshop.id}/kelola" in page
    assert [p.status for p in participants(session)] == ["registered"] * 3 + ["waitlisted"] * 3
