"""Time-based notices (`flask --app portal notify-due`), safe to run every few minutes: every notice has a key, so a
second run (or two overlapping runs) adds nothing.

- a quiz pass whose validity ends within 30 days (the person's latest pass of that quiz only);
- a certificate (workshops) whose validity ends within 30 days;
- a workshop session starting within 24 hours: the workshop pillar's `workshop_session_soon` event, for its
  registered participants.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import select

from portal.models import Attempt, Certificate, Quiz, utcnow
from portal.notifications import services
from portal.notifications.receivers import _url

EXPIRY_NOTICE = timedelta(days=30)


@dataclass
class DueReport:
    quiz_expiring: int = 0
    certificates_expiring: int = 0
    sessions_soon: int = 0
    purged: int = 0

    def __str__(self):
        return (f"quiz passes expiring: {self.quiz_expiring}, certificates expiring: {self.certificates_expiring}, "
                f"session reminders: {self.sessions_soon}, old notices removed: {self.purged}")


def run(session, now=None):
    now = now or utcnow()
    report = DueReport()
    report.quiz_expiring = _quiz_passes(session, now)
    report.certificates_expiring = _certificates(session, now)
    report.sessions_soon = _sessions_soon(session, now)
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


def _sessions_soon(session, now):
    """The workshop pillar announces its sessions starting within 24 hours (`workshop_session_soon`); the receiver's
    key (the session) makes each person hear of each session once, however often this runs."""
    from portal.workshops import catalog

    before = _count(session)
    catalog.announce_sessions_soon(session, now)
    return _count(session) - before


def _count(session):
    from sqlalchemy import func

    from portal.models import Notification

    session.flush()
    return session.exec(select(func.count()).select_from(Notification)
                        .where(Notification.kind == "session_soon")).one()
