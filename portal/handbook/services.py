"""Handbook use cases: reading the published edition, editing drafts with revisions, publishing editions,
read-and-acknowledge, reports. Views call these with plain values; every humas/admin write is audited."""

import difflib
import html
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, exists, false, func, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from portal import audit, search
from portal.errors import DomainError
from portal.markdown import render_markdown, slugify
from portal.models import (
    Acknowledgement,
    Chapter,
    Edition,
    EditionChapter,
    EditionSection,
    Section,
    SectionRead,
    SectionRevision,
    Unit,
    User,
    utcnow,
)

SEARCH_KIND = "handbook"
VERSION_RE = re.compile(r"^\d{4}\.\d{1,3}$")
MAX_BODY = 100_000
MAX_TITLE = 200


class EditConflict(DomainError):
    """Someone saved the section after the editor opened it; carries the revision that won."""

    def __init__(self, current):
        super().__init__(_("Bagian ini sudah diubah orang lain sejak Anda membukanya. Teks Anda belum disimpan: "
                           "bandingkan dengan versi terbaru di bawah, gabungkan, lalu simpan lagi."))
        self.current = current


# --- editions and the published table of contents -----------------------------------------------------------------

def latest_edition(session):
    return session.exec(select(Edition).order_by(Edition.published_at.desc(), Edition.id.desc())).first()


def editions(session):
    return session.exec(select(Edition).order_by(Edition.published_at.desc(), Edition.id.desc())).all()


def required_edition(session):
    """The edition everyone must have acknowledged (or a later one): the newest material edition, else the first."""
    material = session.exec(select(Edition).where(Edition.material)
                            .order_by(Edition.published_at.desc(), Edition.id.desc())).first()
    return material or session.exec(select(Edition).order_by(Edition.published_at, Edition.id)).first()


@dataclass
class TocSection:
    section_id: int
    slug: str
    title: str
    revision_id: int
    position: int
    read: bool = False


@dataclass
class TocChapter:
    chapter_id: int
    title: str
    slug: str
    intro: str
    sections: list = field(default_factory=list)


def edition_toc(session, edition, read_ids=frozenset()):
    """Chapters of an edition with their sections, in order."""
    if edition is None:
        return []
    chapters = session.exec(select(EditionChapter).where(EditionChapter.edition_id == edition.id)
                            .order_by(EditionChapter.position)).all()
    toc = {c.chapter_id: TocChapter(c.chapter_id, c.title, c.slug, c.intro) for c in chapters}
    rows = session.exec(
        select(EditionSection, SectionRevision.title, Section.slug)
        .join(SectionRevision, SectionRevision.id == EditionSection.revision_id)
        .join(Section, Section.id == EditionSection.section_id)
        .where(EditionSection.edition_id == edition.id)
        .order_by(EditionSection.position)
    ).all()
    for es, title, slug in rows:
        if es.chapter_id in toc:
            toc[es.chapter_id].sections.append(
                TocSection(es.section_id, slug, title, es.revision_id, es.position, es.section_id in read_ids))
    return [c for c in toc.values() if c.sections]


def flat_sections(toc):
    return [s for chapter in toc for s in chapter.sections]


def published_section(session, edition, slug):
    """(toc, chapter, section, revision, previous, next) of a section in the edition, or None."""
    if edition is None:
        return None
    toc = edition_toc(session, edition)
    flat = flat_sections(toc)
    for index, item in enumerate(flat):
        if item.slug == slug:
            chapter = next(c for c in toc if item in c.sections)
            revision = session.get(SectionRevision, item.revision_id)
            previous = flat[index - 1] if index > 0 else None
            following = flat[index + 1] if index + 1 < len(flat) else None
            return toc, chapter, item, revision, previous, following
    return None


def published_revisions(session, edition):
    """(toc entry, revision) pairs of the whole edition, for the print view."""
    toc = edition_toc(session, edition)
    ids = [s.revision_id for s in flat_sections(toc)]
    revisions = {r.id: r for r in session.exec(select(SectionRevision).where(SectionRevision.id.in_(ids))).all()}
    return toc, revisions


# --- reading progress and acknowledgement -------------------------------------------------------------------------

def read_section_ids(session, user):
    return set(session.exec(select(SectionRead.section_id).where(SectionRead.user_id == user.id)).all())


