"""Publishing an edition, keeping the handbook's search index in step with it, and searching it.

Publishing freezes the draft into edition rows in the request (fast: a few inserts) and sends `edition_published`
inside that transaction; re-indexing the sections for search (stemming thousands of sections takes seconds) runs
as a job (`handbook.reindex`) once the edition is committed, with its progress on the /jobs page. Until the job is
done, search shows the previous text of changed sections; it never shows drafts.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists
from sqlmodel import select

from portal import audit, cache, events, generations, jobs, search, snippets
from portal.errors import DomainError
from portal.handbook.drafts import draft_toc
from portal.handbook.editions import edition_toc, latest_edition
from portal.i18n import ngettext
from portal.models import Edition, EditionChapter, EditionSection, Section, SectionRevision, utcnow

SEARCH_KIND = "handbook"
SEARCH_GENERATION = "handbook_search"  # cache generation moved by every change to the handbook's search index
RESULTS_KEPT = 256  # pages of handbook search results kept per process (~10 KB each)
VERSION_RE = re.compile(r"^\d{4}\.\d{1,3}$")
REINDEX_BATCH = 200


def publish_page(session):
    toc = draft_toc(session, include_archived=True)
    latest = latest_edition(session)
    suggested = ""
    if latest is not None:
        year, _dot, number = latest.version.partition(".")
        suggested = f"{year}.{int(number) + 1}" if number.isdigit() else ""
    return {"latest": latest, "suggested": suggested,
            "changed": [s for _chapter, sections in toc for s in sections if s.unpublished]}


@dataclass
class Published:
    edition: Edition
    job: object = None  # the re-index Job row (None when indexed at once)


def publish_edition(session, actor, version, notes, material, index_now=False):
    """publish(...) for callers that need only the edition (tests, demo seed, benchmarks)."""
    return publish(session, actor, version, notes, material, index_now=index_now).edition


def publish(session, actor, version, notes, material, index_now=False):
    """Freeze the current draft of every section into a new edition. Its search re-index is queued as a job, or
    with `index_now` (CLI seeding, tests) done in this transaction."""
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
    audit.record(session, actor, "handbook.publish", "handbook_edition", edition.id,
                 f"{version}{' (material)' if material else ''}", after={"version": version, "material": bool(material),
                                                                          "sections": position})
    actor = getattr(actor, "_get_current_object", lambda: actor)()  # the user, not the request's proxy
    events.edition_published.send(session, actor=actor, edition=edition, material=bool(material))
    if index_now:
        reindex_edition(session, edition)
        return Published(edition)
    return Published(edition, jobs.enqueue(session, "handbook.reindex", actor, edition_id=edition.id))


# --- the search index ---------------------------------------------------------------------------------------------

def reindex_edition(session, edition, step=None):
    """Make the search index hold exactly the sections of `edition` (employees search only what they can read).
    Documents whose text is already indexed are left alone, so a re-run (or a publish with few changes) is cheap.
    `step(done, total)` is called after each batch (a job commits there)."""
    toc = edition_toc(session, edition)
    items = list(toc.flat)
    indexed = {row.ref_id: row for row in session.exec(
        select(search.SearchDocument.ref_id, search.SearchDocument.title, search.SearchDocument.body)
        .where(search.SearchDocument.kind == SEARCH_KIND)).all()}
    changed = 0
    for start in range(0, len(items), REINDEX_BATCH):
        batch = items[start:start + REINDEX_BATCH]
        revisions = {r.id: r for r in session.exec(
            select(SectionRevision).where(SectionRevision.id.in_([i.revision_id for i in batch]))).all()}
        for item in batch:
            revision = revisions[item.revision_id]
            chapter = toc.chapter_of[item.chapter_id]
            have = indexed.get(item.section_id)
            if have is not None and (have.title, have.body) == (revision.title, revision.body):
                continue
            search.index_document(session, SEARCH_KIND, item.section_id, revision.title, revision.body,
                                  extra=chapter.title)
            generations.move(session, SEARCH_GENERATION)  # at this batch's commit
            changed += 1
        if step is not None:
            step(min(start + REINDEX_BATCH, len(items)), len(items))
    wanted = {item.section_id for item in items}
    removed = set(indexed) - wanted
    for ref_id in removed:
        search.remove_document(session, SEARCH_KIND, ref_id)
        generations.move(session, SEARCH_GENERATION)
    session.flush()
    return {"sections": len(items), "indexed": changed, "removed": len(removed)}


def _describe_reindex(result):
    if result.get("skipped"):
        return _("Edisi yang lebih baru sudah terbit; indeksnya dibuat oleh tugas edisi itu.")
    return ngettext("Indeks pencarian diperbarui: %(num)s bagian diindeks ulang.",
                    "Indeks pencarian diperbarui: %(num)s bagian diindeks ulang.", result.get("indexed", 0))


def _after_reindex(_result, _params):
    from flask import url_for

    return url_for("handbook.manage")


@jobs.job("handbook.reindex", title=_l("Indeks pencarian pedoman"), describe=_describe_reindex,
          next_url=_after_reindex)
def reindex_job(ctx, edition_id):
    """Idempotent: indexes the edition if it is still the latest (a newer edition's job does it otherwise)."""
    session = ctx.session
    latest = latest_edition(session)
    if latest is None or latest.id != edition_id:
        return {"skipped": True}
    # The progress message is numbers only: a job has no reader whose language it could pick.
    return reindex_edition(session, latest, step=lambda done, total: ctx.step(done, total, f"{done}/{total}"))


def search_scope(session, edition):
    """What a search of the published handbook depends on besides the query: the edition and the index's
    generation (SEARCH_GENERATION: a re-index moves it, so nothing kept shows text the index no longer holds)."""
    return edition.id, generations.read(session, SEARCH_GENERATION)


def search_published(session, query, limit=20, offset=0):
    """(results, total): each result has slug, title, chapter title and a highlighted snippet. The same for every
    reader: kept per process for SEARCH_RESULTS_CACHE_SECONDS under `search_scope` and the query as typed (a page of
    the handbook's popular searches costs a fifth of a fresh one)."""
    edition = latest_edition(session)
    if edition is None:
        return [], 0
    return cache.remembered("handbook_search", (*search_scope(session, edition), query, limit, offset),
                            "SEARCH_RESULTS_CACHE_SECONDS", lambda: _search(session, edition, query, limit, offset),
                            max_entries=RESULTS_KEPT)


def _search(session, edition, query, limit, offset):
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
                        "snippet": snippets.highlight(hit.body, query),
                        "title_html": snippets.highlight(hit.title, query, max_length=200)})
    return results, total


