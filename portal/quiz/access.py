"""Row loaders of the quiz: each returns the row or aborts (404, or 403 when the row exists but is not the user's to
act on). The endpoint's permission (portal/permissions.py) decides who may reach a page at all; these decide which
rows. Views never load guarded rows themselves."""

from flask import abort
from flask_login import current_user
from sqlmodel import select

from portal import db
from portal.accounts.access import get_report_unit_or_403  # noqa: F401  (shared by the reports)
from portal.models import Attempt, Question, Quiz, QuizTopic
from portal.permissions import can
from portal.quiz import bank, images, quizzes


def get_own_attempt_or_404(attempt_id, for_update=False):
    """The signed-in person's attempt; anyone else's is a 404 (its existence is not revealed). `for_update` (a POST
    that changes the attempt) locks the row for the transaction (SELECT … FOR UPDATE, fresh values), so concurrent
    answers to one attempt queue instead of racing."""
    if not 0 < attempt_id <= db.MAX_INT:
        abort(404)
    stmt = select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == current_user.id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session().exec(stmt).first() or abort(404)


def can_edit_question(user, question):
    """Admins edit every question; humas edit only their own proposals while they are drafts."""
    if can(user, "quiz.manage"):
        return True
    return (can(user, "quiz.propose") and question.status == "draft"
            and question.proposed_by_id == getattr(user, "id", None))


def get_question_or_404(question_id):
    return db.get_or_404(Question, question_id)


def get_editable_question_or_403(question_id):
    """A question the signed-in person may edit (see can_edit_question); 404 when missing, 403 otherwise."""
    question = db.get_or_404(Question, question_id)
    if not can_edit_question(current_user, question):
        abort(403)
    return question


def get_topic_or_404(topic_id):
    return db.get_or_404(QuizTopic, topic_id)


def get_quiz_or_404(quiz_id, open_only=False):
    """The quiz; with `open_only`, a quiz that is not open to employees is a 404 too."""
    quiz = db.get_or_404(Quiz, quiz_id)
    if open_only and not quiz.active:
        abort(404)
    return quiz


def get_report_quiz_or_404(quiz_id):
    """(quiz, every quiz) for a report: the asked-for quiz (404 when unknown), by default the first open quiz that
    issues certificates; (None, []) when there is no quiz at all."""
    every = quizzes.quizzes(db.session())
    if not every:
        return None, []
    if quiz_id:
        return next((q for q in every if q.id == quiz_id), None) or abort(404), every
    return next((q for q in every if q.active and q.certificate), every[0]), every


def get_visible_image_or_404(name):
    """The stored file of a scenario image the user may see: it must belong to a question; images used only by
    proposals (drafts) are for the bank's editors."""
    path = images.path_of(name)
    if path is None:
        abort(404)
    statuses = bank.image_statuses(db.session(), name)
    if not statuses or not (can(current_user, "quiz.propose") or any(s != "draft" for s in statuses)):
        abort(404)
    return path
