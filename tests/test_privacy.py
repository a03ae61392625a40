"""Personal data (UU 27/2022 PDP): an admin exports one person's data and anonymises a departed person while the
statistics keep counting them; `flask purge` applies the retention settings. Everything is audited."""

import io
import json
import os
import time
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from portal import certificates, staging
from portal.models import (
    Attempt,
    AuditLog,
    Certificate,
    User,
    UserSession,
    WorkshopAttendance,
    WorkshopParticipant,
    utcnow,
)
from tests import factories


@pytest.fixture
def person(session, client, login):
    """An employee with a quiz attempt, a workshop registration with contact details and attendance, a certificate
    and a session of their own (signed in on `client`, which then signs out)."""
    user = factories.make_user(session, full_name="Siti Rahmawati", nip=factories.valid_nip(7),
                               email="siti@example.go.id")
    topic = factories.make_topic(session)
    factories.make_question(session, topic)
    quiz = factories.make_quiz(session, [(topic, 1)])
    factories.make_attempt(session, user, quiz, right=1)
    now = utcnow()
    workshop = factories.make_workshop(session, sessions=[(now - timedelta(hours=1), now + timedelta(hours=1))])
    participant = factories.make_participant(session, workshop, user, email="siti.pribadi@example.com",
                                             phone="08123456789", position="Analis")
    from portal.models import WorkshopSession

    ws = session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop.id)).one()
    session.add(WorkshopAttendance(session_id=ws.id, participant_id=participant.id, status="hadir",
                                   note="datang bersama Budi", position=1))
    certificates.issue(session, "workshop", user.full_name, "Unit", workshop.title, user_id=user.id,
                       ref_id=participant.id)
    session.commit()
    login(user)
    client.post("/logout")
    return user


@pytest.fixture
def admin(session, login):
    return login(factories.make_user(session, roles=("admin",)))


