"""Notifications: the right people, once; the bell, the list and the settings; e-mail through a real local SMTP
server after commit; the time-based notices of `notify-due`."""

import itertools
import socket
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import func, select

from portal import db, events
from portal.models import EmailOutbox, Notification, NotificationSetting, utcnow
from tests import factories
from tests.conftest import HX

NUMBERS = itertools.count(1)  # attempt numbers


def attempt_row(**values):
    from portal.models import Attempt

    return Attempt(feedback_mode="immediate", pass_mark=70, number=next(NUMBERS), **values)


def notices(session, user=None, kind=None):
    statement = select(Notification)
    if user is not None:
        statement = statement.where(Notification.user_id == user.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    session.expire_all()
    return session.exec(statement).all()


def send(app, signal, **kwargs):
    """Fire a domain event in a use case of its own, as a service would, and commit it. The actor is passed by id:
    a row of the test's session would be refreshed inside the use case, taking a second write lock."""
    actor = kwargs.pop("actor", None)
    actor = SimpleNamespace(id=actor.id) if actor is not None else None
    with app.app_context(), db.unit_of_work() as work:
        signal.send(work, actor=actor, **kwargs)


# --- the right people, once ---------------------------------------------------------------------------------------

def test_material_edition_reaches_every_active_person_once(app, session):
    people = [factories.make_user(session) for _ in range(3)]
    gone = factories.make_user(session, active=False)
    edition = SimpleNamespace(id=7, version="2026.2")
    send(app, events.edition_published, edition=edition, material=True)
    send(app, events.edition_published, edition=edition, material=True)  # the same edition again: nothing new
    for person in people:
        assert [n.kind for n in notices(session, person)] == ["edition"]
    assert notices(session, gone) == []
    send(app, events.edition_published, edition=SimpleNamespace(id=8, version="2026.3"), material=False)
    assert len(notices(session, kind="edition")) == 3


def test_toolkit_submission_reaches_approvers_only_and_the_decision_the_author(app, session):
    central = factories.make_central_unit(session)
    approver = factories.make_user(session, roles=("humas",), unit=central)
    admin = factories.make_user(session, roles=("admin",))
    other_humas = factories.make_user(session, roles=("humas",))
    employee = factories.make_user(session)
    author = factories.make_user(session, roles=("humas",), unit=central)
    item = SimpleNamespace(id=5, title="Templat tanggapan", created_by_id=author.id, submitted_by_id=author.id)
    send(app, events.toolkit_item_submitted, item=item, actor=author)
    assert {n.user_id for n in notices(session, kind="toolkit_review")} == {approver.id, admin.id}
    assert not notices(session, other_humas) and not notices(session, employee) and not notices(session, author)

    send(app, events.toolkit_item_decided, item=item, decision="rejected", note="Lengkapi sumber.", actor=approver)
    [decided] = notices(session, author, "toolkit_decided")
    assert decided.url == "/toolkit/item/5"
    assert not notices(session, approver, "toolkit_decided")


def test_quiz_pass_waitlist_reminder_and_content_events(app, session):
    from portal.models import Quiz

    person, other = factories.make_user(session), factories.make_user(session)
    quiz = Quiz(title="Kuis Uji Notifikasi")
    session.add(quiz)
    session.commit()
    attempt = attempt_row(quiz_id=quiz.id, user_id=person.id, passed=True, finished_at=utcnow())
    session.add(attempt)
    session.commit()
    send(app, events.attempt_finished, attempt=attempt, passed=True)
    send(app, events.attempt_finished, attempt=attempt, passed=True)
    assert len(notices(session, person, "quiz_passed")) == 1

    workshop = factories.make_workshop(session)
    participant = factories.make_participant(session, workshop, user=person, status="registered")
    send(app, events.waitlist_promoted, participant=participant, workshop=workshop)
    assert len(notices(session, person, "waitlist")) == 1
    guest = factories.make_participant(session, workshop)
    send(app, events.waitlist_promoted, participant=guest, workshop=workshop)  # a guest: nobody to notify

    send(app, events.reminder_requested, user_ids=[other.id], text="Isi laporan bulanan", url="/content/")
    assert [n.kind for n in notices(session, other)] == ["reminder"]
    assert not notices(session, person, "reminder")

    post = SimpleNamespace(id=3, title="Unggahan HUT", submitted_by_id=person.id)
    send(app, events.content_post_submitted, post=post, reviewer_ids=[other.id], url="/content/")
    send(app, events.content_post_decided, post=post, decision="returned", note="Ganti foto", url="/content/",
         actor=other)
    report = SimpleNamespace(id=4, title="Laporan Mei", created_by_id=person.id)
    send(app, events.content_report_submitted, report=report, reviewer_ids=[other.id], url="/content/laporan")
    send(app, events.content_report_decided, report=report, decision="approved", url="/content/laporan",
         actor=other)
    assert {n.kind for n in notices(session, other)} == {"reminder", "content_review", "report_review"}
    assert {n.kind for n in notices(session, person)} >= {"content_decided", "report_decided"}


def test_a_rolled_back_event_leaves_no_notice_and_no_email(app, session):
    person = factories.make_user(session, email="orang@contoh.go.id")
    with app.app_context(), pytest.raises(RuntimeError), db.unit_of_work() as work:
        events.reminder_requested.send(work, actor=None, user_ids=[person.id], text="x", url="")
        raise RuntimeError("the use case failed")
    assert notices(session, person) == []
    assert session.exec(select(func.count()).select_from(EmailOutbox)).one() == 0


# --- pages ----------------------------------------------------------------------------------------------------------

def test_bell_list_mark_read_and_mark_all(app, client, login_as, session):
    me = login_as("employee")
    other = factories.make_user(session)
    send(app, events.reminder_requested, user_ids=[me.id], text="Pengingat satu", url="/quiz/")
    send(app, events.reminder_requested, user_ids=[me.id], text="Pengingat dua", url="https://jahat.example/")
    send(app, events.reminder_requested, user_ids=[other.id], text="Untuk orang lain", url="")

    page = client.get("/").get_data(as_text=True)
    header = page.split("</header>")[0]
    assert 'class="bell-count">2<' in header and 'href="/notifications/"' in header
    bell = client.get("/notifications/lonceng", headers=HX).get_data(as_text=True)
    assert "<html" not in bell and ">2<" in bell and 'hx-trigger="every 60s"' in bell

    listing = client.get("/notifications/").get_data(as_text=True)
    assert "Pengingat satu" in listing and "Pengingat dua" in listing and "Untuk orang lain" not in listing

    first, second = sorted(notices(session, me), key=lambda n: n.id)
    opened = client.post(f"/notifications/{first.id}/baca", data={"buka": "1"})
    assert opened.status_code == 303 and opened.headers["Location"] == "/quiz/"
    outside = client.post(f"/notifications/{second.id}/baca", data={"buka": "1"})
    assert outside.headers["Location"] == "/notifications/"  # never to another site
    fragment = client.post(f"/notifications/{second.id}/baca", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Pengingat dua" in fragment
    assert all(n.read_at for n in notices(session, me))

    [theirs] = notices(session, other)
    assert client.post(f"/notifications/{theirs.id}/baca").status_code == 404
    assert notices(session, other)[0].read_at is None

    send(app, events.reminder_requested, user_ids=[me.id], text="Pengingat tiga", url="")
    assert client.post("/notifications/baca-semua").status_code == 303
    assert all(n.read_at for n in notices(session, me))
    assert notices(session, other)[0].read_at is None
    assert 'bell-count' not in client.get("/").get_data(as_text=True).split("</header>")[0]


def test_email_settings_per_kind(app, client, login_as, session):
    me = login_as("employee", email="saya@contoh.go.id")
    page = client.get("/notifications/pengaturan").get_data(as_text=True)
    assert 'value="reminder"' in page and 'value="edition" checked' in page.replace('"  checked', '" checked')
    assert client.post("/notifications/pengaturan", data={"email": ["reminder", "bukan-jenis"]}).status_code == 303
    chosen = {s.kind: s.email for s in session.exec(select(NotificationSetting)
                                                   .where(NotificationSetting.user_id == me.id)).all()}
    assert chosen["reminder"] is True and chosen["edition"] is False and "bukan-jenis" not in chosen

    send(app, events.reminder_requested, user_ids=[me.id], text="Lewat surel", url="/quiz/")
    send(app, events.edition_published, edition=SimpleNamespace(id=1, version="1"), material=True)
    outbox = session.exec(select(EmailOutbox)).all()
    assert [e.subject for e in outbox] == ["Lewat surel"]
    assert outbox[0].recipient == "saya@contoh.go.id" and "/quiz/" in outbox[0].body


# --- e-mail through a real SMTP server ------------------------------------------------------------------------------

@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield SimpleNamespace(port=port, received=received)
    controller.stop()


def test_email_is_sent_after_commit_by_the_command(app, client, login_as, session, smtp_server):
    me = login_as("employee", email="penerima@contoh.go.id")
    client.post("/notifications/pengaturan", data={"email": ["reminder"]})
    send(app, events.reminder_requested, user_ids=[me.id], text="Sesi pelatihan dipindah", url="/workshops/")
    assert smtp_server.received == []  # nothing is sent inside the use case

    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-email"])
    assert "MAIL_SERVER is not set" in result.output and "1 e-mail(s) waiting" in result.output

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_FROM="portal@contoh.go.id")
    result = runner.invoke(args=["send-email"])
    assert "sent 1, failed 0, waiting 0" in result.output, result.output
    [message] = smtp_server.received
    assert message["To"] == "penerima@contoh.go.id" and message["Subject"] == "Sesi pelatihan dipindah"
    assert "/workshops/" in message.get_payload(decode=True).decode()
    assert "sent 0" in runner.invoke(args=["send-email"]).output  # once
    assert len(smtp_server.received) == 1


def test_an_unreachable_server_leaves_the_email_for_a_retry(app, session):
    person = factories.make_user(session, email="a@contoh.go.id")
    with app.app_context(), db.unit_of_work() as work:
        from portal.notifications import services

        services.save_settings(work, person, ["reminder"])
    send(app, events.reminder_requested, user_ids=[person.id], text="Coba lagi", url="")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    result = app.test_cli_runner().invoke(args=["send-email"])
    assert "sent 0, failed 1" in result.output
    session.expire_all()
    row = session.exec(select(EmailOutbox)).one()
    assert row.sent_at is None and row.attempts == 1 and row.last_error and row.next_try_at > utcnow()


# --- notify-due -----------------------------------------------------------------------------------------------------

def test_notify_due_is_safe_to_run_again(app, session):
    from portal.models import Quiz, WorkshopSession

    soon, later, old_pass = factories.make_user(session), factories.make_user(session), factories.make_user(session)
    quiz = Quiz(title="Kuis Berkala")
    session.add(quiz)
    session.commit()
    now = utcnow()
    session.add(attempt_row(quiz_id=quiz.id, user_id=soon.id, passed=True, finished_at=now,
                        valid_until=now + timedelta(days=20)))
    session.add(attempt_row(quiz_id=quiz.id, user_id=later.id, passed=True, finished_at=now,
                        valid_until=now + timedelta(days=90)))
    # an old pass expiring soon, but a newer pass of the same quiz lasts longer: no notice
    session.add(attempt_row(quiz_id=quiz.id, user_id=old_pass.id, passed=True, finished_at=now,
                        valid_until=now + timedelta(days=10)))
    session.add(attempt_row(quiz_id=quiz.id, user_id=old_pass.id, passed=True, finished_at=now,
                        valid_until=now + timedelta(days=300)))
    session.commit()

    tomorrow_9 = now + timedelta(hours=12)  # a session starting within a day
    workshop = factories.make_workshop(session, sessions=[(tomorrow_9, tomorrow_9 + timedelta(hours=2))])
    registered, waiting = factories.make_user(session), factories.make_user(session)
    factories.make_participant(session, workshop, user=registered, status="registered")
    factories.make_participant(session, workshop, user=waiting, status="waitlisted")
    factories.make_participant(session, workshop)  # a guest
    later_ws = factories.make_workshop(session, sessions=[(tomorrow_9 + timedelta(days=3),
                                                           tomorrow_9 + timedelta(days=3, hours=1))])
    factories.make_participant(session, later_ws, user=later, status="registered")

    runner = app.test_cli_runner()
    first = runner.invoke(args=["notify-due"])
    assert first.exit_code == 0, first.output
    assert "quiz passes expiring: 1" in first.output and "session reminders: 1" in first.output
    second = runner.invoke(args=["notify-due"])
    assert "quiz passes expiring: 0" in second.output and "session reminders: 0" in second.output

    assert [n.kind for n in notices(session, soon)] == ["quiz_expiring"]
    assert notices(session, later) == [] and notices(session, old_pass) == []
    assert [n.kind for n in notices(session, registered)] == ["session_soon"]
    assert notices(session, waiting) == []
    ws_session = session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop.id)).one()
    assert notices(session, registered)[0].key == f"session-soon:{ws_session.id}"


