"""Workshops: row-level access for trainers, registration with a waiting list, QR and guest check-in, CSV import,
attendance roster, completion certificates, reports and exports."""

import io
import threading
from datetime import datetime, timedelta

import openpyxl
from flask import url_for
from sqlmodel import select

from portal import db, exports
from portal.models import (
    Attempt,
    AuditLog,
    Certificate,
    Unit,
    Workshop,
    WorkshopAttendance,
    WorkshopParticipant,
    WorkshopSession,
    utcnow,
)
from portal.permissions import declared_permissions
from portal.timezone import as_utc, to_wib
from portal.workshops import attendance, completion, registration
from tests import factories
from tests.conftest import HX


def _now_session(minutes_ago=10, length=60):
    now = utcnow()
    return (now - timedelta(minutes=minutes_ago), now + timedelta(minutes=length))


def _first_session(session, workshop):
    return session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop.id)
                        .order_by(WorkshopSession.starts_at)).first()


# --- trainers manage only their own workshops ------------------------------------------------------------------

def test_trainer_gets_403_on_every_manage_endpoint_of_another_trainers_workshop(app, client, session, login_as):
    login_as("trainer")
    other = factories.make_workshop(session, sessions=[_now_session()])
    ws_session = _first_session(session, other)
    participant = factories.make_participant(session, other)
    args = {"workshop_id": other.id, "session_id": ws_session.id, "participant_id": participant.id, "fmt": "csv"}
    checked = []
    for rule in app.url_map.iter_rules():
        perms = declared_permissions(app, rule.endpoint) or ()
        if not rule.endpoint.startswith("workshops.") or "workshop.manage" not in perms \
                or "workshop_id" not in rule.arguments:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: v for k, v in args.items() if k in rule.arguments})
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={"status": "hadir", "title": "x"})
            assert response.status_code == 403, (method, url, response.status_code)
            checked.append(rule.endpoint)
    assert {"workshops.edit", "workshops.manage", "workshops.roster", "workshops.mark", "workshops.qr",
            "workshops.issue", "workshops.import_csv", "workshops.sign_sheet"} <= set(checked)
    # the report and exports too (a trainer is not a supervisor)
    assert client.get(f"/workshops/{other.id}/laporan").status_code == 403
    assert client.get(f"/workshops/{other.id}/ekspor/presensi.xlsx").status_code == 403
    session.expire_all()
    assert session.exec(select(WorkshopAttendance)).all() == []


def test_trainer_creates_and_manages_own_workshop(client, session, login_as):
    trainer = login_as("trainer")
    response = client.post("/workshops/baru", data={
        "title": "Pelatihan Konten Video", "status": "open", "trainer_ids": [trainer.id], "capacity": "20",
        "completion_percent": "80", "unit_id": "", "pre_quiz_id": "", "post_quiz_id": ""})
    assert response.status_code == 303, response.data[:2000]
    workshop_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    assert client.post(f"/workshops/{workshop_id}/sesi", data={
        "day": "2026-12-01", "start": "09:00", "end": "12:00", "topic": "Dasar"}).status_code == 303
    row = session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop_id)).one()
    assert to_wib(row.starts_at).hour == 9 and as_utc(row.starts_at).hour == 2  # WIB = UTC+7
    assert client.post(f"/workshops/{workshop_id}/peserta", data={
        "name": "Ibu Tamu", "institution": "Dinas Kearsipan Kota Depok",
        "email": "tamu@depok.go.id"}).status_code == 303
    page = client.get(f"/workshops/{workshop_id}/kelola")
    assert page.status_code == 200 and b"Ibu Tamu" in page.data
    assert client.get(f"/workshops/{workshop_id}/ubah").status_code == 200
    assert client.get(f"/workshops/{workshop_id}/laporan").status_code == 200
    actions = set(session.exec(select(AuditLog.action)).all())
    assert {"workshop.create", "workshop.session_add", "workshop.participant_add"} <= actions


def test_end_before_start_is_a_form_error(client, session, login_as):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer)
    response = client.post(f"/workshops/{workshop.id}/sesi", data={"day": "2026-12-01", "start": "12:00",
                                                                   "end": "09:00"})
    assert response.status_code == 422
    assert "Jam selesai harus setelah jam mulai" in response.get_data(as_text=True)


# --- registration and the waiting list ---------------------------------------------------------------------

def test_register_waitlist_and_promotion_on_cancel(app, client, session, login, login_as):
    workshop = factories.make_workshop(session, capacity=1)
    first, second = factories.make_user(session), factories.make_user(session)
    login(first)
    assert client.post(f"/workshops/{workshop.id}/daftar").status_code == 303
    client.post("/logout")
    login(second)
    client.post(f"/workshops/{workshop.id}/daftar")
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "Daftar tunggu nomor 1" in page
    session.expire_all()
    statuses = {p.user_id: p.status for p in session.exec(select(WorkshopParticipant)).all()}
    assert statuses == {first.id: "registered", second.id: "waitlisted"}
    client.post("/logout")
    login(first)
    assert client.post(f"/workshops/{workshop.id}/batal").status_code == 303
    session.expire_all()
    statuses = {p.user_id: p.status for p in session.exec(select(WorkshopParticipant)).all()}
    assert statuses == {first.id: "cancelled", second.id: "registered"}


def test_registration_respects_window_and_audience(client, session, login_as):
    unit = factories.make_unit(session)
    sub = factories.make_unit(session, parent=unit)
    closed = factories.make_workshop(session, registration_closes_at=utcnow() - timedelta(days=1))
    elsewhere = factories.make_workshop(session, title="Khusus Unit Lain")
    from portal.models import WorkshopAudienceUnit

    session.add(WorkshopAudienceUnit(workshop_id=elsewhere.id, unit_id=factories.make_unit(session).id))
    mine = factories.make_workshop(session, title="Untuk Unit Induk")
    session.add(WorkshopAudienceUnit(workshop_id=mine.id, unit_id=unit.id))
    session.commit()
    user = login_as("employee", unit=sub)
    listing = client.get("/workshops/").get_data(as_text=True)
    assert "Untuk Unit Induk" in listing and "Khusus Unit Lain" not in listing
    client.post(f"/workshops/{closed.id}/daftar")
    client.post(f"/workshops/{elsewhere.id}/daftar")
    client.post(f"/workshops/{mine.id}/daftar")  # audience includes sub-units
    session.expire_all()
    rows = session.exec(select(WorkshopParticipant).where(WorkshopParticipant.user_id == user.id)).all()
    assert [r.workshop_id for r in rows] == [mine.id]


