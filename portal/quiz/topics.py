"""Topics of the question bank and their links to the handbook (the sections that explain a topic or a question).

Services flush and never commit (portal/db.py); every admin write is audited.
"""

from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from portal import audit, generations, search
from portal.errors import DomainError
from portal.models import (
    Chapter,
    Edition,
    EditionSection,
    Question,
    QuestionSection,
    QuizTopic,
    QuizTopicSection,
    Section,
    SectionRevision,
)
from portal.quiz.gift import category_path

MAX_NAME = 200


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


def _latest_edition_id():
    """The newest published edition, as a scalar subquery (employees read editions, never the draft)."""
    return (select(Edition.id).order_by(Edition.published_at.desc(), Edition.id.desc()).limit(1)
            .scalar_subquery())


def _published(session, section_ids):
    """{section id: {"slug", "title"}} of the given sections that are in the latest edition."""
    wanted = {i for i in section_ids if i}
    if not wanted:
        return {}
    rows = session.exec(
        select(Section.id, Section.slug, SectionRevision.title)
        .join(EditionSection, EditionSection.section_id == Section.id)
        .join(SectionRevision, SectionRevision.id == EditionSection.revision_id)
        .where(EditionSection.edition_id == _latest_edition_id(), Section.id.in_(wanted))
    ).all()
    return {r[0]: {"slug": r[1], "title": r[2]} for r in rows}


def section_links(session, section_ids):
    """[{"slug", "title"}] of the given sections that employees can open (in the latest edition), in order."""
    ids = list(dict.fromkeys(section_ids))
    found = _published(session, ids)
    return [found[i] for i in ids if i in found]


def question_links(session, question_ids):
    """{question id: [{"slug", "title"}]} of the published sections each question links to, in one query."""
    if not question_ids:
        return {}
    rows = session.exec(
        select(QuestionSection.question_id, Section.slug, SectionRevision.title)
        .join(Section, Section.id == QuestionSection.section_id)
        .join(EditionSection, (EditionSection.section_id == Section.id)
              & (EditionSection.edition_id == _latest_edition_id()))
        .join(SectionRevision, SectionRevision.id == EditionSection.revision_id)
        .where(QuestionSection.question_id.in_(list(question_ids)))
        .order_by(QuestionSection.question_id, QuestionSection.position)
    ).all()
    links = {}
    for question_id, slug, title in rows:
        links.setdefault(question_id, []).append({"slug": slug, "title": title})
    return links


def existing_section_ids(session, section_ids):
    ids = [int(i) for i in dict.fromkeys(section_ids or []) if i]
    if not ids:
        return []
    known = set(session.exec(select(Section.id).where(Section.id.in_(ids))).all())
    if len(known) != len(ids):
        raise DomainError(_("Ada bagian pedoman yang tidak dikenal."), field="section_ids")
    return ids


# --- topics -------------------------------------------------------------------------------------------------------

def topics(session):
    """Every topic in tree order: parents before their children, siblings by position and name."""
    rows = session.exec(select(QuizTopic).order_by(QuizTopic.position, QuizTopic.name, QuizTopic.id)).all()
    children = {}
    for topic in rows:
        children.setdefault(topic.parent_id, []).append(topic)
    known = {t.id for t in rows}
    ordered = []

    def walk(parent_id):
        for topic in children.get(parent_id, []):
            ordered.append(topic)
            walk(topic.id)

    walk(None)
    for parent_id in children:  # an orphan (its parent vanished) still shows, at the end
        if parent_id is not None and parent_id not in known:
            walk(parent_id)
    return ordered


def paths(session, rows=None):
    """{topic id: ("Parent", "Child")} of every topic."""
    rows = rows if rows is not None else session.exec(select(QuizTopic)).all()
    by_id = {t.id: t for t in rows}
    out = {}

    def path(topic, seen=()):
        if topic.id in out:
            return out[topic.id]
        parent = by_id.get(topic.parent_id)
        found = (path(parent, (*seen, topic.id)) if parent is not None and parent.id not in seen else ()) + \
            (topic.name,)
        out[topic.id] = found
        return found

    for topic in rows:
        path(topic)
    return out


def label(path):
    return " › ".join(path)


def topic_choices(session):
    rows = topics(session)
    all_paths = paths(session, rows)
    return [(t.id, label(all_paths[t.id])) for t in rows]


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
    published = _published(session, [row.section_id for row in rows])
    by_topic = {}
    for row in rows:
        if row.section_id in published:
            by_topic.setdefault(row.topic_id, []).append(published[row.section_id])
    return by_topic


def topics_page(session):
    """The admin's topic list: topics in tree order with their paths, question counts and linked sections."""
    rows = topics(session)
    return {"topics": rows, "paths": paths(session, rows), "counts": topic_question_counts(session),
            "sections": topic_sections(session)}


def topic_form_data(session, topic):
    """What the topic editor shows: the stored values and the pickers' choices (a topic cannot move under itself
    or one of its descendants)."""
    data = None
    choices = topic_choices(session)
    if topic is not None:
        data = {"name": topic.name, "description": topic.description, "position": topic.position,
                "parent_id": topic.parent_id or 0, "section_ids": topic_section_ids(session, topic.id)}
        below = _subtree_ids(session, topic.id)
        choices = [(topic_id, text) for topic_id, text in choices if topic_id not in below]
    return data, choices, section_choices(session)