def mark_read(session, user, section_id):
    """Record that the user opened the section (once; later visits change nothing)."""
    if session.get(SectionRead, (user.id, section_id)) is None:
        session.add(SectionRead(user_id=user.id, section_id=section_id))
        try:
            session.commit()
        except IntegrityError:  # a concurrent request recorded it first
            session.rollback()


def reading_progress(session, user, edition):
    """(sections read, sections in the edition)."""
    if edition is None:
        return 0, 0
    total = session.exec(select(func.count()).select_from(EditionSection)
                         .where(EditionSection.edition_id == edition.id)).one()
    done = session.exec(
        select(func.count()).select_from(EditionSection)
        .join(SectionRead, and_(SectionRead.section_id == EditionSection.section_id, SectionRead.user_id == user.id))
        .where(EditionSection.edition_id == edition.id)
    ).one()
    return done, total


def acknowledged_edition(session, user):
    """The newest edition this user acknowledged, or None."""
    return session.exec(
        select(Edition).join(Acknowledgement, Acknowledgement.edition_id == Edition.id)
        .where(Acknowledgement.user_id == user.id).order_by(Edition.published_at.desc(), Edition.id.desc())
    ).first()


def has_acknowledged(session, user):
    """True when the user acknowledged the required edition or one published after it."""
    required = required_edition(session)
    if required is None:
        return True
    done = acknowledged_edition(session, user)
    return done is not None and (done.published_at, done.id) >= (required.published_at, required.id)


def acknowledge(session, user, edition):
    if edition is None:
        raise DomainError(_("Belum ada edisi pedoman yang terbit."))
    if session.get(Acknowledgement, (user.id, edition.id)) is None:
        session.add(Acknowledgement(user_id=user.id, edition_id=edition.id))
        try:
            session.commit()
        except IntegrityError:  # the same person, twice at once (a double click): recorded either way
            session.rollback()


def dashboard_cards(session, user):
    edition = latest_edition(session)
    if edition is None:
        return []
    from flask import url_for

    done, total = reading_progress(session, user, edition)
    percent = 100 * done / total if total else 0
    if not has_acknowledged(session, user):
        previous = acknowledged_edition(session, user)
        body = (_("Edisi %(v)s memuat perubahan penting. Baca bagian yang berubah, lalu nyatakan kembali bahwa "
                  "Anda telah memahaminya.", v=edition.version) if previous else
                _("Baca Pedoman Bijak Bermedia Sosial edisi %(v)s sampai selesai, lalu nyatakan bahwa Anda telah "
                  "membaca dan memahaminya.", v=edition.version))
        return [{"title": _("Baca dan setujui pedoman"), "body": body, "progress": percent,
                 "url": url_for("handbook.index"), "action": _("Lanjutkan membaca"), "tone": "warn"}]
    return [{"title": _("Pedoman sudah Anda setujui"),
             "body": _("Terima kasih. Anda sudah menyatakan memahami pedoman edisi yang berlaku (%(v)s).",
                       v=edition.version),
             "progress": percent, "url": url_for("handbook.index"), "action": _("Buka pedoman"), "tone": "ok"}]


# --- what changed between editions --------------------------------------------------------------------------------

@dataclass
class Change:
    kind: str  # added, removed, changed
    slug: str
    title: str
    old_revision_id: int | None
    new_revision_id: int | None


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
            changes.append(Change("added", row.slug, row.title, None, row.revision_id))
        elif (before[section_id].title, before[section_id].body) != (row.title, row.body):
            changes.append(Change("changed", row.slug, row.title, before[section_id].revision_id, row.revision_id))
    for section_id, row in before.items():
        if section_id not in after:
            changes.append(Change("removed", row.slug, row.title, row.revision_id, None))
    return changes


def revisions_by_id(session, ids):
    wanted = [i for i in ids if i]
    return {r.id: r for r in session.exec(select(SectionRevision).where(SectionRevision.id.in_(wanted))).all()}


# --- search -------------------------------------------------------------------------------------------------------

def reindex_edition(session, edition):
    """Make the search index hold exactly the sections of `edition` (employees search only what they can read)."""
    toc, revisions = published_revisions(session, edition)
    wanted = set()
    for chapter in toc:
        for item in chapter.sections:
            revision = revisions[item.revision_id]
            search.index_document(session, SEARCH_KIND, item.section_id, revision.title, revision.body,
                                  extra=chapter.title)
            wanted.add(item.section_id)
    indexed = session.exec(select(search.SearchDocument.ref_id)
                           .where(search.SearchDocument.kind == SEARCH_KIND)).all()
    for ref_id in set(indexed) - wanted:
        search.remove_document(session, SEARCH_KIND, ref_id)