def test_two_registrations_racing_for_the_last_seat(app, session):
    workshop = factories.make_workshop(session, capacity=1)
    users = [factories.make_user(session), factories.make_user(session)]
    barrier = threading.Barrier(2)
    results = []

    def attempt(user):
        with app.test_request_context(), db.unit_of_work(bind=app.extensions["db_engine"]) as s:
            barrier.wait()
            results.append(registration.register(s, s.get(type(user), user.id), workshop.id).status)

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["registered", "waitlisted"]


# --- QR check-in ----------------------------------------------------------------------------------------------

def _qr_setup(session, login_as, sessions=None):
    workshop = factories.make_workshop(session, sessions=sessions or [_now_session()])
    user = login_as("employee")
    factories.make_participant(session, workshop, user)
    return workshop, _first_session(session, workshop), user


def test_qr_checkin_once_then_replay_refused(app, client, session, login_as):
    workshop, ws_session, user = _qr_setup(session, login_as)
    token = attendance.make_token(app.config["SECRET_KEY"], ws_session.id)
    page = client.get(f"/workshops/checkin/{token}")
    assert page.status_code == 200 and "Catat kehadiran saya" in page.get_data(as_text=True)
    first = client.post(f"/workshops/checkin/{token}")
    assert first.status_code == 200 and "Kehadiran Anda tercatat: hadir" in first.get_data(as_text=True)
    again = client.post(f"/workshops/checkin/{token}")
    assert again.status_code == 422 and "sudah tercatat hadir" in again.get_data(as_text=True)
    session.expire_all()
    rows = session.exec(select(WorkshopAttendance)).all()
    assert [(r.status, r.method, r.marked_by_id) for r in rows] == [("hadir", "qr", None)]


def test_qr_checkin_late_after_15_minutes(app, client, session, login_as):
    _workshop, ws_session, _user = _qr_setup(session, login_as, [_now_session(minutes_ago=20)])
    token = attendance.make_token(app.config["SECRET_KEY"], ws_session.id)
    assert "terlambat" in client.post(f"/workshops/checkin/{token}").get_data(as_text=True)


def test_qr_expired_forged_and_out_of_window_tokens_are_refused(app, client, session, login_as):
    _workshop, ws_session, _user = _qr_setup(session, login_as)
    secret = app.config["SECRET_KEY"]
    expired = attendance.make_token(secret, ws_session.id, now=utcnow() - timedelta(minutes=2, seconds=30))
    response = client.post(f"/workshops/checkin/{expired}")
    assert response.status_code == 422 and "sudah kedaluwarsa" in response.get_data(as_text=True)
    previous_minute = attendance.make_token(secret, ws_session.id, now=utcnow() - timedelta(seconds=60))
    assert attendance.read_token(secret, previous_minute) == ws_session.id  # the previous minute still counts
    forged = attendance.make_token("another-secret", ws_session.id)
    response = client.post(f"/workshops/checkin/{forged}")
    assert response.status_code == 422 and "tidak sah" in response.get_data(as_text=True)
    assert client.get(f"/workshops/checkin/{forged}").status_code == 400
    tampered = attendance.make_token(secret, ws_session.id)[:-2] + "xx"
    assert "tidak sah" in client.post(f"/workshops/checkin/{tampered}").get_data(as_text=True)
    # a session tomorrow: the token is fresh, but the window is closed
    tomorrow = factories.make_workshop(session, sessions=[_now_session(minutes_ago=-24 * 60)])
    factories.make_participant(session, tomorrow, _user)
    later = _first_session(session, tomorrow)
    response = client.post(f"/workshops/checkin/{attendance.make_token(secret, later.id)}")
    assert response.status_code == 422 and "hanya dapat dilakukan" in response.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(WorkshopAttendance)).all() == []


def test_qr_refused_for_someone_not_registered(app, client, session, login_as):
    workshop = factories.make_workshop(session, sessions=[_now_session()])
    login_as("employee")
    token = attendance.make_token(app.config["SECRET_KEY"], _first_session(session, workshop).id)
    response = client.post(f"/workshops/checkin/{token}")
    assert response.status_code == 422 and "tidak terdaftar" in response.get_data(as_text=True)


def test_qr_page_shows_svg_and_refreshes(client, session, login_as):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer, sessions=[_now_session()])
    ws_session = _first_session(session, workshop)
    page = client.get(f"/workshops/{workshop.id}/sesi/{ws_session.id}/qr").get_data(as_text=True)
    assert "<svg" in page and 'hx-trigger="every 30s"' in page and "/workshops/checkin/" in page
    fragment = client.get(f"/workshops/{workshop.id}/sesi/{ws_session.id}/qr", headers=HX).get_data(as_text=True)
    assert "<svg" in fragment and "<html" not in fragment


# --- guests ------------------------------------------------------------------------------------------------------

def test_guest_code_checkin_once_and_only_in_window(client, session):
    now_ws = factories.make_workshop(session, sessions=[_now_session()])
    guest = factories.make_participant(session, now_ws, name="Bapak Tamu", institution="Pemkab Bogor")
    page = client.get(f"/workshops/hadir/{guest.code}")
    assert page.status_code == 200 and "Bapak Tamu" in page.get_data(as_text=True)
    assert "tercatat: hadir" in client.post(f"/workshops/hadir/{guest.code}").get_data(as_text=True)
    again = client.post(f"/workshops/hadir/{guest.code}")
    assert again.status_code == 422 and "sudah tercatat hadir" in again.get_data(as_text=True)
    later_ws = factories.make_workshop(session, sessions=[_now_session(minutes_ago=-120)])
    early = factories.make_participant(session, later_ws)
    response = client.post(f"/workshops/hadir/{early.code}")
    assert response.status_code == 422 and "Tidak ada sesi yang sedang berlangsung" in response.get_data(as_text=True)
    assert client.get("/workshops/hadir/TIDAKADA99").status_code == 404
    session.expire_all()
    assert [(a.participant_id, a.method) for a in session.exec(select(WorkshopAttendance)).all()] == [
        (guest.id, "code")]


# --- CSV import --------------------------------------------------------------------------------------------------

def _upload(client, workshop, text):
    return client.post(f"/workshops/{workshop.id}/impor",
                       data={"file": (io.BytesIO(text.encode("utf-8")), "peserta.csv")},
                       content_type="multipart/form-data")


