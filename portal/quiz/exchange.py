"""GIFT import (preview, then apply, through portal/staging.py) and export of the question bank; the format itself
is in gift.py.

A question is identified by its topic and name: importing a question whose name already exists in the topic
updates it (a new version when it was already drawn in an attempt), so importing the same file twice changes
nothing. `$CATEGORY` paths become nested topics, made when missing. Within one file a question that repeats an
earlier one exactly is skipped; one that only shares its name (Moodle names unnamed questions after their text)
gets a suffix, " (2)", so nothing else is lost. New questions are imported active; existing ones keep their status.
Unknown handbook slugs are warnings: the question imports without that link. The export leaves out humas' draft
proposals unless asked for them.
"""

import dataclasses
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlmodel import select

from portal import audit, staging
from portal.errors import DomainError
from portal.models import Question, QuestionSection, QuestionVersion, QuizTopic, Section, utcnow
from portal.quiz import bank, gift, topics

DEFAULT_TOPIC = ("Umum",)


@dataclass
class ImportRow:
    line: int
    topic: tuple  # the topic's path
    action: str  # create | update | same
    question: gift.GiftQuestion
    section_ids: list = field(default_factory=list)

    @property
    def topic_label(self):
        return topics.label(self.topic)


@dataclass
class ImportPreview(staging.Preview):
    """The staging flow's Preview (rows are ImportRows, skipped are gift.GiftSkips), plus the topics it creates."""

    topics_new: list = field(default_factory=list)  # labels of topic paths that do not exist yet


def _options(q):
    return [bank.OptionInput(a.text, a.fraction, a.feedback, a.match_text) for a in q.answers]


def _problem(q):
    """What stops a parsed question from being saved, or None."""
    if len(q.stem) > bank.MAX_STEM or len(q.general_feedback) > bank.MAX_STEM:
        return _("Teks soal atau pembahasannya terlalu panjang.")
    if len(q.answers) > bank.MAX_OPTIONS:
        return _("Paling banyak %(n)d pilihan jawaban.", n=bank.MAX_OPTIONS)
    if any(len(a.text) > bank.MAX_OPTION or len(a.feedback) > bank.MAX_FEEDBACK or len(a.match_text) > bank.MAX_OPTION
           for a in q.answers):
        return _("Teks jawaban atau umpan baliknya terlalu panjang.")
    if any(len(part) > bank.MAX_NAME for part in q.category):
        return _("Nama kategori terlalu panjang (paling banyak %(n)d karakter).", n=bank.MAX_NAME)
    return None


def _input(q, topic_id, section_ids, difficulty):
    return bank.QuestionInput(topic_id=topic_id, kind=q.kind, stem=q.stem, options=_options(q), name=q.name,
                              explanation=q.general_feedback, section_ids=section_ids, difficulty=difficulty,
                              text_format=q.text_format, id_number=q.id_number, tags=list(q.tags))


def _same(session, question, q, section_ids):
    version = session.get(QuestionVersion, question.current_version_id)
    content = bank.content_of(q.kind, q.text_format, q.stem, q.general_feedback, version.image, version.image_alt,
                              _options(q))
    return (bank.version_content(session, version) == content
            and (q.difficulty is None or q.difficulty == question.difficulty)
            and bank.question_section_ids(session, question.id) == section_ids
            and question.id_number == q.id_number and bank.question_tags(question) == q.tags)


def _free_name(name, taken):
    n = 2
    while True:
        candidate = f"{name[:bank.MAX_NAME - 6]} ({n})"
        if candidate not in taken:
            return candidate
        n += 1


def preview_gift(session, raw, topic_name=None):
    """Parse and compare with the bank; nothing is written. GiftError when the file cannot be read at all."""
    parsed = gift.parse_bytes(raw)
    preview = ImportPreview(skipped=list(parsed.skipped), warnings=list(parsed.warnings))
    override = gift.category_path(topic_name or "")
    known = topics.section_ids_by_slug(session, {slug for q in parsed.questions for slug in q.sections})
    all_topics = session.exec(select(QuizTopic)).all()
    by_path = {tuple(part.lower() for part in path): (topic_id, path)
               for topic_id, path in topics.paths(session, all_topics).items()}
    existing = {}
    if by_path:
        existing = {(q.topic_id, q.name): q for q in session.exec(select(Question)).all()}
    seen, names = {}, {}
    for q in parsed.questions:
        path = override or q.category or DEFAULT_TOPIC
        key = tuple(part.lower() for part in path)
        fingerprint = (key, gift.write([dataclasses.replace(q, category=())]))
        if fingerprint in seen:
            preview.skipped.append(gift.GiftSkip(q.line, _("Sama persis dengan soal di baris %(line)d; dilewati.",
                                                           line=seen[fingerprint]), q.name))
            continue
        seen[fingerprint] = q.line
        problem = _problem(q)
        if problem:
            preview.skipped.append(gift.GiftSkip(q.line, problem, q.name))
            continue
        taken = names.setdefault(key, {})
        if q.name in taken:
            renamed = _free_name(q.name, taken)
            if q.named:
                preview.warnings.append((q.line, _("Nama soal “%(name)s” sudah dipakai di baris %(line)d; soal ini "
                                                   "disimpan sebagai “%(new)s”.", name=q.name, line=taken[q.name],
                                                   new=renamed)))
            q = dataclasses.replace(q, name=renamed)
        taken[q.name] = q.line
        section_ids = []
        for slug in q.sections:
            if slug in known:
                section_ids.append(known[slug])
            else:
                preview.warnings.append((q.line, _("Bagian pedoman “%(slug)s” tidak dikenal; soal tetap diimpor "
                                                   "tanpa tautan itu.", slug=slug)))
        topic_id, stored_path = by_path.get(key, (None, path))
        found = existing.get((topic_id, q.name)) if topic_id is not None else None
        if topic_id is None and topics.label(path) not in preview.topics_new:
            preview.topics_new.append(topics.label(path))
        if found is None:
            action = "create"
        else:
            action = "same" if _same(session, found, q, section_ids) else "update"
        preview.rows.append(ImportRow(q.line, stored_path, action, q, section_ids))
    preview.skipped.sort(key=lambda s: s.line)
    preview.warnings.sort(key=lambda w: w[0])
    return preview