def search_published(session, query, limit=20, offset=0):
    """(results, total): each result has slug, title, chapter title and a highlighted snippet."""
    edition = latest_edition(session)
    if edition is None:
        return [], 0
    allowed = select(EditionSection.section_id).where(EditionSection.edition_id == edition.id)
    hits, total = search.search(session, SEARCH_KIND, query, allowed_refs=allowed, limit=limit, offset=offset)
    if not hits:
        return [], total
    ids = [hit.ref_id for hit in hits]
    where = {row.section_id: row for row in session.exec(
        select(EditionSection.section_id, Section.slug, EditionChapter.title.label("chapter"))
        .join(Section, Section.id == EditionSection.section_id)
        .join(EditionChapter, and_(EditionChapter.edition_id == EditionSection.edition_id,
                                   EditionChapter.chapter_id == EditionSection.chapter_id))
        .where(EditionSection.edition_id == edition.id, EditionSection.section_id.in_(ids))
    ).all()}
    results = []
    for hit in hits:
        row = where[hit.ref_id]
        results.append({"slug": row.slug, "title": hit.title, "chapter": row.chapter,
                        "snippet": search.highlight(hit.body, query),
                        "title_html": search.highlight(hit.title, query, max_length=200)})
    return results, total


# --- the working draft --------------------------------------------------------------------------------------------

@dataclass
class DraftSection:
    section: Section
    revision: SectionRevision
    published_revision_id: int | None

    @property
    def unpublished(self):
        """The next edition will differ here: new or changed text, or a published section taken out."""
        if self.section.archived:
            return self.published_revision_id is not None
        return self.revision.id != self.published_revision_id


def draft_toc(session, include_archived=False):
    """[(chapter, [DraftSection])] of the working draft, flagging sections changed since the latest edition.
    Archived sections (taken out of the next edition) are left out unless `include_archived`."""
    edition = latest_edition(session)
    published = {}
    if edition is not None:
        published = dict(session.exec(select(EditionSection.section_id, EditionSection.revision_id)
                                      .where(EditionSection.edition_id == edition.id)).all())
    chapters = session.exec(select(Chapter).where(~Chapter.archived).order_by(Chapter.position, Chapter.id)).all()
    query = (select(Section, SectionRevision).join(SectionRevision, SectionRevision.id == Section.current_revision_id)
             .order_by(Section.position, Section.id))
    if not include_archived:
        query = query.where(~Section.archived)
    rows = session.exec(query).all()
    by_chapter = {}
    for section, revision in rows:
        by_chapter.setdefault(section.chapter_id, []).append(
            DraftSection(section, revision, published.get(section.id)))
    return [(chapter, by_chapter.get(chapter.id, [])) for chapter in chapters]


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


def create_chapter(session, actor, title, intro="", slug=None, commit=True):
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise DomainError(_("Judul bab wajib diisi (paling banyak %(n)d karakter).", n=MAX_TITLE), field="title")
    position = (session.exec(select(func.max(Chapter.position))).one() or 0) + 1
    chapter = Chapter(title=title, intro=(intro or "").strip(), position=position,
                      slug=_unique_slug(session, Chapter, slug or title))
    session.add(chapter)
    session.flush()
    audit.record(session, actor, "handbook.chapter_create", "handbook_chapter", chapter.id, title)
    if commit:
        session.commit()
    return chapter


def update_chapter(session, actor, chapter, title, intro, position):
    before = audit.snapshot(chapter, ("title", "intro", "position"))
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise DomainError(_("Judul bab wajib diisi (paling banyak %(n)d karakter).", n=MAX_TITLE), field="title")
    chapter.title, chapter.intro, chapter.position = title, (intro or "").strip(), position
    session.add(chapter)
    audit.record(session, actor, "handbook.chapter_update", "handbook_chapter", chapter.id, title, before=before,
                 after=audit.snapshot(chapter, ("title", "intro", "position")))
    session.commit()


def create_section(session, actor, chapter_id, title, body, slug=None, summary="", commit=True):
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
    if commit:
        session.commit()
    return section


