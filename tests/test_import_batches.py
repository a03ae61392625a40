"""Large imports never lock others out (issues 10 and 11): a job checks the whole file in a read (no write lock),
then writes it in committed batches with progress; a job killed after some batches finishes the rest when it runs
again, without duplicates; one audit entry per import; a request that cannot get the write lock answers 503
"try again", never 500 "database is locked"."""

import dataclasses
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import func, make_url
from sqlmodel import select

from portal import db, jobs, staging
from portal.accounts import imports
from portal.models import AuditLog, Job, Unit, User, WorkshopParticipant, utcnow
from portal.workshops import imports as participant_imports
from tests import factories
from tests.conftest import make_app


class Killed(BaseException):
    """The worker dies mid-job (not an error the job could catch and report)."""


def _stage(app, scope, user, raw):
    """The file as the confirm step leaves it for the job."""
    token = f"{scope}-{user.id}-{'ab' * 16}"
    with app.app_context():
        (staging.folder() / f"{token}.staged").write_bytes(raw)
    return token


def _new_job(app, kind, user, **params):
    import json

    with app.app_context(), db.unit_of_work() as session:
        row = Job(kind=kind, created_by_id=user.id, params=json.dumps(params))
        session.add(row)
    return row.id


def _job(session, job_id):
    session.rollback()
    return session.get(Job, job_id)


def _dying_after(importer, batches, seen=None):
    """The importer whose write dies when it is called for batch number `batches + 1`."""
    calls = []

    def write(session, actor, rows):
        calls.append(len(rows))
        if len(calls) > batches:
            raise Killed
        importer.write(session, actor, rows)

    return dataclasses.replace(importer, write=write), calls


def _audit(session, action):
    session.rollback()
    return session.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == action)).one()


def _sqlite_path(app):
    url = make_url(app.config["DATABASE_URL"])
    return url.database if url.get_backend_name() == "sqlite" else None


def _users_csv(unit, numbers, email=True):
    lines = ["nip,nama,email,unit_kode,peran"]
    lines += [f"{factories.valid_nip(n)},Pegawai {n},{f'pegawai{n}@kementerian.go.id' if email else ''},{unit},"
              f"{'humas' if n % 3 == 0 else ''}" for n in numbers]
    return ("\n".join(lines) + "\n").encode()


def test_a_user_import_job_killed_after_two_batches_finishes_the_rest_when_run_again(app, session, monkeypatch):
    app.config["IMPORT_BATCH_ROWS"] = 3
    unit = factories.make_unit(session, code="BIG")
    admin = factories.make_user(session, roles=("admin",), unit=unit)
    session.commit()
    token = _stage(app, "users", admin, _users_csv("BIG", range(1, 11)))
    locked_during_check = []
    real_check = imports.USERS.check

    def check(db_session, actor, raw):
        if path := _sqlite_path(app):  # another connection can take the write lock while the file is checked
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as error:
                locked_during_check.append(error)
            finally:
                other.close()
        return real_check(db_session, actor, raw)

    dying, calls = _dying_after(dataclasses.replace(imports.USERS, check=check), batches=2)
    monkeypatch.setattr(imports, "USERS", dying)
    job_id = _new_job(app, "import.users", admin, token=token)
    with app.app_context(), pytest.raises(Killed):
        jobs.execute(job_id)
    assert locked_during_check == [] and calls == [3, 3, 3]
    row = _job(session, job_id)
    assert (row.status, row.progress) == ("running", 60) and "6 dari 10" in row.message
    assert session.exec(select(func.count()).select_from(User).where(User.unit_id == unit.id)).one() == 7
    assert _audit(session, "user.import") == 0  # once per import, at its end

    monkeypatch.setattr(imports, "USERS", dataclasses.replace(imports.USERS, write=imports._write_users))
    with app.app_context():
        assert jobs.recover(now=utcnow() + timedelta(minutes=10)) == 1  # the worker restarts: the job runs again
    row = _job(session, job_id)
    assert row.status == "done", row.message
    assert jobs.result_of(row) == {"created": 10, "updated": 0, "same": 0}
    users = session.exec(select(User).where(User.unit_id == unit.id, User.id != admin.id)).all()
    assert sorted(u.nip for u in users) == sorted(factories.valid_nip(n) for n in range(1, 11))
    assert sum("humas" in u.roles for u in users) == 3
    assert _audit(session, "user.create") == 10 and _audit(session, "user.import") == 1
    with app.app_context():
        assert staging.read_staged(token) is None  # discarded once done