HEADER_WINDOW = 1000


def header_matches(session, query, limit=5, edition=None):
    """The header search's handbook group: a search.Top of sections of the published edition (`edition` when the
    caller has read it; the best `limit` among the first matches, the count capped), with each hit's slug, chapter
    and highlighted title and snippet."""
    edition = edition or latest_edition(session)
    if edition is None:
        return search.Top([], 0), []
    # The handbook has an index of its own and a few hundred sections: a wider window ranks all of a real one.
    found = search.top(session, SEARCH_KIND, query, limit=limit, window=HEADER_WINDOW, visible=lambda ref: [
        exists().where(EditionSection.edition_id == edition.id, EditionSection.section_id == ref)])
    ids = [hit.ref_id for hit in found.hits]
    where = {row.section_id: row for row in session.exec(
        select(EditionSection.section_id, Section.slug, EditionChapter.title.label("chapter"))
        .join(Section, Section.id == EditionSection.section_id)
        .join(EditionChapter, and_(EditionChapter.edition_id == EditionSection.edition_id,
                                   EditionChapter.chapter_id == EditionSection.chapter_id))
        .where(EditionSection.edition_id == edition.id, EditionSection.section_id.in_(ids))).all()} if ids else {}
    return found, [{"slug": where[hit.ref_id].slug, "chapter": where[hit.ref_id].chapter,
                    "title_html": snippets.highlight(hit.title, query, max_length=200),
                    "snippet": snippets.highlight(hit.body, query)} for hit in found.hits if hit.ref_id in where]