def test_import_with_broken_rows_shows_every_error_and_writes_nothing(client, session, login_as):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer)
    employee = factories.make_user(session, nip=factories.valid_nip(7), full_name="Pegawai Berinduk")
    factories.make_participant(session, workshop, name="Sudah Ada", email="ada@bogor.go.id")
    text = ("nama,nip,instansi,jabatan,email,telepon\n"
            "Ani,,Dinas Kota Bogor,Arsiparis,ani@bogor.go.id,0811\n"  # line 2: fine
            ",,Dinas Kota Depok,,,\n"  # line 3: no name
            "Budi,,Dinas Kota Depok,,bukan-email,\n"  # line 4: bad email
            "Cici,,Kab Bogor,,ani@bogor.go.id,\n"  # line 5: duplicate email in the file
            f",{employee.nip},,,,\n"  # line 6: an employee by NIP
            f",{employee.nip},,,,\n"  # line 7: duplicate NIP in the file
            "Dedi,,Kab Bogor,,ada@bogor.go.id,\n")  # line 8: already registered
    response = _upload(client, workshop, text)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for line in (3, 4, 5, 7, 8):
        assert f'<td class="num">{line}</td>' in body, line
    assert '<td class="num">2</td>' not in body and '<td class="num">6</td>' not in body
    assert "Impor sekarang" not in body
    session.expire_all()
    assert len(session.exec(select(WorkshopParticipant)).all()) == 1


def test_import_preview_then_apply(client, session, login_as, app):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer, capacity=2)
    employee = factories.make_user(session, nip=factories.valid_nip(8), full_name="Pegawai Impor")
    text = ("nama;nip;instansi;jabatan;email;telepon\n"
            f";{employee.nip};;;;\n"
            "Tamu Satu;;Dinas Kearsipan Kota Bogor;Pustakawan;satu@bogor.go.id;0812\n"
            "Tamu Dua;;Dinas Kearsipan Kota Depok;;dua@depok.go.id;\n")
    response = _upload(client, workshop, text)
    assert response.status_code == 200 and "Impor sekarang" in response.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(WorkshopParticipant)).all() == []
    import re

    token = re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    assert client.post(f"/workshops/{workshop.id}/impor/konfirmasi", data={"token": token}).status_code == 303
    session.expire_all()
    rows = session.exec(select(WorkshopParticipant).order_by(WorkshopParticipant.id)).all()
    assert [(r.user_id, r.name, r.status) for r in rows] == [
        (employee.id, "", "registered"), (None, "Tamu Satu", "registered"), (None, "Tamu Dua", "waitlisted")]
    # importing the same file again: every row is a duplicate now
    again = _upload(client, workshop, text)
    assert again.status_code == 422 and "sudah terdaftar" in again.get_data(as_text=True)


# --- roster --------------------------------------------------------------------------------------------------

def test_roster_htmx_click_returns_a_fragment_and_records_who_marked(client, session, login_as):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer, sessions=[_now_session()])
    ws_session = _first_session(session, workshop)
    employee = factories.make_user(session, full_name="Rina Peserta")
    participant = factories.make_participant(session, workshop, employee)
    guest = factories.make_participant(session, workshop, name="Tamu Hadir")
    page = client.get(f"/workshops/{workshop.id}/sesi/{ws_session.id}/presensi")
    assert page.status_code == 200 and "Rina Peserta" in page.get_data(as_text=True)
    response = client.post(f"/workshops/{workshop.id}/sesi/{ws_session.id}/presensi/{participant.id}",
                           data={"status": "izin", "note": "Dinas luar"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and f'id="p{participant.id}"' in body
    assert "Dinas luar" in body and trainer.full_name in body
    assert client.post(f"/workshops/{workshop.id}/sesi/{ws_session.id}/semua-hadir", headers=HX).status_code == 200
    session.expire_all()
    marks = {a.participant_id: a for a in session.exec(select(WorkshopAttendance)).all()}
    assert marks[participant.id].status == "izin" and marks[participant.id].marked_by_id == trainer.id
    assert marks[guest.id].status == "hadir" and marks[guest.id].method == "bulk"  # "semua hadir" skips the marked
    assert session.exec(select(AuditLog).where(AuditLog.action == "workshop.attendance")).first() is not None
    sheet = client.get(f"/workshops/{workshop.id}/sesi/{ws_session.id}/daftar-hadir").get_data(as_text=True)
    assert "Tanda tangan" in sheet and "Tamu Hadir" in sheet


# --- completion, certificates, reports, exports --------------------------------------------------------------

def _five_sessions(session, trainer, **values):
    start = utcnow() - timedelta(days=10)
    return factories.make_workshop(session, trainer=trainer, status="finished", sessions=[
        (start + timedelta(days=d), start + timedelta(days=d, hours=3)) for d in range(5)], **values)


def _attend(session, workshop, participant, statuses):
    sessions = session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop.id)
                            .order_by(WorkshopSession.starts_at)).all()
    for s, status in zip(sessions, statuses, strict=False):
        session.add(WorkshopAttendance(session_id=s.id, participant_id=participant.id, status=status))
    session.commit()


def test_certificates_exactly_for_those_who_complete(client, session, login_as, login):
    trainer = login_as("trainer")
    workshop = _five_sessions(session, trainer)
    exactly = factories.make_participant(session, workshop, factories.make_user(session, full_name="Tepat Delapan"))
    below = factories.make_participant(session, workshop, factories.make_user(session, full_name="Kurang"))
    guest = factories.make_participant(session, workshop, name="Tamu Rajin", institution="Pemkot Depok")
    waiting = factories.make_participant(session, workshop, factories.make_user(session), status="waitlisted")
    _attend(session, workshop, exactly, ["hadir", "terlambat", "hadir", "hadir", "sakit"])  # 4/5 = 80%
    _attend(session, workshop, below, ["hadir", "izin", "hadir", "tidak_hadir", "hadir"])  # 3/5 = 60%
    _attend(session, workshop, guest, ["hadir"] * 5)
    _attend(session, workshop, waiting, ["hadir"] * 5)
    assert client.post(f"/workshops/{workshop.id}/sertifikat/terbitkan").status_code == 303
    assert client.post(f"/workshops/{workshop.id}/sertifikat/terbitkan").status_code == 303  # idempotent
    session.expire_all()
    certs = session.exec(select(Certificate).where(Certificate.kind == "workshop")).all()
    assert sorted(c.ref_id for c in certs) == sorted([exactly.id, guest.id])
    guest_cert = next(c for c in certs if c.ref_id == guest.id)
    assert guest_cert.user_id is None and guest_cert.unit_name == "Pemkot Depok"
    page = client.get(f"/workshops/hadir/{guest.code}/sertifikat")
    assert page.status_code == 200 and "Tamu Rajin" in page.get_data(as_text=True)
    assert client.get(f"/verify/{guest_cert.code}").status_code == 200
    client.post("/logout")
    login(session.get(type(trainer), exactly.user_id))
    assert client.get(f"/workshops/{workshop.id}/sertifikat").status_code == 200
    assert "Sertifikat pelatihan" in client.get("/").get_data(as_text=True)


