"""Quiz use cases: the question bank (topics, questions with versions, proposals), quizzes, taking a quiz
(draw, answer, finish, result, certificate) and the dashboard card. Reports are in reports.py, GIFT import and
export in exchange.py. Views call these with plain values; every admin/humas write is audited.

Answers are saved with a compare-and-set UPDATE, so a double click or a replayed POST never counts twice, and the
score is computed once, at finish, from the stored answers.
"""

import calendar
import random
from dataclasses import dataclass, field
from datetime import timedelta

from flask import url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal import audit, certificates
from portal.errors import DomainError
from portal.markdown import render_markdown
from portal.models import (
    Attempt,
    AttemptQuestion,
    Chapter,
    EditionSection,
    Question,
    QuestionOption,
    QuestionSection,
    QuestionVersion,
    Quiz,
    QuizTopic,
    QuizTopicRule,
    QuizTopicSection,
    Section,
    SectionRevision,
    Unit,
    User,
    utcnow,
)
from portal.models.quiz import FEEDBACK_MODES, QUESTION_KINDS, QUESTION_STATUSES
from portal.quiz import gift, images

MAX_NAME = 200
MAX_STEM = 20_000
MAX_OPTION = 2_000
MAX_FEEDBACK = 4_000
MAX_OPTIONS = 10
MAX_PER_TOPIC = 50
EXPIRY_WARNING_DAYS = 30


# --- small helpers ------------------------------------------------------------------------------------------------

def add_months(moment, months):
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _ids(text):
    return [int(x) for x in (text or "").split(",") if x]


def score_choice(kind, options_by_id, chosen_ids):
    """Credit 0..1 for the chosen options. Single choice and true/false: the chosen option's fraction.
    Multiple response: the sum of the chosen fractions (wrong picks cost), never below 0 nor above 1."""
    chosen = [i for i in chosen_ids if i in options_by_id]
    if not chosen:
        return 0.0
    if kind != "multi":
        return max(0.0, min(1.0, options_by_id[chosen[0]].fraction)) if len(chosen) == 1 else 0.0
    return max(0.0, min(1.0, sum(options_by_id[i].fraction for i in chosen)))


# --- handbook sections (links from topics and questions) -------------------------------------------------------------

def section_choices(session):
    """[(chapter title, [(section id, label)])] of the working draft, for the link pickers."""
    rows = session.exec(
        select(Section.id, Section.slug, SectionRevision.title, Chapter.title, Chapter.id)
        .join(SectionRevision, SectionRevision.id == Section.current_revision_id)
        .join(Chapter, Chapter.id == Section.chapter_id)
        .where(~Section.archived)
        .order_by(Chapter.position, Chapter.id, Section.position, Section.id)
    ).all()
    groups = {}
    for section_id, slug, title, chapter_title, _chapter_id in rows:
        groups.setdefault(chapter_title, []).append((section_id, f"{title} ({slug})"))
    return list(groups.items())


def section_ids_by_slug(session, slugs):
    if not slugs:
        return {}
    return dict(session.exec(select(Section.slug, Section.id).where(Section.slug.in_(list(slugs)))).all())


def _section_links_by_id(session, section_ids):
    """For each given section id, {"slug", "title"} when employees can open it (it is in the latest edition),
    else None."""
    wanted = {i for i in section_ids if i}
    found = {}
    if wanted:
        from portal.handbook.services import latest_edition

        edition = latest_edition(session)
        if edition is not None:
            rows = session.exec(
                select(Section.id, Section.slug, SectionRevision.title)
                .join(EditionSection, EditionSection.section_id == Section.id)
                .join(SectionRevision, SectionRevision.id == EditionSection.revision_id)
                .where(EditionSection.edition_id == edition.id, Section.id.in_(wanted))
            ).all()
            found = {r[0]: {"slug": r[1], "title": r[2]} for r in rows}
    return [found.get(i) for i in section_ids]


def section_links(session, section_ids):
    """[{"slug", "title"}] of the given sections that employees can open (in the latest edition), in order."""
    ids = list(dict.fromkeys(section_ids))
    return [link for link in _section_links_by_id(session, ids) if link]


def _existing_section_ids(session, section_ids):
    ids = [int(i) for i in dict.fromkeys(section_ids or []) if i]
    if not ids:
        return []
    known = set(session.exec(select(Section.id).where(Section.id.in_(ids))).all())
    if len(known) != len(ids):
        raise DomainError(_("Ada bagian pedoman yang tidak dikenal."), field="section_ids")
    return ids


# --- topics -------------------------------------------------------------------------------------------------------

def topics(session):
    return session.exec(select(QuizTopic).order_by(QuizTopic.position, QuizTopic.name)).all()


def topic_choices(session):
    return [(t.id, t.name) for t in topics(session)]


