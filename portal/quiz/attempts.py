"""Taking a quiz: the draw, starting or resuming an attempt, the question page, answering, finishing (score and
certificate), the result and the history.

Answers are saved with a compare-and-set UPDATE on a locked attempt row, so a double click or a replayed POST never
counts twice; the score is computed once, at finish, from the stored answers. A service that changes an attempt is
given the attempt locked for the transaction: loaded by `access.get_own_attempt_or_404(..., for_update=True)` in a
view, or by `lock(session, attempt_id)` elsewhere. Answering is read and checked first (`prepare_answer`) and then
saved on the attempt locked (`save_answer`), so that the answer view holds the write lock for the UPDATE alone.
Services flush and never commit.
"""

import random
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from portal import cache, certificates, events, generations
from portal.errors import DomainError
from portal.models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionOption,
    QuestionVersion,
    Quiz,
    QuizTopic,
    QuizTopicRule,
    Unit,
    User,
    utcnow,
)
from portal.models.quiz import TYPED_KINDS, UNDRAWN_KINDS, UNSCORED_KINDS
from portal.quiz import kinds, quizzes, topics

# --- the draw and the start ------------------------------------------------------------------------------------------


def draw(session, quiz, rng):
    """[(topic id, version id, [option ids in shown order], [partner ids in offered order] or None)] for a new
    attempt. Matching shows its items (shuffled like options) and always shuffles the partners."""
    rules = session.exec(select(QuizTopicRule, QuizTopic).join(QuizTopic, QuizTopic.id == QuizTopicRule.topic_id)
                         .where(QuizTopicRule.quiz_id == quiz.id).order_by(QuizTopic.position, QuizTopic.id)).all()
    picked = []
    for rule, topic in rules:
        candidates = session.exec(select(Question.id, Question.current_version_id)
                                  .where(Question.topic_id == topic.id, Question.status == "active",
                                         Question.kind.not_in(UNDRAWN_KINDS),
                                         Question.current_version_id.is_not(None)).order_by(Question.id)).all()
        chosen = rng.sample(list(candidates), min(rule.count, len(candidates)))
        if not quiz.shuffle_questions:
            chosen.sort()
        picked.extend((topic.id, version_id) for _question_id, version_id in chosen)
    if quiz.shuffle_questions:
        rng.shuffle(picked)
    if not picked:
        return []
    versions = {v.id: v for v in session.exec(select(QuestionVersion).where(
        QuestionVersion.id.in_([v for _t, v in picked]))).all()}
    options = {}
    for option in session.exec(select(QuestionOption).where(QuestionOption.version_id.in_(list(versions)))
                               .order_by(QuestionOption.position, QuestionOption.id)).all():
        options.setdefault(option.version_id, []).append(option)
    out = []
    for topic_id, version_id in picked:
        kind, own = versions[version_id].kind, options.get(version_id, [])
        partners = None
        if kind == "matching":
            order = [o.id for o in kinds.matching_items(own)]
            partners = [o.id for o in kinds.partners(own).values()]
            rng.shuffle(partners)
        else:
            order = [o.id for o in own]
        if quiz.shuffle_options and kind in ("single", "multi", "matching"):
            rng.shuffle(order)
        out.append((topic_id, version_id, order, partners))
    return out


def start(session, user, quiz, now=None, rng=None):
    """The user's unfinished attempt at `quiz`, or a new one with a fresh draw (DomainError when not allowed).
    "Mulai" pressed twice at once gives one attempt: the person's row is locked first, so the second press waits
    and then finds the first one's attempt."""
    now = now or utcnow()
    session.exec(select(User.id).where(User.id == user.id).with_for_update()).first()
    status = quizzes.quiz_status(session, user, quiz, now)
    if status.open_attempt is not None:
        return status.open_attempt
    if not status.can_start:
        raise DomainError(status.reason)
    picked = draw(session, quiz, rng or random.SystemRandom())
    if not picked:
        raise DomainError(_("Kuis ini belum memiliki soal aktif."))
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, number=status.attempts + 1,
                      feedback_mode=quiz.feedback_mode, pass_mark=quiz.pass_mark, started_at=now)
    session.add(attempt)
    session.flush()
    for position, (topic_id, version_id, order, partners) in enumerate(picked, start=1):
        session.add(AttemptQuestion(attempt_id=attempt.id, position=position, version_id=version_id,
                                    topic_id=topic_id, option_order=",".join(map(str, order)),
                                    match_order=None if partners is None else ",".join(map(str, partners))))
    session.flush()
    return attempt