def test_admin_exports_a_persons_data_as_json(client, session, person, admin):
    response = client.post(f"/admin/users/{person.id}/data-pribadi", data={"fmt": "json"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    payload = json.loads(response.data)
    data = payload["data"]
    assert data["Profil"][0]["nip"] == person.nip and data["Profil"][0]["full_name"] == "Siti Rahmawati"
    assert "password_hash" not in response.get_data(as_text=True)
    assert "token_hash" not in response.get_data(as_text=True)
    assert len(data["quiz: Percobaan kuis"]) == 1
    assert data["workshops: Pendaftaran pelatihan"][0]["phone"] == "08123456789"
    assert data["workshops: Kehadiran"][0]["status"] == "hadir"
    assert len(data["Sertifikat"]) == 2 and len(data["Sesi masuk"]) == 1  # the quiz's and the workshop's
    assert any(entry["action"] == "auth.login" for entry in data["Log audit"])
    entry = session.exec(select(AuditLog).where(AuditLog.action == "privacy.export")).one()
    assert entry.actor_id == admin.id and entry.object_id == str(person.id)


def test_admin_exports_a_persons_data_as_xlsx(client, person, admin):
    response = client.post(f"/admin/users/{person.id}/data-pribadi", data={"fmt": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert "Profil" in book.sheetnames
    assert any(name.startswith("workshops- Pendaftaran") for name in book.sheetnames), book.sheetnames
    profile = book["Profil"]
    headers = [cell.value for cell in profile[1]]
    assert profile.cell(row=2, column=headers.index("nip") + 1).value == person.nip


def test_export_with_an_unknown_format_is_refused(client, person, admin, session):
    assert client.post(f"/admin/users/{person.id}/data-pribadi", data={"fmt": "exe"}).status_code == 400
    assert not session.exec(select(AuditLog).where(AuditLog.action == "privacy.export")).all()


def test_only_admins_export_or_anonymise(client, person, login_as, session):
    login_as("supervisor")
    assert client.post(f"/admin/users/{person.id}/data-pribadi", data={"fmt": "json"}).status_code == 403
    assert client.post(f"/admin/users/{person.id}/anonimkan", data={"confirm": person.username}).status_code == 403


def test_anonymising_removes_identity_and_keeps_statistics(client, session, person, admin, login):
    attempts_before = session.exec(select(func.count()).select_from(Attempt)).one()
    page = client.get(f"/admin/users/{person.id}/edit").get_data(as_text=True)
    assert "Anonimkan akun" in page

    response = client.post(f"/admin/users/{person.id}/anonimkan", data={"confirm": person.username})
    assert response.status_code == 303

    session.expire_all()
    user = session.get(User, person.id)
    assert user.full_name == f"Pegawai anonim {person.id}" and user.username == f"anonim-{person.id}"
    assert user.nip is None and user.email is None and user.password_hash is None and not user.active
    assert not session.exec(select(UserSession).where(UserSession.user_id == person.id)).all()
    participant = session.exec(select(WorkshopParticipant).where(WorkshopParticipant.user_id == person.id)).one()
    assert (participant.email, participant.phone, participant.position) == ("", "", "")
    attendance = session.exec(select(WorkshopAttendance)).one()
    assert attendance.status == "hadir" and attendance.note == ""
    assert set(session.exec(select(Certificate.holder_name)).all()) == {f"Pegawai anonim {person.id}"}
    assert session.exec(select(func.count()).select_from(Attempt)).one() == attempts_before  # statistics keep it
    assert session.exec(select(AuditLog.ip).where(AuditLog.actor_id == person.id)).all() == [None, None]
    entry = session.exec(select(AuditLog).where(AuditLog.action == "privacy.anonymise")).one()
    assert entry.actor_id == admin.id and "Siti Rahmawati" in entry.before

    # The page no longer offers it, a second time is refused, and the old password opens nothing.
    assert "Anonimkan akun" not in client.get(f"/admin/users/{person.id}/edit").get_data(as_text=True)
    client.post("/logout")
    assert client.post("/login", data={"username": person.username,
                                       "password": factories.PASSWORD}).status_code != 302


def test_anonymising_needs_the_username_typed(client, session, person, admin):
    response = client.post(f"/admin/users/{person.id}/anonimkan", data={"confirm": "orang-lain"})
    assert response.status_code == 422
    assert "tidak cocok" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, person.id).full_name == "Siti Rahmawati"
    assert not session.exec(select(AuditLog).where(AuditLog.action == "privacy.anonymise")).all()


def test_an_admin_cannot_anonymise_themselves(client, session, admin):
    response = client.post(f"/admin/users/{admin.id}/anonimkan", data={"confirm": admin.username})
    assert response.status_code == 422
    session.expire_all()
    assert session.get(User, admin.id).active


def test_purge_applies_the_retention_settings(app, session):
    user = factories.make_user(session)
    now = utcnow()
    session.add(AuditLog(action="old", object_type="x", at=now - timedelta(days=800)))
    session.add(AuditLog(action="recent", object_type="x", at=now - timedelta(days=10)))
    session.add(UserSession(token_hash="a" * 64, user_id=user.id, expires_at=now - timedelta(days=100),
                            ended_at=now - timedelta(days=100)))
    session.add(UserSession(token_hash="b" * 64, user_id=user.id, expires_at=now + timedelta(hours=1)))
    from portal.models import Job

    month = timedelta(days=31)
    for kind, status, finished in (("old.done", "done", now - month), ("old.failed", "failed", now - month),
                                   ("recent.done", "done", now - timedelta(days=2)), ("waiting", "queued", None)):
        session.add(Job(kind=kind, status=status, created_at=now - month - month, finished_at=finished))
    session.commit()
    with app.app_context():
        folder = staging.folder()
        folder.mkdir(parents=True, exist_ok=True)
        old = folder / "old.staged"
        old.write_bytes(b"nama;nip")
        stale = time.time() - 25 * 3600
        os.utime(old, (stale, stale))
        (folder / "fresh.staged").write_bytes(b"nama;nip")

    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "removed 1 audit entries, 1 ended sessions, 1 import previews" in result.output
    assert "2 finished jobs" in result.output
    session.expire_all()
    assert sorted(session.exec(select(Job.kind)).all()) == ["recent.done", "waiting"]
    actions = session.exec(select(AuditLog.action)).all()
    assert "old" not in actions and "recent" in actions and "privacy.purge" in actions
    assert [s.token_hash[0] for s in session.exec(select(UserSession)).all()] == ["b"]
    assert not old.exists() and (folder / "fresh.staged").exists()


def test_retention_is_configurable(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, AUDIT_RETENTION_DAYS=5)
    try:
        with app.app_context():
            from portal import db

            with db.unit_of_work() as s:
                s.add(AuditLog(action="week-old", object_type="x", at=utcnow() - timedelta(days=7)))
        assert "removed 1 audit entries" in app.test_cli_runner().invoke(args=["purge"]).output
    finally:
        app.extensions["db_engine"].dispose()


def test_consent_documents_only_for_the_owning_unit_and_central_humas(app, client, session, login):
    """A consent document is personal data of the people in the photo: humas of another unit, who may see the
    approved photo, may not open it."""
    from datetime import timedelta as days

    from portal.toolkit.labels import today

    owner = factories.make_user(session, roles=("humas",), full_name="Humas Pemilik")
    photo = factories.make_toolkit_item(
        session, "photo", app=app, author=owner, consent="ya",
        consent_expires_on=today() + days(days=30),
        files={"photo": (factories.image_bytes(), "orang.png"), "consent": factories.pdf_bytes("Izin")})
    url = f"/toolkit/item/{photo.id}/berkas/persetujuan"
    login(factories.make_user(session, roles=("humas",), full_name="Humas Unit Lain"))
    assert client.get(f"/toolkit/item/{photo.id}").status_code == 200
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/toolkit/item/{photo.id}").get_data(as_text=True)
    client.post("/logout")
    login(owner)
    assert client.get(url).status_code == 200
    assert url in client.get(f"/toolkit/item/{photo.id}").get_data(as_text=True)
    client.post("/logout")
    login(factories.make_user(session, roles=("admin",)))
    assert client.get(url).status_code == 200


def test_every_pillar_that_names_people_contributes_to_the_export(client, session, person, admin):
    from portal.models import SavedCheck

    session.add(SavedCheck(user_id=person.id, text="NIK saya 3171234567890001", codes="personal"))
    session.commit()
    data = json.loads(client.post(f"/admin/users/{person.id}/data-pribadi", data={"fmt": "json"}).data)["data"]
    assert {"check: Cek tersimpan", "notifications: Notifikasi", "content: Pos konten", "handbook: Pengakuan edisi",
            "toolkit: Materi"} <= set(data)
    assert data["check: Cek tersimpan"][0]["text"].startswith("NIK saya")
    assert client.post(f"/admin/users/{person.id}/anonimkan", data={"confirm": person.username}).status_code == 303
    session.expire_all()
    assert not session.exec(select(SavedCheck)).all()