def test_post_test_rule_and_learning_gain(client, session, login_as):
    trainer = login_as("trainer")
    topic = factories.make_topic(session)
    factories.make_question(session, topic)
    quiz = factories.make_quiz(session, [(topic, 1)])
    quiz.feedback_mode = "deferred"
    session.commit()
    workshop = _five_sessions(session, trainer, pre_quiz_id=quiz.id, post_quiz_id=quiz.id, require_post_test=True)
    passed_user, failed_user = factories.make_user(session), factories.make_user(session)
    passed = factories.make_participant(session, workshop, passed_user)
    failed = factories.make_participant(session, workshop, failed_user)
    now = utcnow()
    for user, scores in ((passed_user, (40, 90)), (failed_user, (50, 60))):
        for n, score in enumerate(scores, start=1):
            session.add(Attempt(quiz_id=quiz.id, user_id=user.id, number=n, feedback_mode="deferred", pass_mark=70,
                                started_at=now - timedelta(days=10 - n), finished_at=now - timedelta(days=10 - n),
                                score=score, passed=score >= 70))
    session.commit()
    _attend(session, workshop, passed, ["hadir"] * 5)
    _attend(session, workshop, failed, ["hadir"] * 5)
    rows = {c.row.participant.id: c for c in completion.completions(session, workshop)}
    assert (rows[passed.id].pre, rows[passed.id].post, rows[passed.id].gain) == (40, 90, 50)
    assert rows[passed.id].qualifies and not rows[failed.id].qualifies
    assert completion.average_gain(rows.values()) == 30
    report = client.get(f"/workshops/{workshop.id}/laporan").get_data(as_text=True)
    assert "+50" in report and "+30.0" in report and "<progress" in report  # bars legible at any width


def test_xlsx_and_csv_exports_match_the_roster(client, session, login_as):
    trainer = login_as("trainer")
    workshop = _five_sessions(session, trainer)
    employee = factories.make_user(session, full_name="Andi Ekspor", nip=factories.valid_nip(9))
    p1 = factories.make_participant(session, workshop, employee)
    p2 = factories.make_participant(session, workshop, name="=HYPERLINK(\"x\")", institution="Pemkab Bogor")
    _attend(session, workshop, p1, ["hadir", "terlambat", "izin", "sakit", "tidak_hadir"])
    _attend(session, workshop, p2, ["hadir"] * 5)
    response = client.get(f"/workshops/{workshop.id}/ekspor/presensi.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Nama", "NIP", "Unit / instansi", "Sesi dimulai (WIB)"] and "Kehadiran" in header
    assert all(c.font.bold for c in sheet[1])
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
    andi = [r for r in rows if r[0] == "Andi Ekspor"]
    assert [r[header.index("Kehadiran")] for r in andi] == ["hadir", "terlambat", "izin", "sakit", "tidak hadir"]
    starts = [r[3] for r in andi]
    assert all(isinstance(v, datetime) for v in starts) and starts == sorted(starts)
    first = _first_session(session, workshop)
    assert abs(starts[0] - to_wib(first.starts_at).replace(tzinfo=None)) < timedelta(seconds=1)  # WIB wall time
    # Text stays text (a string cell, never a formula) and shows without an apostrophe.
    assert any(r[0] == "=HYPERLINK(\"x\")" for r in rows)
    assert all(c.data_type == "s" for c in sheet["A"][1:])
    assert len(rows) == 5 * len(attendance.roster(session, workshop, first))
    csv_response = client.get(f"/workshops/{workshop.id}/ekspor/peserta.csv")
    assert csv_response.data.startswith("\ufeff".encode()) and "Andi Ekspor" in csv_response.get_data(as_text=True)
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Type"] == exports.XLSX_MIMETYPE


def test_completion_export_has_scores_gain_and_certificate_code_in_english_too(client, session, login_as):
    trainer = login_as("trainer")
    topic = factories.make_topic(session)
    factories.make_question(session, topic)
    quiz = factories.make_quiz(session, [(topic, 1)])
    quiz.feedback_mode = "deferred"
    session.commit()
    workshop = _five_sessions(session, trainer, pre_quiz_id=quiz.id, post_quiz_id=quiz.id)
    user = factories.make_user(session, full_name="Budi Rekap")
    participant = factories.make_participant(session, workshop, user)
    now = utcnow()
    for n, score in enumerate((40, 85), start=1):
        session.add(Attempt(quiz_id=quiz.id, user_id=user.id, number=n, feedback_mode="deferred", pass_mark=70,
                            started_at=now - timedelta(days=10 - n), finished_at=now - timedelta(days=10 - n),
                            score=score, passed=score >= 70))
    session.commit()
    _attend(session, workshop, participant, ["hadir"] * 5)
    client.post(f"/workshops/{workshop.id}/sertifikat/terbitkan")
    code = session.exec(select(Certificate.code).where(Certificate.ref_id == participant.id)).one()
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/workshops/{workshop.id}/ekspor/rekap.xlsx").data)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert (row["Pre-test"], row["Post-test"], row["Peningkatan"]) == (40, 85, 45)
    assert row["Memenuhi syarat"] == "ya" and row["Kode sertifikat"] == code
    assert isinstance(row["Sertifikat terbit (WIB)"], datetime) and row["Kehadiran (%)"] == 100
    english = client.get(f"/workshops/{workshop.id}/ekspor/rekap.csv?lang=en").get_data(as_text=True)
    first_line, second_line = english.lstrip("\ufeff").splitlines()[:2]
    assert "Name" in first_line and "Certificate code" in first_line and "Gain" in first_line
    assert ";yes;" in second_line and code in second_line
    attendance_csv = client.get(f"/workshops/{workshop.id}/ekspor/presensi.csv?lang=en").get_data(as_text=True)
    assert "present" in attendance_csv and "hadir" not in attendance_csv.split("\n", 1)[1].split(";")[6]


def test_supervisor_sees_only_their_unit_in_report(client, session, login_as):
    unit = factories.make_unit(session)
    workshop = _five_sessions(session, None)
    inside = factories.make_participant(session, workshop, factories.make_user(session, unit=unit,
                                                                               full_name="Orang Dalam"))
    factories.make_participant(session, workshop, factories.make_user(session, full_name="Orang Luar"))
    factories.make_participant(session, workshop, name="Tamu Luar")
    _attend(session, workshop, inside, ["hadir"] * 5)
    login_as("supervisor", unit=session.get(Unit, unit.id))
    page = client.get(f"/workshops/{workshop.id}/laporan").get_data(as_text=True)
    assert "Orang Dalam" in page and "Orang Luar" not in page and "Tamu Luar" not in page
    export = client.get(f"/workshops/{workshop.id}/ekspor/peserta.csv").get_data(as_text=True)
    assert "Orang Dalam" in export and "Tamu Luar" not in export