def lock(session, attempt_id):
    """The attempt, locked for this transaction (SELECT … FOR UPDATE), for a change to it. Only its finish time is
    read afresh: it decides whether the attempt takes a change, and an open attempt's other values are the ones
    loaded (finishing writes them all at once). One column, not the row: the answer view runs this holding the
    write lock. A finished attempt is read whole again."""
    finished_at = session.execute(select(Attempt.finished_at).where(Attempt.id == attempt_id)
                                  .with_for_update()).one()[0]
    attempt = session.get(Attempt, attempt_id)
    if finished_at is None:
        set_committed_value(attempt, "finished_at", None)
    else:
        session.refresh(attempt)
    return attempt


# --- showing a question ---------------------------------------------------------------------------------------------

def attempt_items(session, attempt):
    return session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                        .order_by(AttemptQuestion.position)).all()


def first_unanswered(items):
    return next((item.position for item in items if item.answered_at is None), None)


def progress(items):
    return sum(1 for i in items if i.answered_at is not None), len(items)


@dataclass
class ShownQuestion:
    item: AttemptQuestion
    version: QuestionVersion
    options: list  # QuestionOption in the order shown to this person (matching: its items)
    topic: QuizTopic
    question: Question
    links: list  # [{"slug", "title"}]
    total: int
    partners: list = field(default_factory=list)  # matching: the partners offered, in this person's order

    @property
    def position(self):
        return self.item.position

    @property
    def answered(self):
        return self.item.answered_at is not None

    @property
    def chosen(self):
        return kinds.ids(self.item.chosen)

    @property
    def response(self):
        return self.item.response or ""

    @property
    def pairs(self):
        """Matching: {item option id: chosen partner option id}."""
        return kinds.pairs(self.item.response)

    @property
    def kind(self):
        return self.version.kind

    @property
    def scored(self):
        return self.kind not in UNSCORED_KINDS

    @property
    def _credit(self):
        every = self.options + [p for p in self.partners if p not in self.options]
        return kinds.score(self.kind, every, self.chosen, self.item.response)

    @property
    def credit(self):
        """Credit 0..1 of the answer as it stands (0 when unanswered; None when the kind is not scored)."""
        if not self.scored:
            return None
        return self._credit.value if self.answered else 0.0

    @property
    def final_credit(self):
        """The credit stored at finish (the same rule, frozen)."""
        return self.item.score if self.item.score is not None else self.credit

    @property
    def matched(self):
        """Short answer, numerical: the accepted answer the response matched (its feedback is shown), or None."""
        return self._credit.matched if self.answered and self.kind in TYPED_KINDS else None

    @property
    def accepted(self):
        """Short answer, numerical: the answers that earn credit, best first."""
        return sorted((o for o in self.options if o.fraction > 0), key=lambda o: -o.fraction)

    def _verdict(self, credit):
        if not self.answered:
            return "unanswered"
        if credit is None:
            return "unscored"
        return "right" if credit >= 0.999 else ("partial" if credit > 0 else "wrong")

    @property
    def verdict(self):
        return self._verdict(self.credit)

    @property
    def final_verdict(self):
        return self._verdict(self.final_credit)

    def is_correct_option(self, option):
        if self.kind == "multi":
            return option.fraction > 0
        best = max(o.fraction for o in self.options)
        return option.fraction >= best and option.fraction > 0

    def partner_of(self, item):
        """Matching: the partner chosen for `item` (an option), or None."""
        chosen = self.pairs.get(item.id)
        return next((p for p in self.partners if p.id == chosen), None)

    def is_paired_right(self, item):
        partner = self.partner_of(item)
        return partner is not None and partner.match_text == item.match_text


def shown_questions(session, items, total=None, links=True):
    """ShownQuestion for each AttemptQuestion. `total`: how many questions the attempt has (default: these
    items). What a question looks like (its version, options, topic and handbook links) is the same for everyone
    who drew it: kept per process (`question_parts`), so answering reads no question tables."""
    if not items:
        return []
    total = len(items) if total is None else total
    parts = question_parts(session, {(item.version_id, item.topic_id) for item in items})
    out = []
    for item in items:
        version, question, topic, options, question_links = parts[(item.version_id, item.topic_id)]
        out.append(ShownQuestion(item=item, version=version,
                                 options=[options[i] for i in kinds.ids(item.option_order) if i in options],
                                 topic=topic, question=question, links=question_links if links else [],
                                 total=total,
                                 partners=[options[i] for i in kinds.ids(item.match_order) if i in options]))
    return out


