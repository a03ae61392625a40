"""Time-based notices (`flask --app portal notify-due`), safe to run every few minutes: every notice has a key, so a
second run (or two overlapping runs) adds nothing.

- a quiz pass whose validity ends within 30 days (the person's latest pass of that quiz only);
- a certificate (workshops) whose validity ends within 30 days;
- a workshop session tomorrow (Asia/Jakarta): the `workshop_session_soon` event, for its registered participants.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, exists
from sqlalchemy.orm import aliased
from sqlmodel import select

from portal import events
from portal.models import Attempt, Certificate, Quiz, Workshop, WorkshopParticipant, WorkshopSession, utcnow
from portal.notifications import services
from portal.notifications.receivers import _url
from portal.timezone import WIB

EXPIRY_NOTICE = timedelta(days=30)


@dataclass
class DueReport:
    quiz_expiring: int = 0
    certificates_expiring: int = 0
    sessions_tomorrow: int = 0
    purged: int = 0

    def __str__(self):
        return (f"quiz passes expiring: {self.quiz_expiring}, certificates expiring: {self.certificates_expiring}, "
                f"session reminders: {self.sessions_tomorrow}, old notices removed: {self.purged}")


def run(session, now=None):
    now = now or utcnow()
    report = DueReport()
    report.quiz_expiring = _quiz_passes(session, now)
    report.certificates_expiring = _certificates(session, now)
    report.sessions_tomorrow = _sessions_tomorrow(session, now)
    report.purged = services.purge_old(session)
    return report


def _quiz_passes(session, now):
    newer = aliased(Attempt)
    later_pass = exists().where(newer.user_id == Attempt.user_id, newer.quiz_id == Attempt.quiz_id,
                                newer.passed.is_(True), newer.valid_until > Attempt.valid_until)
    rows = session.exec(select(Attempt.id, Attempt.user_id, Attempt.valid_until, Quiz.title)
                        .join(Quiz, Quiz.id == Attempt.quiz_id)
                        .where(Attempt.passed.is_(True), Attempt.valid_until > now,
                               Attempt.valid_until <= now + EXPIRY_NOTICE, ~later_pass)).all()
    added = 0
    url = _url("quiz.index")
    for row in rows:
        added += services.deliver(session, [row.user_id], "quiz_expiring",
                                  {"quiz": row.title, "valid_until": row.valid_until.isoformat()}, url,
                                  key=f"quiz-expiring:{row.id}")
    return added


def _certificates(session, now):
    rows = session.exec(select(Certificate).where(
        Certificate.user_id.is_not(None), Certificate.kind != "quiz",  # quiz passes are noticed above
        Certificate.valid_until > now, Certificate.valid_until <= now + EXPIRY_NOTICE)).all()
    added = 0
    for cert in rows:
        added += services.deliver(session, [cert.user_id], "certificate_expiring",
                                  {"title": cert.title, "valid_until": cert.valid_until.isoformat()},
                                  _url("certificates.verify", code=cert.code), key=f"certificate-expiring:{cert.id}")
    return added


def _sessions_tomorrow(session, now):
    today = now.astimezone(WIB).date()
    start = datetime.combine(today + timedelta(days=1), time(0), tzinfo=WIB).astimezone(UTC)
    end = start + timedelta(days=1)
    sessions = session.exec(select(WorkshopSession).join(Workshop, Workshop.id == WorkshopSession.workshop_id)
                            .where(WorkshopSession.starts_at >= start, WorkshopSession.starts_at < end,
                                   Workshop.status.in_(("open", "closed")))
                            .order_by(WorkshopSession.starts_at)).all()
    before = _count(session)
    for ws in sessions:
        participants = session.exec(select(WorkshopParticipant).where(
            WorkshopParticipant.workshop_id == ws.workshop_id, WorkshopParticipant.status == "registered",
            and_(WorkshopParticipant.user_id.is_not(None)))).all()
        events.workshop_session_soon.send(session, actor=None, workshop_session=ws, participants=participants)
    return _count(session) - before


def _count(session):
    from sqlalchemy import func

    from portal.models import Notification

    session.flush()
    return session.exec(select(func.count()).select_from(Notification)
                        .where(Notification.kind == "session_soon")).one()
