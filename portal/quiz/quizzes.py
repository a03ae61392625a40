"""Quizzes: their settings and draw rules (admin), what each person may do with them (status and eligibility), and
the personal dashboard's cards. Services flush and never commit; every admin write is audited."""

import calendar
from dataclasses import dataclass
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from portal import audit, cache, generations
from portal.errors import DomainError
from portal.formatting import fmt_date, fmt_datetime, fmt_number
from portal.i18n import ngettext
from portal.models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionOption,
    QuestionSection,
    QuestionVersion,
    Quiz,
    QuizTopic,
    QuizTopicRule,
    utcnow,
)
from portal.models.quiz import FEEDBACK_MODES, UNDRAWN_KINDS
from portal.quiz import topics

MAX_PER_TOPIC = 50
EXPIRY_WARNING_DAYS = 30
QUIZ_FIELDS = ("title", "description", "pass_mark", "max_attempts", "cooldown_hours", "feedback_mode",
               "shuffle_questions", "shuffle_options", "certificate", "validity_months", "active")
# The quiz bank's cache generation: moved by every flush that writes a quiz, its draw rules, a question (its versions,
# options and handbook links) or a topic, whichever service wrote it (the editor, the import, the demo).
BANK = "quiz_bank"
generations.follow(BANK, Quiz, QuizTopicRule, Question, QuestionVersion, QuestionOption, QuestionSection, QuizTopic)
generations.follow_people(Attempt)  # the person's quiz card


def add_months(moment, months):
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def score_text(value):
    """A score with at most one decimal in the interface language: 80, 82,5 / 82.5."""
    return fmt_number(value, 1)


# --- quizzes and their rules ------------------------------------------------------------------------------------------

def quizzes(session, active_only=False):
    stmt = select(Quiz).order_by(Quiz.position, Quiz.id)
    if active_only:
        stmt = stmt.where(Quiz.active)
    return session.exec(stmt).all()


def active_quizzes(session):
    """((quiz, questions an attempt gets now), ...) of the active quizzes in order: what every person's quiz page and
    dashboard start from, kept per process under the quiz bank's generation (three statements on every view
    before). The quizzes are detached copies: read them, never add them to a session."""
    def build():
        available = active_question_counts(session)
        return tuple((Quiz(**quiz.model_dump()), quiz_size(session, quiz.id, available))
                     for quiz in quizzes(session, active_only=True))

    return cache.remembered("quiz.active", generations.read(session, BANK),
                            "DASHBOARD_CACHE_SECONDS", build)


def quiz_rules(session, quiz_id):
    """{topic id: count}."""
    return dict(session.exec(select(QuizTopicRule.topic_id, QuizTopicRule.count)
                             .where(QuizTopicRule.quiz_id == quiz_id)).all())


def active_question_counts(session):
    """{topic id: active questions that a quiz can draw}."""
    return dict(session.exec(select(Question.topic_id, func.count())
                             .where(Question.status == "active", Question.kind.not_in(UNDRAWN_KINDS))
                             .group_by(Question.topic_id)).all())


def quiz_size(session, quiz_id, available=None):
    """How many questions an attempt gets now (a topic with fewer active questions gives what it has)."""
    available = active_question_counts(session) if available is None else available
    return sum(min(count, available.get(topic_id, 0)) for topic_id, count in quiz_rules(session, quiz_id).items())


def quizzes_page(session):
    """[(quiz, questions an attempt gets now)] for the admin's list."""
    available = active_question_counts(session)
    return [(quiz, quiz_size(session, quiz.id, available)) for quiz in quizzes(session)]


def quiz_form_data(session, quiz=None):
    """The quiz editor's draw table: every topic, the active questions in each and (editing) the stored rules."""
    return {"topics": topics.topics(session), "available": active_question_counts(session),
            "rules": quiz_rules(session, quiz.id) if quiz is not None else {}}


def _clean_rules(session, rules):
    """{topic id: count} from the editor's {topic id: typed text} (or plain numbers): blank and 0 mean none."""
    known = {t.id: t for t in topics.topics(session)}
    clean = {}
    for topic_id, raw in (rules or {}).items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        topic = known.get(topic_id)
        if topic is None:
            raise DomainError(_("Topik tidak dikenal."), field="rules")
        try:
            count = int(raw)
        except (TypeError, ValueError):
            raise DomainError(_("Jumlah soal untuk topik %(t)s harus angka.", t=topic.name), field="rules") from None
        if count == 0:
            continue
        if not 0 < count <= MAX_PER_TOPIC:
            raise DomainError(_("Jumlah soal per topik antara 0 dan %(n)d.", n=MAX_PER_TOPIC), field="rules")
        clean[topic_id] = count
    if not clean:
        raise DomainError(_("Tentukan jumlah soal untuk paling sedikit satu topik."), field="rules")
    return clean