def test_the_job_page_shows_batches_and_only_the_finished_summary(app, client, login_as, session):
    app.config.update(IMPORT_BATCH_ROWS=2, IMPORT_JOB_MIN_ROWS=3)
    unit = factories.make_unit(session, code="BIG")
    admin = login_as("admin", unit=unit)
    token = _stage(app, "users", admin, _users_csv("BIG", range(1, 6)))
    job_id = _new_job(app, "import.users", admin, token=token)
    with app.app_context(), db.unit_of_work() as s:  # a running job with a checkpoint: no summary yet
        row = s.get(Job, job_id)
        row.status, row.progress, row.message = "running", 40, "2 dari 5 baris tersimpan…"
        row.result = '{"checkpoint": {"created": 2, "updated": 0, "line": 3}}'
    text = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Sedang diproses: 40%" in text and "2 dari 5 baris tersimpan" in text and "Impor selesai" not in text


def test_a_unit_import_job_resumes_and_every_path_is_right(app, session, monkeypatch):
    app.config["IMPORT_BATCH_ROWS"] = 2
    admin = factories.make_user(session, roles=("admin",))
    session.commit()
    raw = (b"kode,nama,induk_kode\n"
           b"C1,Cucu Satu,B1\nC2,Cucu Dua,B1\nB1,Bagian Satu,A\nB2,Bagian Dua,A\nA,Biro A,ROOT\n"
           b"ROOT,Sekretariat,\nD1,Cicit,C1\n")
    token = _stage(app, "units", admin, raw)
    dying, calls = _dying_after(imports.UNITS, batches=2)
    monkeypatch.setattr(imports, "UNITS", dying)
    job_id = _new_job(app, "import.units", admin, token=token)
    with app.app_context(), pytest.raises(Killed):
        jobs.execute(job_id)
    assert calls == [2, 2, 2]
    monkeypatch.setattr(imports, "UNITS", dataclasses.replace(imports.UNITS, write=imports._write_units))
    with app.app_context():
        jobs.recover(now=utcnow() + timedelta(minutes=10))
    row = _job(session, job_id)
    assert row.status == "done", row.message
    assert jobs.result_of(row)["created"] == 7
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    for code, parent in {"ROOT": None, "A": "ROOT", "B1": "A", "B2": "A", "C1": "B1", "C2": "B1", "D1": "C1"}.items():
        unit = units[code]
        expected = f"{units[parent].path if parent else '/'}{unit.id}/"
        assert (unit.parent_id, unit.path) == (units[parent].id if parent else None, expected), code
    assert _audit(session, "unit.create") == 7 and _audit(session, "unit.import") == 1


