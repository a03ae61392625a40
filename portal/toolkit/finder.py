"""Faceted, Indonesian-aware search over the toolkit.

A new query's words are matched once (portal.search's `matching`, a materialised CTE) and, in the same statement,
the facet counts (each facet ignoring its own filter) and the requested page (ranked and cut with LIMIT inside the
database) are read from the matched set. The counts are then kept (portal/toolkit/facets.py), and so are the query's
first matches in each order and kind (`_ranking`): the first pages of its orders and filters are cut from those,
and only a page they cannot fill reads the whole match again. A large result (`_count_large`) is counted up to
TOOLKIT_FACET_EXACT_MAX ("more than"), and its relevance order ranks only its TOOLKIT_RANK_POOL newest matches
(`_rank_pool`), the older ones after them, newest first. Browsing without words reads the page through the item
indexes.
Employees only ever see visible items; a regional humas also sees every item of their own subtree; central humas
see everything (archived items when asked for).
"""

from dataclasses import dataclass, field

from flask import current_app, has_app_context
from flask_babel import get_locale
from markupsafe import Markup, escape
from sqlalchemy import String, cast, exists, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import select

from portal import search, snippets
from portal.models import (
    ToolkitCitation,
    ToolkitItem,
    ToolkitPhoto,
    ToolkitRegulation,
    ToolkitTag,
    ToolkitTemplate,
    Unit,
)
from portal.toolkit import facets
from portal.toolkit.access import editor_unit_path, is_editor, is_visible, seen_clause
from portal.toolkit.hints import empty_result_hints
from portal.toolkit.labels import SEARCH_KIND, regulation_short, today

PAGE_SIZE = 24
# SQLite reads an item matched by id through its primary key (the whole row) unless ANALYZE has measured this index,
# which holds what the counts and the visibility need; named, the plan does not depend on the statistics (SQLite only,
# see portal.db._SQLiteCompiler; PostgreSQL plans by its statistics).
BY_ID_INDEX = ("INDEXED BY ix_toolkit_item_id_facets", "sqlite")
FACET_EXACT_MAX = 2000  # TOOLKIT_FACET_EXACT_MAX's default, for a search outside a request
RANK_POOL = 5000  # TOOLKIT_RANK_POOL's default, for a search outside a request
SORTS = ("relevance", "newest", "used", "title")


@dataclass
class SearchRequest:
    """What a search asks for, parsed from the URL by the view."""

    q: str = ""
    kind: str | None = None
    tags: tuple = ()
    unit_id: int | None = None
    year: int | None = None
    status: str | None = None  # editors only
    reg_type: str | None = None  # regulations: UU, PP, ...
    legal_status: str | None = None  # regulations: berlaku, diubah, dicabut
    channel: str | None = None  # templates: Instagram, X, ...
    sort: str = ""
    page: int = 1
    facets: bool = True

    def args(self, **changes):
        """The URL arguments of this request, with `changes` (None removes an argument)."""
        values = {"q": self.q or None, "kind": self.kind, "tag": list(self.tags) or None, "unit": self.unit_id,
                  "year": self.year, "status": self.status, "reg_type": self.reg_type,
                  "legal_status": self.legal_status, "channel": self.channel, "sort": self.sort or None}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", [])}

    def toggle_tag(self, tag):
        tags = [t for t in self.tags if t != tag] if tag in self.tags else [*self.tags, tag]
        return self.args(tag=tags or None)

    @property
    def filtered(self):
        return bool(self.kind or self.tags or self.unit_id or self.year or self.status or self.reg_type
                    or self.legal_status or self.channel)


@dataclass
class SearchHit:
    """One item on a result page, with what the list shows of it."""

    item: ToolkitItem
    unit_name: str
    tags: list
    title_html: Markup
    snippet: Markup
    photo: ToolkitPhoto | None = None
    regulation: ToolkitRegulation | None = None
    template: ToolkitTemplate | None = None
    revoked: bool = False
    visible: bool = True

    @property
    def short(self):
        return regulation_short(self.regulation, self.item.year) if self.regulation else ""


