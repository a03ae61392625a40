"""The working draft that humas edit: chapters, sections and their numbered revisions.

Services flush and never commit (the request commits once); every write is audited. Saving is compare-and-set on
the section's head revision, so two editors never overwrite each other silently (EditConflict).
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, case, false, func, or_, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from portal import audit
from portal.errors import DomainError
from portal.handbook.editions import editions, latest_edition
from portal.markdown import render_markdown, slugify
from portal.models import Chapter, EditionSection, Section, SectionRevision, User

MAX_BODY = 100_000
MAX_TITLE = 200


class EditConflict(DomainError):
    """Someone saved the section after the editor opened it; carries the revision that won."""

    def __init__(self, current):
        super().__init__(_("Bagian ini sudah diubah orang lain sejak Anda membukanya. Teks Anda belum disimpan: "
                           "bandingkan dengan versi terbaru di bawah, gabungkan, lalu simpan lagi."))
        self.current = current


@dataclass
class DraftSection:
    section: Section
    revision: SectionRevision
    published_revision_id: int | None
    published_text: tuple | None = None  # (title, body) in the latest edition

    @property
    def unpublished(self):
        """The next edition will differ here: new or changed text, or a published section taken out. A revision
        whose title and text equal the published ones (an edit undone, a restore) is no change."""
        if self.section.archived:
            return self.published_revision_id is not None
        if self.published_revision_id is None:
            return True
        return (self.revision.title, self.revision.body) != self.published_text


def draft_toc(session, include_archived=False, chapters=None):
    """[(chapter, [DraftSection])] of the working draft, flagging sections changed since the latest edition.
    Archived sections (taken out of the next edition) are left out unless `include_archived`. `chapters` (a set of
    chapter ids): only their sections are read; every other chapter comes with none."""
    if chapters is not None and not chapters:
        return [(chapter, []) for chapter in _chapters(session)]
    of_chapters = [Section.chapter_id.in_(chapters)] if chapters is not None else []
    edition = latest_edition(session)
    published = {}
    if edition is not None:
        pub = aliased(SectionRevision)
        statement = (select(EditionSection.section_id, EditionSection.revision_id, pub.title, pub.body)
                     .join(pub, pub.id == EditionSection.revision_id).where(EditionSection.edition_id == edition.id))
        if of_chapters:
            statement = statement.join(Section, Section.id == EditionSection.section_id).where(*of_chapters)
        published = {row.section_id: row for row in session.exec(statement).all()}
    query = (select(Section, SectionRevision).join(SectionRevision, SectionRevision.id == Section.current_revision_id)
             .where(*of_chapters).order_by(Section.position, Section.id))
    if not include_archived:
        query = query.where(~Section.archived)
    by_chapter = {}
    for section, revision in session.exec(query).all():
        row = published.get(section.id)
        by_chapter.setdefault(section.chapter_id, []).append(
            DraftSection(section, revision, row.revision_id if row else None, (row.title, row.body) if row else None))
    return [(chapter, by_chapter.get(chapter.id, [])) for chapter in _chapters(session)]


def _chapters(session):
    return session.exec(select(Chapter).where(~Chapter.archived).order_by(Chapter.position, Chapter.id)).all()


@dataclass
class ChapterCounts:
    """A chapter's sections in the working draft (archived ones included), by what the next edition does."""

    sections: int = 0
    changed: int = 0  # DraftSection.unpublished: new, changed, or taken out of the next edition
    never: int = 0  # never published (and not archived)
    archived: int = 0


def chapter_counts(session):
    """{chapter id: ChapterCounts}, counted by the database (one statement, no section read into Python). The texts
    of a section whose draft revision differs from the published one are compared as DraftSection.unpublished
    does: an edit undone is no change."""
    edition = latest_edition(session)
    current, pub = aliased(SectionRevision), aliased(SectionRevision)
    published_id = EditionSection.revision_id
    changed = case((Section.archived, case((published_id.is_not(None), 1), else_=0)),
                   (published_id.is_(None), 1),
                   (and_(current.id != pub.id, or_(current.title != pub.title, current.body != pub.body)), 1),
                   else_=0)
    never = case((and_(~Section.archived, published_id.is_(None)), 1), else_=0)
    archived = case((Section.archived, 1), else_=0)
    in_edition = and_(EditionSection.section_id == Section.id, EditionSection.edition_id == edition.id) \
        if edition is not None else false()  # nothing published yet: every section is new
    statement = (select(Section.chapter_id, func.count(), func.sum(changed), func.sum(never), func.sum(archived))
                 .join(Chapter, and_(Chapter.id == Section.chapter_id, ~Chapter.archived))
                 .join(current, current.id == Section.current_revision_id)
                 .outerjoin(EditionSection, in_edition)
                 .outerjoin(pub, pub.id == published_id).group_by(Section.chapter_id))
    return {chapter_id: ChapterCounts(*(int(n or 0) for n in numbers))
            for chapter_id, *numbers in session.exec(statement).all()}