def test_dashboard_cards_and_trainer_dashboard(client, session, login_as, login):
    trainer = factories.make_user(session, roles=("trainer",))
    upcoming = factories.make_workshop(session, trainer=trainer, title="Pelatihan Mendatang",
                                       sessions=[_now_session(minutes_ago=-60 * 24)])
    factories.make_workshop(session, title="Pelatihan Terbuka Lain")
    employee = login_as("employee")
    factories.make_participant(session, upcoming, employee)
    page = client.get("/").get_data(as_text=True)
    assert "Sesi pelatihan berikutnya" in page and "Pelatihan Terbuka Lain" in page
    client.post("/logout")
    login(trainer)
    page = client.get("/workshops/").get_data(as_text=True)
    assert "Sesi mendatang pelatihan yang Anda kelola" in page and "Pelatihan Mendatang" in page


def test_dashboard_offers_the_first_open_workshops_in_the_persons_audience(session, app):
    from portal.models import WorkshopAudienceUnit
    from portal.workshops import pages

    unit = factories.make_unit(session)
    person = factories.make_user(session, unit=factories.make_unit(session, parent=unit))
    now = utcnow()
    offered = [factories.make_workshop(session, title="Terbuka 1"),
               factories.make_workshop(session, title="Untuk unit induk")]
    session.add(WorkshopAudienceUnit(workshop_id=offered[1].id, unit_id=unit.id))
    hidden = [factories.make_workshop(session, registration_closes_at=now - timedelta(days=1)),
              factories.make_workshop(session, registration_opens_at=now + timedelta(days=1)),
              factories.make_workshop(session, status="draft"),
              factories.make_workshop(session, title="Unit lain"),
              factories.make_workshop(session, title="Sudah terdaftar")]
    session.add(WorkshopAudienceUnit(workshop_id=hidden[3].id, unit_id=factories.make_unit(session).id))
    session.commit()
    offered.append(factories.make_workshop(session, title="Terbuka 3",
                                           registration_closes_at=now + timedelta(days=2)))
    factories.make_workshop(session, title="Terbuka 4")  # beyond the three shown
    registered = {hidden[4].id}
    with app.test_request_context():
        found = pages.open_for_registration(session, person, registered, limit=3)  # one statement
        assert [w.id for w in found] == [w.id for w in offered]
        assert pages.open_for_registration(session, person, registered | {w.id for w in offered},
                                           limit=3)[0].title == "Terbuka 4"
        # The audience rule: no audience units, or the person's unit or one of its ancestors.
        from portal.workshops.registration import audience_filter

        every = session.exec(select(Workshop)).all()
        restricted = {offered[1].id: unit, hidden[3].id: None}
        for someone, sees in ((person, {offered[1].id}), (factories.make_user(session, unit=unit), {offered[1].id}),
                              (factories.make_user(session), set())):
            open_to_all = {w.id for w in every if w.id not in restricted}
            assert audience_filter(session, someone, every) == open_to_all | sees


def test_draft_workshops_are_hidden_from_employees(client, session, login_as):
    draft = factories.make_workshop(session, status="draft", title="Rahasia Draf")
    login_as("employee")
    assert client.get(f"/workshops/{draft.id}").status_code == 404
    assert "Rahasia Draf" not in client.get("/workshops/").get_data(as_text=True)


# --- hostile and careless input (issue 11) ----------------------------------------------------------------------

def _workshop_data(trainer, **overrides):
    data = {"title": "Pelatihan Uji Masukan", "status": "open", "trainer_ids": [trainer.id], "capacity": "20",
            "completion_percent": "80", "unit_id": "", "pre_quiz_id": "", "post_quiz_id": ""}
    data.update(overrides)
    return data


HUGE = (str(2**70), "9" * 400, "-" + "9" * 30, "1e400", "12abc")


def test_huge_numbers_and_forged_ids_in_the_workshop_form_are_clear_messages(client, session, login_as):
    from portal.models import Workshop

    trainer = login_as("trainer")
    cases = [{"capacity": v} for v in HUGE] + [{"completion_percent": v} for v in HUGE] + \
        [{name: v} for name in ("unit_id", "pre_quiz_id", "post_quiz_id") for v in HUGE] + \
        [{name: [v]} for name in ("trainer_ids", "audience_ids") for v in HUGE]
    for override in cases:
        response = client.post("/workshops/baru", data=_workshop_data(trainer, **override))
        assert response.status_code == 422, (override, response.status_code)
        page = response.get_data(as_text=True)
        assert "bilangan bulat" in page or "Pilih dari daftar" in page, override
    # ids that fit but do not exist (or are not offered): a message under the field, nothing saved
    unknown = 2**31 - 1
    for override, message in (({"unit_id": unknown}, "Unit penyelenggara tidak dikenal"),
                              ({"audience_ids": [unknown]}, "Unit peserta sasaran tidak dikenal"),
                              ({"trainer_ids": [unknown]}, "Pelatih tidak dikenal"),
                              ({"pre_quiz_id": unknown}, "Kuis tidak dikenal"),
                              ({"post_quiz_id": 1}, "Kuis tidak dikenal")):
        response = client.post("/workshops/baru", data=_workshop_data(trainer, **override))
        assert response.status_code == 422 and message in response.get_data(as_text=True), override
    # someone who is not a trainer cannot be made one
    employee = factories.make_user(session)
    response = client.post("/workshops/baru", data=_workshop_data(trainer, trainer_ids=[employee.id]))
    assert response.status_code == 422 and "Pelatih tidak dikenal" in response.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(Workshop)).all() == []


def test_htmx_new_and_edit_with_an_invalid_field_render_the_form_block(client, session, login_as):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer)
    for url in ("/workshops/baru", f"/workshops/{workshop.id}/ubah"):
        page = client.get(url, headers=HX)
        assert page.status_code == 200 and "<html" not in page.get_data(as_text=True)
        assert 'name="title"' in page.get_data(as_text=True)
        response = client.post(url, headers=HX, data=_workshop_data(trainer, title="", capacity="9" * 400))
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body, url
        assert "Judul wajib diisi" in body and "bilangan bulat" in body
    session.refresh(workshop)
    assert workshop.title.startswith("Pelatihan Uji")


