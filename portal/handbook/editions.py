"""Published editions: which edition is current or required, and an edition's table of contents.

An edition never changes once published (its chapters and sections are snapshots of titles and revision ids), so
what is derived from editions alone is built once and kept in memory, in every process, without invalidation: an
edition's table of contents (`edition_toc`: a 2,000-section handbook costs one query per process and edition, not
one per page), the title and HTML of the revisions a section page shows (`published_section`), and what changed
between two editions (`changes_between`, `changed_since`: the dashboard of everyone who acknowledged an older
edition would otherwise compare both editions' full texts on every view).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import select

from portal import cache, generations
from portal.models import Edition, EditionChapter, EditionSection, Section, SectionRevision

# Moved by every new (or changed) edition: what is kept about "the latest edition" elsewhere keys by it.
EDITIONS_GENERATION = "handbook_editions"
generations.follow(EDITIONS_GENERATION, Edition)

TOC_CACHE_SIZE = 8  # editions kept per process (the current one and a few that people compare against)
CHANGES_CACHE_SIZE = 16  # pairs of editions kept per process
DIFFS_CACHE_SIZE = 4  # pairs of editions whose rendered diffs are kept per process (up to a few MB each)
TEXT_CACHE_SIZE = 256  # revisions' titles and HTML kept per process for the section page (a few KB each)


def latest_edition(session):
    return session.exec(select(Edition).order_by(Edition.published_at.desc(), Edition.id.desc())).first()


def editions(session):
    return session.exec(select(Edition).order_by(Edition.published_at.desc(), Edition.id.desc())).all()


def required_edition(session):
    """The edition everyone must have acknowledged (or a later one): the newest material edition, else the first."""
    material = session.exec(select(Edition).where(Edition.material)
                            .order_by(Edition.published_at.desc(), Edition.id.desc())).first()
    return material or session.exec(select(Edition).order_by(Edition.published_at, Edition.id)).first()


def latest_and_required(session):
    """(latest_edition, required_edition) from one statement (editions are a handful of rows)."""
    every = editions(session)
    if not every:
        return None, None
    return every[0], next((e for e in every if e.material), every[-1])


@dataclass(frozen=True)
class PublishedEdition:
    """What pages show and compare of an edition, as a value a process can keep (an ORM row cannot outlive its
    session)."""

    id: int
    version: str
    notes: str
    material: bool
    published_at: datetime
    published_by_id: int | None


def current_editions(session):
    """(latest, required) as `latest_and_required`, as PublishedEdition values kept per process under the editions'
    cache generation (moved by every edition written, committed with it): the section page and every dashboard ask,
    and the generation is one small statement that the page's other kept values share."""
    def build():
        return tuple(None if e is None else PublishedEdition(e.id, e.version, e.notes, e.material, e.published_at,
                                                             e.published_by_id)
                     for e in latest_and_required(session))

    return cache.remembered("handbook.current_editions", generations.read(session, EDITIONS_GENERATION),
                            "DASHBOARD_CACHE_SECONDS", build)


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


class _EditionCache:
    """A small LRU of values derived from published editions only (never changed, so never invalidated). The
    database URL and the editions' publication times are part of every key: tests (and tools) open several
    databases in one process, where the same ids can name other editions."""

    def __init__(self, size):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    @staticmethod
    def key(session, *editions):
        return (str(session.get_bind().url), *((e.id, e.published_at) for e in editions))

    def get(self, key, build):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
                return value
        value = build()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self):
        with self.lock:
            self.items.clear()


_toc_cache = _EditionCache(TOC_CACHE_SIZE)
_text_cache = _EditionCache(TEXT_CACHE_SIZE)
_changes_cache = _EditionCache(CHANGES_CACHE_SIZE)
_diffs_cache = _EditionCache(DIFFS_CACHE_SIZE)


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
    return _toc_cache.get(_toc_cache.key(session, edition), lambda: _build_toc(session, edition))


def flat_sections(toc):
    return list(toc.flat)


@dataclass(frozen=True)
class RevisionText:
    """What the section page shows of a revision: revisions never change once saved, so kept per process."""

    title: str
    html: str


def published_section(session, edition, slug):
    """(toc, chapter, section, revision (RevisionText), previous, next) of a section in the edition, or None."""
    toc = edition_toc(session, edition)
    found = toc.find(slug)
    if found is None:
        return None
    chapter, item, previous, following = found

    def build():
        row = session.exec(select(SectionRevision.title, SectionRevision.html)
                           .where(SectionRevision.id == item.revision_id)).one()
        return RevisionText(row.title, row.html)

    revision = _text_cache.get((*_text_cache.key(session, edition), item.revision_id), build)
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

@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed
    slug: str
    title: str
    old_revision_id: int | None
    new_revision_id: int | None
    section_id: int | None = None


def changes_between(session, old, new):
    """Sections that differ between two editions, in the new edition's order (a tuple of Change, shared: built once
    per process and pair of editions). A section whose revision changed but whose title and text are the same again
    (an edit undone, a restore) is not a change."""
    return _changes_cache.get(("changes", *_changes_cache.key(session, old, new)),
                              lambda: tuple(_changes_between(session, old, new)))


def kept_diffs(session, old, new, build):
    """`build()`, kept per process for the pair of editions: the changes page's rendered word-level diffs, the same
    for every reader (500 changed sections took 0.6 s a request to render and compare)."""
    return _diffs_cache.get(("diffs", *_diffs_cache.key(session, old, new)), build)


def changed_since(session, previous, edition):
    """{section id: when its current text first appeared} for the sections of `edition` that were added or changed
    since `previous` (an edition published before it): what someone who acknowledged `previous` must open again,
    and the time after which that opening counts. Built once per process and pair of editions."""
    def build():
        changed = {c.section_id for c in changes_between(session, previous, edition) if c.kind != "removed"}
        if not changed:
            return {}
        # Each changed section's current text first appeared in an edition after `previous`: the earliest edition
        # after it that has the same revision as `edition`.
        latest, es = aliased(EditionSection), aliased(EditionSection)
        since = dict(session.exec(
            select(es.section_id, func.min(Edition.published_at))
            .join(Edition, Edition.id == es.edition_id)
            .join(latest, and_(latest.section_id == es.section_id, latest.revision_id == es.revision_id,
                               latest.edition_id == edition.id))
            .where(es.section_id.in_(changed), Edition.published_at > previous.published_at)
            .group_by(es.section_id)).all())
        return {section_id: since.get(section_id, edition.published_at) for section_id in changed}

    return _changes_cache.get(("since", *_changes_cache.key(session, previous, edition)), build)


def _changes_between(session, old, new):
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