@dataclass
class SearchPage:
    """A page of hits with the total, the facets and, for an empty result, suggestions."""

    results: list
    total: int
    pages: int
    page: int = 1
    facets: dict = field(default_factory=dict)  # name -> [(value, label, count)]
    suggestions: dict = field(default_factory=dict)  # "words" -> [(word, count)], "tags" -> [tag]
    searched: bool = False  # the query had searchable words
    facet_sample: int = 0  # facets other than kind and status were counted over this many best matches (0: all)
    more_than: int = 0  # the result was counted up to this many and has more (`total` is one more; 0: counted)
    ranked_newest: int = 0  # the relevance order ranked only this many newest matches, older ones follow (0: all)


def _order(columns, sort, scored):
    if sort == "relevance" and scored:  # matches older than the ranked ones have no score: newest first after them
        return (columns.score.desc().nulls_last(), columns.id.desc())
    if sort == "used":
        return (columns.usage_count.desc(), columns.id.desc())
    if sort == "title":
        return (columns.title, columns.id)
    return (columns.created_at.desc(), columns.id.desc())


def header_scope(session, user, on=None):
    """What decides which items `user` finds, besides the query: the toolkit's cache generation as this transaction
    sees it (so nothing kept before a committed write is used), the viewer's scope (employee, a regional humas's
    subtree, central) and the day (validity dates). Keys the header search's toolkit group; starts `cache_key`."""
    on = on or today()
    return facets.generation(session), is_editor(user), editor_unit_path(user, session), on.isoformat()


def cache_key(session, user, request, on=None):
    """What the values kept for a search are keyed by: `header_scope` (the generation first), the query's terms
    and filters, and the locale (labels)."""
    return (*header_scope(session, user, on), tuple(search.query_terms(request.q)), request.kind, request.tags,
            request.unit_id, request.year, request.status, request.reg_type, request.legal_status, request.channel,
            str(get_locale()))