def test_a_participant_import_job_resumes_by_line_without_double_registrations(app, session, monkeypatch):
    app.config["IMPORT_BATCH_ROWS"] = 3
    trainer = factories.make_user(session, roles=("trainer",))
    employees = [factories.make_user(session, nip=factories.valid_nip(500 + n)) for n in range(3)]
    workshop = factories.make_workshop(session, trainer=trainer, capacity=5)
    session.commit()
    lines = ["nama,nip,instansi,jabatan,email,telepon"]
    lines += [f",{e.nip},,,," for e in employees]
    lines += [f"Tamu {n},,Dinas {n},,tamu{n}@daerah.go.id," for n in range(4)]
    lines += ["Tamu Tanpa Email,,Dinas,,,"]
    token = _stage(app, f"participants{workshop.id}", trainer, ("\n".join(lines) + "\n").encode())
    real = participant_imports.importer
    calls = []

    def importer(ws):
        dying, seen = _dying_after(real(ws), batches=2)
        calls.append(seen)
        return dying

    monkeypatch.setattr(participant_imports, "importer", importer)
    job_id = _new_job(app, "import.participants", trainer, token=token, workshop_id=workshop.id)
    with app.app_context(), pytest.raises(Killed):
        jobs.execute(job_id)
    session.rollback()
    assert len(session.exec(select(WorkshopParticipant)).all()) == 6
    monkeypatch.setattr(participant_imports, "importer", real)
    with app.app_context():
        jobs.recover(now=utcnow() + timedelta(minutes=10))
    row = _job(session, job_id)
    assert row.status == "done", row.message
    assert jobs.result_of(row) == {"imported": 8}
    people = session.exec(select(WorkshopParticipant).order_by(WorkshopParticipant.id)).all()
    assert len(people) == 8 and len({(p.user_id, p.name, p.email) for p in people}) == 8
    assert [p.status for p in people] == ["registered"] * 5 + ["waitlisted"] * 3  # seats in file order
    assert _audit(session, "workshop.import") == 1


def test_an_import_whose_file_no_longer_fits_stops_with_what_was_saved(app, session, monkeypatch):
    """A resumed job that finds a problem the first check did not (the data changed) says how much is saved."""
    app.config["IMPORT_BATCH_ROWS"] = 2
    unit = factories.make_unit(session, code="BIG")
    admin = factories.make_user(session, roles=("admin",), unit=unit)
    session.commit()
    token = _stage(app, "users", admin, _users_csv("BIG", range(1, 6)))
    dying, _calls = _dying_after(imports.USERS, batches=1)
    monkeypatch.setattr(imports, "USERS", dying)
    job_id = _new_job(app, "import.users", admin, token=token)
    with app.app_context(), pytest.raises(Killed):
        jobs.execute(job_id)
    monkeypatch.setattr(imports, "USERS", dataclasses.replace(imports.USERS, write=imports._write_users))
    session.rollback()
    factories.make_user(session, email="PEGAWAI5@kementerian.go.id")  # takes row 6's e-mail, in capitals
    session.commit()
    with app.app_context():
        jobs.recover(now=utcnow() + timedelta(minutes=10))
    row = _job(session, job_id)
    assert row.status == "failed"
    assert "2 baris sudah tersimpan" in row.message
    assert "baris 6" in row.message and "Email sudah dipakai" in row.message


def test_an_e_mail_taken_in_other_capitals_is_caught_by_the_preview(app, session):
    """Issue: PostgreSQL's import failed on a duplicate e-mail after a clean preview. Every e-mail the apply could
    trip over is in the preview, whatever its capitals, in the database or twice in the file."""
    unit = factories.make_unit(session, code="BIG")
    factories.make_user(session, email="Agus.Saputra@Kementerian.go.id", unit=unit)
    session.commit()
    raw = (f"nip,nama,email,unit_kode,peran\n"
           f"{factories.valid_nip(1)},Agus,agus.saputra@kementerian.go.id,BIG,\n"
           f"{factories.valid_nip(2)},Budi,budi@kementerian.go.id,BIG,\n"
           f"{factories.valid_nip(3)},Budi Lagi,BUDI@kementerian.go.id,BIG,\n").encode()
    preview = imports.preview_users(session, raw)
    assert preview.errors == [(2, "Email sudah dipakai pegawai lain."),
                              (4, "Email ganda dalam berkas (sama dengan baris 3).")]


# --- a busy database answers 503, never 500 ----------------------------------------------------------------------