def question_parts(session, keys):
    """{(version id, topic id): (version, question, topic, {option id: option}, handbook links)}, kept per process
    for DASHBOARD_CACHE_SECONDS under the quiz bank's generation (every question, option, link and topic write
    moves it), the editions' (a new edition renames or removes linked sections) and the sections' (a slug). The rows
    are detached copies: read them, never add them to a session."""
    from portal.handbook.editions import EDITIONS_GENERATION
    from portal.handbook.reading import RULE_GENERATION

    stamp = (generations.read(session, quizzes.BANK), generations.read(session, EDITIONS_GENERATION),
             generations.read(session, RULE_GENERATION))

    def build(missing):
        wanted = [key for key, _stamp in missing]
        rows = session.exec(
            select(QuestionVersion, Question)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(QuestionVersion.id.in_({version_id for version_id, _topic in wanted}))
        ).all()
        found = {version.id: (_copy(version), _copy(question)) for version, question in rows}
        topic_ids = {topic_id for _version, topic_id in wanted if topic_id is not None}
        found_topics = {t.id: _copy(t) for t in session.exec(select(QuizTopic).where(QuizTopic.id.in_(topic_ids)))}
        options = {}
        for option in session.exec(select(QuestionOption).where(QuestionOption.version_id.in_(set(found)))).all():
            options.setdefault(option.version_id, {})[option.id] = _copy(option)
        question_links = topics.question_links(session, {q.id for _v, q in found.values()})
        built = {}
        for (version_id, topic_id), key_stamp in missing:
            if version_id in found:
                version, question = found[version_id]
                built[((version_id, topic_id), key_stamp)] = (
                    version, question, found_topics.get(topic_id), options.get(version_id, {}),
                    question_links.get(question.id, []))
        return built

    kept = cache.remembered_many("quiz.question_parts", [(key, stamp) for key in keys], "DASHBOARD_CACHE_SECONDS",
                                 build)
    return {key: value for (key, _stamp), value in kept.items()}


def _copy(row):
    return type(row)(**row.model_dump())


@dataclass
class AttemptPage:
    """The attempt page at one question (`shown`) or at the summary (`summary`, shown is None)."""

    attempt: Attempt
    quiz: Quiz
    items: list
    shown: ShownQuestion | None
    summary: bool
    position: int | None
    done: int
    total: int
    first_unanswered: int | None


def _page(session, attempt, items, shown, position):
    done, total = progress(items)
    return AttemptPage(attempt=attempt, quiz=session.get(Quiz, attempt.quiz_id), items=items, shown=shown,
                       summary=shown is None, position=position, done=done, total=total,
                       first_unanswered=first_unanswered(items))


def question_page(session, attempt, position=None, summary=False):
    """The page at question `position`: by default (or out of range) the first unanswered question, or the summary
    when every question is answered. With immediate feedback questions are answered in order, so an unanswered
    question further on shows the first unanswered one instead."""
    items = attempt_items(session, attempt)
    if not summary:
        first = first_unanswered(items)
        in_order = attempt.feedback_mode == "immediate"
        if position is None or not 1 <= position <= len(items) or (
                in_order and items[position - 1].answered_at is None and position != first):
            position = first
    if summary or position is None:
        return _page(session, attempt, items, None, None)
    return _page(session, attempt, items, shown_questions(session, [items[position - 1]], len(items))[0], position)


# --- answering --------------------------------------------------------------------------------------------------------

@dataclass
class Response:
    """What a person sent for one question: the chosen option ids (choice kinds), a typed answer (short answer,
    numerical, essay) or {item option id: partner option id} (matching)."""

    options: list = field(default_factory=list)
    text: str | None = None
    pairs: dict = field(default_factory=dict)


@dataclass
class Answered:
    saved: bool  # False: an earlier answer stands (immediate feedback answers once)
    notice: str | None  # what to tell the person
    position: int | None  # the question to show next; None: the summary
    page: AttemptPage | None  # that page, when asked for


def answer(session, attempt, position, response, now=None, page=True):
    """Save the answer to question `position` of a locked attempt (see the module's docstring) and say which page
    comes next: with immediate feedback the same question, now showing its feedback (the first answer is final: a
    replay changes nothing); in exam mode (deferred) the next question, or the summary after the last one (answers
    may change until the attempt is submitted). With `page`, the Answered carries that page's view-model."""
    return save_answer(session, attempt, prepare_answer(session, attempt, position, response, now, page))


@dataclass
class PreparedAnswer:
    """An answer checked and ready to be saved, made from reads alone (`prepare_answer`): a view reads and checks
    before it takes the write lock, which is then held for the compare-and-set UPDATE only (`save_answer`)."""

    position: int
    item: AttemptQuestion
    items: list
    shown: dict  # position -> ShownQuestion (the answered one, and the next page's)
    values: dict  # the columns the UPDATE writes
    target: int | None  # the question shown next; None: the summary
    immediate: bool
    quiz: Quiz | None  # the next page's quiz, read with the rest (`_page` finds it in the session); None: no page