def _add_revision(session, actor, section, number, title, body, summary):
    revision = SectionRevision(section_id=section.id, number=number, title=title, body=body,
                               html=str(render_markdown(body)), summary=(summary or "")[:300],
                               author_id=getattr(actor, "id", None))
    session.add(revision)
    session.flush()
    return revision


def save_section(session, actor, section, base_revision_id, title, body, summary=""):
    """Save a new revision on top of `base_revision_id`. If someone saved in between, nothing is written and
    EditConflict carries their revision, so the editor keeps both texts."""
    title, body = _check_text(title, body)
    current = session.get(SectionRevision, section.current_revision_id)
    if base_revision_id != section.current_revision_id:
        raise EditConflict(current)
    if current is not None and current.title == title and current.body == body:
        return current  # nothing changed; no empty revision
    # Two saves at once: lock the section row while it is still where the editor started. On PostgreSQL the
    # second save waits here and then finds the head moved; SQLite serialises writers (BEGIN IMMEDIATE).
    # Without the lock both would number their revision alike and the loser would hit the unique constraint.
    still_there = session.exec(
        select(Section.id).where(Section.id == section.id, Section.current_revision_id == base_revision_id)
        .with_for_update()
    ).first()
    if still_there is None:
        session.rollback()
        session.refresh(section)
        raise EditConflict(session.get(SectionRevision, section.current_revision_id))
    number = (session.exec(select(func.max(SectionRevision.number))
                           .where(SectionRevision.section_id == section.id)).one() or 0) + 1
    revision = _add_revision(session, actor, section, number, title, body, summary)
    # Compare-and-set: only move the head if it is still where the editor started.
    moved = session.execute(
        update(Section).where(Section.id == section.id, Section.current_revision_id == base_revision_id)
        .values(current_revision_id=revision.id)
    ).rowcount
    if moved != 1:
        session.rollback()
        session.refresh(section)
        raise EditConflict(session.get(SectionRevision, section.current_revision_id))
    audit.record(session, actor, "handbook.section_save", "handbook_section", section.id,
                 f"{section.slug} r{number}: {summary or title}"[:500],
                 before={"revision": current.number if current else None}, after={"revision": number})
    session.commit()
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
    session.commit()
    return section


def restore_revision(session, actor, section, revision):
    if revision.section_id != section.id:
        raise DomainError(_("Revisi ini bukan milik bagian tersebut."))
    return save_section(session, actor, section, section.current_revision_id, revision.title, revision.body,
                        summary=_("Dipulihkan dari revisi #%(n)d", n=revision.number))


def section_revisions(session, section):
    return session.exec(
        select(SectionRevision, User).join(User, User.id == SectionRevision.author_id, isouter=True)
        .where(SectionRevision.section_id == section.id).order_by(SectionRevision.number.desc())
    ).all()


def preview_html(body):
    if len(body or "") > MAX_BODY:
        raise DomainError(_("Isi bagian terlalu panjang (paling banyak %(n)d karakter).", n=MAX_BODY), field="body")
    return render_markdown(body or "")


def publish_edition(session, actor, version, notes, material):
    """Freeze the current draft of every section into a new edition."""
    version = (version or "").strip()
    if not VERSION_RE.match(version):
        raise DomainError(_("Versi ditulis sebagai tahun.nomor, misalnya 2026.2."), field="version")
    if session.exec(select(Edition.id).where(Edition.version == version)).first() is not None:
        raise DomainError(_("Edisi %(v)s sudah ada.", v=version), field="version")
    toc = draft_toc(session)
    if not any(sections for _chapter, sections in toc):
        raise DomainError(_("Pedoman belum berisi bagian apa pun."))
    previous = latest_edition(session)
    edition = Edition(version=version, notes=(notes or "").strip(), material=bool(material),
                      published_by_id=getattr(actor, "id", None), published_at=utcnow())
    if previous is not None and edition.published_at <= previous.published_at:
        edition.published_at = previous.published_at + timedelta(microseconds=1)  # keep publication order strict
    session.add(edition)
    session.flush()
    position = 0
    for chapter_position, (chapter, sections) in enumerate(toc, start=1):
        if not sections:
            continue
        session.add(EditionChapter(edition_id=edition.id, chapter_id=chapter.id, position=chapter_position,
                                   title=chapter.title, slug=chapter.slug, intro=chapter.intro))
        for item in sections:
            position += 1
            session.add(EditionSection(edition_id=edition.id, section_id=item.section.id,
                                       revision_id=item.revision.id, chapter_id=chapter.id, position=position))
    session.flush()
    reindex_edition(session, edition)
    audit.record(session, actor, "handbook.publish", "handbook_edition", edition.id,
                 f"{version}{' (material)' if material else ''}", after={"version": version, "material": bool(material),
                                                                          "sections": position})
    session.commit()
    return edition


