"""CSV import of employees and units: the checks, the all-or-nothing write, the admin UI and the CLI."""

import codecs
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from portal.accounts import imports
from portal.errors import DomainError
from portal.models import AuditLog, Unit, User
from tests import factories

NIP_A, NIP_B, NIP_C = factories.valid_nip(101), factories.valid_nip(102, 2), factories.valid_nip(103)
CLEAN_USERS = (
    "nip,nama,email,unit_kode,peran\n"
    f"{NIP_A},Agus Saputra,agus.saputra@kementerian.go.id,BHM-MKP,\n"
    f"{NIP_B},  Ni Luh   Putu Ayu ,ni.luh@kementerian.go.id,bsdm,humas;trainer\n"
    f"{NIP_C},Yohanes Pattiasina,,BHM-MKP,supervisor\n"
)
BROKEN_USERS = (
    "nip,nama,email,unit_kode,peran\n"  # line 1
    f"{NIP_A},Agus Saputra,agus@kementerian.go.id,BHM-MKP,\n"  # 2: fine
    "12345,Budi Santoso,budi@kementerian.go.id,BHM-MKP,\n"  # 3: bad NIP
    f"{NIP_B},Citra Lestari,citra@kementerian.go.id,TIDAK-ADA,\n"  # 4: unknown unit
    f"{NIP_A},Agus Lagi,agus.lagi@kementerian.go.id,BHM-MKP,\n"  # 5: duplicate NIP (line 2)
    f"{NIP_C},Dedi Kurniawan,agus@kementerian.go.id,BHM-MKP,\n"  # 6: duplicate email (line 2)
    f"{factories.valid_nip(104)},Eko Wibowo,bukan-email,BHM-MKP,\n"  # 7: bad email
    f"{factories.valid_nip(105)},Fajar Hidayat,fajar@kementerian.go.id,BHM-MKP,raja\n"  # 8: unknown role
    f"{factories.valid_nip(106)},,gilang@kementerian.go.id,BHM-MKP,\n"  # 9: empty name
)
EXPECTED_BROKEN = [
    (3, "NIP harus terdiri dari 18 angka."),
    (4, "Unit TIDAK-ADA tidak dikenal."),
    (5, "NIP ganda dalam berkas (sama dengan baris 2)."),
    (6, "Email ganda dalam berkas (sama dengan baris 2)."),
    (7, "Alamat email tidak valid."),
    (8, "Peran tidak dikenal: raja."),
    (9, "Nama wajib diisi."),
]
CLEAN_UNITS = (
    "kode,nama,induk_kode\n"
    "BHM-HAL,Bagian Hubungan Antarlembaga dan Protokol,BHM\n"  # the parent comes later in the file
    "BHM,Biro Hubungan Masyarakat,SETJEN\n"
    "SETJEN,Sekretariat Jenderal,\n"
    "INSP,Inspektorat,SETJEN\n"
)


@pytest.fixture
def units(session):
    return {"BHM-MKP": factories.make_unit(session, code="BHM-MKP", name="Bagian Media"),
            "BSDM": factories.make_unit(session, code="BSDM", name="Biro SDM")}


@pytest.fixture
def actor(session, units):
    return factories.make_user(session, username="admin.impor", roles=("admin",), unit=units["BSDM"])


def _as_a_request_does(session, preview):
    """Services never commit: the caller commits when the import worked and rolls back when it did not."""
    if preview.ok:
        session.commit()
    else:
        session.rollback()
    return preview


def apply_users(session, actor, raw):
    return _as_a_request_does(session, imports.apply_users(session, actor, raw))


def apply_units(session, actor, raw):
    return _as_a_request_does(session, imports.apply_units(session, actor, raw))


def count(session, model):
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def by_nip(session, nip):
    session.rollback()
    return session.exec(select(User).where(User.nip == nip)).one()


def snapshot(session):
    session.rollback()
    users = sorted((u.username, u.nip, u.full_name, u.email, u.unit_id, tuple(sorted(u.roles)), u.auth_version)
                   for u in session.exec(select(User)).all())
    units = sorted((u.code, u.name, u.parent_id, u.path) for u in session.exec(select(Unit)).all())
    return users, units, count(session, AuditLog)


