"""The question bank: questions with immutable-once-used versions, humas' proposals, the bank list, the editor's
data and the preview.

A question's wording and options live in QuestionVersion. Editing a question that an attempt already drew adds a
version, so old attempts keep their wording and score. Services flush and never commit; every write is audited.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import exists, func
from sqlmodel import select

from portal import audit
from portal.errors import DomainError
from portal.models import (
    AttemptQuestion,
    Question,
    QuestionOption,
    QuestionSection,
    QuestionVersion,
    QuizTopic,
    User,
    utcnow,
)
from portal.models.quiz import QUESTION_KINDS, QUESTION_STATUSES, TEXT_FORMATS, TYPED_KINDS, UNSCORED_KINDS
from portal.quiz import formats, images, kinds, topics

MAX_NAME = topics.MAX_NAME
MAX_STEM = 20_000
MAX_OPTION = 2_000
MAX_FEEDBACK = 4_000
MAX_OPTIONS = 20
MAX_TAGS = 20


@dataclass
class OptionInput:
    text: str
    fraction: float  # -1..1
    feedback: str = ""
    match_text: str = ""  # matching: the item's partner


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
    text_format: str = "markdown"  # of the stem, the options and the feedback: markdown | plain | html
    id_number: str = ""
    tags: list[str] = field(default_factory=list)


def true_false_options(correct_is_true, feedback_true="", feedback_false=""):
    return [OptionInput(kinds.TF_TRUE, 1.0 if correct_is_true else 0.0, feedback_true),
            OptionInput(kinds.TF_FALSE, 0.0 if correct_is_true else 1.0, feedback_false)]


# --- checking what an editor or an import wants ---------------------------------------------------------------------

def _unique_auto_name(session, topic_id, base, question_id=None):
    name, n = base[:MAX_NAME], 2
    while True:
        clash = session.exec(select(Question.id).where(Question.topic_id == topic_id, Question.name == name)).first()
        if clash is None or clash == question_id:
            return name
        name, n = f"{base[:MAX_NAME - 6]} ({n})", n + 1


def _clean_text(text, text_format):
    text = (text or "").replace("\r\n", "\n").strip()
    return formats.sanitize_html(text).strip() if text_format == "html" and text else text


def _canonical_number(spec):
    """A numerical answer as typed in the editor ("3,5 : 0,5", "1..5") -> GIFT's form ("3.5:0.5"), or as given
    when it is not one (the check below explains)."""
    spec = "".join((spec or "").split())
    for separator in ("..", ":"):
        if separator in spec:
            parts = [kinds.parse_number(part) for part in spec.split(separator, 1)]
            if None in parts:
                return spec
            return separator.join(format(part, ".15g") for part in parts)
    value = kinds.parse_number(spec)
    return spec if value is None else format(value, ".15g")


def _clean_options(kind, raw_options, text_format):
    options = []
    for option in raw_options:
        # Accepted short and numerical answers are compared with what people type: never markup.
        typed = kind in TYPED_KINDS
        text = _clean_text(option.text, "plain" if typed else text_format)
        feedback = _clean_text(option.feedback, text_format)
        match_text = " ".join((option.match_text or "").split())
        if not text and not feedback and not match_text and not option.fraction:
            continue  # an empty row of the form
        if kind == "numerical":
            text = _canonical_number(text)
        elif kind == "shortanswer":
            text = " ".join(text.split())
        if len(text) > MAX_OPTION or len(feedback) > MAX_FEEDBACK or len(match_text) > MAX_OPTION:
            raise DomainError(_("Teks jawaban atau umpan baliknya terlalu panjang."), field="options")
        fraction = 0.0 if kind == "matching" else round(float(option.fraction), 7)
        if not -1 <= fraction <= 1:
            raise DomainError(_("Bobot jawaban harus antara -100 dan 100 persen."), field="options")
        options.append(OptionInput(text, fraction, "" if kind == "matching" else feedback, match_text))
    if len(options) > MAX_OPTIONS:
        raise DomainError(_("Paling banyak %(n)d pilihan jawaban.", n=MAX_OPTIONS), field="options")
    if kind == "truefalse":
        if len(options) != 2 or sorted(o.fraction for o in options) != [0.0, 1.0]:
            raise DomainError(_("Soal benar/salah memerlukan tepat satu jawaban benar."), field="options")
    else:
        problem = kinds.check_answers(kind, options)
        if problem:
            raise DomainError(problem, field="options")
    return options


def _clean_tags(tags):
    out = []
    for tag in tags or []:
        tag = " ".join(str(tag).replace(",", " ").split())[:100]
        if tag and tag not in out:
            out.append(tag)
    return out[:MAX_TAGS]


def _clean_question(session, data, question_id=None):
    if session.get(QuizTopic, data.topic_id or 0) is None:
        raise DomainError(_("Pilih topik soal."), field="topic_id")
    if data.kind not in QUESTION_KINDS:
        raise DomainError(_("Jenis soal tidak dikenal."), field="kind")
    if data.text_format not in TEXT_FORMATS:
        raise DomainError(_("Format teks tidak dikenal."), field="text_format")
    stem = _clean_text(data.stem, data.text_format)
    if not stem:
        raise DomainError(_("Teks soal wajib diisi."), field="stem")
    if len(stem) > MAX_STEM:
        raise DomainError(_("Teks soal terlalu panjang (paling banyak %(n)d karakter).", n=MAX_STEM), field="stem")
    explanation = _clean_text(data.explanation, data.text_format)
    if len(explanation) > MAX_STEM:
        raise DomainError(_("Pembahasan terlalu panjang (paling banyak %(n)d karakter).", n=MAX_STEM),
                          field="explanation")
    if data.kind == "description" and explanation:
        raise DomainError(_("Deskripsi tidak memiliki pembahasan; tulis semuanya di teks soal."),
                          field="explanation")
    options = [] if data.kind in UNSCORED_KINDS and not any(
        o.text or o.feedback or o.match_text for o in data.options) else data.options
    options = _clean_options(data.kind, options, data.text_format)
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
        name = _unique_auto_name(session, data.topic_id, kinds.auto_name(stem, data.text_format), question_id)
    section_ids = topics.existing_section_ids(session, data.section_ids)
    return QuestionInput(topic_id=data.topic_id, kind=data.kind, stem=stem, options=options, name=name,
                         explanation=explanation, section_ids=section_ids, difficulty=difficulty,
                         image=data.image or None, image_alt=image_alt if data.image else "",
                         text_format=data.text_format, id_number=" ".join((data.id_number or "").split())[:100],
                         tags=_clean_tags(data.tags))


# --- versions -------------------------------------------------------------------------------------------------------

def content_of(kind, text_format, stem, explanation, image, image_alt, options):
    """What makes two versions the same question to answer (compared before saving a new version)."""
    return (kind, text_format, stem, explanation, image or None, image_alt or "",
            tuple((o.text, round(o.fraction, 7), o.feedback, o.match_text) for o in options))


def version_options(session, version_id):
    return session.exec(select(QuestionOption).where(QuestionOption.version_id == version_id)
                        .order_by(QuestionOption.position, QuestionOption.id)).all()


def options_by_version(session, version_ids):
    """{version id: [QuestionOption in order]} in one query."""
    out = {}
    for option in session.exec(select(QuestionOption).where(QuestionOption.version_id.in_(list(version_ids)))
                               .order_by(QuestionOption.version_id, QuestionOption.position, QuestionOption.id)).all():
        out.setdefault(option.version_id, []).append(option)
    return out


def version_content(session, version):
    return content_of(version.kind, version.text_format, version.stem, version.explanation, version.image,
                      version.image_alt, version_options(session, version.id))


def _write_options(session, version, options):
    fmt = version.text_format
    for position, option in enumerate(options):
        session.add(QuestionOption(version_id=version.id, position=position, text=option.text,
                                   text_html=formats.to_html(option.text, fmt, inline=True), fraction=option.fraction,
                                   feedback=option.feedback, feedback_html=formats.to_html(option.feedback, fmt),
                                   match_text=option.match_text))


def _fill_version(version, data):
    version.kind, version.text_format = data.kind, data.text_format
    version.stem, version.explanation = data.stem, data.explanation
    version.stem_html = formats.to_html(data.stem, data.text_format)
    version.explanation_html = formats.to_html(data.explanation, data.text_format)
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
    topics.replace_section_links(session, QuestionSection, "question_id", question_id, section_ids)


def question_section_ids(session, question_id):
    return list(session.exec(select(QuestionSection.section_id).where(QuestionSection.question_id == question_id)
                             .order_by(QuestionSection.position)).all())


def question_tags(question):
    return [tag for tag in (question.tags or "").split("\n") if tag]


def version_in_use(session, version_id):
    return session.exec(select(exists().where(AttemptQuestion.version_id == version_id))).one()


# --- saving -----------------------------------------------------------------------------------------------------------

def create_question(session, actor, data, status="draft"):
    if status not in QUESTION_STATUSES:
        raise DomainError(_("Status soal tidak dikenal."))
    data = _clean_question(session, data)
    question = Question(topic_id=data.topic_id, name=data.name, kind=data.kind, difficulty=data.difficulty,
                        status=status, proposed_by_id=getattr(actor, "id", None), id_number=data.id_number,
                        tags="\n".join(data.tags))
    session.add(question)
    session.flush()
    version = _add_version(session, actor, question, 1, data)
    question.current_version_id = version.id
    session.add(question)
    _set_question_sections(session, question.id, data.section_ids)
    audit.record(session, actor, "quiz.question_create", "quiz_question", question.id,
                 f"{data.name} ({status})", after={"status": status, "kind": data.kind})
    session.flush()
    return question


def update_question(session, actor, question, data):
    """Save an edit. Returns "new_version" (the old one was already drawn in an attempt, so it stays as it was),
    "updated" (changed in place) or "same"."""
    data = _clean_question(session, data, question.id)
    current = session.get(QuestionVersion, question.current_version_id)
    new_content = content_of(data.kind, data.text_format, data.stem, data.explanation, data.image, data.image_alt,
                             data.options)
    content_changed = current is None or version_content(session, current) != new_content
    meta_before = (question.name, question.topic_id, question.difficulty, question_section_ids(session, question.id),
                   question.id_number, question_tags(question))
    meta_after = (data.name, data.topic_id, data.difficulty, data.section_ids, data.id_number, data.tags)
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
    question.id_number, question.tags = data.id_number, "\n".join(data.tags)
    question.updated_at = utcnow()
    session.add(question)
    _set_question_sections(session, question.id, data.section_ids)
    audit.record(session, actor, "quiz.question_update", "quiz_question", question.id,
                 f"{question.name}: {outcome} (v{current.number})",
                 before={"name": meta_before[0], "topic_id": meta_before[1], "difficulty": meta_before[2]},
                 after={"name": data.name, "topic_id": data.topic_id, "difficulty": data.difficulty,
                        "version": current.number})
    session.flush()
    return outcome


def save_question(session, actor, question, data, upload=None, remove_image=False, status="draft"):
    """The editor's save: store an uploaded scenario image (or keep/remove the current one), then create the
    question (question=None, with `status`; returns the question) or update it (returns update_question's
    outcome)."""
    if upload is not None:
        data.image = images.store(upload)
    elif question is not None and not remove_image:
        current = session.get(QuestionVersion, question.current_version_id)
        data.image = current.image if current else None
    if question is None:
        return create_question(session, actor, data, status=status)
    return update_question(session, actor, question, data)


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
    session.flush()


def image_statuses(session, name):
    """Statuses of the questions whose versions show the stored image `name` (empty: no question uses it)."""
    return session.exec(select(Question.status).join(QuestionVersion, QuestionVersion.question_id == Question.id)
                        .where(QuestionVersion.image == name)).all()


# --- the bank list, the editor and the preview ------------------------------------------------------------------------

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


def bank_page(session, topic_id=None, status=None, kind=None, query=""):
    """The bank list with its filters' choices and the count of questions per status."""
    counts = dict(session.exec(select(Question.status, func.count()).group_by(Question.status)).all())
    return {"rows": bank(session, topic_id=topic_id, status=status, kind=kind, query=query),
            "topics": topics.topics(session), "counts": counts}


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