def test_only_http_and_mailto_links_are_saved_and_rendered(client, session, login_as, login):
    trainer = login_as("trainer")
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x",
                "vbscript:x", "http://", "//evil.example/x", "java\tscript:alert(1)"):
        response = client.post("/workshops/baru", data=_workshop_data(trainer, online_link=bad))
        assert response.status_code == 422, bad
        assert "Tautan daring harus diawali" in response.get_data(as_text=True)
    for good in ("https://zoom.us/j/123", "http://intranet.go.id/kelas", "mailto:humas@kemen.go.id"):
        assert client.post("/workshops/baru", data=_workshop_data(trainer, online_link=good)).status_code == 303
    # a link stored before the rule (or by hand) is shown as text, never as a link
    workshop = factories.make_workshop(session, trainer=trainer, online_link="javascript:alert(1)")
    employee = factories.make_user(session)
    factories.make_participant(session, workshop, employee)
    client.post("/logout")
    login(employee)
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert 'href="javascript' not in page.lower() and "javascript:alert" not in page


def test_other_workshop_forms_never_500(client, session, login_as):
    trainer = login_as("trainer")
    workshop = _five_sessions(session, trainer)
    participant = factories.make_participant(session, workshop, name="Tamu Uji Masukan")
    first = _first_session(session, workshop)
    for data in ({"day": "2026-13-45", "start": "09:00", "end": "10:00"}, {"day": "9" * 400, "start": "x", "end": ""},
                 {"day": "2026-12-01", "start": "25:99", "end": "10:00"},
                 {"day": "0001-01-01", "start": "00:00", "end": "01:00"},  # would overflow turning WIB into UTC
                 {"day": "9999-12-31", "start": "22:00", "end": "23:59"}):
        response = client.post(f"/workshops/{workshop.id}/sesi", data=data)
        assert response.status_code == 422, data
        assert "Not a valid" not in response.get_data(as_text=True)
    for value in ("0001-01-01T00:00", "9999-12-31T23:59", "2026-02-30T10:00", "x"):
        response = client.post("/workshops/baru", data=_workshop_data(trainer, registration_opens_at=value))
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and "Not a valid" not in body, value
        assert "Tulis tanggal dan jam yang benar" in body or "Tanggal harus antara tahun 2000 dan 2100" in body
    assert client.post(f"/workshops/{workshop.id}/impor/konfirmasi", data={"token": "../../x"}).status_code == 400
    assert client.post(f"/workshops/{workshop.id}/ubah", data=_workshop_data(
        trainer, materials="toolkit:" + "9" * 50)).status_code == 422
    assert client.post(f"/workshops/{workshop.id}/peserta", data={"nip": "9" * 80}).status_code == 422
    assert client.post(f"/workshops/{workshop.id}/peserta", data={}).status_code == 422
    mark_url = f"/workshops/{workshop.id}/sesi/{first.id}/presensi/{participant.id}"
    assert client.post(mark_url, data={"status": "bogus"}).status_code == 400
    for value in (str(2**70), "9" * 400, "-1", "abc"):
        assert client.get(f"/workshops/{workshop.id}/sesi/{first.id}/presensi?page={value}").status_code == 200
    for url in (f"/workshops/{2**70}", f"/workshops/{workshop.id}/sesi/{2**40}/presensi",
                f"/workshops/{workshop.id}/sesi/{first.id}/presensi/{2**40}", f"/workshops/{workshop.id}/ekspor/x.csv",
                f"/workshops/{workshop.id}/ekspor/rekap.pdf", "/workshops/hadir/" + "A" * 400):
        response = client.post(url) if "presensi/" in url else client.get(url)
        assert response.status_code == 404, url


def test_draft_report_is_not_readable_by_a_supervisor_of_another_unit(client, session, login_as):
    unit = factories.make_unit(session)
    draft = factories.make_workshop(session, status="draft", sessions=[_now_session(minutes_ago=60 * 24)])
    factories.make_participant(session, draft, factories.make_user(session, unit=unit))
    login_as("supervisor")  # another unit
    assert client.get(f"/workshops/{draft.id}").status_code == 404
    assert client.get(f"/workshops/{draft.id}/laporan").status_code == 404
    assert client.get(f"/workshops/{draft.id}/ekspor/peserta.csv").status_code == 404
    client.post("/logout")
    login_as("supervisor", unit=session.get(Unit, unit.id))  # even their own unit's people: a draft is not out yet
    assert client.get(f"/workshops/{draft.id}/laporan").status_code == 404


# --- structure (issue 9), events, the large roster (issue 10), the certificate page ---------------------------

def test_waitlist_promotion_sends_an_event(client, session, login, login_as):
    from portal import events

    workshop = factories.make_workshop(session, capacity=1)
    first, second = factories.make_user(session), factories.make_user(session)
    factories.make_participant(session, workshop, first)
    waiting = factories.make_participant(session, workshop, second, status="waitlisted")
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["participant"].id, kwargs["workshop"].id))

    events.waitlist_promoted.connect(receiver)
    try:
        login(first)
        assert client.post(f"/workshops/{workshop.id}/batal").status_code == 303
    finally:
        events.waitlist_promoted.disconnect(receiver)
    assert received == [(waiting.id, workshop.id)]
    session.expire_all()
    assert session.get(WorkshopParticipant, waiting.id).status == "registered"


def test_sessions_starting_within_24_hours_are_announced(app, session):
    from portal import events
    from portal.workshops import catalog

    soon = factories.make_workshop(session, sessions=[_now_session(minutes_ago=-120)], title="Besok Pagi")
    factories.make_workshop(session, sessions=[_now_session(minutes_ago=-60 * 30)], title="Lusa")
    factories.make_workshop(session, sessions=[_now_session(minutes_ago=-60)], status="draft", title="Draf")
    factories.make_workshop(session, sessions=[_now_session(minutes_ago=30)], title="Sudah Mulai")
    person = factories.make_participant(session, soon, factories.make_user(session))
    factories.make_participant(session, soon, factories.make_user(session), status="waitlisted")
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["workshop"].title, [p.id for p in kwargs["participants"]]))

    events.workshop_session_soon.connect(receiver)
    try:
        with app.app_context(), db.unit_of_work() as s:
            assert catalog.announce_sessions_soon(s) == 1
    finally:
        events.workshop_session_soon.disconnect(receiver)
    assert received == [("Besok Pagi", [person.id])]