# --- reading the file ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encode", [
    pytest.param(lambda text: text.encode(), id="comma"),
    pytest.param(lambda text: text.replace(",", ";").replace("humas;trainer", '"humas;trainer"').encode(),
                 id="semicolon"),
    pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode(), id="utf8-bom"),
    pytest.param(lambda text: text.replace("\n", "\r\n").encode(), id="windows-line-endings"),
    pytest.param(lambda text: (b"\xef\xbb\xbf" + text.replace(",", ";").replace("humas;trainer", "humas,trainer")
                               .replace("\n", "\r\n").encode()), id="excel-indonesia"),
])
def test_clean_file_in_every_accepted_shape(app, session, units, actor, encode):
    with app.test_request_context():
        preview = imports.preview_users(session, encode(CLEAN_USERS))
    assert preview.errors == []
    assert [(row["line"], row["action"], row["nip"]) for row in preview.rows] == [
        (2, "create", NIP_A), (3, "create", NIP_B), (4, "create", NIP_C)]
    assert preview.rows[1]["full_name"] == "Ni Luh Putu Ayu"
    assert preview.rows[1]["roles"] == {"employee", "humas", "trainer"}
    assert preview.rows[1]["unit_code"] == "BSDM"


def test_broken_file_lists_every_error_with_its_line_and_writes_nothing(app, session, units, actor):
    before = snapshot(session)
    with app.test_request_context():
        preview = imports.preview_users(session, BROKEN_USERS.encode())
        assert sorted(preview.errors) == EXPECTED_BROKEN
        assert not preview.ok
        applied = apply_users(session, actor, BROKEN_USERS.encode())
    assert sorted(applied.errors) == EXPECTED_BROKEN
    assert snapshot(session) == before


def test_a_row_can_have_several_problems(app, session, units):
    raw = b"nip,nama,email,unit_kode,peran\n123,,x@,NOPE,raja\n"
    with app.test_request_context():
        preview = imports.preview_users(session, raw)
    assert [line for line, _message in preview.errors] == [2, 2, 2, 2, 2]


def test_email_of_an_account_without_nip_is_taken(app, session, units, actor):
    factories.make_user(session, username="humas.lama", email="agus.saputra@kementerian.go.id")
    with app.test_request_context():
        preview = imports.preview_users(session, CLEAN_USERS.encode())
    assert preview.errors == [(2, "Email sudah dipakai pegawai lain.")]