def save_quiz(session, actor, quiz, rules, **values):
    """Create (quiz=None) or update a quiz. `rules` is {topic id: questions to draw} (numbers or typed text)."""
    title = " ".join((values.get("title") or "").split())
    if not title or len(title) > topics.MAX_NAME:
        raise DomainError(_("Judul kuis wajib diisi (paling banyak %(n)d karakter).", n=topics.MAX_NAME),
                          field="title")
    clash = session.exec(select(Quiz.id).where(func.lower(Quiz.title) == title.lower())).first()
    if clash is not None and (quiz is None or clash != quiz.id):
        raise DomainError(_("Kuis berjudul %(t)s sudah ada.", t=title), field="title")
    pass_mark = values.get("pass_mark")
    if pass_mark is None or not 1 <= pass_mark <= 100:
        raise DomainError(_("Batas lulus antara 1 dan 100 persen."), field="pass_mark")
    max_attempts = values.get("max_attempts") or None
    if max_attempts is not None and not 1 <= max_attempts <= 100:
        raise DomainError(_("Batas percobaan antara 1 dan 100 (kosongkan bila tidak dibatasi)."),
                          field="max_attempts")
    cooldown = values.get("cooldown_hours") or 0
    if not 0 <= cooldown <= 24 * 365:
        raise DomainError(_("Jeda antarpercobaan antara 0 dan 8760 jam."), field="cooldown_hours")
    mode = values.get("feedback_mode") or "immediate"
    if mode not in FEEDBACK_MODES:
        raise DomainError(_("Mode umpan balik tidak dikenal."), field="feedback_mode")
    validity = values.get("validity_months") or None
    if validity is not None and not 1 <= validity <= 120:
        raise DomainError(_("Masa berlaku antara 1 dan 120 bulan (kosongkan bila tidak kedaluwarsa)."),
                          field="validity_months")
    clean_rules = _clean_rules(session, rules)
    creating = quiz is None
    if creating:
        quiz = Quiz(title=title, position=(session.exec(select(func.max(Quiz.position))).one() or 0) + 1)
        before = None
    else:
        before = audit.snapshot(quiz, QUIZ_FIELDS)
        before["rules"] = quiz_rules(session, quiz.id)
    quiz.title, quiz.description = title, (values.get("description") or "").strip()
    quiz.pass_mark, quiz.max_attempts, quiz.cooldown_hours = pass_mark, max_attempts, cooldown
    quiz.feedback_mode, quiz.validity_months = mode, validity
    quiz.shuffle_questions = bool(values.get("shuffle_questions"))
    quiz.shuffle_options = bool(values.get("shuffle_options"))
    quiz.certificate = bool(values.get("certificate"))
    quiz.active = bool(values.get("active"))
    session.add(quiz)
    session.flush()
    for row in session.exec(select(QuizTopicRule).where(QuizTopicRule.quiz_id == quiz.id)).all():
        session.delete(row)
    session.flush()
    for topic_id, count in clean_rules.items():
        session.add(QuizTopicRule(quiz_id=quiz.id, topic_id=topic_id, count=count))
    after = audit.snapshot(quiz, QUIZ_FIELDS)
    after["rules"] = clean_rules
    audit.record(session, actor, "quiz.quiz_create" if creating else "quiz.quiz_update", "quiz", quiz.id, title,
                 before=before, after=after)
    session.flush()
    return quiz


# --- what a person may do with a quiz ---------------------------------------------------------------------------------

@dataclass
class QuizStatus:
    quiz: Quiz
    size: int
    attempts: int = 0
    open_attempt: Attempt | None = None
    last_finished: Attempt | None = None
    valid_pass: Attempt | None = None
    expired_pass: Attempt | None = None
    can_start: bool = True
    reason: str | None = None
    next_start_at: object = None

    @property
    def attempts_left(self):
        return None if self.quiz.max_attempts is None else max(self.quiz.max_attempts - self.attempts, 0)


