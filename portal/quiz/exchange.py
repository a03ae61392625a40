"""GIFT import (preview, then apply) and export of the question bank; the format itself is in gift.py.

A question is identified by its topic and name: importing a question whose name already exists in the topic
updates it (a new version when it was already drawn in an attempt), so importing the same file twice changes
nothing. New questions are imported active; existing ones keep their status. Unknown handbook slugs are warnings:
the question imports without that link.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlmodel import select

from portal import audit, staging
from portal.errors import DomainError
from portal.models import Question, QuestionSection, QuestionVersion, QuizTopic, Section, utcnow
from portal.quiz import bank, gift, topics

DEFAULT_TOPIC = "Umum"


@dataclass
class ImportRow:
    line: int
    topic: str
    action: str  # create | update | same
    question: gift.GiftQuestion
    section_ids: list = field(default_factory=list)


@dataclass
class ImportPreview(staging.Preview):
    """The staging flow's Preview (rows are ImportRows, skipped are gift.GiftSkips), plus the topics it creates."""

    topics_new: list = field(default_factory=list)


def _options(q):
    return [bank.OptionInput(a.text, a.fraction, a.feedback) for a in q.answers]


def _problem(q):
    """What stops a parsed question from being saved, or None."""
    if len(q.stem) > bank.MAX_STEM or len(q.general_feedback) > bank.MAX_STEM:
        return _("Teks soal atau pembahasannya terlalu panjang.")
    if len(q.answers) > bank.MAX_OPTIONS:
        return _("Paling banyak %(n)d pilihan jawaban.", n=bank.MAX_OPTIONS)
    if any(len(a.text) > bank.MAX_OPTION or len(a.feedback) > bank.MAX_FEEDBACK for a in q.answers):
        return _("Teks jawaban atau umpan baliknya terlalu panjang.")
    if len(q.name) > bank.MAX_NAME:
        return _("Nama soal terlalu panjang.")
    return None


def _same(session, question, q, section_ids):
    version = session.get(QuestionVersion, question.current_version_id)
    content = bank.content_of(q.kind, q.stem, q.general_feedback, version.image, version.image_alt, _options(q))
    return (bank.version_content(session, version) == content
            and (q.difficulty is None or q.difficulty == question.difficulty)
            and bank.question_section_ids(session, question.id) == section_ids)


def preview_gift(session, raw, topic_name=None):
    """Parse and compare with the bank; nothing is written. GiftError when the file cannot be read at all."""
    parsed = gift.parse_bytes(raw)
    preview = ImportPreview(skipped=list(parsed.skipped), warnings=list(parsed.warnings))
    override = " ".join((topic_name or "").split())[:bank.MAX_NAME]
    slugs = {slug for q in parsed.questions for slug in q.sections}
    known = topics.section_ids_by_slug(session, slugs)
    existing_topics = {t.name.lower(): t for t in session.exec(select(QuizTopic)).all()}
    seen = {}
    for q in parsed.questions:
        topic = override or q.category or DEFAULT_TOPIC
        key = (topic.lower(), q.name)
        if key in seen:
            preview.skipped.append(gift.GiftSkip(q.line, _("Nama soal ganda dalam berkas (sama dengan baris "
                                                           "%(line)d); soal ini dilewati.", line=seen[key]), q.name))
            continue
        problem = _problem(q)
        if problem:
            preview.skipped.append(gift.GiftSkip(q.line, problem, q.name))
            continue
        seen[key] = q.line
        section_ids = []
        for slug in q.sections:
            if slug in known:
                section_ids.append(known[slug])
            else:
                preview.warnings.append((q.line, _("Bagian pedoman “%(slug)s” tidak dikenal; soal tetap diimpor "
                                                   "tanpa tautan itu.", slug=slug)))
        existing = None
        topic_row = existing_topics.get(topic.lower())
        if topic_row is not None:
            existing = session.exec(select(Question).where(Question.topic_id == topic_row.id,
                                                           Question.name == q.name)).first()
        elif topic not in preview.topics_new:
            preview.topics_new.append(topic)
        if existing is None:
            action = "create"
        else:
            action = "same" if _same(session, existing, q, section_ids) else "update"
        preview.rows.append(ImportRow(q.line, topic_row.name if topic_row else topic, action, q, section_ids))
    preview.skipped.sort(key=lambda s: s.line)
    preview.warnings.sort(key=lambda w: w[0])
    return preview