def apply_gift(session, actor, raw, topic_name=None):
    """Check again and write every importable question (the caller's transaction). Returns the ImportPreview."""
    preview = preview_gift(session, raw, topic_name)
    for row in preview.rows:
        if row.action == "same":
            continue
        topic = topics.topic_by_path(session, row.topic, actor, create=True)
        q = row.question
        try:
            if row.action == "create":
                bank.create_question(session, actor, _input(q, topic.id, row.section_ids, q.difficulty or 2),
                                     status="active")
            else:
                question = session.exec(select(Question).where(Question.topic_id == topic.id,
                                                               Question.name == q.name)).one()
                version = session.get(QuestionVersion, question.current_version_id)
                data = _input(q, topic.id, row.section_ids, q.difficulty or question.difficulty)
                data.image, data.image_alt = version.image, version.image_alt
                bank.update_question(session, actor, question, data)
        except DomainError as error:
            raise DomainError(_("Baris %(line)d: %(message)s", line=row.line, message=error.message)) from None
    if preview.count("create") or preview.count("update"):
        audit.record(session, actor, "quiz.import", "quiz_question", None,
                     f"GIFT: {preview.count('create')} new, {preview.count('update')} updated, "
                     f"{len(preview.skipped)} skipped")
    session.flush()
    return preview


def export_questions(session, topic_id=None, include_drafts=False, include_retired=False):
    """The bank as GiftQuestions (current versions), topic by topic; `topic_id` with its subtopics. Humas' draft
    proposals and retired questions only when asked for."""
    tree = topics.topics(session)
    paths = topics.paths(session, tree)
    order = {topic.id: index for index, topic in enumerate(tree)}
    stmt = (select(Question, QuestionVersion)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id))
    if topic_id:
        prefix = paths.get(topic_id, (None,))
        stmt = stmt.where(Question.topic_id.in_([t.id for t in tree if paths[t.id][:len(prefix)] == prefix]))
    hidden = ([] if include_drafts else ["draft"]) + ([] if include_retired else ["retired"])
    if hidden:
        stmt = stmt.where(Question.status.not_in(hidden))
    rows = sorted(session.exec(stmt).all(), key=lambda r: (order.get(r[0].topic_id, len(order)), r[0].id))
    slugs, options = {}, {}
    if rows:
        for question_id, slug in session.exec(
            select(QuestionSection.question_id, Section.slug).join(Section, Section.id == QuestionSection.section_id)
            .where(QuestionSection.question_id.in_([q.id for q, _v in rows])).order_by(QuestionSection.position)
        ).all():
            slugs.setdefault(question_id, []).append(slug)
        for version_id, version_options in bank.options_by_version(session, [v.id for _q, v in rows]).items():
            options[version_id] = [gift.GiftAnswer(o.text, o.fraction, o.feedback, o.match_text)
                                   for o in version_options]
    return [gift.GiftQuestion(name=question.name, kind=version.kind, stem=version.stem,
                              answers=options.get(version.id, []), category=paths.get(question.topic_id, ()),
                              general_feedback=version.explanation, text_format=version.text_format,
                              sections=slugs.get(question.id, []), difficulty=question.difficulty,
                              id_number=question.id_number, tags=bank.question_tags(question))
            for question, version in rows]


def export_gift(session, topic_id=None, include_drafts=False):
    questions = export_questions(session, topic_id, include_drafts=include_drafts)
    header = (f"Bank soal Portal Bijak Bermedia Sosial, diekspor {utcnow():%Y-%m-%d %H:%M} UTC "
              f"({len(questions)} soal).\n"
              "Perluasan portal: baris // @pedoman: menautkan bagian pedoman, // @tingkat: tingkat kesulitan 1-3.")
    return gift.write(questions, header=header), len(questions)