def quiz_status(session, user, quiz, now=None, size=None):
    """What `user` may do with `quiz` now; `size`: the questions an attempt gets, when the caller knows it."""
    now = now or utcnow()
    mine = session.exec(select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
                        .order_by(Attempt.started_at.desc(), Attempt.id.desc())).all()
    status = QuizStatus(quiz=quiz, size=quiz_size(session, quiz.id) if size is None else size, attempts=len(mine))
    status.open_attempt = next((a for a in mine if a.finished_at is None), None)
    finished = sorted((a for a in mine if a.finished_at is not None), key=lambda a: a.finished_at, reverse=True)
    status.last_finished = finished[0] if finished else None
    passes = [a for a in finished if a.passed]
    status.valid_pass = next((a for a in passes if a.valid_until is None or a.valid_until >= now), None)
    if status.valid_pass is None and passes:
        status.expired_pass = passes[0]
    if status.open_attempt is not None:
        return status
    if not quiz.active:
        status.can_start, status.reason = False, _("Kuis ini sedang tidak dibuka.")
    elif status.size == 0:
        status.can_start, status.reason = False, _("Kuis ini belum memiliki soal aktif.")
    elif quiz.max_attempts is not None and status.attempts >= quiz.max_attempts:
        status.can_start = False
        status.reason = ngettext("Anda sudah memakai semua %(n)d kesempatan mengerjakan kuis ini.",
                 "Anda sudah memakai semua %(n)d kesempatan mengerjakan kuis ini.",
                 quiz.max_attempts, n=quiz.max_attempts)
    elif quiz.cooldown_hours and status.last_finished is not None:
        ready = status.last_finished.finished_at + timedelta(hours=quiz.cooldown_hours)
        if ready > now:
            status.can_start, status.next_start_at = False, ready
            status.reason = _("Anda baru saja menyelesaikan kuis ini. Anda dapat mencoba lagi mulai %(t)s.",
                              t=fmt_datetime(ready))
    return status


def overview(session, user):
    return [quiz_status(session, user, quiz, size=size) for quiz, size in active_quizzes(session)]


# --- the personal dashboard -------------------------------------------------------------------------------------------

def _progress(session, attempt):
    """(answered, total) of an unfinished attempt."""
    rows = session.exec(select(AttemptQuestion.answered_at).where(AttemptQuestion.attempt_id == attempt.id)).all()
    return sum(1 for answered_at in rows if answered_at is not None), len(rows)


def dashboard_cards(session, user):
    """One card per active quiz that issues certificates: what to do next and until when a pass is valid."""
    cards = []
    now = utcnow()
    for quiz, size in active_quizzes(session):
        if not quiz.certificate:
            continue
        status = quiz_status(session, user, quiz, now, size)
        url = url_for("quiz.index")
        if status.open_attempt is not None:
            done, total = _progress(session, status.open_attempt)
            cards.append({"title": _("Lanjutkan kuis"),
                          "body": ngettext("Anda sedang mengerjakan %(t)s: %(d)d dari %(num)s soal sudah dijawab.",
                                           "Anda sedang mengerjakan %(t)s: %(d)d dari %(num)s soal sudah dijawab.",
                                           total, t=quiz.title, d=done),
                          "progress": 100 * done / total if total else 0,
                          "url": url_for("quiz.attempt", attempt_id=status.open_attempt.id),
                          "action": _("Lanjutkan"), "tone": "warn"})
        elif status.valid_pass is not None and status.valid_pass.valid_until is not None and \
                status.valid_pass.valid_until - now <= timedelta(days=EXPIRY_WARNING_DAYS):
            days = max((status.valid_pass.valid_until - now).days, 0)
            cards.append({"title": _("Sertifikat kuis segera kedaluwarsa"),
                          "body": ngettext("Sertifikat Anda kedaluwarsa dalam %(n)d hari, ulangi kuis %(t)s.",
                 "Sertifikat Anda kedaluwarsa dalam %(n)d hari, ulangi kuis %(t)s.",
                 days, n=days,
                                    t=quiz.title),
                          "progress": None, "url": url, "action": _("Ulangi kuis"), "tone": "warn"})
        elif status.valid_pass is not None:
            until = status.valid_pass.valid_until
            body = (_("Lulus dengan nilai %(s)s, berlaku sampai %(d)s.", s=score_text(status.valid_pass.score),
                      d=fmt_date(until)) if until else
                    _("Lulus dengan nilai %(s)s.", s=score_text(status.valid_pass.score)))
            cards.append({"title": _("%(t)s: lulus", t=quiz.title), "body": body, "progress": None,
                          "url": url_for("quiz.certificate", attempt_id=status.valid_pass.id)
                          if quiz.certificate else url,
                          "action": _("Lihat sertifikat"), "tone": "ok"})
        else:
            if status.expired_pass is not None:
                body = _("Sertifikat %(t)s Anda sudah kedaluwarsa. Ulangi kuis untuk memperbaruinya.", t=quiz.title)
            elif status.last_finished is not None:
                body = _("Nilai terakhir Anda %(s)s, batas lulus %(p)d. Baca bagian pedoman yang disarankan, lalu "
                         "coba lagi.", s=score_text(status.last_finished.score), p=quiz.pass_mark)
            else:
                body = ngettext("Uji pemahaman Anda tentang pedoman: %(n)d soal, umpan balik langsung di setiap soal.",
                 "Uji pemahaman Anda tentang pedoman: %(n)d soal, umpan balik langsung di setiap soal.",
                 status.size,
                         n=status.size)
            if not status.can_start and status.reason:
                body = f"{body} {status.reason}"
            cards.append({"title": _("Kerjakan kuis"), "body": body, "progress": None, "url": url,
                          "action": _("Buka kuis"), "tone": "warn"})
    return cards