def test_the_bell_poll_does_not_keep_an_idle_session_alive(app, client, login_as, session):
    from portal.models import UserSession
    from portal.timezone import as_utc

    login_as("employee")
    record = session.exec(select(UserSession)).one()
    quiet_since = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
    record.last_seen_at = quiet_since
    session.add(record)
    session.commit()
    poll = client.get("/notifications/lonceng", headers=HX)
    assert poll.status_code == 200
    poll.close()
    session.refresh(record)
    assert abs(as_utc(record.last_seen_at) - quiet_since) < timedelta(seconds=1)
    page = client.get("/notifications/")
    page.close()
    session.refresh(record)
    assert utcnow() - as_utc(record.last_seen_at) < timedelta(minutes=1)


def test_a_title_with_line_breaks_makes_a_one_line_subject(app, session, smtp_server):
    person = factories.make_user(session, email="b@contoh.go.id")
    with app.app_context(), db.unit_of_work() as work:
        from portal.notifications import services

        services.save_settings(work, person, ["reminder"])
    send(app, events.reminder_requested, user_ids=[person.id], text="Baris satu\r\nBcc: x@jahat.example", url="")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    assert "sent 1" in app.test_cli_runner().invoke(args=["send-email"]).output
    [message] = smtp_server.received
    assert message["Subject"] == "Baris satu Bcc: x@jahat.example" and message["Bcc"] is None