def topic_question_counts(session):
    """{topic id: (active questions, all questions)}."""
    rows = session.exec(select(Question.topic_id, Question.status, func.count()).group_by(Question.topic_id,
                                                                                          Question.status)).all()
    counts = {}
    for topic_id, status, n in rows:
        active, total = counts.get(topic_id, (0, 0))
        counts[topic_id] = (active + (n if status == "active" else 0), total + n)
    return counts


def topic_section_ids(session, topic_id):
    return list(session.exec(select(QuizTopicSection.section_id).where(QuizTopicSection.topic_id == topic_id)
                             .order_by(QuizTopicSection.position)).all())


def topic_sections(session):
    """{topic id: [{"slug", "title"}]} of every topic."""
    rows = session.exec(select(QuizTopicSection).order_by(QuizTopicSection.topic_id,
                                                          QuizTopicSection.position)).all()
    by_topic = {}
    for row in rows:
        by_topic.setdefault(row.topic_id, []).append(row.section_id)
    return {topic_id: section_links(session, ids) for topic_id, ids in by_topic.items()}


def _clean_topic(session, name, topic_id=None):
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise DomainError(_("Nama topik wajib diisi (paling banyak %(n)d karakter).", n=MAX_NAME), field="name")
    clash = session.exec(select(QuizTopic.id).where(func.lower(QuizTopic.name) == name.lower())).first()
    if clash is not None and clash != topic_id:
        raise DomainError(_("Topik %(name)s sudah ada.", name=name), field="name")
    return name


def _set_topic_sections(session, topic_id, section_ids):
    for row in session.exec(select(QuizTopicSection).where(QuizTopicSection.topic_id == topic_id)).all():
        session.delete(row)
    session.flush()
    for position, section_id in enumerate(section_ids):
        session.add(QuizTopicSection(topic_id=topic_id, section_id=section_id, position=position))


def create_topic(session, actor, name, description="", position=None, section_ids=(), commit=True):
    name = _clean_topic(session, name)
    ids = _existing_section_ids(session, section_ids)
    if position is None:
        position = (session.exec(select(func.max(QuizTopic.position))).one() or 0) + 1
    topic = QuizTopic(name=name, description=(description or "").strip(), position=position)
    session.add(topic)
    session.flush()
    _set_topic_sections(session, topic.id, ids)
    audit.record(session, actor, "quiz.topic_create", "quiz_topic", topic.id, name)
    if commit:
        session.commit()
    return topic


def update_topic(session, actor, topic, name, description, position, section_ids):
    before = audit.snapshot(topic, ("name", "description", "position"))
    before["sections"] = topic_section_ids(session, topic.id)
    topic.name = _clean_topic(session, name, topic.id)
    ids = _existing_section_ids(session, section_ids)
    topic.description, topic.position = (description or "").strip(), position
    session.add(topic)
    _set_topic_sections(session, topic.id, ids)
    after = audit.snapshot(topic, ("name", "description", "position"))
    after["sections"] = ids
    audit.record(session, actor, "quiz.topic_update", "quiz_topic", topic.id, topic.name, before=before, after=after)
    session.commit()


def topic_by_name(session, name):
    return session.exec(select(QuizTopic).where(func.lower(QuizTopic.name) == name.strip().lower())).first()


# --- questions ----------------------------------------------------------------------------------------------------

@dataclass
class OptionInput:
    text: str
    fraction: float  # -1..1
    feedback: str = ""


@dataclass
class QuestionInput:
    """What an editor (or an import) says a question should be."""

    topic_id: int
    kind: str
    stem: str
    options: list[OptionInput]
    name: str = ""
    explanation: str = ""
    section_ids: list[int] = field(default_factory=list)
    difficulty: int = 2
    image: str | None = None  # stored image name ("<sha256>.<ext>")
    image_alt: str = ""


def true_false_options(correct_is_true, feedback_true="", feedback_false=""):
    return [OptionInput(gift.TF_TRUE, 1.0 if correct_is_true else 0.0, feedback_true),
            OptionInput(gift.TF_FALSE, 0.0 if correct_is_true else 1.0, feedback_false)]


def _unique_auto_name(session, topic_id, base, question_id=None):
    name, n = base[:MAX_NAME], 2
    while True:
        clash = session.exec(select(Question.id).where(Question.topic_id == topic_id, Question.name == name)).first()
        if clash is None or clash == question_id:
            return name
        name, n = f"{base[:MAX_NAME - 6]} ({n})", n + 1


