"""The quiz's part of a person's data (portal/privacy.py): attempts with their answers, questions proposed.
Anonymising keeps attempts and scores (question and unit statistics count them) but clears typed answers, which are
free text that may name people."""

from sqlalchemy import update
from sqlmodel import select

from portal.models import Attempt, AttemptQuestion, Question
from portal.privacy import rows


def personal_data(session, user):
    attempt_ids = select(Attempt.id).where(Attempt.user_id == user.id)
    return {
        "Percobaan kuis": rows(session, Attempt, Attempt.user_id == user.id),
        "Jawaban": rows(session, AttemptQuestion, AttemptQuestion.attempt_id.in_(attempt_ids)),
        "Soal diusulkan": [{k: r[k] for k in ("id", "topic_id", "name", "status")}
                           for r in rows(session, Question, Question.proposed_by_id == user.id)],
    }


def anonymise(session, user):
    attempt_ids = select(Attempt.id).where(Attempt.user_id == user.id)
    session.exec(update(AttemptQuestion).where(AttemptQuestion.attempt_id.in_(attempt_ids),
                                               AttemptQuestion.response.is_not(None)).values(response=""))