# --- through the pillars' own use cases -----------------------------------------------------------------------------

def test_a_cancellation_notifies_the_promoted_person_through_the_workshop_pages(app, client, login, session):
    workshop = factories.make_workshop(session, capacity=1)
    first, waiting, bystander = (factories.make_user(session) for _ in range(3))
    factories.make_participant(session, workshop, user=first, status="registered")
    factories.make_participant(session, workshop, user=waiting, status="waitlisted")
    login(first)
    assert client.post(f"/workshops/{workshop.id}/batal").status_code in (302, 303)
    [notice] = notices(session, waiting)
    assert notice.kind == "waitlist" and notice.url == f"/workshops/{workshop.id}"
    assert notices(session, first) == [] and notices(session, bystander) == []


def test_passing_a_quiz_notifies_the_person_once(app, session):
    topic = factories.make_topic(session)
    factories.make_question(session, topic)
    quiz = factories.make_quiz(session, [(topic, 1)])
    person, other = factories.make_user(session), factories.make_user(session)
    with app.app_context():
        factories.make_attempt(session, person, quiz, right=1)
        factories.make_attempt(session, other, quiz, right=0)
    assert [n.kind for n in notices(session, person)] == ["quiz_passed"]
    assert notices(session, other) == []


def test_content_decisions_in_the_pillars_own_words(app, session):
    planner = factories.make_user(session)
    post = SimpleNamespace(id=9, topic="Hari Pahlawan", submitted_by_id=planner.id)
    send(app, events.content_post_decided, post=post, decision="disetujui", note="")
    send(app, events.content_post_decided, post=post, decision="ditolak", note="Foto buram")
    with app.test_request_context("/"):
        from portal.notifications.services import Shown

        titles = [Shown(n).title for n in sorted(notices(session, planner), key=lambda n: n.id)]
    assert titles == ["Rencana unggahan disetujui: Hari Pahlawan", "Rencana unggahan dikembalikan: Hari Pahlawan"]
    assert {n.url for n in notices(session, planner)} == {"/content/"}