def test_large_roster_is_paginated_and_searchable(client, session, login_as):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer, sessions=[_now_session()])
    for n in range(attendance.ROSTER_PAGE_SIZE * 2 + 7):
        factories.make_participant(session, workshop, name=f"Tamu Massal {n:03d}")
    first = _first_session(session, workshop)
    url = f"/workshops/{workshop.id}/sesi/{first.id}/presensi"
    page = client.get(url).get_data(as_text=True)
    assert page.count('class="roster-row"') == attendance.ROSTER_PAGE_SIZE
    assert "Halaman 1 dari 3" in page and "Tamu Massal 000" in page and "Tamu Massal 050" not in page
    last = client.get(url + "?page=3", headers=HX).get_data(as_text=True)
    assert "<html" not in last and last.count('class="roster-row"') == 7
    found = client.get(url + "?q=massal+106").get_data(as_text=True)
    assert found.count('class="roster-row"') == 1 and "Tamu Massal 106" in found
    # marking without JavaScript comes back to the same page of the roster: the rows' plain forms carry the page and
    # the search, their htmx posts do not need them
    target = session.exec(select(WorkshopParticipant).where(WorkshopParticipant.name == "Tamu Massal 106")).one()
    assert f'action="{url}/{target.id}?page=3" data-hx-post="{url}/{target.id}"' in last
    assert f'action="{url}/{target.id}?q=massal+106" data-hx-post="{url}/{target.id}"' in found
    response = client.post(f"{url}/{target.id}?page=3", data={"status": "izin"})
    assert response.status_code == 303 and "page=3" in response.headers["Location"]
    # the trainer's participant list is paged the same way
    manage = client.get(f"/workshops/{workshop.id}/kelola").get_data(as_text=True)
    assert manage.count("Tamu Massal") == attendance.ROSTER_PAGE_SIZE and "Halaman 1 dari 3" in manage
    manage = client.get(f"/workshops/{workshop.id}/kelola?q=massal+106").get_data(as_text=True)
    assert manage.count("Tamu Massal") == 1


def test_workshop_certificate_page_is_the_shared_one_and_honours_public_base_url(app, client, session, login_as):
    from portal import certificates

    employee = login_as("employee")
    workshop = factories.make_workshop(session)
    participant = factories.make_participant(session, workshop, employee)
    cert = certificates.issue(session, "workshop", employee.full_name, "", workshop.title, user_id=employee.id,
                              ref_id=participant.id)
    session.commit()
    app.config["PUBLIC_BASE_URL"] = "https://portal.kemen.go.id/"
    try:
        page = client.get(f"/workshops/{workshop.id}/sertifikat").get_data(as_text=True)
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    assert f'href="https://portal.kemen.go.id/verify/{cert.code}"' in page
    assert 'class="certificate"' in page and "yang telah menyelesaikan" in page


def test_every_workshop_form_error_is_indonesian_and_shown_at_once(client, session, login_as):
    trainer = login_as("trainer")
    body = client.post("/workshops/baru", data=_workshop_data(
        trainer, title="", capacity="9" * 40, online_link="javascript:alert(1)", completion_percent="0")
    ).get_data(as_text=True)
    for message in ("Judul wajib diisi", "bilangan bulat yang wajar", "Tautan daring harus diawali",
                    "Syarat kehadiran antara 1 dan 100 persen"):
        assert message in body, message
    assert "Number must be" not in body and "Not a valid" not in body
    body = client.post("/workshops/baru", data=_workshop_data(trainer, capacity="0")).get_data(as_text=True)
    assert "Kapasitas antara 1 dan 100.000" in body


def test_marking_a_removed_participant_is_refused_in_the_row(client, session, login_as):
    trainer = login_as("trainer")
    workshop = factories.make_workshop(session, trainer=trainer, sessions=[_now_session()])
    participant = factories.make_participant(session, workshop, name="Tamu Keluar")
    first = _first_session(session, workshop)
    participant.status = "cancelled"
    session.commit()
    url = f"/workshops/{workshop.id}/sesi/{first.id}/presensi/{participant.id}"
    # the roster no longer lists them: htmx gets a 404 for the row, a plain post a message after the redirect
    assert client.post(url, data={"status": "hadir"}, headers=HX).status_code == 404
    response = client.post(url, data={"status": "hadir"}, follow_redirects=True)
    assert "Peserta tidak terdaftar di pelatihan ini." in response.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(WorkshopAttendance)).all() == []


def test_workshop_lists_are_paged(client, session, login_as):
    from portal.workshops.pages import INDEX_PAGE_SIZE

    admin = login_as("admin")
    for n in range(INDEX_PAGE_SIZE + 3):
        factories.make_workshop(session, trainer=admin, title=f"Pelatihan Banyak {n:02d}")
    page = client.get("/workshops/").get_data(as_text=True)
    assert page.count("Pelatihan Banyak") == INDEX_PAGE_SIZE and "Halaman 1 dari 2" in page
    second = client.get("/workshops/?kelola=2").get_data(as_text=True)
    assert second.count("Pelatihan Banyak") == 3
    for value in ("0", "-5", str(2**70), "x"):
        assert client.get(f"/workshops/?kelola={value}&page={value}").status_code == 200


def test_the_list_for_an_employee_is_counted_and_cut_by_the_database(client, session, login_as, login):
    """/workshops/ pages what an employee may see in SQL (not drafts; their audience or already theirs) and loads
    only the shown workshops: it loaded every workshop of the institution to show twenty (97 ms at 2,000)."""
    from sqlalchemy import event

    from portal.models import WorkshopAudienceUnit
    from portal.workshops.pages import INDEX_PAGE_SIZE

    employee = login_as("employee")
    trainer = factories.make_user(session, roles=("trainer",))
    elsewhere_unit = factories.make_unit(session)
    for n in range(INDEX_PAGE_SIZE + 4):
        factories.make_workshop(session, trainer=trainer, title=f"Terbuka Umum {n:02d}")
    elsewhere = factories.make_workshop(session, title="Hanya Unit Lain")
    joined = factories.make_workshop(session, title="Sudah Diikuti")
    for workshop in (elsewhere, joined):
        session.add(WorkshopAudienceUnit(workshop_id=workshop.id, unit_id=elsewhere_unit.id))
    factories.make_participant(session, joined, employee)
    factories.make_workshop(session, status="draft", title="Draf Tersembunyi")
    session.commit()
    loaded = []

    def count_load(target, _context):
        loaded.append(target.id)

    event.listen(Workshop, "load", count_load)
    try:
        first = client.get("/workshops/").get_data(as_text=True)
        assert len(set(loaded)) <= INDEX_PAGE_SIZE
        second = client.get("/workshops/?page=2").get_data(as_text=True)
    finally:
        event.remove(Workshop, "load", count_load)
    assert first.count("Terbuka Umum") == INDEX_PAGE_SIZE - 1 and "Halaman 1 dari 2" in first
    assert "Sudah Diikuti" in first and "Anda terdaftar" in first  # newest first, outside their audience
    assert second.count("Terbuka Umum") == 5 and "Sudah Diikuti" not in second
    for page in (first, second):
        assert "Hanya Unit Lain" not in page and "Draf Tersembunyi" not in page
    # their trainer lists them once, under the workshops they manage
    client.post("/logout")
    login(trainer)
    mine = client.get("/workshops/").get_data(as_text=True)
    managed = mine.split("Pelatihan untuk Anda")[0]
    assert mine.count("Terbuka Umum") == managed.count("Terbuka Umum") == INDEX_PAGE_SIZE