def prepare_answer(session, attempt, position, response, now=None, page=True):
    """What `answer` saves for question `position` of `attempt`, checked (DomainError for an invalid answer, an
    unknown question or a finished attempt), and what the next page shows, read without writing."""
    if not isinstance(response, Response):
        response = Response(options=list(response))
    now = now or utcnow()
    if attempt.finished_at is not None:
        raise DomainError(_("Kuis ini sudah Anda selesaikan; jawaban tidak dapat diubah lagi."))
    items = attempt_items(session, attempt)
    if not 1 <= position <= len(items):
        raise DomainError(_("Soal tidak ditemukan."))
    item = items[position - 1]
    immediate = attempt.feedback_mode == "immediate"
    target = position if immediate else (position + 1 if position < len(items) else None)
    wanted = [item] + ([items[target - 1]] if page and target not in (None, position) else [])
    shown = {s.position: s for s in shown_questions(session, wanted, len(items), links=page)}
    values = {**kinds.stored(shown[position], response), "answered_at": now}
    return PreparedAnswer(position=position, item=item, items=items, shown=shown, values=values, target=target,
                          immediate=immediate, quiz=session.get(Quiz, attempt.quiz_id) if page else None)


def save_answer(session, attempt, prepared):
    """Save a PreparedAnswer of `attempt`, which is locked for this transaction (`lock`): a finished attempt takes no
    answer; with immediate feedback only a question not yet answered takes one."""
    if attempt.finished_at is not None:
        raise DomainError(_("Kuis ini sudah Anda selesaikan; jawaban tidak dapat diubah lagi."))
    item, values = prepared.item, prepared.values
    stmt = (update(AttemptQuestion).where(AttemptQuestion.id == item.id).values(**values)
            .execution_options(synchronize_session=False))
    if prepared.immediate:
        stmt = stmt.where(AttemptQuestion.answered_at.is_(None))
    saved = session.execute(stmt).rowcount == 1
    if saved:
        for name, value in values.items():
            set_committed_value(item, name, value)
    else:
        session.refresh(item)  # the earlier answer stands
    if not prepared.immediate:
        notice = _("Jawaban soal %(n)d tersimpan.", n=prepared.position)
    else:
        notice = None if saved else _("Jawaban untuk soal ini sudah tersimpan sebelumnya dan tidak diubah.")
    target = prepared.target
    next_page = _page(session, attempt, prepared.items, prepared.shown.get(target), target) \
        if prepared.quiz is not None else None
    return Answered(saved=saved, notice=notice, position=target, page=next_page)


# --- finishing --------------------------------------------------------------------------------------------------------

def finish(session, actor, attempt, now=None):
    """Score a locked attempt from its stored answers and close it (once; finishing again changes nothing). A pass
    issues the certificate. Sends `events.attempt_finished`."""
    now = now or utcnow()
    if attempt.finished_at is not None:
        return attempt
    items = attempt_items(session, attempt)
    shown = shown_questions(session, items, len(items), links=False)
    scores = {s.item.id: s.credit for s in shown}  # None: not scored (an essay)
    counted = [score for score in scores.values() if score is not None]
    total = round(100 * sum(counted) / len(counted), 2) if counted else 0.0
    passed = total + 1e-9 >= attempt.pass_mark
    quiz = session.get(Quiz, attempt.quiz_id)
    valid_until = quizzes.add_months(now, quiz.validity_months) if passed and quiz.validity_months else None
    closed = session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.finished_at.is_(None))
        .values(finished_at=now, score=total, passed=passed, valid_until=valid_until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:  # finished meanwhile (only possible when the caller did not lock it)
        session.refresh(attempt)
        return attempt
    for name, value in (("finished_at", now), ("score", total), ("passed", passed), ("valid_until", valid_until)):
        set_committed_value(attempt, name, value)
    for item in items:
        session.execute(update(AttemptQuestion).where(AttemptQuestion.id == item.id)
                        .values(score=scores[item.id]).execution_options(synchronize_session=False))
        set_committed_value(item, "score", scores[item.id])
    if passed and quiz.certificate:
        user = session.get(User, attempt.user_id)
        unit = session.get(Unit, user.unit_id)
        certificates.issue(session, "quiz", user.full_name, unit.name if unit else "", quiz.title,
                           valid_until=valid_until, user_id=user.id, ref_id=attempt.id, issued_at=now)
    events.attempt_finished.send(session, actor=actor, attempt=attempt, passed=passed)
    session.flush()
    return attempt