def test_a_request_that_cannot_get_the_write_lock_answers_503_try_again(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)
    path = _sqlite_path(app)
    if path is None:
        pytest.skip("SQLite's write lock")
    with app.app_context(), db.unit_of_work() as session:
        user = factories.make_user(session)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the timeout and the retries
    try:
        client = app.test_client()
        response = client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
        text = response.get_data(as_text=True)
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert "Server sedang sibuk" in text and "coba lagi" in text and "locked" not in text
        english = app.test_client()
        english.get("/login?lang=en")
        response = english.post("/login", data={"username": user.username, "password": factories.PASSWORD})
        assert response.status_code == 503 and "The server is busy" in response.get_data(as_text=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "database busy, answered 503" in caplog.text
    response = app.test_client().post("/login", data={"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 302  # the lock is free again: the same login works
    app.extensions["db_engine"].dispose()


def test_busy_errors_of_both_databases_are_recognised():
    from sqlalchemy.exc import IntegrityError, OperationalError

    class PgError(Exception):
        def __init__(self, sqlstate):
            super().__init__("error")
            self.sqlstate = sqlstate

    assert db.is_busy(OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")))
    assert db.is_busy(OperationalError("UPDATE", {}, PgError("40P01")))  # deadlock detected
    assert db.is_busy(OperationalError("UPDATE", {}, PgError("55P03")))  # lock_timeout
    try:
        try:
            raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
        except OperationalError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert db.is_busy(outer)
    assert not db.is_busy(OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")))
    assert not db.is_busy(IntegrityError("INSERT", {}, PgError("23505")))
    assert not db.is_busy(None) and not db.is_busy(ValueError("database is locked"))


# --- issue 15: a large file is checked by a job, whose page leads to the preview and the confirm step ---------------

def _upload(client, url, raw, name):
    import io

    return client.post(url, data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def _token(response):
    import re

    match = re.search(r'name="token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def test_a_large_user_file_is_previewed_by_a_job_then_confirmed(app, client, login_as, session):
    app.config.update(IMPORT_PREVIEW_JOB_MIN_ROWS=5, IMPORT_JOB_MIN_ROWS=5, IMPORT_BATCH_ROWS=4)
    unit = factories.make_unit(session, code="BIG")
    login_as("admin", unit=unit)
    small = _upload(client, "/admin/import/users", _users_csv("BIG", range(1, 4)), "p.csv")
    assert small.status_code == 200 and _token(small)  # a small file: checked in the request, as before
    response = _upload(client, "/admin/import/users", _users_csv("BIG", range(1, 251)), "p.csv")
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pemeriksaan berkas pegawai" in page and "Pemeriksaan selesai: 250 baris siap diimpor" in page
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert f'href="/admin/import/users?job={job_id}"' in page
    preview = client.get(f"/admin/import/users?job={job_id}")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "250 baru, 0 diperbarui, 0 tidak berubah." in text
    assert "Menampilkan 200 baris pertama dari 250." in text and text.count("<tr>") <= 202
    confirm = client.post("/admin/import/users/confirm", data={"token": _token(preview)})
    assert confirm.status_code == 303 and confirm.headers["Location"].startswith("/jobs/")
    assert "Impor selesai: 250 baru" in client.get(confirm.headers["Location"]).get_data(as_text=True)
    session.rollback()
    assert session.exec(select(func.count()).select_from(User).where(User.unit_id == unit.id)).one() == 251
    assert client.get(f"/admin/import/units?job={job_id}").status_code == 404  # another importer's job
    other = app.test_client()
    someone = factories.make_user(session, roles=("admin",))
    session.commit()
    other.post("/login", data={"username": someone.username, "password": factories.PASSWORD})
    assert other.get(f"/admin/import/users?job={job_id}").status_code == 404  # not theirs to continue


def test_a_large_broken_file_lists_its_problems_after_the_job_and_keeps_nothing(app, client, login_as, session):
    app.config.update(IMPORT_PREVIEW_JOB_MIN_ROWS=5)
    unit = factories.make_unit(session, code="BIG")
    login_as("admin", unit=unit)
    raw = _users_csv("BIG", range(1, 8)) + b"12345,Budi,,BIG,\n" + _users_csv("NOPE", [9]).split(b"\n", 1)[1]
    response = _upload(client, "/admin/import/users", raw, "p.csv")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "2 masalah ditemukan" in page and "flash-warning" in page and "flash-success" not in page
    text = client.get(f"/admin/import/users?job={job_id}").get_data(as_text=True)
    assert "NIP harus terdiri dari 18 angka." in text and "Unit NOPE tidak dikenal." in text
    assert _token_in_page(text) is None
    with app.app_context():
        assert list(staging.folder().glob("*.staged")) == []
    app.config["IMPORT_PREVIEW_JOB_MIN_BYTES"] = 5000
    response = _upload(client, "/admin/import/users", b"\x00\x01" * 5000, "p.csv")  # unreadable, and large
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Gagal:" in page and "?job=" not in page
    assert client.get(f"/admin/import/users?job={job_id}").status_code == 404
    with app.app_context():
        assert list(staging.folder().glob("*.staged")) == []


def _token_in_page(text):
    import re

    return re.search(r'name="token" value="([^"]+)"', text)


def test_a_large_participant_xlsx_is_previewed_by_a_job_then_imported(app, client, login_as, session):
    import io

    import openpyxl

    app.config.update(IMPORT_PREVIEW_JOB_MIN_ROWS=10, IMPORT_JOB_MIN_ROWS=10, IMPORT_BATCH_ROWS=7)
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer, capacity=20)
    session.commit()
    book = openpyxl.Workbook()
    book.active.append(["nama", "nip", "instansi", "jabatan", "email", "telepon"])
    for n in range(30):
        book.active.append([f"Tamu {n}", "", "Dinas", "Staf", f"tamu{n}@daerah.go.id", "0812"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(client, f"/workshops/{workshop.id}/impor", buffer.getvalue(), "peserta.xlsx")
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert f"/workshops/{workshop.id}/impor?job={job_id}" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    preview = client.get(f"/workshops/{workshop.id}/impor?job={job_id}")
    assert "Berkas siap diimpor: 30 peserta" in preview.get_data(as_text=True)
    confirm = client.post(f"/workshops/{workshop.id}/impor/konfirmasi", data={"token": _token(preview)})
    assert "30 peserta diimpor." in client.get(confirm.headers["Location"]).get_data(as_text=True)
    session.rollback()
    statuses = [p.status for p in session.exec(select(WorkshopParticipant)).all()]
    assert statuses.count("registered") == 20 and statuses.count("waitlisted") == 10


def test_a_job_taken_over_while_it_still_runs_stops_instead_of_writing_twice(app, session, monkeypatch):
    """The bench's PostgreSQL import once failed with a duplicate e-mail after a clean preview: its single
    transaction ran past STALE_AFTER without a heartbeat, a second worker took the job over and inserted the same
    rows. Now every batch beats the heart, and a run that was taken over anyway stops at its next commit (its batch
    rolled back) while the new run finishes: every row once, one audit entry."""
    app.config["IMPORT_BATCH_ROWS"] = 3
    unit = factories.make_unit(session, code="BIG")
    admin = factories.make_user(session, roles=("admin",), unit=unit)
    session.commit()
    token = _stage(app, "users", admin, _users_csv("BIG", range(1, 11)))
    job_id = _new_job(app, "import.users", admin, token=token)
    real = imports.USERS
    calls = []

    def write(db_session, actor, rows):
        calls.append(len(rows))
        if len(calls) == 2:  # the first run is slow between two batches: a second worker takes the job over
            monkeypatch.setattr(imports, "USERS", real)
            assert jobs.recover(now=utcnow() + timedelta(minutes=10)) == 1
        real.write(db_session, actor, rows)

    monkeypatch.setattr(imports, "USERS", dataclasses.replace(real, write=write))
    with app.app_context():
        jobs.execute(job_id)
    row = _job(session, job_id)
    assert (row.status, row.attempts) == ("done", 2), row.message
    assert jobs.result_of(row) == {"created": 10, "updated": 0, "same": 0}
    assert session.exec(select(func.count()).select_from(User).where(User.unit_id == unit.id)).one() == 11
    assert _audit(session, "user.create") == 10 and _audit(session, "user.import") == 1
