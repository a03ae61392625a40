"""Published editions: which edition is current or required, and an edition's table of contents.

An edition never changes once published (its chapters and sections are snapshots of titles and revision ids), so
its table of contents is built once and kept in memory per edition (`edition_toc`), in every process, without
invalidation: a 2,000-section handbook costs one query per process and edition, not one per page.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlmodel import select

from portal.models import Edition, EditionChapter, EditionSection, Section, SectionRevision

TOC_CACHE_SIZE = 8  # editions kept per process (the current one and a few that people compare against)


def latest_edition(session):
    return session.exec(select(Edition).order_by(Edition.published_at.desc(), Edition.id.desc())).first()


def editions(session):
    return session.exec(select(Edition).order_by(Edition.published_at.desc(), Edition.id.desc())).all()


def required_edition(session):
    """The edition everyone must have acknowledged (or a later one): the newest material edition, else the first."""
    material = session.exec(select(Edition).where(Edition.material)
                            .order_by(Edition.published_at.desc(), Edition.id.desc())).first()
    return material or session.exec(select(Edition).order_by(Edition.published_at, Edition.id)).first()


@dataclass(frozen=True)
class TocSection:
    section_id: int
    slug: str
    title: str
    revision_id: int
    position: int
    chapter_id: int


@dataclass(frozen=True)
class TocChapter:
    chapter_id: int
    title: str
    slug: str
    intro: str
    sections: tuple = ()


@dataclass(frozen=True)
class EditionToc:
    """The table of contents of one edition. Shared between requests: never mutate it."""

    edition_id: int
    chapters: tuple = ()
    flat: tuple = ()
    index_of: dict = field(default_factory=dict)  # slug -> position in `flat`
    chapter_of: dict = field(default_factory=dict)  # chapter id -> TocChapter

    def __iter__(self):
        return iter(self.chapters)

    def __len__(self):
        return len(self.chapters)

    def __bool__(self):
        return bool(self.chapters)

    def find(self, slug):
        """(chapter, section, previous, following) of `slug`, or None."""
        index = self.index_of.get(slug)
        if index is None:
            return None
        item = self.flat[index]
        previous = self.flat[index - 1] if index > 0 else None
        following = self.flat[index + 1] if index + 1 < len(self.flat) else None
        return self.chapter_of[item.chapter_id], item, previous, following


EMPTY_TOC = EditionToc(0)
_toc_cache = OrderedDict()
_toc_lock = threading.Lock()


def _build_toc(session, edition):
    chapters = session.exec(select(EditionChapter).where(EditionChapter.edition_id == edition.id)
                            .order_by(EditionChapter.position)).all()
    sections = {c.chapter_id: [] for c in chapters}
    rows = session.exec(
        select(EditionSection, SectionRevision.title, Section.slug)
        .join(SectionRevision, SectionRevision.id == EditionSection.revision_id)
        .join(Section, Section.id == EditionSection.section_id)
        .where(EditionSection.edition_id == edition.id)
        .order_by(EditionSection.position)
    ).all()
    for es, title, slug in rows:
        if es.chapter_id in sections:
            sections[es.chapter_id].append(
                TocSection(es.section_id, slug, title, es.revision_id, es.position, es.chapter_id))
    built = tuple(TocChapter(c.chapter_id, c.title, c.slug, c.intro, tuple(sections[c.chapter_id]))
                  for c in chapters if sections[c.chapter_id])
    flat = tuple(s for c in built for s in c.sections)
    return EditionToc(edition.id, built, flat, {s.slug: i for i, s in enumerate(flat)},
                      {c.chapter_id: c for c in built})


def edition_toc(session, edition):
    """The edition's table of contents (EditionToc), built once per process and edition."""
    if edition is None:
        return EMPTY_TOC
    # The database URL is part of the key: tests (and tools) open several databases in one process.
    key = (str(session.get_bind().url), edition.id, edition.published_at)
    with _toc_lock:
        toc = _toc_cache.get(key)
        if toc is not None:
            _toc_cache.move_to_end(key)
            return toc
    toc = _build_toc(session, edition)
    with _toc_lock:
        _toc_cache[key] = toc
        while len(_toc_cache) > TOC_CACHE_SIZE:
            _toc_cache.popitem(last=False)
    return toc


def flat_sections(toc):
    return list(toc.flat)


def published_section(session, edition, slug):
    """(toc, chapter, section, revision, previous, next) of a section in the edition, or None."""
    toc = edition_toc(session, edition)
    found = toc.find(slug)
    if found is None:
        return None
    chapter, item, previous, following = found
    revision = session.get(SectionRevision, item.revision_id)
    return toc, chapter, item, revision, previous, following


def published_revisions(session, edition):
    """(toc, {revision id: revision}) of the whole edition, for the print view."""
    toc = edition_toc(session, edition)
    ids = [s.revision_id for s in toc.flat]
    if not ids:
        return toc, {}
    revisions = {r.id: r for r in session.exec(select(SectionRevision).where(SectionRevision.id.in_(ids))).all()}
    return toc, revisions


# --- what changed between editions --------------------------------------------------------------------------------

@dataclass
class Change:
    kind: str  # added, removed, changed
    slug: str
    title: str
    old_revision_id: int | None
    new_revision_id: int | None
    section_id: int | None = None


def changes_between(session, old, new):
    """Sections that differ between two editions, in the new edition's order. A section whose revision changed
    but whose title and text are the same again (an edit undone, a restore) is not a change."""
    def snapshot(edition):
        rows = session.exec(
            select(EditionSection.section_id, EditionSection.revision_id, EditionSection.position,
                   Section.slug, SectionRevision.title, SectionRevision.body)
            .join(Section, Section.id == EditionSection.section_id)
            .join(SectionRevision, SectionRevision.id == EditionSection.revision_id)
            .where(EditionSection.edition_id == edition.id)
        ).all()
        return {r.section_id: r for r in rows}

    before, after = snapshot(old), snapshot(new)
    changes = []
    for section_id, row in sorted(after.items(), key=lambda kv: kv[1].position):
        if section_id not in before:
            changes.append(Change("added", row.slug, row.title, None, row.revision_id, section_id))
        elif (before[section_id].title, before[section_id].body) != (row.title, row.body):
            changes.append(Change("changed", row.slug, row.title, before[section_id].revision_id, row.revision_id,
                                  section_id))
    for section_id, row in before.items():
        if section_id not in after:
            changes.append(Change("removed", row.slug, row.title, row.revision_id, None, section_id))
    return changes


def revisions_by_id(session, ids):
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {r.id: r for r in session.exec(select(SectionRevision).where(SectionRevision.id.in_(wanted))).all()}
