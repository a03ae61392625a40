"""A finished attempt's result (score per topic, every question with its feedback, suggested reading), the person's
history and certificates, and the quiz list."""

from dataclasses import dataclass

from sqlmodel import select

from portal import certificates
from portal.models import Attempt, Certificate, Quiz, QuizTopic
from portal.quiz import quizzes, topics
from portal.quiz.attempts import attempt_items, shown_questions


@dataclass
class TopicScore:
    topic: QuizTopic
    questions: int
    credit: float

    @property
    def percent(self):
        return 100 * self.credit / self.questions if self.questions else 0


@dataclass
class Result:
    attempt: Attempt
    quiz: Quiz
    questions: list
    topics: list
    reading: list
    certificate: object
    state: quizzes.QuizStatus  # what the person may do next (try again?)


def result(session, user, attempt):
    """A finished attempt's page: score per topic, every question with its feedback, suggested reading."""
    items = attempt_items(session, attempt)
    shown = shown_questions(session, items)
    quiz = session.get(Quiz, attempt.quiz_id)
    by_topic = {}
    for s in shown:
        if s.scored:
            row = by_topic.setdefault(s.item.topic_id, TopicScore(s.topic, 0, 0.0))
            row.questions += 1
            row.credit += s.final_credit
    # Suggested reading: the sections of the questions not fully right; a question without links points to its
    # topic's sections.
    reading, seen = [], set()
    topic_links = None
    for s in shown:
        if not s.scored or s.final_credit >= 0.999:
            continue
        links = s.links
        if not links:
            if topic_links is None:
                topic_links = topics.topic_sections(session)
            links = topic_links.get(s.item.topic_id, [])
        for link in links:
            if link["slug"] not in seen:
                seen.add(link["slug"])
                reading.append(link)
    certificate = certificates.find_for(session, "quiz", attempt.id) if attempt.passed else None
    topic_rows = sorted(by_topic.values(), key=lambda r: (r.topic.position, r.topic.name) if r.topic else (0, ""))
    return Result(attempt, quiz, shown, topic_rows, reading, certificate, quizzes.quiz_status(session, user, quiz))


def history(session, user):
    """[(attempt, quiz, certificate or None)] newest first."""
    rows = session.exec(select(Attempt, Quiz).join(Quiz, Quiz.id == Attempt.quiz_id)
                        .where(Attempt.user_id == user.id)
                        .order_by(Attempt.started_at.desc(), Attempt.id.desc())).all()
    ids = [a.id for a, _q in rows]
    certs = {}
    if ids:
        certs = {c.ref_id: c for c in session.exec(select(Certificate).where(Certificate.kind == "quiz",
                                                                             Certificate.ref_id.in_(ids))).all()}
    return [(a, q, certs.get(a.id)) for a, q in rows]


def index_page(session, user):
    """The employee's quiz list: every open quiz with what they may do, and their latest attempts."""
    return {"statuses": quizzes.overview(session, user), "recent": history(session, user)[:5]}


def certificate_of(session, attempt):
    """(certificate, quiz) of a passed attempt, or None."""
    if not attempt.passed:
        return None
    cert = certificates.find_for(session, "quiz", attempt.id)
    return None if cert is None else (cert, session.get(Quiz, attempt.quiz_id))