def test_clean_file_creates_users(app, session, units, actor):
    with app.test_request_context():
        preview = apply_users(session, actor, CLEAN_USERS.encode())
    assert preview.ok and preview.count("create") == 3
    agus, ayu, yohanes = by_nip(session, NIP_A), by_nip(session, NIP_B), by_nip(session, NIP_C)
    assert agus.username == NIP_A
    assert (agus.full_name, agus.email, agus.unit_id, agus.roles) == (
        "Agus Saputra", "agus.saputra@kementerian.go.id", units["BHM-MKP"].id, {"employee"})
    assert (ayu.full_name, ayu.unit_id, ayu.roles) == ("Ni Luh Putu Ayu", units["BSDM"].id,
                                                       {"employee", "humas", "trainer"})
    assert yohanes.email is None and yohanes.roles == {"employee", "supervisor"}
    assert agus.password_hash is None  # they get a password from an admin (reset), not from the file
    actions = [e.action for e in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions == ["user.create"] * 3 + ["user.import"]
    summary = session.exec(select(AuditLog).where(AuditLog.action == "user.import")).one()
    assert summary.actor_id == actor.id and "3 new" in summary.summary


def test_reimporting_the_same_file_changes_nothing_and_leaves_no_audit_row(app, session, units, actor):
    with app.test_request_context():
        apply_users(session, actor, CLEAN_USERS.encode())
        before = snapshot(session)
        preview = apply_users(session, actor, CLEAN_USERS.replace("\n", "\r\n").encode())
    assert preview.ok
    assert [row["action"] for row in preview.rows] == ["same", "same", "same"]
    assert snapshot(session) == before


def test_a_changed_row_updates_that_user(app, session, units, actor):
    with app.test_request_context():
        apply_users(session, actor, CLEAN_USERS.encode())
        changed = CLEAN_USERS.replace("Agus Saputra,agus.saputra@kementerian.go.id,BHM-MKP,",
                                      "Agus Saputra S.Kom.,agus.s@kementerian.go.id,BSDM,admin")
        preview = apply_users(session, actor, changed.encode())
    assert [row["action"] for row in preview.rows] == ["update", "same", "same"]
    agus = by_nip(session, NIP_A)
    assert (agus.full_name, agus.email, agus.unit_id, agus.roles) == (
        "Agus Saputra S.Kom.", "agus.s@kementerian.go.id", units["BSDM"].id, {"employee", "admin"})
    updates = session.exec(select(AuditLog).where(AuditLog.action == "user.update")).all()
    assert [u.object_id for u in updates] == [str(agus.id)]
    assert count(session, User) == 4


@pytest.mark.parametrize("raw,message", [
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "berkas Excel lama (.xls)", id="xls"),
    pytest.param(b"PK\x03\x04" + b"\x00" * 100, "XLSX rusak", id="broken-zip"),
    pytest.param(b"", "Berkas kosong.", id="empty"),
    pytest.param(b"  \r\n\n", "Berkas kosong.", id="blank"),
    pytest.param(b"nip,nama,email,unit_kode,peran\n", "Berkas tidak berisi baris data.", id="header-only"),
    pytest.param(b"nip,nama,email,unit_kode,peran\n,,,,\n\n , ,\n", "Berkas tidak berisi baris data.", id="empty-rows"),
    pytest.param(b"nip,nama,email,unit_kode\n199005172015031001,A,,BSDM\n", "Kolom wajib tidak ada: peran",
                 id="missing-column"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00",
                 "bukan CSV teks", id="png"),
    pytest.param(os.urandom(2 * 1024 * 1024), "bukan CSV teks", id="2MB-random-bytes"),
    pytest.param(b"lorem ipsum dolor, sit amet\n" * 75_000, "Kolom wajib tidak ada", id="2MB-text"),
    pytest.param(b"nip,nama,email,unit_kode,peran\n" + b"x\n" * 1_000_000, "paling banyak 50000 baris",
                 id="2MB-of-rows"),
])
def test_unreadable_files_get_a_clear_message(app, session, units, actor, raw, message):
    before = snapshot(session)
    with app.test_request_context():
        with pytest.raises(DomainError) as error:
            imports.preview_users(session, raw)
        assert message in str(error.value.message)
        with pytest.raises(DomainError):
            apply_users(session, actor, raw)
    assert snapshot(session) == before


def test_unterminated_quote_is_refused(app, session, units, actor):
    raw = f'nip,nama,email,unit_kode,peran\n{NIP_A},"Agus,,BSDM,\n{NIP_B},Ayu,,BSDM,\n'.encode()
    before = snapshot(session)
    with app.test_request_context():
        try:
            preview = apply_users(session, actor, raw)
        except DomainError:
            pass
        else:
            assert not preview.ok
    assert snapshot(session) == before


# --- units ---------------------------------------------------------------------------------------------------------

def test_units_with_parents_later_in_the_file(app, session, actor):
    with app.test_request_context():
        preview = apply_units(session, actor, CLEAN_UNITS.encode())
    assert preview.ok and preview.count("create") == 4
    session.rollback()
    found = {u.code: u for u in session.exec(select(Unit)).all()}
    setjen, bhm, hal, insp = found["SETJEN"], found["BHM"], found["BHM-HAL"], found["INSP"]
    assert setjen.parent_id is None and setjen.path == f"/{setjen.id}/"
    assert bhm.parent_id == setjen.id and bhm.path == f"/{setjen.id}/{bhm.id}/"
    assert hal.parent_id == bhm.id and hal.path == f"/{setjen.id}/{bhm.id}/{hal.id}/"
    assert insp.path == f"/{setjen.id}/{insp.id}/"
    assert session.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "unit.create")).one() == 4


def test_units_reimport_changes_nothing_and_a_change_moves_the_unit(app, session, actor):
    with app.test_request_context():
        apply_units(session, actor, CLEAN_UNITS.encode())
        before = snapshot(session)
        again = apply_units(session, actor, CLEAN_UNITS.encode())
        assert [row["action"] for row in again.rows] == ["same"] * 4
        assert snapshot(session) == before
        moved = apply_units(session, actor, CLEAN_UNITS.replace("BHM-HAL,Bagian Hubungan Antarlembaga dan "
                                                                        "Protokol,BHM", "BHM-HAL,Bagian HAL,INSP")
                                    .encode())
    assert [row["action"] for row in moved.rows] == ["update", "same", "same", "same"]
    session.rollback()
    hal = session.exec(select(Unit).where(Unit.code == "BHM-HAL")).one()
    insp = session.exec(select(Unit).where(Unit.code == "INSP")).one()
    assert hal.name == "Bagian HAL" and hal.parent_id == insp.id and hal.path == f"{insp.path}{hal.id}/"