MANAGE_ALL_SECTIONS = 120  # up to this many sections the management page lists them all; beyond, one chapter at a time


def manage_page(session, chapter_id=None):
    """Everything the management page shows: every chapter with its counts and its sections, [DraftSection], for
    every chapter of a handbook of up to MANAGE_ALL_SECTIONS, else for the chapter `chapter_id` only (the others
    with sections have None: the page links to them)."""
    counts = chapter_counts(session)
    every = sum(c.sections for c in counts.values()) <= MANAGE_ALL_SECTIONS
    shown = None if every else ({chapter_id} if chapter_id in counts else set())
    chapters = [(chapter, counts.get(chapter.id),
                 None if shown is not None and chapter.id in counts and chapter.id not in shown else sections)
                for chapter, sections in draft_toc(session, include_archived=True, chapters=shown)]
    return {"chapters": chapters, "every_chapter": every, "pending": sum(c.changed for c in counts.values()),
            "editions": editions(session)}


def _check_text(title, body):
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n")
    if not title:
        raise DomainError(_("Judul wajib diisi."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("Judul paling banyak %(n)d karakter.", n=MAX_TITLE), field="title")
    if not body.strip():
        raise DomainError(_("Isi bagian tidak boleh kosong."), field="body")
    if len(body) > MAX_BODY:
        raise DomainError(_("Isi bagian terlalu panjang (paling banyak %(n)d karakter).", n=MAX_BODY), field="body")
    return title, body


def _unique_slug(session, model, wanted):
    base = slugify(wanted)
    slug, n = base, 2
    while session.exec(select(model.id).where(model.slug == slug)).first() is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _chapter_title(title):
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise DomainError(_("Judul bab wajib diisi (paling banyak %(n)d karakter).", n=MAX_TITLE), field="title")
    return title


def create_chapter(session, actor, title, intro="", slug=None):
    title = _chapter_title(title)
    position = (session.exec(select(func.max(Chapter.position))).one() or 0) + 1
    chapter = Chapter(title=title, intro=(intro or "").strip(), position=position,
                      slug=_unique_slug(session, Chapter, slug or title))
    session.add(chapter)
    session.flush()
    audit.record(session, actor, "handbook.chapter_create", "handbook_chapter", chapter.id, title)
    return chapter


def update_chapter(session, actor, chapter, title, intro, position):
    before = audit.snapshot(chapter, ("title", "intro", "position"))
    chapter.title, chapter.intro = _chapter_title(title), (intro or "").strip()
    chapter.position = chapter.position if position is None else position
    session.add(chapter)
    audit.record(session, actor, "handbook.chapter_update", "handbook_chapter", chapter.id, chapter.title,
                 before=before, after=audit.snapshot(chapter, ("title", "intro", "position")))
    session.flush()
    return chapter


def create_section(session, actor, chapter_id, title, body, slug=None, summary=""):
    chapter = session.get(Chapter, chapter_id)
    if chapter is None:
        raise DomainError(_("Bab tidak ditemukan."), field="chapter_id")
    title, body = _check_text(title, body)
    if slug:
        slug = slugify(slug)
        if session.exec(select(Section.id).where(Section.slug == slug)).first() is not None:
            raise DomainError(_("Penanda (slug) %(slug)s sudah dipakai bagian lain.", slug=slug), field="slug")
    else:
        slug = _unique_slug(session, Section, title)
    position = (session.exec(select(func.max(Section.position)).where(Section.chapter_id == chapter.id)).one() or 0) + 1
    section = Section(chapter_id=chapter.id, slug=slug, position=position)
    session.add(section)
    session.flush()
    revision = _add_revision(session, actor, section, 1, title, body, summary or _("Bagian baru"))
    section.current_revision_id = revision.id
    session.add(section)
    audit.record(session, actor, "handbook.section_create", "handbook_section", section.id, f"{slug}: {title}")
    session.flush()
    return section


def _add_revision(session, actor, section, number, title, body, summary):
    """A new revision; its HTML is rendered once here and kept with it (the Markdown cache per revision)."""
    revision = SectionRevision(section_id=section.id, number=number, title=title, body=body,
                               html=str(render_markdown(body)), summary=(summary or "")[:300],
                               author_id=getattr(actor, "id", None))
    session.add(revision)
    session.flush()
    return revision


def _head_now(session, section_id):
    """The section's head revision as the database holds it now (not as this session last saw it)."""
    head = session.exec(select(Section.current_revision_id).where(Section.id == section_id)
                        .execution_options(populate_existing=True)).one()
    return session.get(SectionRevision, head)


def save_section(session, actor, section, base_revision_id, title, body, summary=""):
    """Save a new revision on top of `base_revision_id` and return it. If someone saved in between, nothing is
    written and EditConflict carries their revision, so the editor keeps both texts. Saving the text that is already
    there makes no revision: the current one is returned (its id is still `base_revision_id`)."""
    title, body = _check_text(title, body)
    # Lock the section row and read its head afresh. On PostgreSQL a second save waits here and then finds the head
    # moved; SQLite serialises writers (BEGIN IMMEDIATE). Without it both would number their revision alike.
    head = session.exec(select(Section.current_revision_id).where(Section.id == section.id).with_for_update()
                        .execution_options(populate_existing=True)).one()
    current = session.get(SectionRevision, head)
    if base_revision_id != head:
        raise EditConflict(current)
    if current is not None and current.title == title and current.body == body:
        return current  # nothing changed; no empty revision
    number = (session.exec(select(func.max(SectionRevision.number))
                           .where(SectionRevision.section_id == section.id)).one() or 0) + 1
    revision = _add_revision(session, actor, section, number, title, body, summary)
    # Compare-and-set: only move the head if it is still where the editor started.
    moved = session.execute(
        update(Section).where(Section.id == section.id, Section.current_revision_id == base_revision_id)
        .values(current_revision_id=revision.id)
    ).rowcount
    if moved != 1:
        raise EditConflict(_head_now(session, section.id))
    audit.record(session, actor, "handbook.section_save", "handbook_section", section.id,
                 f"{section.slug} r{number}: {summary or title}"[:500],
                 before={"revision": current.number if current else None}, after={"revision": number})
    set_committed_value(section, "current_revision_id", revision.id)  # as the UPDATE wrote it, without a reload
    return revision


def set_section_archived(session, actor, section, archived):
    """Take a section out of the next edition (archived) or put it back. Editions already published keep it, and
    its slug stays reserved: a link to it never leads to another section."""
    archived = bool(archived)
    if section.archived == archived:
        return section
    section.archived = archived
    session.add(section)
    audit.record(session, actor, "handbook.section_archive" if archived else "handbook.section_unarchive",
                 "handbook_section", section.id, section.slug, before={"archived": not archived},
                 after={"archived": archived})
    session.flush()
    return section


def restore_revision(session, actor, section, revision):
    """Make an old revision's text the head again (a new revision, unless the head already has that text)."""
    if revision.section_id != section.id:
        raise DomainError(_("Revisi ini bukan milik bagian tersebut."))
    return save_section(session, actor, section, section.current_revision_id, revision.title, revision.body,
                        summary=_("Dipulihkan dari revisi #%(n)d", n=revision.number))


def section_revisions(session, section):
    return session.exec(
        select(SectionRevision, User).join(User, User.id == SectionRevision.author_id, isouter=True)
        .where(SectionRevision.section_id == section.id).order_by(SectionRevision.number.desc())
    ).all()


def editor_page(session, section):
    """(chapter, current revision) for the section editor."""
    return session.get(Chapter, section.chapter_id), session.get(SectionRevision, section.current_revision_id)


def preview_html(body):
    if len(body or "") > MAX_BODY:
        raise DomainError(_("Isi bagian terlalu panjang (paling banyak %(n)d karakter).", n=MAX_BODY), field="body")
    return render_markdown(body or "")