def apply_gift(session, actor, raw, topic_name=None):
    """Check again and write every importable question (the caller's transaction). Returns the ImportPreview."""
    preview = preview_gift(session, raw, topic_name)
    by_name = {t.name.lower(): t for t in session.exec(select(QuizTopic)).all()}
    for row in preview.rows:
        if row.action == "same":
            continue
        topic = by_name.get(row.topic.lower())
        if topic is None:
            topic = topics.create_topic(session, actor, row.topic)
            by_name[topic.name.lower()] = topic
        q = row.question
        data = bank.QuestionInput(topic_id=topic.id, kind=q.kind, stem=q.stem, options=_options(q), name=q.name,
                                  explanation=q.general_feedback, section_ids=row.section_ids,
                                  difficulty=q.difficulty or 2)
        try:
            if row.action == "create":
                bank.create_question(session, actor, data, status="active")
            else:
                question = session.exec(select(Question).where(Question.topic_id == topic.id,
                                                               Question.name == q.name)).one()
                version = session.get(QuestionVersion, question.current_version_id)
                data.image, data.image_alt = version.image, version.image_alt
                if q.difficulty is None:
                    data.difficulty = question.difficulty
                bank.update_question(session, actor, question, data)
        except DomainError as error:
            raise DomainError(_("Baris %(line)d: %(message)s", line=row.line, message=error.message)) from None
    if preview.count("create") or preview.count("update"):
        audit.record(session, actor, "quiz.import", "quiz_question", None,
                     f"GIFT: {preview.count('create')} new, {preview.count('update')} updated, "
                     f"{len(preview.skipped)} skipped")
    session.flush()
    return preview


def export_questions(session, topic_id=None, include_retired=False):
    """The bank as GiftQuestions (current versions), topic by topic."""
    stmt = (select(Question, QuestionVersion, QuizTopic)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .join(QuizTopic, QuizTopic.id == Question.topic_id)
            .order_by(QuizTopic.position, QuizTopic.name, Question.id))
    if topic_id:
        stmt = stmt.where(Question.topic_id == topic_id)
    if not include_retired:
        stmt = stmt.where(Question.status != "retired")
    rows = session.exec(stmt).all()
    slugs = {}
    if rows:
        for question_id, slug in session.exec(
            select(QuestionSection.question_id, Section.slug).join(Section, Section.id == QuestionSection.section_id)
            .where(QuestionSection.question_id.in_([q.id for q, _v, _t in rows])).order_by(QuestionSection.position)
        ).all():
            slugs.setdefault(question_id, []).append(slug)
    out = []
    for question, version, topic in rows:
        answers = [gift.GiftAnswer(o.text, o.fraction, o.feedback) for o in bank.version_options(session,
                                                                                                  version.id)]
        out.append(gift.GiftQuestion(name=question.name, kind=version.kind, stem=version.stem, answers=answers,
                                     category=topic.name, general_feedback=version.explanation,
                                     sections=slugs.get(question.id, []), difficulty=question.difficulty))
    return out


def export_gift(session, topic_id=None):
    questions = export_questions(session, topic_id)
    header = (f"Bank soal Portal Bijak Bermedia Sosial, diekspor {utcnow():%Y-%m-%d %H:%M} UTC "
              f"({len(questions)} soal).\n"
              "Perluasan portal: baris // @pedoman: menautkan bagian pedoman, // @tingkat: tingkat kesulitan 1-3.")
    return gift.write(questions, header=header), len(questions)