@pytest.mark.parametrize("text,errors", [
    pytest.param("kode,nama,induk_kode\nBHM,Biro Humas,SETJEN\n", [(2, "Unit induk SETJEN tidak dikenal.")],
                 id="unknown-parent"),
    pytest.param("kode,nama,induk_kode\nA,Unit A,B\nB,Unit B,A\nC,Unit C,\n",
                 [(2, "Susunan induk membentuk lingkaran."), (3, "Susunan induk membentuk lingkaran.")], id="cycle"),
    pytest.param("kode,nama,induk_kode\nA,Unit A,A\n", [(2, "Unit tidak bisa menjadi induk dirinya sendiri.")],
                 id="own-parent"),
    pytest.param("kode,nama,induk_kode\nA,Unit A,\nB,Unit B,A\na,Unit A lagi,\n",
                 [(4, "Kode ganda dalam berkas (sama dengan baris 2).")], id="duplicate-code"),
    pytest.param("kode,nama,induk_kode\nA B,Unit A,\nC,,\n",
                 [(2, "Kode unit tidak valid."), (3, "Nama unit wajib diisi (paling banyak 200 karakter).")],
                 id="bad-code-and-name"),
])
def test_broken_unit_files(app, session, actor, text, errors):
    before = snapshot(session)
    with app.test_request_context():
        assert sorted(imports.preview_units(session, text.encode()).errors) == errors
        assert sorted(apply_units(session, actor, text.encode()).errors) == errors
    assert snapshot(session) == before


def test_unit_file_moving_an_existing_unit_under_its_descendant_is_a_cycle(app, session, actor):
    setjen = factories.make_unit(session, code="SETJEN")
    factories.make_unit(session, code="BHM", parent=setjen)
    with app.test_request_context():
        preview = imports.preview_units(session, b"kode,nama,induk_kode\nSETJEN,Setjen,BHM\n")
    assert preview.errors == [(2, "Susunan induk membentuk lingkaran.")]


# --- the admin UI --------------------------------------------------------------------------------------------------

def upload(client, kind, raw, name="pegawai.csv"):
    from io import BytesIO

    return client.post(f"/admin/import/{kind}", data={"file": (BytesIO(raw), name)},
                       content_type="multipart/form-data")


