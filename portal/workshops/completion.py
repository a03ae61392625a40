"""Completing a workshop: attendance against the completion rule, pre/post-test scores from the quiz bank with the
learning gain, and certificates (portal/certificates.py) for those who complete. Services flush and never commit.
"""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select

from portal import audit, certificates
from portal.models import Attempt, Certificate, WorkshopAttendance, utcnow
from portal.models.workshops import PRESENT_STATUSES
from portal.timezone import as_utc
from portal.workshops.catalog import workshop_sessions
from portal.workshops.registration import ParticipantRow, in_scope, participant_rows


@dataclass
class Completion:
    row: ParticipantRow
    present: int
    total: int
    pre: float | None = None
    post: float | None = None
    post_passed: bool | None = None
    qualifies: bool = False
    certificate: Certificate | None = None

    @property
    def percent(self):
        return 100 * self.present / self.total if self.total else 0

    @property
    def gain(self):
        return None if self.pre is None or self.post is None else self.post - self.pre


def _test_scores(session, workshop, user_ids):
    """{user_id: (pre attempt, post attempt)}: the latest finished attempt of each quiz; when both tests are the same
    quiz, the first attempt is the pre-test and the latest later one the post-test."""
    quiz_ids = {q for q in (workshop.pre_quiz_id, workshop.post_quiz_id) if q}
    if not quiz_ids or not user_ids:
        return {}
    attempts = session.exec(select(Attempt).where(Attempt.quiz_id.in_(quiz_ids), Attempt.user_id.in_(user_ids),
                                                  Attempt.finished_at.is_not(None))
                            .order_by(Attempt.finished_at, Attempt.id)).all()
    by_user = {}
    for a in attempts:
        by_user.setdefault(a.user_id, []).append(a)
    result = {}
    for user_id, rows in by_user.items():
        if workshop.pre_quiz_id == workshop.post_quiz_id:
            pre = rows[0]
            post = rows[-1] if len(rows) > 1 else None
        else:
            pre = next((a for a in reversed(rows) if a.quiz_id == workshop.pre_quiz_id), None)
            post = next((a for a in reversed(rows) if a.quiz_id == workshop.post_quiz_id), None)
        result[user_id] = (pre, post)
    return result


def completions(session, workshop, scope_path=None, sessions=None):
    """One Completion per registered participant (limited to a unit subtree for supervisors)."""
    sessions = workshop_sessions(session, workshop.id) if sessions is None else sessions
    session_ids = [s.id for s in sessions]
    present = {}
    if session_ids:
        for pid, n in session.exec(select(WorkshopAttendance.participant_id, func.count())
                                   .where(WorkshopAttendance.session_id.in_(session_ids),
                                          WorkshopAttendance.status.in_(PRESENT_STATUSES))
                                   .group_by(WorkshopAttendance.participant_id)).all():
            present[pid] = n
    rows = [r for r in participant_rows(session, workshop.id, ("registered",)) if in_scope(r, scope_path)]
    scores = _test_scores(session, workshop, [r.participant.user_id for r in rows if r.participant.user_id])
    certs = {c.ref_id: c for c in session.exec(select(Certificate).where(
        Certificate.kind == "workshop", Certificate.ref_id.in_([r.participant.id for r in rows]))).all()} \
        if rows else {}
    out = []
    for r in rows:
        c = Completion(r, present.get(r.participant.id, 0), len(sessions), certificate=certs.get(r.participant.id))
        pre, post = scores.get(r.participant.user_id, (None, None))
        c.pre, c.post = (pre.score if pre else None), (post.score if post else None)
        c.post_passed = bool(post and post.passed) if workshop.post_quiz_id else None
        attended = c.total > 0 and c.present * 100 >= workshop.completion_percent * c.total
        # Guests have no account and cannot take the post-test: for them attendance alone counts.
        test_ok = not (workshop.require_post_test and workshop.post_quiz_id and r.participant.user_id) \
            or bool(c.post_passed)
        c.qualifies = attended and test_ok
        out.append(c)
    return out


def issue_certificates(session, actor, workshop):
    """Certificates for everyone who completed the workshop; idempotent. Returns how many are new."""
    sessions = workshop_sessions(session, workshop.id)
    issued_at = as_utc(sessions[-1].ends_at) if sessions else utcnow()
    new = 0
    for c in completions(session, workshop, sessions=sessions):
        if not c.qualifies or c.certificate is not None:
            continue
        certificates.issue(session, "workshop", c.row.name, c.row.affiliation, workshop.title,
                           user_id=c.row.participant.user_id, ref_id=c.row.participant.id,
                           issued_at=min(issued_at, utcnow()))
        new += 1
    audit.record(session, actor, "workshop.certificates", "workshop", workshop.id,
                 f"{workshop.title}: {new} sertifikat baru")
    return new


def certificate_of(session, participant):
    return certificates.find_for(session, "workshop", participant.id) if participant is not None else None


def my_certificates(session, user):
    return session.exec(select(Certificate).where(Certificate.kind == "workshop", Certificate.user_id == user.id)
                        .order_by(Certificate.issued_at.desc())).all()


def average_gain(completion_rows):
    gains = [c.gain for c in completion_rows if c.gain is not None]
    return sum(gains) / len(gains) if gains else None