def _subtree_ids(session, topic_id):
    rows = session.exec(select(QuizTopic.id, QuizTopic.parent_id)).all()
    children = {}
    for child_id, parent_id in rows:
        children.setdefault(parent_id, []).append(child_id)
    found, todo = set(), [topic_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def _clean_topic(session, name, parent_id=None, topic_id=None):
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise DomainError(_("Nama topik wajib diisi (paling banyak %(n)d karakter).", n=MAX_NAME), field="name")
    if parent_id is not None:
        if session.get(QuizTopic, parent_id) is None:
            raise DomainError(_("Topik induk tidak dikenal."), field="parent_id")
        if topic_id is not None and parent_id in _subtree_ids(session, topic_id):
            raise DomainError(_("Topik tidak dapat menjadi subtopik dari dirinya sendiri atau subtopiknya."),
                              field="parent_id")
    parent = QuizTopic.parent_id.is_(None) if parent_id is None else QuizTopic.parent_id == parent_id
    clash = session.exec(select(QuizTopic.id).where(parent, func.lower(QuizTopic.name) == name.lower())).first()
    if clash is not None and clash != topic_id:
        raise DomainError(_("Topik %(name)s sudah ada.", name=name), field="name")
    return name


def replace_section_links(session, model, owner, owner_id, section_ids):
    """Make the links of a topic (model QuizTopicSection, owner "topic_id") or a question (QuestionSection,
    "question_id") exactly `section_ids`, in that order."""
    for row in session.exec(select(model).where(getattr(model, owner) == owner_id)).all():
        session.delete(row)
    session.flush()
    for position, section_id in enumerate(section_ids):
        session.add(model(**{owner: owner_id}, section_id=section_id, position=position))


def _set_topic_sections(session, topic_id, section_ids):
    replace_section_links(session, QuizTopicSection, "topic_id", topic_id, section_ids)


SEARCH_KIND = "quiz_topic"  # topics' names and descriptions in the full-text index (never questions or answers)


GENERATION = "quiz_topics"  # moved by every topic write (index_topic): keys the header search's kept quiz group


def index_topic(session, topic):
    search.index_document(session, SEARCH_KIND, topic.id, topic.name, topic.description or "")
    generations.move(session, GENERATION)


def generation(session):
    return generations.read(session, GENERATION)


def header_matches(session, q, limit=5):
    """The header search's quiz group: a search.Top of topics by name and description (the index holds nothing of
    the questions or their answers)."""
    return search.top(session, SEARCH_KIND, q, limit=limit)


def create_topic(session, actor, name, description="", position=None, section_ids=(), parent_id=None):
    parent_id = parent_id or None
    name = _clean_topic(session, name, parent_id)
    ids = existing_section_ids(session, section_ids)
    if position is None:
        position = (session.exec(select(func.max(QuizTopic.position))).one() or 0) + 1
    topic = QuizTopic(name=name, description=(description or "").strip(), position=position, parent_id=parent_id)
    session.add(topic)
    session.flush()
    _set_topic_sections(session, topic.id, ids)
    index_topic(session, topic)
    audit.record(session, actor, "quiz.topic_create", "quiz_topic", topic.id, name,
                 after={"parent_id": parent_id} if parent_id else None)
    session.flush()
    return topic


def update_topic(session, actor, topic, name, description, position, section_ids, parent_id=None):
    fields = ("name", "description", "position", "parent_id")
    before = audit.snapshot(topic, fields)
    before["sections"] = topic_section_ids(session, topic.id)
    parent_id = parent_id or None
    topic.name = _clean_topic(session, name, parent_id, topic.id)
    ids = existing_section_ids(session, section_ids)
    topic.description = (description or "").strip()
    topic.position = topic.position if position is None else position
    topic.parent_id = parent_id
    session.add(topic)
    _set_topic_sections(session, topic.id, ids)
    after = audit.snapshot(topic, fields)
    after["sections"] = ids
    index_topic(session, topic)
    audit.record(session, actor, "quiz.topic_update", "quiz_topic", topic.id, topic.name, before=before, after=after)
    session.flush()
    return topic


def topic_by_path(session, path, actor=None, create=False):
    """The topic at ("Parent", "Child") (names compared without case), or None; with `create`, the missing topics
    of the path are made (audited as `actor`'s)."""
    topic = None
    for name in path:
        parent_id = topic.id if topic is not None else None
        parent = QuizTopic.parent_id.is_(None) if parent_id is None else QuizTopic.parent_id == parent_id
        topic = session.exec(select(QuizTopic).where(parent, func.lower(QuizTopic.name) == name.lower())).first()
        if topic is None:
            if not create:
                return None
            topic = create_topic(session, actor, name, parent_id=parent_id)
    return topic


def topic_by_name(session, name):
    """A topic by its path as written in GIFT ("Parent/Child"; "//" is a literal slash)."""
    path = category_path(name)
    return topic_by_path(session, path) if path else None