def test_an_employees_count_of_workshops_is_kept_until_what_decides_it_changes(app, client, session, login_as):
    """The list's count of the workshops an employee may see is kept per person (it read every workshop's audience
    on every page); a new workshop, an audience changed and the person joining one outside their audience show at
    once."""
    from portal.models import WorkshopAudienceUnit
    from portal.workshops.pages import INDEX_PAGE_SIZE
    from tests.statements import recorded

    employee = login_as("employee")
    elsewhere_unit = factories.make_unit(session)
    for n in range(INDEX_PAGE_SIZE):
        factories.make_workshop(session, title=f"Terbuka Umum {n:02d}")
    session.commit()

    def pages():
        with recorded(app.extensions["db_engine"]) as statements:
            page = client.get("/workshops/").get_data(as_text=True)
        counted = [sql for sql, _params in statements if sql.startswith("SELECT count(*)") and "workshop" in sql]
        return ("Halaman 1 dari 2" in page), len(counted)

    assert pages() == (False, 1)
    assert pages() == (False, 0)  # kept
    added = factories.make_workshop(session, title="Terbuka Baru")  # the workshops' generation moves
    session.commit()
    assert pages() == (True, 1)
    session.delete(session.get(Workshop, added.id))
    session.commit()
    assert pages() == (False, 1)
    other = factories.make_workshop(session, title="Unit Lain Kedua")
    session.add(WorkshopAudienceUnit(workshop_id=other.id, unit_id=elsewhere_unit.id))
    session.commit()
    assert pages() == (False, 1)  # outside their audience: nothing more to see
    assert pages() == (False, 0)
    factories.make_participant(session, other, employee)  # their own counter moves: theirs now
    session.commit()
    assert pages() == (True, 1)


def test_a_page_of_participants_loads_only_its_rows_and_matches_the_whole_list(session):
    """participant_page orders, filters and pages plain values, then loads the shown page: it must show what
    paging the fully loaded list showed (registered by name, then the waiting list in its order with positions)."""
    from portal.workshops.registration import page_of, participant_page, participant_rows, row_text

    workshop = factories.make_workshop(session)
    unit = factories.make_unit(session, name="Balai Ébony")
    names = ["Zaenal", "ádi", "Budi", "citra", "Ádi", "Dewi", "Eko", "Farah", "Gilang", "Hana", "Ika", "Joko"]
    for n, name in enumerate(names):
        status = "waitlisted" if n % 4 == 3 else "registered"
        if n % 3:
            factories.make_participant(session, workshop, factories.make_user(session, full_name=name, unit=unit),
                                       status=status)
        else:
            factories.make_participant(session, workshop, name=f"Tamu {name}", institution="Dinas Kominfo",
                                       status=status)
    session.commit()
    whole = participant_rows(session, workshop.id)
    # registered by name (case folded; ties in registration order), then the waiting list in its order
    assert [(r.name, r.position) for r in whole] == [
        ("Budi", None), ("Dewi", None), ("Gilang", None), ("Ika", None), ("Tamu Eko", None), ("Tamu Hana", None),
        ("Tamu Zaenal", None), ("ádi", None), ("Ádi", None), ("Tamu citra", 1), ("Farah", 2), ("Joko", 3)]
    for page, query, per_page in [(1, "", 5), (2, "", 5), (3, "", 5), (1, "ébony", 3), (2, "TAMU", 2), (1, "zz", 5),
                                  (9, "", 5)]:
        expected = page_of(whole, page, query, row_text, per_page)
        shown = participant_page(session, workshop.id, page, query, per_page=per_page)
        assert [(r.participant.id, r.position) for r in shown["rows"]] == \
            [(r.participant.id, r.position) for r in expected["rows"]], (page, query)
        assert {k: shown[k] for k in ("page", "pages", "matches", "query")} == \
            {k: expected[k] for k in ("page", "pages", "matches", "query")}
        assert shown["total"] == len(whole)
    assert [r.position for r in participant_page(session, workshop.id, 1, "", per_page=50)["rows"]][-3:] == [1, 2, 3]


def test_roster_page_counts_and_marks_come_from_the_database_for_the_shown_rows_only(session):
    """The roster's counts are read by the database (registered participants only) and a page loads the marks of
    its own rows: a mark on page 2 shows there, not on page 1, and a cancelled participant's mark counts nowhere."""
    from portal.models import WorkshopAttendance
    from portal.workshops.attendance import roster_page

    workshop = factories.make_workshop(session, sessions=[_now_session()])
    first = _first_session(session, workshop)
    people = [factories.make_participant(session, workshop, name=f"Tamu {letter}", institution="Dinas")
              for letter in "ABCDE"]
    cancelled = factories.make_participant(session, workshop, name="Tamu Batal", institution="Dinas",
                                           status="cancelled")
    waiting = factories.make_participant(session, workshop, name="Tamu Antre", institution="Dinas",
                                         status="waitlisted")
    for participant, status in [(people[0], "hadir"), (people[1], "izin"), (people[3], "terlambat"),
                                (cancelled, "hadir"), (waiting, "hadir")]:
        session.add(WorkshopAttendance(session_id=first.id, participant_id=participant.id, status=status))
    session.commit()
    page_one = roster_page(session, workshop, first, page=1, per_page=3)
    assert page_one["counts"] == {"total": 5, "marked": 3, "present": 2}
    assert [(row.name, att.status if att else None) for row, att, _marker in page_one["rows"]] == \
        [("Tamu A", "hadir"), ("Tamu B", "izin"), ("Tamu C", None)]
    page_two = roster_page(session, workshop, first, page=2, per_page=3)
    assert [(row.name, att.status if att else None) for row, att, _marker in page_two["rows"]] == \
        [("Tamu D", "terlambat"), ("Tamu E", None)]
    assert page_two["page"] == 2 and page_two["pages"] == 2
    found = roster_page(session, workshop, first, page=1, query="tamu d", per_page=3)
    assert [row.name for row, _att, _marker in found["rows"]] == ["Tamu D"] and found["counts"]["marked"] == 3
