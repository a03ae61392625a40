"""Quiz reports for admins (everything) and supervisors (their unit tree): completion and pass rate per unit, the
score distribution, per-question statistics and the handbook sections whose questions are most often missed.

Statistics follow Moodle's: the facility index is the mean score fraction of a question; the discrimination index
is the Pearson correlation between the score on the question and the score on the rest of the attempt, over
finished attempts. They are computed per question version (a new version is a different question to answer).
"""

import math
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import case, func
from sqlmodel import select

from portal import db, export_jobs, exports
from portal.models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionOption,
    QuestionSection,
    QuestionVersion,
    Quiz,
    QuizTopic,
    Section,
    SectionRevision,
    Unit,
    User,
    utcnow,
)
from portal.models.quiz import CHOICE_KINDS, TYPED_KINDS
from portal.quiz import kinds

LOW_FACILITY, HIGH_FACILITY, LOW_DISCRIMINATION, MIN_N_FOR_DISCRIMINATION = 0.3, 0.95, 0.2, 10
BINS = 10


def _in_scope(stmt, scope_path, unit=None):
    """Limit a query that joins User and Unit to the report scope and, optionally, one unit's subtree."""
    if scope_path is not None:
        stmt = stmt.where(Unit.path.startswith(scope_path))
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path))
    return stmt


def _finished_attempts(quiz_id, scope_path, unit=None):
    stmt = (select(Attempt).join(User, User.id == Attempt.user_id).join(Unit, Unit.id == User.unit_id)
            .where(Attempt.finished_at.is_not(None)))
    if quiz_id is not None:
        stmt = stmt.where(Attempt.quiz_id == quiz_id)
    return _in_scope(stmt, scope_path, unit)


# --- per unit -----------------------------------------------------------------------------------------------------

@dataclass
class UnitRow:
    unit: Unit
    members: int
    done: int  # finished at least one attempt
    passed: int  # hold a pass that is still valid

    @property
    def completion(self):
        return 100 * self.done / self.members if self.members else 0

    @property
    def pass_rate(self):
        return 100 * self.passed / self.done if self.done else 0


def scope_units(session, scope_path):
    """Units a report may show, in tree order (scope None: all)."""
    from portal.accounts.services import all_units

    return [u for u in all_units(session) if scope_path is None or u.path.startswith(scope_path)]


def unit_rows(session, quiz, scope_path, counts=None):
    """[UnitRow] of every unit in scope, in tree order (`counts`: unit_counts when the caller has them)."""
    units = scope_units(session, scope_path)
    counts = unit_counts(session, quiz, scope_path, units) if counts is None else counts
    return [UnitRow(u, *counts.get(u.id, (0, 0, 0))) for u in units]


def unit_counts(session, quiz, scope_path, units=None):
    """{unit id: (active members, who finished an attempt, who holds a valid pass)} for the units in scope."""
    units = scope_units(session, scope_path) if units is None else units
    if not units:
        return {}
    unit_ids = [u.id for u in units]
    members = dict(session.exec(select(User.unit_id, func.count()).where(User.active, User.unit_id.in_(unit_ids))
                                .group_by(User.unit_id)).all())
    done = dict(session.exec(
        select(User.unit_id, func.count(func.distinct(Attempt.user_id))).join(User, User.id == Attempt.user_id)
        .where(User.active, User.unit_id.in_(unit_ids), Attempt.quiz_id == quiz.id, Attempt.finished_at.is_not(None))
        .group_by(User.unit_id)).all())
    now = utcnow()
    passed = dict(session.exec(
        select(User.unit_id, func.count(func.distinct(Attempt.user_id))).join(User, User.id == Attempt.user_id)
        .where(User.active, User.unit_id.in_(unit_ids), Attempt.quiz_id == quiz.id, Attempt.passed.is_(True),
               (Attempt.valid_until.is_(None)) | (Attempt.valid_until >= now))
        .group_by(User.unit_id)).all())
    return {u.id: (members.get(u.id, 0), done.get(u.id, 0), passed.get(u.id, 0)) for u in units
            if u.id in members or u.id in done}