def search_items(session, user, request, key=None):
    """The SearchPage for `request` as `user` sees it (`key`: its cache_key when the caller has read it)."""
    editor = is_editor(user)
    on = today()
    seen = seen_clause(user, session, on)
    base_conditions = [seen] if seen is not None else []
    for tag in request.tags:
        tagged = aliased(ToolkitTag)
        base_conditions.append(ToolkitItem.id.in_(select(tagged.item_id).where(tagged.tag == tag)))
    # Facet filters: each facet is counted without its own. Columns of the item are compared on the filtered set;
    # what a regulation or template adds is asked through its table (`within`: the ids having that value).
    chosen = {}
    if editor:
        chosen["status"] = ("not_archived", None) if request.status is None else ("equals", request.status)
    if request.kind:
        chosen["kind"] = ("equals", request.kind)
    if request.unit_id:
        chosen["unit"] = ("equals", request.unit_id)
    if request.year:
        chosen["year"] = ("equals", request.year)
    if request.reg_type:
        chosen["reg_type"] = ("within", select(ToolkitRegulation.item_id)
                              .where(ToolkitRegulation.reg_type == request.reg_type))
    if request.legal_status:
        chosen["legal_status"] = ("within", select(ToolkitRegulation.item_id)
                                  .where(ToolkitRegulation.legal_status == request.legal_status))
    if request.channel:
        chosen["channel"] = ("within", select(ToolkitTemplate.item_id)
                             .where(facets.has_channel(ToolkitTemplate.channels, request.channel)))
    has_words = bool(request.q and search.query_terms(request.q))
    sort = request.sort if request.sort in SORTS else ("relevance" if has_words else "newest")
    key = key or cache_key(session, user, request, on)
    generation = key[0]
    counted = kept_counts = facets.cached(key) if request.facets else None
    page = max(request.page, 1)
    ids = None
    if has_words and counted is not None and not counted[1]:
        ids = []  # known to find nothing
    elif has_words and counted is not None and page <= BEST_PAGES:
        ids = _best_page_ids(session, request, base_conditions, chosen, sort, page, counted[1], generation)
    if has_words and counted is None and request.facets:
        counted = _count_large(session, editor, request, base_conditions, chosen, generation)
        if counted is not None and page <= BEST_PAGES:
            ids = _best_page_ids(session, request, base_conditions, chosen, sort, page, counted[1], generation)
    if has_words and ids is None:
        match = _scored_match(session, request, sort, generation)
        counted, ids = _match_once(session, editor, request, match, base_conditions, chosen, sort, page, counted)
    elif counted is None:
        counted = _count(session, editor, request, base_conditions, chosen)
    if request.facets and counted is not kept_counts:
        facets.remember(key, counted)
    found = SearchPage(results=[], total=counted[1], pages=max((counted[1] + PAGE_SIZE - 1) // PAGE_SIZE, 1),
                       searched=has_words)
    found.facets = counted[0] if request.facets else {}
    found.facet_sample = counted[2] if request.facets else 0
    found.more_than = counted[3]
    pool = _rank_pool() if has_words and sort == "relevance" else 0
    # ranked from the pool: a result larger than it, or one the filters made smaller from more matches of its kind
    # (their boundary, a walk of the index kept with the ranking)
    found.ranked_newest = pool if pool and found.total and (
        found.total > pool or _ranked_from(session, request, generation) is not None) else 0
    found.page = min(page, found.pages)
    if not found.total:  # common while typing, and each word is counted: kept like the counts
        found.suggestions = facets.kept("suggestions", key)
        if found.suggestions is None:
            found.suggestions = empty_result_hints(session, user, request, on)
            facets.keep("suggestions", key, found.suggestions)
        return found
    if ids is None or found.page != page:
        match = _scored_match(session, request, sort, generation) if has_words else None
        ids = _page_ids(session, request, match, base_conditions, chosen, sort, found.page)
    items = {item.id: item for item in session.exec(select(ToolkitItem).where(ToolkitItem.id.in_(ids))).all()}
    found.results = _hits(session, [items[i] for i in ids if i in items], request.q, on)
    return found


ITEM_COLUMNS = {"id": ToolkitItem.id, "kind": ToolkitItem.kind, "unit": ToolkitItem.owner_unit_id,
                "year": ToolkitItem.year, "status": ToolkitItem.status}


def _chosen_on(columns, chosen):
    """The chosen filters as conditions, on the columns of the filtered set (`columns`) or of the item table."""
    conditions = {}
    for name, (how, value) in chosen.items():
        if how == "within":
            ids = columns.id if columns is not None else ToolkitItem.id
            conditions[name] = ids.in_(value)
            continue
        column = getattr(columns, name) if columns is not None else ITEM_COLUMNS[name]
        conditions[name] = column != "diarsipkan" if how == "not_archived" else column == value
    return conditions


FILTERED_COLUMNS = (ToolkitItem.id.label("id"), ToolkitItem.kind.label("kind"),
                    ToolkitItem.owner_unit_id.label("unit"), ToolkitItem.year.label("year"),
                    ToolkitItem.status.label("status"))


def _match_once(session, editor, request, match, base_conditions, chosen, sort, page, counted):
    """(counts, page ids) from one statement over one full-text match. With `counted` (cached counts) only the page
    and, when facets are off, the total are read."""
    columns = [*FILTERED_COLUMNS, match.c.score.label("score")]
    # the column `_order` sorts the page by besides the score and the id (read from the row)
    sort_column = {"relevance": None, "used": ToolkitItem.usage_count, "title": ToolkitItem.title}.get(
        sort, ToolkitItem.created_at)
    if sort_column is None:  # by relevance: every column needed is in the covering index
        filtered = select(*columns).with_hint(ToolkitItem, *BY_ID_INDEX)
    else:
        filtered = select(*columns, sort_column.label(sort_column.key))
    filtered = (filtered.join(match, match.c.ref_id == ToolkitItem.id).where(*base_conditions)
                .cte("toolkit_filtered").prefix_with("MATERIALIZED"))
    on_filtered = _chosen_on(filtered.c, chosen)
    order = _order(filtered.c, sort, scored=True)
    page_rows = (select(literal("page").label("facet"), cast(filtered.c.id, String).label("value"),
                        func.row_number().over(order_by=order).label("n"))
                 .where(*on_filtered.values()).order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    parts = [select(page_rows.subquery().c)]
    if counted is None and request.facets:
        parts += facets.branches(filtered, on_filtered, editor)
    elif counted is None:
        parts.append(select(literal("total").label("facet"), literal("").label("value"), func.count().label("n"))
                     .select_from(filtered).where(*on_filtered.values()))
    grouped = {}
    for facet, value, n in session.execute(facets.union(parts)).all():
        if value is not None:
            grouped.setdefault(facet, []).append((value, n))
    ids = [int(value) for value, _n in sorted(grouped.pop("page", []), key=lambda row: row[1])]
    if counted is None and request.facets:
        counted = facets.labelled(session, grouped, editor, request.kind)
    elif counted is None:
        counted = ({}, sum(n for _value, n in grouped.get("total", [])), 0, 0)
    return counted, ids


def _count_large(session, editor, request, base_conditions, chosen, generation):
    """(facets, total, sample, more_than) of a query whose filtered result is larger than TOOLKIT_FACET_EXACT_MAX,
    else None (the caller counts everything exactly, `_match_once`).

    A common word matches a third of 100,000 items: counting them all, even by kind and status alone, cost 25 ms on
    SQLite and ~100 ms on PostgreSQL (a join per match), and ranking them as much again. Nobody reads 30,000
    results; they narrow the search. So the result is counted up to the limit only, by a walk of the full-text index
    that stops there (`search.count_up_to`, the viewer's visibility and every filter checked per match through the
    item index), and the page says "more than" that; the kind tabs and the editors' statuses are offered without
    counts. The other facets are counted over the query's BEST_CANDIDATES best matches (the ranking the first pages
    are cut from anyway) that pass the same filters, and the page says so. A refinement picked from them is counted
    exactly again when it is small."""
    limit = _exact_max()
    if limit <= 0 or not _newest_edges(session, request, generation)[1]:
        return None  # no more than `limit` of the kind match at all (a walk of the index, not a join per match)
    conditions = [*base_conditions, *_chosen_on(None, chosen).values()]
    passing = search.count_up_to(session, SEARCH_KIND, request.q, limit + 1, within=lambda ref: [
        # Core's EXISTS (an ORM select would not compile beside the engine's textual FROM); SELECT 1: a row's
        # other columns are not read, and the index covers what is
        exists(literal(1)).where(ToolkitItem.id == ref, *conditions).with_hint(ToolkitItem.__table__, *BY_ID_INDEX)])
    if passing <= limit:
        return None
    ranking = _ranking(session, request, "relevance", generation)
    sampled = (select(*FILTERED_COLUMNS).where(ToolkitItem.id.in_(ranking), *base_conditions)
               .cte("toolkit_filtered").prefix_with("MATERIALIZED"))
    grouped, sample = {}, 0
    if ranking:
        for facet, value, n in session.execute(facets.union(facets.branches(sampled, _chosen_on(sampled.c, chosen),
                                                                            editor))).all():
            if facet == "kind":  # the ranking is of the chosen kind: these are the sampled items in the result
                sample += n
            elif value is not None and facet != "status":
                grouped.setdefault(facet, []).append((value, n))
    return facets.labelled(session, grouped, editor, request.kind, sample=sample, more_than=limit)


BEST_PAGES = 4  # pages cut from the kept best matches (when the counts are known)
BEST_CANDIDATES = 500  # how many best matches, in the page's order, are ranked, kept and filtered for those pages


def _best_page_ids(session, request, base_conditions, chosen, sort, page, total, generation):
    """The ids of a page cut from the query's first matches in the page's order, of the chosen kind (kept beside
    the counts, see facets.kept), after the viewer's visibility and the other filters are checked in SQL;
    None when they do not fill it (too few pass): the caller then reads the page over every match. `total`, the
    filtered total, is known from the cached counts."""
    ranking = _ranking(session, request, sort, generation)
    passing = set(session.exec(select(ToolkitItem.id).with_hint(ToolkitItem, *BY_ID_INDEX).where(
        ToolkitItem.id.in_(ranking), *base_conditions, *_chosen_on(None, chosen).values())).all()) \
        if ranking else set()
    offset = (page - 1) * PAGE_SIZE
    ids = [item_id for item_id in ranking if item_id in passing][offset:offset + PAGE_SIZE]
    if ids and (len(ids) == PAGE_SIZE or offset + len(ids) >= total or len(ranking) < BEST_CANDIDATES):
        return ids
    return None


def _ranking(session, request, sort, generation):
    """The first BEST_CANDIDATES item ids matching the query, of the chosen kind (kinds differ in wording: the best
    of one may hide another's), in the order of `sort`; every matching item left out comes after all of them."""
    key = (generation, sort, _rank_pool(), request.kind or "", *search.query_terms(request.q))
    ranking = facets.kept("ranking", key)
    if ranking is not None:
        return ranking
    if sort == "relevance":  # ranked and cut inside the engine
        ranking = [ref for ref, _score in search.best_matches(
            session, SEARCH_KIND, request.q, BEST_CANDIDATES, within=_of_kind(request.kind),
            ranked_from=_ranked_from(session, request, generation))]
    else:
        match = search.matching(session, SEARCH_KIND, request.q, scored=False)
        of_kind = [ToolkitItem.kind == request.kind] if request.kind else []
        ranking = list(session.exec(select(ToolkitItem.id).join(match, match.c.ref_id == ToolkitItem.id)
                                    .where(*of_kind).order_by(*_order(ToolkitItem, sort, scored=False))
                                    .limit(BEST_CANDIDATES)).all())
    facets.keep("ranking", key, ranking)
    return ranking


def _of_kind(kind):
    """`within` for search.best_matches and search.newest_edges: matches of `kind` only (None: every kind)."""
    return (lambda ref: [exists().where(ToolkitItem.id == ref, ToolkitItem.kind == kind)]) if kind else None


def _rank_pool():
    """How many newest matches of the chosen kind the relevance order ranks (TOOLKIT_RANK_POOL; 0: all); never
    fewer than the kept first matches."""
    pool = current_app.config["TOOLKIT_RANK_POOL"] if has_app_context() else RANK_POOL
    return max(pool, BEST_CANDIDATES) if pool else 0


def _scored_match(session, request, sort, generation):
    """search.matching's CTE for the query, scored as `_ranking` orders (only the TOOLKIT_RANK_POOL newest matches
    of the chosen kind ranked, the older ones after them, newest first). Built only by the paths that read every
    match: the boundary may cost a statement, and the usual first pages are cut from the kept ranking."""
    ranked_from = _ranked_from(session, request, generation) if sort == "relevance" else None
    return search.matching(session, SEARCH_KIND, request.q, ranked_from=ranked_from)


def _exact_max():
    """TOOLKIT_FACET_EXACT_MAX: results up to this size are counted exactly (0: every result)."""
    return current_app.config["TOOLKIT_FACET_EXACT_MAX"] if has_app_context() else FACET_EXACT_MAX


def _ranked_from(session, request, generation):
    """Where the query's relevance order starts ranking (None: every match is ranked): see `_newest_edges`."""
    return _newest_edges(session, request, generation)[0] if _rank_pool() else None


def _newest_edges(session, request, generation):
    """[where the query's relevance order starts ranking (the TOOLKIT_RANK_POOL-th newest match of the chosen kind,
    None when no older one matches), whether more than TOOLKIT_FACET_EXACT_MAX of the kind match], from one walk of
    the index (search.newest_edges), kept like the ranking: every page and path of one search (the kept first
    matches, a page over every match, one statement with the counts) orders alike."""
    pool, limit = _rank_pool(), _exact_max()
    key = (generation, pool, limit, request.kind or "", *search.query_terms(request.q))
    kept = facets.kept("newest_edges", key)
    if kept is None:
        edges = search.newest_edges(session, SEARCH_KIND, request.q, (pool, limit), within=_of_kind(request.kind))
        kept = [edges.get(pool), edges.get(limit) is not None]
        facets.keep("newest_edges", key, kept)
    return kept


def _count(session, editor, request, base_conditions, chosen):
    """(facets, total) of a browse without words."""
    base = select(*FILTERED_COLUMNS).where(*base_conditions).cte("toolkit_filtered") \
        .prefix_with("MATERIALIZED")
    on_filtered = _chosen_on(base.c, chosen)
    if not request.facets:
        total = session.exec(select(func.count()).select_from(base).where(*on_filtered.values())).one()
        return {}, total, 0, 0
    grouped = {}
    for facet, value, n in session.execute(facets.union(facets.branches(base, on_filtered, editor))).all():
        if value is not None:
            grouped.setdefault(facet, []).append((value, n))
    return facets.labelled(session, grouped, editor, request.kind)


def _page_ids(session, request, match, base_conditions, chosen, sort, page):
    """The ids of one page, best first: through the match when there are words, else through the item indexes."""
    conditions = [*base_conditions, *_chosen_on(None, chosen).values()]
    if match is not None:
        statement = select(ToolkitItem.id).join(match, match.c.ref_id == ToolkitItem.id)
        order = (match.c.score.desc().nulls_last(), ToolkitItem.id.desc()) if sort == "relevance" else \
            _order(ToolkitItem, sort, scored=False)
    else:
        statement = select(ToolkitItem.id)
        order = _order(ToolkitItem, sort, scored=False)
    return list(session.exec(statement.where(*conditions).order_by(*order)
                             .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all())


def _hits(session, items, q, on):
    if not items:
        return []
    ids = [item.id for item in items]
    tags = {}
    for item_id, tag in session.exec(select(ToolkitTag.item_id, ToolkitTag.tag).where(ToolkitTag.item_id.in_(ids))
                                     .order_by(ToolkitTag.tag)).all():
        tags.setdefault(item_id, []).append(tag)
    units = dict(session.exec(select(Unit.id, Unit.name)
                              .where(Unit.id.in_({item.owner_unit_id for item in items}))).all())
    photos = {p.item_id: p for p in session.exec(select(ToolkitPhoto).where(ToolkitPhoto.item_id.in_(ids))).all()}
    regulations = {r.item_id: r for r in session.exec(select(ToolkitRegulation)
                                                      .where(ToolkitRegulation.item_id.in_(ids))).all()}
    templates = {t.item_id: t for t in session.exec(select(ToolkitTemplate)
                                                    .where(ToolkitTemplate.item_id.in_(ids))).all()}
    revoked = revoked_citing(session, ids)
    hits = []
    for item in items:
        regulation, template = regulations.get(item.id), templates.get(item.id)
        title = f"{regulation_short(regulation, item.year)} — {item.title}" if regulation else item.title
        text = item.description or (template.body if template else "")
        if q:
            title_html = snippets.highlight(title, q, max_length=300)
            snippet = snippets.highlight(f"{text} {template.body}" if template and item.description else text, q,
                                       max_length=220)
        else:
            title_html = escape(title)
            snippet = escape(text[:220] + ("…" if len(text) > 220 else ""))
        hits.append(SearchHit(item=item, unit_name=units.get(item.owner_unit_id, ""), tags=tags.get(item.id, []),
                              title_html=title_html, snippet=snippet, photo=photos.get(item.id),
                              regulation=regulation, template=template, revoked=item.id in revoked,
                              visible=is_visible(item, on)))
    return hits


def revoked_citing(session, template_ids=None):
    """Ids of templates (among `template_ids`, or all) citing a regulation whose status is dicabut."""
    statement = (select(ToolkitCitation.template_id).distinct()
                 .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitCitation.regulation_id)
                 .where(ToolkitRegulation.legal_status == "dicabut"))
    if template_ids is not None:
        statement = statement.where(ToolkitCitation.template_id.in_(template_ids))
    return set(session.exec(statement).all())


def header_matches(session, user, q, limit=5):
    """The header search's toolkit group: a search.Top of the items `user` may see (the best `limit` among the first
    matches, the count capped; editors do not get archived items), and [(item id, kind, title html, snippet)]. The
    visibility is checked per match through the item's primary key, inside the full-text statement."""
    seen = seen_clause(user, session, today())
    conditions = [] if seen is None else [seen]
    if is_editor(user):
        conditions.append(ToolkitItem.status != "diarsipkan")
    found = search.top(session, SEARCH_KIND, q, limit=limit,
                       visible=lambda ref: [exists().where(ToolkitItem.id == ref, *conditions)])
    ids = [hit.ref_id for hit in found.hits]
    kinds = dict(session.exec(select(ToolkitItem.id, ToolkitItem.kind).where(ToolkitItem.id.in_(ids))).all()) \
        if ids else {}
    return found, [(hit.ref_id, kinds[hit.ref_id], snippets.highlight(hit.title, q, max_length=300),
                    snippets.highlight(hit.body, q, max_length=220)) for hit in found.hits if hit.ref_id in kinds]