def _clean_question(session, data, question_id=None):
    if session.get(QuizTopic, data.topic_id or 0) is None:
        raise DomainError(_("Pilih topik soal."), field="topic_id")
    if data.kind not in QUESTION_KINDS:
        raise DomainError(_("Jenis soal tidak dikenal."), field="kind")
    stem = (data.stem or "").replace("\r\n", "\n").strip()
    if not stem:
        raise DomainError(_("Teks soal wajib diisi."), field="stem")
    if len(stem) > MAX_STEM:
        raise DomainError(_("Teks soal terlalu panjang (paling banyak %(n)d karakter).", n=MAX_STEM), field="stem")
    explanation = (data.explanation or "").replace("\r\n", "\n").strip()
    if len(explanation) > MAX_STEM:
        raise DomainError(_("Pembahasan terlalu panjang (paling banyak %(n)d karakter).", n=MAX_STEM),
                          field="explanation")
    options = []
    for option in data.options:
        text = (option.text or "").replace("\r\n", "\n").strip()
        feedback = (option.feedback or "").replace("\r\n", "\n").strip()
        if not text and not feedback and not option.fraction:
            continue  # an empty row of the form
        if len(text) > MAX_OPTION or len(feedback) > MAX_FEEDBACK:
            raise DomainError(_("Teks jawaban atau umpan baliknya terlalu panjang."), field="options")
        fraction = round(float(option.fraction), 7)
        if not -1 <= fraction <= 1:
            raise DomainError(_("Bobot jawaban harus antara -100 dan 100 persen."), field="options")
        options.append(OptionInput(text, fraction, feedback))
    if len(options) > MAX_OPTIONS:
        raise DomainError(_("Paling banyak %(n)d pilihan jawaban.", n=MAX_OPTIONS), field="options")
    if data.kind == "truefalse":
        if len(options) != 2 or sorted(o.fraction for o in options) != [0.0, 1.0]:
            raise DomainError(_("Soal benar/salah memerlukan tepat satu jawaban benar."), field="options")
    else:
        problem = gift.check_answers(data.kind, options)
        if problem:
            raise DomainError(problem, field="options")
    difficulty = data.difficulty if data.difficulty in (1, 2, 3) else 2
    image_alt = " ".join((data.image_alt or "").split())[:300]
    if data.image and not image_alt:
        raise DomainError(_("Tulis teks alternatif yang menjelaskan isi gambar bagi pembaca layar."),
                          field="image_alt")
    name = " ".join((data.name or "").split())
    if len(name) > MAX_NAME:
        raise DomainError(_("Nama soal paling banyak %(n)d karakter.", n=MAX_NAME), field="name")
    if name:
        clash = session.exec(select(Question.id).where(Question.topic_id == data.topic_id,
                                                       Question.name == name)).first()
        if clash is not None and clash != question_id:
            raise DomainError(_("Nama soal %(name)s sudah dipakai di topik ini.", name=name), field="name")
    else:
        name = _unique_auto_name(session, data.topic_id, gift._auto_name(stem), question_id)
    section_ids = _existing_section_ids(session, data.section_ids)
    return QuestionInput(topic_id=data.topic_id, kind=data.kind, stem=stem, options=options, name=name,
                         explanation=explanation, section_ids=section_ids, difficulty=difficulty,
                         image=data.image or None, image_alt=image_alt if data.image else "")


def _content_of(kind, stem, explanation, image, image_alt, options):
    return (kind, stem, explanation, image or None, image_alt or "",
            tuple((o.text, round(o.fraction, 7), o.feedback) for o in options))


def version_options(session, version_id):
    return session.exec(select(QuestionOption).where(QuestionOption.version_id == version_id)
                        .order_by(QuestionOption.position, QuestionOption.id)).all()


def _version_content(session, version):
    return _content_of(version.kind, version.stem, version.explanation, version.image, version.image_alt,
                       version_options(session, version.id))