def totals(rows):
    members = sum(r.members for r in rows)
    done = sum(r.done for r in rows)
    passed = sum(r.passed for r in rows)
    return UnitRow(None, members, done, passed)


# --- score distribution -------------------------------------------------------------------------------------------

def score_histogram(session, quiz, scope_path, unit=None):
    """Counts of finished attempts per 10-point band: [0-9, 10-19, ..., 90-100]."""
    counts = [0] * BINS
    for score in session.exec(_finished_attempts(quiz.id, scope_path, unit).with_only_columns(Attempt.score)).all():
        counts[min(int((score or 0) // 10), BINS - 1)] += 1
    return counts


def bin_label(index):
    return f"{index * 10}–{index * 10 + 9}" if index < BINS - 1 else "90–100"


# --- per question -------------------------------------------------------------------------------------------------

@dataclass
class OptionStat:
    option: QuestionOption
    share: float  # of attempts that drew the question, the share that chose this option


@dataclass
class QuestionStat:
    question: Question
    version: QuestionVersion
    topic: QuizTopic
    n: int
    facility: float | None
    discrimination: float | None
    unanswered: float
    options: list = field(default_factory=list)

    @property
    def flags(self):
        out = []
        if self.facility is not None and self.facility < LOW_FACILITY:
            out.append(("hard", _("terlalu sulit")))
        if self.facility is not None and self.facility > HIGH_FACILITY:
            out.append(("easy", _("terlalu mudah")))
        if self.n >= MIN_N_FOR_DISCRIMINATION and (self.discrimination is None
                                                   or self.discrimination < LOW_DISCRIMINATION):
            out.append(("discrimination", _("daya beda rendah")))
        return out


def _scored_items(quiz_id, scope_path, unit=None, totals=False):
    """The scored questions (not essays) of finished attempts in scope, as a subquery: attempt_id, version_id,
    score, chosen, response, answered, and with `totals` total (the attempt's score over its scored questions;
    partitioned by the attempt, which the scan through the quiz's attempts already follows: no sort)."""
    total = [func.sum(AttemptQuestion.score).over(partition_by=Attempt.id).label("total")] if totals else []
    stmt = (select(AttemptQuestion.attempt_id.label("attempt_id"), AttemptQuestion.version_id.label("version_id"),
                   AttemptQuestion.score.label("score"), AttemptQuestion.chosen.label("chosen"),
                   AttemptQuestion.response.label("response"),
                   AttemptQuestion.answered_at.is_not(None).label("answered"), *total)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .join(User, User.id == Attempt.user_id).join(Unit, Unit.id == User.unit_id)
            .where(Attempt.finished_at.is_not(None), AttemptQuestion.score.is_not(None)))
    if quiz_id is not None:
        stmt = stmt.where(Attempt.quiz_id == quiz_id)
    return _in_scope(stmt, scope_path, unit).subquery("scored_items")


@dataclass
class VersionSums:
    """What the database sums up over the answers to one question version: their number `n`, the sums of the score
    x, of the rest of the attempt's score r and of their squares and product (Pearson's from sums), the unanswered
    and the not fully right."""

    n: int
    sx: float
    sxx: float
    sr: float
    srr: float
    sxr: float
    unanswered: int
    wrong: int

    @property
    def discrimination(self):
        """The Pearson correlation of x and r (None when either does not vary, or fewer than two answers)."""
        if self.n < 2:
            return None
        sxx = self.sxx - self.sx * self.sx / self.n
        srr = self.srr - self.sr * self.sr / self.n
        if sxx <= 1e-9 or srr <= 1e-9:
            return None
        return (self.sxr - self.sx * self.sr / self.n) / math.sqrt(sxx * srr)


def version_sums(session, quiz, scope_path, unit=None):
    """{version id: VersionSums} over the finished attempts in scope. Summed in the database (the answers of
    200,000 attempts are three million rows: read into Python, the report page took 50 s)."""
    items = _scored_items(quiz.id if quiz else None, scope_path, unit, totals=True)
    x = items.c.score
    rest = items.c.total - x
    rows = session.exec(
        select(items.c.version_id, func.count(), func.sum(x), func.sum(x * x), func.sum(rest), func.sum(rest * rest),
               func.sum(x * rest), func.sum(case((items.c.answered, 0), else_=1)),
               func.sum(case((x < 0.999, 1), else_=0)))
        .group_by(items.c.version_id)).all()
    return {row[0]: VersionSums(int(row[1]), *(float(v or 0) for v in row[2:7]), int(row[7] or 0), int(row[8] or 0))
            for row in rows}


def answer_counts(session, quiz, scope_path, unit, version_ids):
    """{version id: [(chosen, response, count)]}: the distinct answers to the choice, short-answer and numerical
    versions among `version_ids`, counted in the database."""
    if not version_ids:
        return {}
    items = _scored_items(quiz.id if quiz else None, scope_path, unit)
    counted = {}
    for version_id, chosen, response, n in session.exec(
            select(items.c.version_id, items.c.chosen, items.c.response, func.count())
            .where(items.c.version_id.in_(version_ids))
            .group_by(items.c.version_id, items.c.chosen, items.c.response)).all():
        counted.setdefault(version_id, []).append((chosen, response, n))
    return counted


def counted_versions(versions):
    """Ids of the versions whose distinct answers the report counts (choices, short answers, numbers)."""
    return [v.id for v in versions if v.kind in CHOICE_KINDS or v.kind in TYPED_KINDS]


def _option_stats(kind, options, answers, n):
    """Of the `n` attempts that drew a question, the share that chose each option (choice kinds) or whose answer
    matched each accepted answer (short answer, numerical), from its distinct answers [(chosen, response, count)].
    Matching questions have no per-option shares."""
    if kind in CHOICE_KINDS:
        chosen = [(set(kinds.ids(c)), count) for c, _r, count in answers]
        return [OptionStat(o, sum(count for ids, count in chosen if o.id in ids) / n) for o in options]
    if kind in TYPED_KINDS:
        matched = [(kinds.matching_answer(kind, options, response), count) for _c, response, count in answers]
        return [OptionStat(o, sum(count for m, count in matched if m is not None and m.id == o.id) / n)
                for o in options]
    return []


def question_stats(session, quiz, scope_path, unit=None, sums=None, answers=None):
    """[QuestionStat] per question version answered in scope (`sums`, `answers`: version_sums and answer_counts
    when the caller has them)."""
    sums = version_sums(session, quiz, scope_path, unit) if sums is None else sums
    if not sums:
        return []
    versions = {v.id: v for v in session.exec(select(QuestionVersion)
                                              .where(QuestionVersion.id.in_(list(sums)))).all()}
    questions = {q.id: q for q in session.exec(select(Question).where(
        Question.id.in_({v.question_id for v in versions.values()}))).all()}
    topics = {t.id: t for t in session.exec(select(QuizTopic)).all()}
    options = {}
    for option in session.exec(select(QuestionOption).where(QuestionOption.version_id.in_(list(sums)))
                               .order_by(QuestionOption.position)).all():
        options.setdefault(option.version_id, []).append(option)
    if answers is None:
        answers = answer_counts(session, quiz, scope_path, unit, counted_versions(versions.values()))
    stats = []
    for version_id, summed in sums.items():
        version = versions[version_id]
        question = questions[version.question_id]
        n = summed.n
        stats.append(QuestionStat(question=question, version=version, topic=topics.get(question.topic_id), n=n,
                                  facility=summed.sx / n, discrimination=summed.discrimination,
                                  unanswered=summed.unanswered / n,
                                  options=_option_stats(version.kind, options.get(version_id, []),
                                                        answers.get(version_id, []), n)))
    stats.sort(key=lambda s: ((s.topic.position, s.topic.name) if s.topic else (0, ""), s.question.name,
                              s.version.number))
    return stats


# --- handbook sections most often missed -----------------------------------------------------------------------------

@dataclass
class SectionStat:
    slug: str
    title: str
    attempts: int  # answers to questions linked to the section
    wrong: int  # of those, not fully right

    @property
    def share_wrong(self):
        return self.wrong / self.attempts if self.attempts else 0


def section_rollup(session, quiz, scope_path, unit=None, sums=None):
    """[SectionStat] of the handbook sections linked to the questions answered in scope, most often missed first."""
    sums = version_sums(session, quiz, scope_path, unit) if sums is None else sums
    if not sums:
        return []
    question_of = dict(session.exec(select(QuestionVersion.id, QuestionVersion.question_id).where(
        QuestionVersion.id.in_(list(sums)))).all())
    links = {}
    for question_id, section_id in session.exec(select(QuestionSection.question_id, QuestionSection.section_id)
                                                .where(QuestionSection.question_id.in_(set(question_of.values())))
                                                ).all():
        links.setdefault(question_id, []).append(section_id)
    counts = {}
    for version_id, summed in sums.items():
        for section_id in links.get(question_of[version_id], []):
            seen, wrong = counts.get(section_id, (0, 0))
            counts[section_id] = (seen + summed.n, wrong + summed.wrong)
    if not counts:
        return []
    info = {r[0]: (r[1], r[2]) for r in session.exec(
        select(Section.id, Section.slug, SectionRevision.title)
        .join(SectionRevision, SectionRevision.id == Section.current_revision_id)
        .where(Section.id.in_(list(counts)))).all()}
    stats = [SectionStat(info[sid][0], info[sid][1], seen, wrong) for sid, (seen, wrong) in counts.items()
             if sid in info]
    stats.sort(key=lambda s: (-s.share_wrong, -s.attempts, s.slug))
    return stats


# --- attempts (for the export) --------------------------------------------------------------------------------------

def attempt_rows(session, quiz, scope_path, unit=None):
    """The finished attempts in scope, as rows of the export's columns (columns, not entities: 200,000 attempts
    with their people took 20 s as ORM objects, each person pulling their roles)."""
    stmt = (select(func.coalesce(User.nip, User.username), User.full_name, Unit.code, Unit.name, Quiz.title,
                   Attempt.number, Attempt.started_at, Attempt.finished_at, Attempt.score, Attempt.passed,
                   Attempt.valid_until).join(User, User.id == Attempt.user_id)
            .join(Unit, Unit.id == User.unit_id).join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Attempt.finished_at.is_not(None), Attempt.quiz_id == quiz.id)
            .order_by(Unit.path, User.full_name, Attempt.number))
    return session.exec(_in_scope(stmt, scope_path, unit)).all()


def attempts_in_scope(session, quiz, scope_path, unit=None):
    """How many finished attempts a report of `quiz` reads (what decides whether its export leaves the request)."""
    stmt = (select(func.count()).select_from(Attempt).join(User, User.id == Attempt.user_id)
            .join(Unit, Unit.id == User.unit_id).where(Attempt.finished_at.is_not(None), Attempt.quiz_id == quiz.id))
    return session.exec(_in_scope(stmt, scope_path, unit)).one()


# --- exports ------------------------------------------------------------------------------------------------------

EXPORT_KINDS = ("unit", "soal", "bagian", "percobaan")


def _pct(value):
    return None if value is None else round(100 * value, 1)


def _date(value):
    return value  # a real date and time in the export (WIB), or empty


@db.plans_for_values
def export_table(session, kind, quiz, scope_path, unit=None):
    """(header, rows, column widths) of one export."""
    if kind == "unit":
        header = ["unit_kode", "unit", "pegawai_aktif", "sudah_mengerjakan", "lulus_berlaku", "persen_selesai",
                  "persen_lulus"]
        rows = [[r.unit.code, r.unit.name, r.members, r.done, r.passed, round(r.completion, 1),
                 round(r.pass_rate, 1)] for r in unit_rows(session, quiz, scope_path)
                if unit is None or r.unit.path.startswith(unit.path)]
        widths = [14, 44, 14, 18, 14, 14, 12]
    elif kind == "soal":
        header = ["topik", "soal", "versi", "jenis", "n", "indeks_kemudahan", "indeks_daya_beda", "tanda",
                  "sebaran_jawaban"]
        rows = []
        for s in question_stats(session, quiz, scope_path, unit):
            spread = "; ".join(f"{chr(65 + i)} {round(100 * o.share)}%" for i, o in enumerate(s.options))
            rows.append([s.topic.name if s.topic else "", s.question.name, s.version.number, s.version.kind, s.n,
                         None if s.facility is None else round(s.facility, 3),
                         None if s.discrimination is None else round(s.discrimination, 3),
                         ", ".join(label for _code, label in s.flags), spread])
        widths = [28, 48, 8, 12, 8, 18, 18, 28, 40]
    elif kind == "bagian":
        header = ["bagian_slug", "judul_bagian", "jawaban", "persen_salah"]
        rows = [[s.slug, s.title, s.attempts, _pct(s.share_wrong)] for s in section_rollup(session, quiz,
                                                                                          scope_path, unit)]
        widths = [36, 52, 10, 14]
    elif kind == "percobaan":
        header = ["nip", "nama", "unit_kode", "unit", "kuis", "percobaan_ke", "mulai", "selesai", "nilai", "lulus",
                  "berlaku_sampai"]
        rows = [[nip, name, code, unit_name, title, number, _date(started), _date(finished), score,
                 "ya" if passed else "tidak", _date(valid_until)]
                for nip, name, code, unit_name, title, number, started, finished, score, passed, valid_until
                in attempt_rows(session, quiz, scope_path, unit)]
        widths = [22, 36, 14, 40, 36, 12, 18, 18, 8, 8, 18]
    else:
        raise ValueError(kind)
    return header, rows, widths


@export_jobs.table("quiz.report")
def export_file(session, kind, quiz_id, scope_path, unit_id=None):
    """One export as a file (in the request, or by the job worker when large: portal/export_jobs.py)."""
    quiz, unit = session.get(Quiz, quiz_id), session.get(Unit, unit_id) if unit_id else None
    header, rows, widths = export_table(session, kind, quiz, scope_path, unit)
    return export_jobs.Table(exports.columns(header, widths), rows, f"kuis-{kind}", kind)


# --- pages ----------------------------------------------------------------------------------------------------------

@db.plans_for_values
def overview_page(session, quiz, scope_path, unit, numbers):
    """The report page: completion and pass rate per unit, the score histogram, the sections most often missed and
    the per-question statistics, narrowed to `unit` when given; from `numbers` (portal/quiz/report_numbers.py)."""
    all_rows = unit_rows(session, quiz, scope_path, numbers.units)
    rows = [r for r in all_rows if unit is None or r.unit.path.startswith(unit.path)]
    units = [r.unit for r in all_rows]
    return {"rows": rows, "scope_units": units, "scope_depth": min((u.depth for u in units), default=0),
            "total": totals(rows), "histogram": numbers.histogram,
            "sections": section_rollup(session, quiz, scope_path, unit, numbers.versions)[:10],
            "stats": question_stats(session, quiz, scope_path, unit, numbers.versions, numbers.answers)}


@db.plans_for_values
def questions_page(session, quiz, scope_path, unit, numbers):
    """The per-question statistics page and the handbook sections behind the missed questions, from `numbers`."""
    units = scope_units(session, scope_path)
    return {"scope_units": units, "scope_depth": min((u.depth for u in units), default=0),
            "stats": question_stats(session, quiz, scope_path, unit, numbers.versions, numbers.answers),
            "sections": section_rollup(session, quiz, scope_path, unit, numbers.versions)}