@dataclass
class Editor:
    """What the question editor needs besides the form: the current version (None for a new question), whether
    an attempt drew it, the stored values (None for a new question) and the pickers' choices."""

    version: QuestionVersion | None
    in_use: bool
    data: dict | None
    topic_choices: list
    section_choices: list


def editor(session, question=None):
    version, data, in_use = None, None, False
    if question is not None:
        version = session.get(QuestionVersion, question.current_version_id)
        in_use = version_in_use(session, version.id)
        options = version_options(session, version.id)
        data = {"topic_id": question.topic_id, "name": question.name, "kind": version.kind,
                "text_format": version.text_format, "difficulty": question.difficulty, "stem": version.stem,
                "image_alt": version.image_alt, "explanation": version.explanation,
                "section_ids": question_section_ids(session, question.id), "id_number": question.id_number,
                "tags": ", ".join(question_tags(question)),
                "options": [{"text": o.text, "weight": round(o.fraction * 100, 5), "feedback": o.feedback,
                             "match_text": o.match_text} for o in options]}
        if version.kind == "truefalse":
            data.update(tf_correct="true" if options[0].fraction >= options[1].fraction else "false",
                        tf_feedback_true=options[0].feedback, tf_feedback_false=options[1].feedback, options=[])
    return Editor(version, in_use, data, topics.topic_choices(session), topics.section_choices(session))


@dataclass
class Preview:
    question: Question
    version: QuestionVersion
    topic: QuizTopic
    options: list
    links: list
    versions: list  # [(QuestionVersion, author User or None)], newest first
    usage: dict  # {version id: attempts that drew it}


def preview(session, question):
    """The question as employees see it, with its versions and how often each was drawn."""
    version = session.get(QuestionVersion, question.current_version_id)
    return Preview(question=question, version=version, topic=session.get(QuizTopic, question.topic_id),
                   options=version_options(session, version.id),
                   links=topics.section_links(session, question_section_ids(session, question.id)),
                   versions=question_versions(session, question), usage=version_usage(session, question))