def token_in(response):
    match = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def test_ui_broken_upload_shows_every_error_with_its_line(client, login_as, session, units):
    login_as("admin")
    before = snapshot(session)
    response = upload(client, "users", BROKEN_USERS.encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "7 masalah ditemukan — tidak ada yang disimpan" in page
    for line, message in EXPECTED_BROKEN:
        assert f'<td class="num">{line}</td><td>{message}</td>' in page
    assert token_in(response) is None
    assert "Impor sekarang" not in page
    assert snapshot(session) == before


def test_ui_a_file_with_hundreds_of_problems_lists_the_first_200(client, login_as, session, units):
    login_as("admin")
    raw = "nip,nama,email,unit_kode,peran\n" + "".join(f"{n},Pegawai {n},,NOPE,\n" for n in range(250))
    response = upload(client, "users", raw.encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "500 masalah ditemukan" in page and "Menampilkan 200 masalah pertama dari 500." in page  # 2 a row
    assert page.count("<tr><td class=\"num\">") == 200


def test_ui_unreadable_upload_is_a_clear_422(client, login_as, session, units):
    login_as("admin")
    for raw, message in ((b"\x89PNG\r\n\x1a\n\x00\x00", "bukan CSV teks"),
                         ("nama;é".encode("latin-1"), "Kolom wajib tidak ada: nip"),
                         (b"", "Berkas kosong.")):
        response = upload(client, "users", raw)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    response = client.post("/admin/import/users", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Pilih berkas CSV atau XLSX." in response.get_data(as_text=True)


def test_ui_upload_over_the_size_cap_is_a_clear_413(app, client, login_as, session, units):
    login_as("admin")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    before = snapshot(session)
    response = upload(client, "users", CLEAN_USERS.encode() * 2000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Berkas terlalu besar" in page and '<html lang="id">' in page
    assert snapshot(session) == before


def test_ui_clean_upload_previews_then_confirm_writes(client, login_as, session, units):
    admin = login_as("admin")
    response = upload(client, "users", CLEAN_USERS.encode())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Berkas siap diimpor" in page and "3 baru, 0 diperbarui, 0 tidak berubah." in page
    assert "Ni Luh Putu Ayu" in page and "Impor sekarang" in page
    token = token_in(response)
    assert token and token.startswith(f"users-{admin.id}-")
    assert count(session, User) == 1  # nothing written by the preview

    response = client.post("/admin/import/users/confirm", data={"token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/users"
    assert count(session, User) == 4
    assert by_nip(session, NIP_B).roles == {"employee", "humas", "trainer"}
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Impor selesai: 3 baru, 0 diperbarui, 0 tidak berubah." in page

    # The token is used up: confirming again writes nothing twice.
    again = client.post("/admin/import/users/confirm", data={"token": token})
    assert again.status_code == 303
    assert "kedaluwarsa" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert count(session, User) == 4


def test_ui_units_import(client, login_as, session):
    login_as("admin")
    response = upload(client, "units", CLEAN_UNITS.encode(), "unit.csv")
    assert response.status_code == 200
    assert "4 baru" in response.get_data(as_text=True)
    response = client.post("/admin/import/units/confirm", data={"token": token_in(response)})
    assert response.headers["Location"] == "/admin/units"
    assert "Inspektorat" in client.get("/admin/units").get_data(as_text=True)


def test_ui_confirm_with_forged_or_foreign_token_is_refused(app, client, login_as, session, units):
    admin = login_as("admin")
    response = upload(client, "users", CLEAN_USERS.encode())
    token = token_in(response)
    other_admin = factories.make_user(session, roles=("admin",), unit=units["BSDM"])
    other = app.test_client()
    assert other.post("/login", data={"username": other_admin.username,
                                      "password": factories.PASSWORD}).status_code == 302
    assert other.post("/admin/import/users/confirm", data={"token": token}).status_code == 400

    for forged in ("", "../../secret_key", f"{admin.id}-../../../etc/passwd", f"{admin.id}-{'g' * 32}",
                   f"{other_admin.id}-{'a' * 32}", token + "0", "x" * 64):
        response = client.post("/admin/import/users/confirm", data={"token": forged})
        assert response.status_code == 400, forged
        assert "Permintaan tidak valid" in response.get_data(as_text=True)
    assert count(session, User) == 2
    # The real token still works for its owner.
    assert client.post("/admin/import/users/confirm", data={"token": token}).status_code == 303
    assert count(session, User) == 5


def test_ui_confirm_of_a_file_that_no_longer_fits_writes_nothing(client, login_as, session, units):
    login_as("admin")
    token = token_in(upload(client, "users", CLEAN_USERS.encode()))
    factories.make_user(session, nip=NIP_C, email="agus.saputra@kementerian.go.id", unit=units["BSDM"])
    before = snapshot(session)
    response = client.post("/admin/import/users/confirm", data={"token": token})
    assert response.status_code == 422
    assert "Impor dibatalkan" in response.get_data(as_text=True)
    assert snapshot(session) == before


# --- the CLI -------------------------------------------------------------------------------------------------------

def test_cli_import_users(app, session, units, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text(BROKEN_USERS)
    before = snapshot(session)
    result = runner.invoke(args=["import-users", str(bad)])
    assert result.exit_code == 1
    for line, message in EXPECTED_BROKEN:
        assert f"line {line}: {message}" in result.output
    assert "7 problem(s); nothing was written" in result.output
    assert snapshot(session) == before

    good = tmp_path / "good.csv"
    good.write_bytes(CLEAN_USERS.encode())
    result = runner.invoke(args=["import-users", str(good)])
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0" in result.output
    assert by_nip(session, NIP_A).username == NIP_A
    summary = session.exec(select(AuditLog).where(AuditLog.action == "user.import")).one()
    assert summary.actor_id is None  # the command line has no account

    result = runner.invoke(args=["import-users", str(good)])
    assert result.exit_code == 0
    assert "created 0, updated 0, unchanged 3" in result.output


def test_cli_import_unreadable_file(app, session, tmp_path):
    runner = app.test_cli_runner()
    png = tmp_path / "foto.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = runner.invoke(args=["import-users", str(png)])
    assert result.exit_code == 1
    assert "bukan CSV teks" in result.output
    result = runner.invoke(args=["import-users", str(tmp_path / "tidak-ada.csv")])
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_cli_import_units(app, session, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "units.csv"
    path.write_text(CLEAN_UNITS)
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 0, result.output
    assert "created 4, updated 0, unchanged 0" in result.output
    assert count(session, Unit) == 4

    cycle = tmp_path / "cycle.csv"
    cycle.write_text("kode,nama,induk_kode\nA,Unit A,B\nB,Unit B,A\n")
    result = runner.invoke(args=["import-units", str(cycle)])
    assert result.exit_code == 1
    assert "line 2: Susunan induk membentuk lingkaran." in result.output
    assert count(session, Unit) == 4


# --- files as Indonesian offices make them -------------------------------------------------------------------------

def _xlsx(rows):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


OFFICE_USERS = [  # header, then José (two roles), Ñoman (quoted newline in the name), Ayu (NIP in the spaced form)
    ["nip", "nama", "email", "unit_kode", "peran"],
    [NIP_A, "José Saputra", "jose@kementerian.go.id", "BHM-MKP", "employee;supervisor"],
    [NIP_B, "Ñoman\nPutu Ayu", "", "bsdm", "humas|trainer"],
    ["19900517 201503 1 103", "Yohanes Pérez", "", "BHM-MKP", ""],
]


def _semicolon_cp1252(rows):
    """Excel "CSV" in the Indonesian locale: Windows-1252, semicolons, CRLF; roles unquoted, as people type them."""
    lines = []
    for row in rows:
        lines.append(";".join(f'"{c}"' if "\n" in c else c for c in row))
    return "\r\n".join(lines).replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode("cp1252") + b"\r\n"


def _unicode_text(rows):
    """Excel "Unicode Text": UTF-16 with a BOM, tab separated."""
    body = "\r\n".join("\t".join(f'"{c}"' if "\n" in c else c for c in row) for row in rows) + "\r\n"
    return codecs.BOM_UTF16_LE + body.encode("utf-16-le")


@pytest.mark.parametrize("make,described", [
    pytest.param(_semicolon_cp1252, "Dibaca sebagai: Windows-1252, pemisah titik koma", id="cp1252-semicolon"),
    pytest.param(_unicode_text, "Dibaca sebagai: UTF-16 (Unicode Text), pemisah tab", id="unicode-text"),
    pytest.param(_xlsx, "Dibaca sebagai: XLSX, lembar Sheet", id="xlsx"),
])
def test_users_from_office_files(app, session, units, actor, make, described):
    raw = make(OFFICE_USERS)
    with app.test_request_context():
        preview = imports.preview_users(session, raw)
        assert preview.errors == [] and preview.notes == [described]
        assert [(r["line"], r["nip"], r["full_name"], r["roles"]) for r in preview.rows] == [
            (2, NIP_A, "José Saputra", {"employee", "supervisor"}),
            (3, NIP_B, "Ñoman Putu Ayu", {"employee", "humas", "trainer"}),
            (4, NIP_C, "Yohanes Pérez", {"employee"})]
        assert apply_users(session, actor, raw).ok
    assert by_nip(session, NIP_A).roles == {"employee", "supervisor"}
    assert by_nip(session, NIP_B).full_name == "Ñoman Putu Ayu"


def test_errors_carry_the_spreadsheet_row_even_after_a_quoted_newline(app, session, units):
    raw = (f'nip;nama;email;unit_kode;peran\r\n{NIP_A};"Agus\r\nSaputra";;BHM-MKP;\r\n'
           f'{NIP_B};Ayu;;BHM-MKP;\r\n123;Budi;;BHM-MKP;\r\n').encode("cp1252")
    with app.test_request_context():
        preview = imports.preview_users(session, raw)
    assert preview.errors == [(4, "NIP harus terdiri dari 18 angka.")]  # the third data row is row 4, not line 5


def test_nips_mangled_by_excel_are_explained(app, session, units):
    raw = _xlsx([["nip", "nama", "email", "unit_kode", "peran"],
                 [198501012015011001, "Angka", "", "BSDM", ""],  # typed into a number cell
                 ["1,98501E+17", "Ilmiah", "", "BSDM", ""],
                 ["198501012015011000", "Lima belas digit", "", "BSDM", ""],
                 ["'" + NIP_A, "Apostrof", "", "BSDM", ""]])
    with app.test_request_context():
        preview = imports.preview_users(session, raw)
    assert [line for line, _message in preview.errors] == [2, 3, 4]
    assert "angka ilmiah" in preview.errors[0][1] and "Format kolom NIP sebagai Teks" in preview.errors[0][1]
    assert "(1,98501E+17)" in preview.errors[1][1]
    assert "NIP berakhir 000" in preview.errors[2][1]
    assert [r["nip"] for r in preview.rows] == [NIP_A]


def test_importing_cannot_take_admin_away_from_oneself(app, session, units, actor):
    actor.nip = NIP_A
    session.add(actor)
    session.commit()
    with app.test_request_context():
        preview = imports.preview_users(session, f"nip,nama,email,unit_kode,peran\n{NIP_A},Saya,,BSDM,humas\n"
                                        .encode(), actor)
    assert preview.errors == [(2, "Anda tidak dapat mencabut peran admin dari akun Anda sendiri.")]


def test_a_username_taken_by_another_account_is_reported(app, session, units):
    factories.make_user(session, username=NIP_A, unit=units["BSDM"])  # a username that looks like the NIP
    with app.test_request_context():
        preview = imports.preview_users(session, CLEAN_USERS.encode())
    assert preview.errors == [(2, f"Nama pengguna {NIP_A} sudah dipakai akun lain.")]


def test_role_changes_reach_live_sessions(app, session, units, actor):
    from portal.models import UserSession, utcnow

    with app.test_request_context():
        apply_users(session, actor, CLEAN_USERS.encode())
    agus = by_nip(session, NIP_A)
    record = UserSession(token_hash="a" * 64, user_id=agus.id, roles="employee",
                         expires_at=utcnow() + timedelta(hours=1))
    session.add(record)
    session.commit()
    with app.test_request_context():
        apply_users(session, actor, CLEAN_USERS.replace("BHM-MKP,\n", "BHM-MKP,admin|humas\n", 1).encode())
    session.rollback()
    assert session.get(UserSession, record.id).roles == "admin,employee,humas"
    assert by_nip(session, NIP_A).roles == {"employee", "admin", "humas"}


def test_units_from_office_files(app, session, actor):
    rows = [["kode", "nama", "induk_kode"], ["BHM-HAL", "Bagian Hubungan\nAntarlembaga – Protokol", "bhm"],
            ["BHM", "Biro Hubungan Masyarakat", "SETJEN"], ["SETJEN", "Sekretariat Jenderal (Café)", ""]]
    for raw in (_semicolon_cp1252(rows), _unicode_text(rows), _xlsx(rows)):
        with app.test_request_context():
            preview = imports.preview_units(session, raw)
        assert preview.errors == []
        assert [(r["line"], r["code"], r["name"], r["parent_code"]) for r in preview.rows] == [
            (2, "BHM-HAL", "Bagian Hubungan Antarlembaga – Protokol", "BHM"),
            (3, "BHM", "Biro Hubungan Masyarakat", "SETJEN"), (4, "SETJEN", "Sekretariat Jenderal (Café)", "")]
    with app.test_request_context():
        assert apply_units(session, actor, raw).ok
    session.rollback()
    assert session.exec(select(Unit).where(Unit.code == "SETJEN")).one().name == "Sekretariat Jenderal (Café)"


# --- bulk writes: the number of statements does not grow with the number of rows -----------------------------------

def _statements(app, session, fn):
    from sqlalchemy import event

    engine = session.get_bind()
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with app.test_request_context():
            result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), result


def _users_file(first, n, unit="BHM-MKP", roles="humas"):
    rows = "".join(f"{factories.valid_nip(i % 999 + 1)[:14]}{1 + i // 999}{i % 999 + 1:03d},Pegawai {i},"
                   f"p{i}@kementerian.go.id,{unit},{roles}\n" for i in range(first, first + n))
    return ("nip,nama,email,unit_kode,peran\n" + rows).encode()


def test_user_import_statements_do_not_grow_per_row(app, session, units, actor):
    _statements(app, session, lambda: imports.apply_users(session, actor, _users_file(1000, 5)))  # warm: the actor
    session.commit()
    session.refresh(actor)  # loaded again after the commit
    small, _preview = _statements(app, session, lambda: imports.apply_users(session, actor, _users_file(0, 50)))
    session.commit()
    session.refresh(actor)
    large, preview = _statements(app, session, lambda: imports.apply_users(session, actor, _users_file(50, 400)))
    session.commit()
    session.refresh(actor)
    assert preview.ok and preview.count("create") == 400
    assert large == small
    # updates (unit and roles change) too
    changed = _statements(app, session, lambda: imports.apply_users(
        session, actor, _users_file(0, 450, unit="BSDM", roles="trainer")))
    session.commit()
    assert changed[1].count("update") == 450 and changed[0] <= small + 3
    assert by_nip(session, f"{factories.valid_nip(1)[:14]}1001").roles == {"employee", "trainer"}


def test_unit_import_statements_do_not_grow_per_row(app, session, actor):
    def units_file(n):
        rows = "".join(f"U{i},Unit {i},{'U' + str(i // 3) if i else ''}\n" for i in range(n))
        return ("kode,nama,induk_kode\n" + rows).encode()

    session.refresh(actor)
    small, _preview = _statements(app, session, lambda: imports.apply_units(session, actor, units_file(30)))
    session.rollback()
    session.refresh(actor)
    large, preview = _statements(app, session, lambda: imports.apply_units(session, actor, units_file(300)))
    session.commit()
    assert preview.ok and large == small
    u299 = session.exec(select(Unit).where(Unit.code == "U299")).one()
    chain, current = [], u299
    while current is not None:
        chain.append(current.id)
        current = session.get(Unit, current.parent_id) if current.parent_id else None
    assert u299.path == "/" + "/".join(str(i) for i in reversed(chain)) + "/"


# --- the admin UI with office files, templates and the job ---------------------------------------------------------

def test_ui_preview_names_the_reading_and_shows_every_field(client, login_as, session, units):
    login_as("admin")
    response = upload(client, "users", _semicolon_cp1252(OFFICE_USERS), "pegawai.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dibaca sebagai: Windows-1252, pemisah titik koma" in page
    assert "jose@kementerian.go.id" in page and "Atasan" in page and "Humas, Pelatih" in page
    response = upload(client, "users", _xlsx(OFFICE_USERS), "pegawai.xlsx")
    assert response.status_code == 200 and "Dibaca sebagai: XLSX" in response.get_data(as_text=True)
    assert client.post("/admin/import/users/confirm", data={"token": token_in(response)}).status_code == 303
    assert by_nip(session, NIP_B).roles == {"employee", "humas", "trainer"}


@pytest.mark.parametrize("kind,columns", [("users", list(imports.USER_COLUMNS)), ("units", list(imports.UNIT_COLUMNS))])
def test_ui_templates_download(client, login_as, kind, columns):
    import io

    import openpyxl

    login_as("admin")
    response = client.get(f"/admin/import/{kind}/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == columns
    response = client.get(f"/admin/import/{kind}/template.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data == codecs.BOM_UTF8 + ";".join(columns).encode() + b"\r\n"
    assert client.get(f"/admin/import/{kind}/template.pdf").status_code == 404


def test_ui_large_xlsx_import_runs_as_a_job_with_progress(app, client, login_as, session, units):
    from portal.models import Job

    app.config["IMPORT_JOB_MIN_ROWS"] = 5
    login_as("admin")
    rows = [["nip", "nama", "email", "unit_kode", "peran"]] + [
        [factories.valid_nip(i), f"Pegawai {i}", "", "BSDM", "trainer"] for i in range(1, 11)]
    response = upload(client, "users", _xlsx(rows), "pegawai.xlsx")
    response = client.post("/admin/import/users/confirm", data={"token": token_in(response)})
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    session.rollback()
    job = session.exec(select(Job)).one()
    assert job.status == "done" and job.progress == 100, job.message
    assert count(session, User) == 11