# --- diffs --------------------------------------------------------------------------------------------------------

WORD_RE = re.compile(r"\s+|[^\s]+")


def word_diff(old, new):
    """Escaped HTML of `new` against `old`, word by word, with <del> and <ins>."""
    a, b = WORD_RE.findall(old or ""), WORD_RE.findall(new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(out))  # noqa: S704  # nosec B704  # every piece escaped above


# --- reports ------------------------------------------------------------------------------------------------------

@dataclass
class UnitRow:
    unit: Unit
    members: int
    acknowledged: int

    @property
    def rate(self):
        return 100 * self.acknowledged / self.members if self.members else 0


def _acknowledged_clause(required):
    return exists().where(
        Acknowledgement.user_id == User.id, Acknowledgement.edition_id == Edition.id,
        Edition.published_at >= required.published_at,
    )


def _unit_scope(scope_path):
    """Units a report covers: None = every unit, a path = that subtree, "" (no scope) = none at all."""
    if scope_path is None:
        return true()
    if not scope_path:
        return false()
    return Unit.path.startswith(scope_path)


def ack_report(session, scope_path):
    """Acknowledgement per unit in scope (None = all units; a path = that subtree; "" = none)."""
    required = required_edition(session)
    units = session.exec(select(Unit).where(_unit_scope(scope_path)).order_by(Unit.path)).all()
    if not units:
        return []
    unit_ids = [u.id for u in units]
    members = dict(session.exec(select(User.unit_id, func.count()).where(User.active, User.unit_id.in_(unit_ids))
                                .group_by(User.unit_id)).all())
    done = {}
    if required is not None:
        done = dict(session.exec(select(User.unit_id, func.count())
                                 .where(User.active, User.unit_id.in_(unit_ids), _acknowledged_clause(required))
                                 .group_by(User.unit_id)).all())
    from portal.accounts.services import all_units

    order = {u.id: i for i, u in enumerate(all_units(session))}
    rows = [UnitRow(u, members.get(u.id, 0), done.get(u.id, 0)) for u in units]
    return sorted(rows, key=lambda r: order.get(r.unit.id, 0))


def not_acknowledged(session, scope_path, unit_id=None, limit=None):
    required = required_edition(session)
    if required is None:
        return []
    query = (select(User, Unit).join(Unit, Unit.id == User.unit_id)
             .where(User.active, ~_acknowledged_clause(required), _unit_scope(scope_path))
             .order_by(Unit.path, User.full_name))
    if unit_id:
        unit = session.get(Unit, unit_id)
        if unit is not None:
            query = query.where(Unit.path.startswith(unit.path))
    if limit:
        query = query.limit(limit)
    return session.exec(query).all()


def ack_table(session, scope_path):
    """(header, rows, widths): every active employee in scope with their acknowledgement status."""
    required = required_edition(session)
    header = ["nip", "nama", "unit_kode", "unit", "status", "edisi_disetujui", "waktu_persetujuan"]
    query = select(User, Unit).join(Unit, Unit.id == User.unit_id).where(User.active)
    acks = (select(Acknowledgement.user_id, Edition.version, Acknowledgement.acknowledged_at, Edition.published_at)
            .join(Edition, Edition.id == Acknowledgement.edition_id)
            .join(User, User.id == Acknowledgement.user_id).join(Unit, Unit.id == User.unit_id)
            .where(User.active).order_by(Edition.published_at))
    query, acks = query.where(_unit_scope(scope_path)), acks.where(_unit_scope(scope_path))
    latest_ack = {user_id: (version, at, published_at)
                  for user_id, version, at, published_at in session.exec(acks).all()}  # the newest wins
    rows = []
    for user, unit in session.exec(query.order_by(Unit.path, User.full_name, User.id)).all():
        version, at, published_at = latest_ack.get(user.id, ("", None, None))
        done = required is not None and published_at is not None and published_at >= required.published_at
        rows.append([user.nip or "", user.full_name, unit.code, unit.name, "sudah" if done else "belum", version, at])
    return header, rows, [22, 36, 14, 40, 10, 16, 18]