def inline_html(text):
    """Markdown for a short text shown inside a label: a single paragraph loses its <p>."""
    html = str(render_markdown(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def _write_options(session, version, options):
    for position, option in enumerate(options):
        session.add(QuestionOption(version_id=version.id, position=position, text=option.text,
                                   text_html=inline_html(option.text), fraction=option.fraction,
                                   feedback=option.feedback))


def _fill_version(version, data):
    version.kind, version.stem, version.explanation = data.kind, data.stem, data.explanation
    version.stem_html = str(render_markdown(data.stem))
    version.explanation_html = str(render_markdown(data.explanation)) if data.explanation else ""
    version.image, version.image_alt = data.image, data.image_alt


def _add_version(session, actor, question, number, data):
    version = QuestionVersion(question_id=question.id, number=number, kind=data.kind, stem="", stem_html="",
                              author_id=getattr(actor, "id", None))
    _fill_version(version, data)
    session.add(version)
    session.flush()
    _write_options(session, version, data.options)
    return version


def _set_question_sections(session, question_id, section_ids):
    for row in session.exec(select(QuestionSection).where(QuestionSection.question_id == question_id)).all():
        session.delete(row)
    session.flush()
    for position, section_id in enumerate(section_ids):
        session.add(QuestionSection(question_id=question_id, section_id=section_id, position=position))


def question_section_ids(session, question_id):
    return list(session.exec(select(QuestionSection.section_id).where(QuestionSection.question_id == question_id)
                             .order_by(QuestionSection.position)).all())


def create_question(session, actor, data, status="draft", commit=True):
    if status not in QUESTION_STATUSES:
        raise DomainError(_("Status soal tidak dikenal."))
    data = _clean_question(session, data)
    question = Question(topic_id=data.topic_id, name=data.name, kind=data.kind, difficulty=data.difficulty,
                        status=status, proposed_by_id=getattr(actor, "id", None))
    session.add(question)
    session.flush()
    version = _add_version(session, actor, question, 1, data)
    question.current_version_id = version.id
    session.add(question)
    _set_question_sections(session, question.id, data.section_ids)
    audit.record(session, actor, "quiz.question_create", "quiz_question", question.id,
                 f"{data.name} ({status})", after={"status": status, "kind": data.kind})
    if commit:
        session.commit()
    return question


def version_in_use(session, version_id):
    return session.exec(select(exists().where(AttemptQuestion.version_id == version_id))).one()


def update_question(session, actor, question, data, commit=True):
    """Save an edit. Returns "new_version" (the old one was already drawn in an attempt, so it stays as it was),
    "updated" (changed in place) or "same"."""
    data = _clean_question(session, data, question.id)
    current = session.get(QuestionVersion, question.current_version_id)
    new_content = _content_of(data.kind, data.stem, data.explanation, data.image, data.image_alt, data.options)
    content_changed = current is None or _version_content(session, current) != new_content
    meta_before = (question.name, question.topic_id, question.difficulty, question_section_ids(session, question.id))
    meta_after = (data.name, data.topic_id, data.difficulty, data.section_ids)
    if not content_changed and meta_before == meta_after:
        return "same"
    outcome = "updated"
    if content_changed:
        if current is None or version_in_use(session, current.id):
            number = (session.exec(select(func.max(QuestionVersion.number))
                                   .where(QuestionVersion.question_id == question.id)).one() or 0) + 1
            current = _add_version(session, actor, question, number, data)
            question.current_version_id = current.id
            outcome = "new_version"
        else:
            _fill_version(current, data)
            session.add(current)
            for option in version_options(session, current.id):
                session.delete(option)
            session.flush()
            _write_options(session, current, data.options)
    question.name, question.topic_id, question.difficulty, question.kind = (data.name, data.topic_id,
                                                                            data.difficulty, data.kind)
    question.updated_at = utcnow()
    session.add(question)
    _set_question_sections(session, question.id, data.section_ids)
    audit.record(session, actor, "quiz.question_update", "quiz_question", question.id,
                 f"{question.name}: {outcome} (v{current.number})",
                 before={"name": meta_before[0], "topic_id": meta_before[1], "difficulty": meta_before[2]},
                 after={"name": data.name, "topic_id": data.topic_id, "difficulty": data.difficulty,
                        "version": current.number})
    if commit:
        session.commit()
    return outcome


def save_question(session, actor, question, data, upload=None, remove_image=False, status="draft"):
    """The editor's save: store an uploaded scenario image (or keep/remove the current one), then create the
    question (question=None, with `status`) or update it (see update_question)."""
    if upload is not None:
        data.image = images.store(upload)
    elif question is not None and not remove_image:
        current = session.get(QuestionVersion, question.current_version_id)
        data.image = current.image if current else None
    if question is None:
        return create_question(session, actor, data, status=status)
    return update_question(session, actor, question, data)


def image_visible(session, user, name):
    """Whether `user` may see a stored scenario image: it must belong to a question version; images only used by
    proposals (drafts) are for the bank's editors."""
    from portal.permissions import can

    statuses = session.exec(select(Question.status).join(QuestionVersion, QuestionVersion.question_id == Question.id)
                            .where(QuestionVersion.image == name)).all()
    if not statuses:
        return False
    return can(user, "quiz.propose") or any(status != "draft" for status in statuses)


def set_question_status(session, actor, question, status):
    if status not in QUESTION_STATUSES:
        raise DomainError(_("Status soal tidak dikenal."))
    if question.status == status:
        return
    before = question.status
    question.status, question.updated_at = status, utcnow()
    session.add(question)
    audit.record(session, actor, "quiz.question_status", "quiz_question", question.id,
                 f"{question.name}: {before} -> {status}", before={"status": before}, after={"status": status})
    session.commit()


def can_edit_question(user, question):
    """Admins edit every question; humas edit only their own proposals while they are drafts."""
    from portal.permissions import can

    if can(user, "quiz.manage"):
        return True
    return (can(user, "quiz.propose") and question.status == "draft"
            and question.proposed_by_id == getattr(user, "id", None))


@dataclass
class BankRow:
    question: Question
    version: QuestionVersion
    topic: QuizTopic
    proposer: User | None
    versions: int


def bank(session, topic_id=None, status=None, kind=None, query="", limit=500):
    """Questions of the bank with their current version, newest changes last within a topic."""
    stmt = (select(Question, QuestionVersion, QuizTopic, User)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .join(QuizTopic, QuizTopic.id == Question.topic_id)
            .join(User, User.id == Question.proposed_by_id, isouter=True)
            .order_by(QuizTopic.position, QuizTopic.name, Question.name))
    if topic_id:
        stmt = stmt.where(Question.topic_id == topic_id)
    if status in QUESTION_STATUSES:
        stmt = stmt.where(Question.status == status)
    if kind in QUESTION_KINDS:
        stmt = stmt.where(Question.kind == kind)
    if query:
        needle = query.lower()
        stmt = stmt.where(func.lower(Question.name).contains(needle, autoescape=True)
                          | func.lower(QuestionVersion.stem).contains(needle, autoescape=True))
    rows = session.exec(stmt.limit(limit)).all()
    counts = dict(session.exec(select(QuestionVersion.question_id, func.count())
                               .group_by(QuestionVersion.question_id)).all())
    return [BankRow(q, v, t, u, counts.get(q.id, 1)) for q, v, t, u in rows]


def status_counts(session):
    return dict(session.exec(select(Question.status, func.count()).group_by(Question.status)).all())


def question_versions(session, question):
    return session.exec(select(QuestionVersion, User).join(User, User.id == QuestionVersion.author_id, isouter=True)
                        .where(QuestionVersion.question_id == question.id)
                        .order_by(QuestionVersion.number.desc())).all()


def version_usage(session, question):
    """{version id: number of attempts that drew it}."""
    return dict(session.exec(
        select(AttemptQuestion.version_id, func.count()).join(QuestionVersion,
                                                               QuestionVersion.id == AttemptQuestion.version_id)
        .where(QuestionVersion.question_id == question.id).group_by(AttemptQuestion.version_id)).all())


# --- quizzes ------------------------------------------------------------------------------------------------------

def quizzes(session, active_only=False):
    stmt = select(Quiz).order_by(Quiz.position, Quiz.id)
    if active_only:
        stmt = stmt.where(Quiz.active)
    return session.exec(stmt).all()


def quiz_rules(session, quiz_id):
    """{topic id: count}."""
    return dict(session.exec(select(QuizTopicRule.topic_id, QuizTopicRule.count)
                             .where(QuizTopicRule.quiz_id == quiz_id)).all())


def active_question_counts(session):
    return dict(session.exec(select(Question.topic_id, func.count()).where(Question.status == "active")
                             .group_by(Question.topic_id)).all())


def quiz_size(session, quiz_id):
    """How many questions an attempt gets now (a topic with fewer active questions gives what it has)."""
    available = active_question_counts(session)
    return sum(min(count, available.get(topic_id, 0)) for topic_id, count in quiz_rules(session, quiz_id).items())


QUIZ_FIELDS = ("title", "description", "pass_mark", "max_attempts", "cooldown_hours", "feedback_mode",
               "shuffle_questions", "shuffle_options", "certificate", "validity_months", "active")


def save_quiz(session, actor, quiz, rules, commit=True, **values):
    """Create (quiz=None) or update a quiz. `rules` is {topic id: questions to draw}."""
    title = " ".join((values.get("title") or "").split())
    if not title or len(title) > MAX_NAME:
        raise DomainError(_("Judul kuis wajib diisi (paling banyak %(n)d karakter).", n=MAX_NAME), field="title")
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
    known = {t.id for t in topics(session)}
    clean_rules = {}
    for topic_id, count in (rules or {}).items():
        if topic_id not in known:
            raise DomainError(_("Topik tidak dikenal."), field="rules")
        if count is None or count == 0:
            continue
        if not 0 < count <= MAX_PER_TOPIC:
            raise DomainError(_("Jumlah soal per topik antara 0 dan %(n)d.", n=MAX_PER_TOPIC), field="rules")
        clean_rules[topic_id] = count
    if not clean_rules:
        raise DomainError(_("Tentukan jumlah soal untuk paling sedikit satu topik."), field="rules")
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
    if commit:
        session.commit()
    return quiz


# --- taking a quiz: status and eligibility --------------------------------------------------------------------------

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


def quiz_status(session, user, quiz, now=None):
    now = now or utcnow()
    mine = session.exec(select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
                        .order_by(Attempt.started_at.desc(), Attempt.id.desc())).all()
    status = QuizStatus(quiz=quiz, size=quiz_size(session, quiz.id), attempts=len(mine))
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
        status.reason = _("Anda sudah memakai semua %(n)d kesempatan mengerjakan kuis ini.", n=quiz.max_attempts)
    elif quiz.cooldown_hours and status.last_finished is not None:
        ready = status.last_finished.finished_at + timedelta(hours=quiz.cooldown_hours)
        if ready > now:
            status.can_start, status.next_start_at = False, ready
            status.reason = _("Anda baru saja menyelesaikan kuis ini. Anda dapat mencoba lagi mulai %(t)s.",
                              t=format_datetime(ready, "d MMM yyyy, HH.mm") + " WIB")
    return status


def overview(session, user):
    return [quiz_status(session, user, quiz) for quiz in quizzes(session, active_only=True)]


# --- taking a quiz: start, answer, finish --------------------------------------------------------------------------

def draw(session, quiz, rng):
    """[(topic id, version id, [option ids in shown order])] for a new attempt."""
    rules = session.exec(select(QuizTopicRule, QuizTopic).join(QuizTopic, QuizTopic.id == QuizTopicRule.topic_id)
                         .where(QuizTopicRule.quiz_id == quiz.id).order_by(QuizTopic.position, QuizTopic.id)).all()
    picked = []
    for rule, topic in rules:
        candidates = session.exec(select(Question.id, Question.current_version_id)
                                  .where(Question.topic_id == topic.id, Question.status == "active",
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
        options.setdefault(option.version_id, []).append(option.id)
    out = []
    for topic_id, version_id in picked:
        order = list(options.get(version_id, []))
        if quiz.shuffle_options and versions[version_id].kind != "truefalse":
            rng.shuffle(order)
        out.append((topic_id, version_id, order))
    return out


def open_attempt(session, user, quiz_id):
    return session.exec(select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz_id,
                                              Attempt.finished_at.is_(None))).first()


def start(session, user, quiz, now=None, rng=None):
    """The user's unfinished attempt at `quiz`, or a new one with a fresh draw (DomainError when not allowed)."""
    now = now or utcnow()
    status = quiz_status(session, user, quiz, now)
    if status.open_attempt is not None:
        return status.open_attempt
    if not status.can_start:
        raise DomainError(status.reason)
    picked = draw(session, quiz, rng or random.SystemRandom())
    if not picked:
        raise DomainError(_("Kuis ini belum memiliki soal aktif."))
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, number=status.attempts + 1,
                      feedback_mode=quiz.feedback_mode, pass_mark=quiz.pass_mark, started_at=now)
    try:
        session.add(attempt)
        session.flush()
        for position, (topic_id, version_id, order) in enumerate(picked, start=1):
            session.add(AttemptQuestion(attempt_id=attempt.id, position=position, version_id=version_id,
                                        topic_id=topic_id, option_order=",".join(map(str, order))))
        session.commit()
    except IntegrityError:  # "Mulai" pressed twice at once: the other request's attempt won
        session.rollback()
        existing = open_attempt(session, user, quiz.id)
        if existing is None:
            raise
        return existing
    return attempt


def attempt_of(session, user, attempt_id):
    """The user's own attempt, or None (someone else's attempt is never returned)."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        return None
    return attempt


def attempt_items(session, attempt):
    return session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                        .order_by(AttemptQuestion.position)).all()


def first_unanswered(items):
    return next((item.position for item in items if item.answered_at is None), None)


@dataclass
class ShownQuestion:
    item: AttemptQuestion
    version: QuestionVersion
    options: list  # QuestionOption in the order shown to this person
    topic: QuizTopic
    question: Question
    links: list  # [{"slug", "title"}]
    total: int

    @property
    def position(self):
        return self.item.position

    @property
    def answered(self):
        return self.item.answered_at is not None

    @property
    def chosen(self):
        return _ids(self.item.chosen)

    @property
    def kind(self):
        return self.version.kind

    @property
    def credit(self):
        return score_choice(self.kind, {o.id: o for o in self.options}, self.chosen)

    @property
    def verdict(self):
        if not self.answered:
            return "unanswered"
        credit = self.credit
        return "right" if credit >= 0.999 else ("partial" if credit > 0 else "wrong")

    def is_correct_option(self, option):
        if self.kind == "multi":
            return option.fraction > 0
        best = max(o.fraction for o in self.options)
        return option.fraction >= best and option.fraction > 0


def _shown(session, items, total):
    """ShownQuestion for each AttemptQuestion (batched lookups)."""
    if not items:
        return []
    version_ids = {i.version_id for i in items}
    versions = {v.id: v for v in session.exec(select(QuestionVersion)
                                              .where(QuestionVersion.id.in_(version_ids))).all()}
    questions = {q.id: q for q in session.exec(select(Question).where(
        Question.id.in_({v.question_id for v in versions.values()}))).all()}
    options = {o.id: o for o in session.exec(select(QuestionOption)
                                             .where(QuestionOption.version_id.in_(version_ids))).all()}
    topics_by_id = {t.id: t for t in session.exec(select(QuizTopic).where(
        QuizTopic.id.in_({i.topic_id for i in items}))).all()}
    links = {}
    for row in session.exec(select(QuestionSection).where(QuestionSection.question_id.in_(list(questions)))
                            .order_by(QuestionSection.position)).all():
        links.setdefault(row.question_id, []).append(row.section_id)
    published = {}
    if links:
        every = [sid for ids in links.values() for sid in ids]
        published = {sid: link for sid, link in zip(every, _section_links_by_id(session, every), strict=True)}
    all_links = {qid: [published[sid] for sid in ids if published.get(sid)] for qid, ids in links.items()}
    out = []
    for item in items:
        version = versions[item.version_id]
        out.append(ShownQuestion(item=item, version=version,
                                 options=[options[i] for i in _ids(item.option_order) if i in options],
                                 topic=topics_by_id.get(item.topic_id), question=questions[version.question_id],
                                 links=all_links.get(version.question_id, []), total=total))
    return out


def shown_question(session, attempt, position):
    items = attempt_items(session, attempt)
    item = next((i for i in items if i.position == position), None)
    if item is None:
        return None
    return _shown(session, [item], len(items))[0]


def progress(items):
    return sum(1 for i in items if i.answered_at is not None), len(items)


def answer(session, attempt, position, option_ids, now=None):
    """Save the answer to question `position` of `attempt` (already checked to be the caller's own).

    Immediate feedback: the first answer is final (compare-and-set on answered_at IS NULL); a replay changes
    nothing. Deferred mode: the answer may change until the attempt is submitted. Returns True when this call
    saved the answer, False when an earlier answer stands."""
    now = now or utcnow()
    locked = session.exec(select(Attempt).where(Attempt.id == attempt.id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    if locked.finished_at is not None:
        raise DomainError(_("Kuis ini sudah Anda selesaikan; jawaban tidak dapat diubah lagi."))
    item = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id,
                                                      AttemptQuestion.position == position)).first()
    if item is None:
        raise DomainError(_("Soal tidak ditemukan."))
    shown = _ids(item.option_order)
    try:
        wanted = {int(i) for i in option_ids}
    except (TypeError, ValueError):
        raise DomainError(_("Pilihan jawaban tidak dikenal."), field="option") from None
    if not wanted:
        raise DomainError(_("Pilih jawaban terlebih dahulu."), field="option")
    if not wanted <= set(shown):
        raise DomainError(_("Pilihan jawaban tidak dikenal."), field="option")
    kind = session.get(QuestionVersion, item.version_id).kind
    if kind != "multi" and len(wanted) != 1:
        raise DomainError(_("Pilih satu jawaban saja."), field="option")
    chosen = ",".join(str(i) for i in shown if i in wanted)
    stmt = (update(AttemptQuestion).where(AttemptQuestion.id == item.id).values(chosen=chosen, answered_at=now)
            .execution_options(synchronize_session=False))
    if locked.feedback_mode == "immediate":
        stmt = stmt.where(AttemptQuestion.answered_at.is_(None))
    saved = session.execute(stmt).rowcount == 1
    session.commit()
    session.expire(item)
    return saved


def finish(session, attempt, now=None):
    """Score the attempt from its stored answers and close it (once). A pass issues the certificate."""
    now = now or utcnow()
    locked = session.exec(select(Attempt).where(Attempt.id == attempt.id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    if locked.finished_at is not None:
        session.rollback()
        return locked
    items = attempt_items(session, locked)
    shown = _shown(session, items, len(items))
    scores = {s.item.id: (s.credit if s.answered else 0.0) for s in shown}
    total = round(100 * sum(scores.values()) / len(items), 2) if items else 0.0
    passed = total + 1e-9 >= locked.pass_mark
    quiz = session.get(Quiz, locked.quiz_id)
    valid_until = add_months(now, quiz.validity_months) if passed and quiz.validity_months else None
    closed = session.execute(
        update(Attempt).where(Attempt.id == locked.id, Attempt.finished_at.is_(None))
        .values(finished_at=now, score=total, passed=passed, valid_until=valid_until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        session.rollback()
        session.refresh(locked)
        return locked
    for item in items:
        session.execute(update(AttemptQuestion).where(AttemptQuestion.id == item.id)
                        .values(score=scores[item.id]).execution_options(synchronize_session=False))
    if passed and quiz.certificate:
        user = session.get(User, locked.user_id)
        unit = session.get(Unit, user.unit_id)
        certificates.issue(session, "quiz", user.full_name, unit.name if unit else "", quiz.title,
                           valid_until=valid_until, user_id=user.id, ref_id=locked.id, issued_at=now)
    session.commit()
    session.refresh(locked)
    for item in items:
        session.expire(item)
    return locked


# --- results and history ------------------------------------------------------------------------------------------

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


def result(session, attempt):
    items = attempt_items(session, attempt)
    shown = _shown(session, items, len(items))
    quiz = session.get(Quiz, attempt.quiz_id)
    by_topic = {}
    for s in shown:
        credit = s.item.score if s.item.score is not None else (s.credit if s.answered else 0.0)
        row = by_topic.setdefault(s.item.topic_id, TopicScore(s.topic, 0, 0.0))
        row.questions += 1
        row.credit += credit
    # Suggested reading: the sections of the questions not fully right; a question without links points to its
    # topic's sections.
    missed = [s for s in shown if (s.item.score if s.item.score is not None else s.credit) < 0.999]
    reading, seen = [], set()
    topic_links = None
    for s in missed:
        links = s.links
        if not links:
            if topic_links is None:
                topic_links = topic_sections(session)
            links = topic_links.get(s.item.topic_id, [])
        for link in links:
            if link["slug"] not in seen:
                seen.add(link["slug"])
                reading.append(link)
    certificate = certificates.find_for(session, "quiz", attempt.id) if attempt.passed else None
    topic_rows = sorted(by_topic.values(), key=lambda r: (r.topic.position, r.topic.name) if r.topic else (0, ""))
    return Result(attempt, quiz, shown, topic_rows, reading, certificate)


def history(session, user):
    """[(attempt, quiz, certificate or None)] newest first."""
    rows = session.exec(select(Attempt, Quiz).join(Quiz, Quiz.id == Attempt.quiz_id)
                        .where(Attempt.user_id == user.id)
                        .order_by(Attempt.started_at.desc(), Attempt.id.desc())).all()
    from portal.models import Certificate

    ids = [a.id for a, _q in rows]
    certs = {}
    if ids:
        certs = {c.ref_id: c for c in session.exec(select(Certificate).where(Certificate.kind == "quiz",
                                                                             Certificate.ref_id.in_(ids))).all()}
    return [(a, q, certs.get(a.id)) for a, q in rows]


def certificate_of(session, attempt):
    if not attempt.passed:
        return None
    return certificates.find_for(session, "quiz", attempt.id)


# --- dashboard ----------------------------------------------------------------------------------------------------

def dashboard_cards(session, user):
    """One card per active quiz that issues certificates: what to do next and until when a pass is valid."""
    cards = []
    now = utcnow()
    for quiz in quizzes(session, active_only=True):
        if not quiz.certificate:
            continue
        status = quiz_status(session, user, quiz, now)
        url = url_for("quiz.index")
        if status.open_attempt is not None:
            items = attempt_items(session, status.open_attempt)
            done, total = progress(items)
            cards.append({"title": _("Lanjutkan kuis"),
                          "body": _("Anda sedang mengerjakan %(t)s: %(d)d dari %(n)d soal sudah dijawab.",
                                    t=quiz.title, d=done, n=total),
                          "progress": 100 * done / total if total else 0,
                          "url": url_for("quiz.attempt", attempt_id=status.open_attempt.id),
                          "action": _("Lanjutkan"), "tone": "warn"})
        elif status.valid_pass is not None and status.valid_pass.valid_until is not None and \
                status.valid_pass.valid_until - now <= timedelta(days=EXPIRY_WARNING_DAYS):
            days = max((status.valid_pass.valid_until - now).days, 0)
            cards.append({"title": _("Sertifikat kuis segera kedaluwarsa"),
                          "body": _("Sertifikat Anda kedaluwarsa dalam %(n)d hari, ulangi kuis %(t)s.", n=days,
                                    t=quiz.title),
                          "progress": None, "url": url, "action": _("Ulangi kuis"), "tone": "warn"})
        elif status.valid_pass is not None:
            until = status.valid_pass.valid_until
            body = (_("Lulus dengan nilai %(s)s, berlaku sampai %(d)s.", s=score_text(status.valid_pass.score),
                      d=format_date(until, "d MMMM yyyy")) if until else
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
                body = _("Uji pemahaman Anda tentang pedoman: %(n)d soal, umpan balik langsung di setiap soal.",
                         n=status.size)
            if not status.can_start and status.reason:
                body = f"{body} {status.reason}"
            cards.append({"title": _("Kerjakan kuis"), "body": body, "progress": None, "url": url,
                          "action": _("Buka kuis"), "tone": "warn"})
    return cards


def score_text(value):
    """A score as Indonesians write it: 80, 82,5."""
    if value is None:
        return "–"
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}".replace(".", ",")
