"""Indonesian-aware full-text search for every pillar.

Text is tokenised, stemmed with PySastrawi (so unggah, mengunggah, unggahan and diunggah are one word) and expanded
with common abbreviations (medsos <-> media sosial, ASN, PNS, ...) before it is indexed. The index is FTS5 on SQLite
and a GIN expression index over a tsvector on PostgreSQL; both see the same stemmed text, so both answer the same.

User input never reaches FTS or SQL syntax: it is reduced to lowercase letters and digits before a query is built,
and every term is quoted (FTS5) or passed as a bound parameter (PostgreSQL).

Pillars call `index_document` / `remove_document` when their content changes and `search` to query, restricting the
result to what the user may see with `allowed_refs` (a SQL select of ref ids).
"""

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import select

from portal import db
from portal.models.accounts import utcnow
from portal.models.search import (  # noqa: F401
    KIND_TABLES,
    PG_VECTOR,
    REF_KEYED_TABLES,
    SearchDocument,
    SearchTerm,
    install,
    is_search_object,
    uninstall,
)
from portal.search_language import (  # noqa: F401  # the pillars' words of a query, through portal.search
    MAX_QUERY_TERMS,
    STOPWORDS,
    TOKEN_RE,
    query_terms,
    stem,
    terms_for_index,
    tokens,
)

TITLE_WEIGHT = 10  # a word in the title counts this many times a word in the body when ranking
PAGE_TITLE_WEIGHT = 4.0  # the same for a pillar's own result pages on SQLite (`matching`, `best_matches`)


# --- schema -------------------------------------------------------------------------------------------------------

def fts_table(kind):
    """The SQLite FTS5 table that holds documents of `kind` (a per-kind table, or the shared one)."""
    return KIND_TABLES.get(kind) or REF_KEYED_TABLES.get(kind, "search_fts")


def _fts_rowid(kind, doc_id, ref_id):
    """A document's row id in its FTS5 table: its ref id in a ref-keyed table (REF_KEYED_TABLES), else its id."""
    return ref_id if kind in REF_KEYED_TABLES else doc_id


def _sqlite_matches(kind):
    """SQLite: (FROM clause, ref id column, [kind condition]) that read the matches of `kind`'s FTS5 table. A
    ref-keyed table (REF_KEYED_TABLES) holds that kind's rows alone, keyed by ref id: nothing else is read.
    Otherwise each match is joined to its document `d`, which names the kind (CROSS JOIN keeps the full-text match
    the outer loop)."""
    table = fts_table(kind)
    if kind in REF_KEYED_TABLES:
        return table, f"{table}.rowid", []
    return f"{table} CROSS JOIN search_document d ON d.id = {table}.rowid", "d.ref_id", [_kind_sql(kind)]


def _document_join(kind, table):
    """The SQL that joins the matches of FTS5 `table` to their document `d` (kinds are code constants)."""
    if kind in REF_KEYED_TABLES:
        return f"d.kind = '{kind}' AND d.ref_id = {table}.rowid"
    return f"d.id = {table}.rowid"


def _kind_sql(kind):
    """The SQL that restricts to `kind`: a literal for kinds with an index of their own (PostgreSQL's planner picks
    a partial index only for a literal), else a bound parameter. Kinds are code constants, never user input."""
    if kind in KIND_TABLES:
        return f"d.kind = '{kind}'"
    return "d.kind = :kind"


# Kinds whose body words also go into the vocabulary (SearchTerm); of the others only the titles' words do.
VOCABULARY_BODY_KINDS = frozenset({"handbook", "workshop", "quiz_topic"})
MAX_TERM_LENGTH = 100


def vocabulary_words(kind, title_terms, body_terms):
    """The words of a document that go into the vocabulary."""
    words = title_terms.split()
    if kind in VOCABULARY_BODY_KINDS:
        words += body_terms.split()
    return {w for w in words if 3 <= len(w) <= MAX_TERM_LENGTH and not w.isdigit()}


def add_vocabulary(session, words):
    """Add `words` to the vocabulary (those known already are skipped by the database)."""
    if not words:
        return
    rows = [{"term": w} for w in sorted(words)]
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    for start in range(0, len(rows), 5000):
        session.execute(insert(SearchTerm).on_conflict_do_nothing(), rows[start:start + 5000])


def known_terms(session, words):
    """The ones of `words` that the vocabulary holds: one primary-key lookup per word."""
    words = sorted({w for w in words if w and len(w) <= MAX_TERM_LENGTH})
    if not words:
        return set()
    return set(session.exec(select(SearchTerm.term).where(SearchTerm.term.in_(words))).all())


# --- indexing -----------------------------------------------------------------------------------------------------

def index_document(session, kind, ref_id, title, body, extra=""):
    """Add or replace the document (kind, ref_id). Runs in the caller's transaction."""
    title_terms = terms_for_index(title)
    body_terms = terms_for_index(f"{body}\n{extra}")
    doc = session.exec(select(SearchDocument).where(SearchDocument.kind == kind,
                                                    SearchDocument.ref_id == ref_id)).first()
    if doc is None:
        doc = SearchDocument(kind=kind, ref_id=ref_id)
    doc.title, doc.body, doc.title_terms, doc.body_terms = title, body, title_terms, body_terms
    doc.updated_at = utcnow()
    session.add(doc)
    session.flush()
    add_vocabulary(session, vocabulary_words(kind, title_terms, body_terms))
    if session.get_bind().dialect.name == "sqlite":
        table, rowid = fts_table(kind), _fts_rowid(kind, doc.id, ref_id)
        session.execute(text(f"DELETE FROM {table} WHERE rowid = :id"), {"id": rowid})  # noqa: S608  # nosec B608
        session.execute(text(f"INSERT INTO {table}(rowid, title_terms, body_terms) "  # noqa: S608  # nosec B608
                             "VALUES (:id, :t, :b)"), {"id": rowid, "t": title_terms, "b": body_terms})
    return doc


def remove_document(session, kind, ref_id):
    doc = session.exec(select(SearchDocument).where(SearchDocument.kind == kind,
                                                    SearchDocument.ref_id == ref_id)).first()
    if doc is None:
        return
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"DELETE FROM {fts_table(kind)} WHERE rowid = :id"),  # noqa: S608  # nosec B608
                        {"id": _fts_rowid(kind, doc.id, ref_id)})
    session.delete(doc)
    session.flush()


def bulk_index(session, kind, documents, batch=2000):
    """Index many new documents at once: `documents` yields (ref_id, title, body, extra) for refs not indexed yet.
    For data loads and benchmarks; stems each distinct text once (extra is stemmed apart from body, so a phrase
    spanning the two is not joined). Runs in the caller's transaction."""
    from sqlalchemy import func, insert

    cache = {}

    def terms(value):
        if value not in cache:
            cache[value] = terms_for_index(value)
        return cache[value]

    next_id = (session.execute(select(func.max(SearchDocument.id))).scalar() or 0) + 1
    sqlite = session.get_bind().dialect.name == "sqlite"
    rows, now, words = [], utcnow(), set()

    def flush():
        if not rows:
            return
        session.execute(insert(SearchDocument), rows)
        if sqlite:
            session.execute(text(f"INSERT INTO {fts_table(kind)}(rowid, title_terms, body_terms) "  # noqa: S608  # nosec B608
                                 "VALUES (:id, :t, :b)"),
                            [{"id": _fts_rowid(kind, r["id"], r["ref_id"]), "t": r["title_terms"],
                              "b": r["body_terms"]} for r in rows])
        rows.clear()

    for ref_id, title, body, extra in documents:
        rows.append({"id": next_id, "kind": kind, "ref_id": ref_id, "title": title, "body": body,
                     "title_terms": terms(title), "body_terms": f"{terms(body)} {terms(extra)}".strip(),
                     "updated_at": now})
        words |= vocabulary_words(kind, rows[-1]["title_terms"], rows[-1]["body_terms"])
        next_id += 1
        if len(rows) >= batch:
            flush()
    flush()
    add_vocabulary(session, words)
    if not sqlite:  # explicit ids do not move PostgreSQL's sequence
        session.execute(text("SELECT setval(pg_get_serial_sequence('search_document', 'id'), "
                             "(SELECT coalesce(max(id), 1) FROM search_document))"))


# --- querying -----------------------------------------------------------------------------------------------------

@dataclass
class Hit:
    ref_id: int
    title: str
    body: str
    score: float


def _fts5_match(terms, prefix_last):
    parts = []
    for i, term in enumerate(terms):
        quoted = '"' + term.replace('"', '""') + '"'
        if prefix_last and i == len(terms) - 1 and len(term) >= 3:
            quoted += "*"
        parts.append(quoted)
    return " AND ".join(parts)


def _pg_tsquery(session, terms, prefix_last):
    """PostgreSQL: the tsquery text of `terms` (bound as a parameter). Every full-text statement gets its query here,
    so this is where the transaction asks for plans for the values (a common word matches half the documents, a
    rare one a few; see db.plan_for_values)."""
    db.plan_for_values(session)
    parts = []
    for i, term in enumerate(terms):
        part = "'" + term.replace("'", "''") + "'"  # a quoted lexeme: never tsquery syntax, whatever it holds
        if prefix_last and i == len(terms) - 1 and len(term) >= 3:
            part += ":*"
        parts.append(part)
    return " & ".join(parts)


def search(session, kind, query, allowed_refs=None, limit=20, offset=0, prefix_last=True):
    """(hits, total) for `query` among documents of `kind`, best first.

    `allowed_refs` is a SQL select of ref ids the user may see (e.g. sections of the published edition);
    `prefix_last` lets the last word match as a prefix, for search-as-you-type.
    """
    terms = query_terms(query)
    if not terms:
        return [], 0
    dialect = session.get_bind().dialect.name
    params = {"limit": limit, "offset": offset} if kind in KIND_TABLES else {"kind": kind, "limit": limit,
                                                                             "offset": offset}
    allowed_sql = ""
    if allowed_refs is not None:
        compiled = allowed_refs.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        # SQLite: the unary + keeps the list out of the index lookup. Without it SQLite probes the covering index
        # once per full-text match AND per allowed ref (18,000 matches x 555 sections: 6 s instead of 50 ms).
        allowed_sql = f" AND {'+' if dialect == 'sqlite' else ''}d.ref_id IN ({compiled})"
    kind_sql = _kind_sql(kind)
    if dialect == "sqlite":
        params["match"] = _fts5_match(terms, prefix_last)
        table = fts_table(kind)
        # CROSS JOIN keeps the full-text match as the outer loop (SQLite would otherwise probe FTS once per row).
        base = (f"FROM {table} CROSS JOIN search_document d ON {_document_join(kind, table)} "
                f"WHERE {table} MATCH :match AND {kind_sql}{allowed_sql}")
        order = f"bm25({table}, {TITLE_WEIGHT:.1f}, 1.0)"
        score = f"-{order}"
    else:
        params["tsq"] = _pg_tsquery(session, terms, prefix_last)
        base = f"FROM search_document d WHERE {PG_VECTOR} @@ to_tsquery('simple', :tsq) AND {kind_sql}{allowed_sql}"
        # weights {D, C, B, A}: the body (B) counts a tenth of the title (A), as bm25's weights do on SQLite
        score = f"ts_rank_cd('{{0, 0, {1 / TITLE_WEIGHT:.1f}, 1}}', {PG_VECTOR}, to_tsquery('simple', :tsq))"
        order = f"{score} DESC"
    total = session.execute(text(f"SELECT count(*) {base}"), params).scalar_one()  # noqa: S608  # nosec B608
    rows = session.execute(
        text(f"SELECT d.ref_id, d.title, d.body, {score} AS score {base} "  # noqa: S608  # nosec B608
             f"ORDER BY {order}, d.ref_id LIMIT :limit OFFSET :offset"),
        params,
    ).all()
    return [Hit(r.ref_id, r.title, r.body, float(r.score or 0)) for r in rows], total


RANK_WINDOW = 200  # matches `top` ranks: the first ones the engine finds that the user may see
COUNT_CAP = 50  # `top` counts this many and then says "more than"


@dataclass
class Top:
    """The best hits among a bounded window of matches, and how many matched (at most `cap`; `more` beyond)."""

    hits: list
    total: int
    more: bool = False


def _engine(session, kind, terms, prefix_last, preview):
    """(FROM clause, match condition, [kind condition], score, ref id column) of the full-text engine for `terms`.
    The FROM clause has the document alias `d`, except for a ref-keyed FTS5 table (REF_KEYED_TABLES), whose rows
    are the kind's own: its row id is the ref id, and nothing else is read. `preview`: the header search's ranking
    (titles weigh TITLE_WEIGHT); else the pillars' own pages' (PAGE_TITLE_WEIGHT, the score `matching` gives, so
    that `best_matches` and `matching` order alike)."""
    from sqlalchemy import Integer, bindparam, func, literal_column

    kind_condition = text(_kind_sql(kind)) if kind in KIND_TABLES else text(_kind_sql(kind)).bindparams(kind=kind)
    if session.get_bind().dialect.name == "sqlite":
        table = fts_table(kind)
        source, ref, kinds = _sqlite_matches(kind)
        match = text(f"{table} MATCH :match").bindparams(match=_fts5_match(terms, prefix_last))
        # the auxiliary function needs the table's name
        score = -func.bm25(literal_column(table), TITLE_WEIGHT * 1.0 if preview else PAGE_TITLE_WEIGHT, 1.0)
        return text(source), match, [kind_condition] if kinds else [], score, literal_column(ref, Integer)
    tsquery = func.to_tsquery(literal_column("'simple'"), bindparam("tsq", _pg_tsquery(session, terms, prefix_last)))
    match = literal_column(PG_VECTOR).op("@@")(tsquery)
    weights = [literal_column(f"'{{0, 0, {1 / TITLE_WEIGHT:.1f}, 1}}'::float4[]")] if preview else []
    return (text("search_document d"), match, [kind_condition],
            func.ts_rank_cd(*weights, literal_column(PG_VECTOR), tsquery), literal_column("d.ref_id", Integer))


def top(session, kind, query, visible=None, limit=5, cap=COUNT_CAP, window=RANK_WINDOW, prefix_last=True):
    """The best `limit` documents of `kind` for `query` that pass `visible`, in one statement that never reads all
    the matches: the engine walks its matches in its own order (index order) and stops after `window` that pass
    `visible`; only those are ranked (bm25 / ts_rank_cd on the stored vector), cut to `limit` inside the database,
    and counted (capped at `cap`, then `more`). For previews such as the header search; a pillar's own search
    ranks everything (`search`, `matching`).

    `visible(ref)` returns SQL conditions on the document's ref id column (`ref`), e.g. a correlated EXISTS on the
    pillar's table, so each match costs an index lookup and nothing is scanned."""
    from sqlalchemy import Float, and_, func

    terms = query_terms(query)
    if not terms:
        return Top([], 0)
    source, match, kind_conditions, score, ref = _engine(session, kind, terms, prefix_last, preview=True)
    conditions = list(visible(ref)) if visible is not None else []
    found = (select(ref.label("ref_id"), score.cast(Float).label("score"))
             .select_from(source).where(match, *kind_conditions, *conditions).limit(window).subquery("found"))
    ranked = (select(found.c.ref_id, found.c.score, func.count().over().label("n"))
              .order_by(found.c.score.desc(), found.c.ref_id).limit(limit).subquery("ranked"))
    rows = session.execute(select(ranked.c.ref_id, ranked.c.score, ranked.c.n, SearchDocument.title,
                                  SearchDocument.body)
                           .join_from(ranked, SearchDocument, and_(SearchDocument.kind == kind,
                                                                   SearchDocument.ref_id == ranked.c.ref_id))
                           .order_by(ranked.c.score.desc(), ranked.c.ref_id)).all()
    n = rows[0].n if rows else 0
    return Top([Hit(r.ref_id, r.title, r.body, float(r.score or 0)) for r in rows], min(n, cap), n > cap)


def matching(session, kind, query, prefix_last=True, scored=True, ranked_from=None):
    """A common table expression (columns `ref_id`, `score`) of the documents of `kind` matching `query`, or None
    when the query has no searchable words. Pillars join it to their own tables, then filter, count, group (facets)
    and order by `score` in SQL, so nothing is filtered in Python however many documents there are. `scored=False`
    skips the ranking, for counting and grouping. `ranked_from` (from `newest_edges`): only documents with a ref id
    at least that are scored; the others' score is NULL, and they sort after every scored one (newest first)."""
    from sqlalchemy import Float, Integer

    terms = query_terms(query)
    if not terms:
        return None
    kind_params = {} if kind in KIND_TABLES else {"kind": kind}
    ranked_params = {"ranked_from": ranked_from} if scored and ranked_from is not None else {}
    # an older document's score is NULL, never computed
    scoring = "CASE WHEN {ref} >= :ranked_from THEN {score} END" if ranked_params else "{score}"
    if session.get_bind().dialect.name == "sqlite":
        table = fts_table(kind)
        source, ref, kinds = _sqlite_matches(kind)
        score = scoring.format(ref=ref, score=f"-bm25({table}, {PAGE_TITLE_WEIGHT}, 1.0)") if scored else "0.0"
        statement = text(
            f"SELECT {ref} AS ref_id, {score} AS score "  # noqa: S608  # nosec B608  # constants only; user text bound
            f"FROM {source} WHERE {' AND '.join([f'{table} MATCH :match', *kinds])}"
        ).bindparams(match=_fts5_match(terms, prefix_last), **(kind_params if kinds else {}), **ranked_params)
    else:
        score = scoring.format(ref="d.ref_id", score=f"ts_rank_cd({PG_VECTOR}, to_tsquery('simple', :tsq))") \
            if scored else "0.0"
        statement = text(
            f"SELECT d.ref_id AS ref_id, {score} AS score "  # noqa: S608  # nosec B608  # constants only; user text bound
            f"FROM search_document d WHERE {PG_VECTOR} @@ to_tsquery('simple', :tsq) AND {_kind_sql(kind)}"
        ).bindparams(tsq=_pg_tsquery(session, terms, prefix_last), **kind_params, **ranked_params)
    # MATERIALIZED: the full-text match runs once per statement. Flattened into the outer join, SQLite would
    # otherwise run it again for every row of the pillar's table (seconds instead of milliseconds).
    return statement.columns(ref_id=Integer, score=Float).cte("search_match").prefix_with("MATERIALIZED")


def best_matches(session, kind, query, best, within=None, prefix_last=True, ranked_from=None):
    """[(ref_id, score)] of the `best` documents of `kind` first in relevance order (score, then ref id, both
    descending), ranked and cut inside the engine. A page of results that these fill, in that order and after the
    pillar's filters, is the page every match would give (every document left out comes after all of them); so are
    pages that end the results, and any page when fewer than `best` came back. `within(ref)` adds SQL conditions on
    the ref id column (as `top`'s `visible`), e.g. a correlated EXISTS for a filter the ranking should honour.
    `ranked_from` (from `newest_edges`, as `matching` takes it): only documents with a ref id at least that are
    ranked, the n newest matches; None: every match. The engine reads those alone: FTS5 its rows in that range,
    PostgreSQL the pages both the GIN index and the ref id index point to (a walk of the ref id index backwards,
    testing each row's tsvector until n matched, read 35,000-55,000 rows for 5,000 matches of a common word:
    65-112 ms, against ~25)."""
    from sqlalchemy import Float

    terms = query_terms(query)
    if not terms:
        return []
    source, match, kind_conditions, score, ref = _engine(session, kind, terms, prefix_last, preview=False)
    score = score.cast(Float).label("score")
    conditions = [match, *kind_conditions, *(within(ref) if within is not None else [])]
    if ranked_from is not None:
        conditions.append(ref >= ranked_from)
    ranked = select(ref.label("ref_id"), score).select_from(source).where(*conditions) \
        .order_by(score.desc(), ref.desc()).limit(best)
    return [(row.ref_id, float(row.score)) for row in session.execute(ranked).all()]


def count_up_to(session, kind, query, n, within=None, prefix_last=True):
    """How many documents of `kind` match `query` (and `within`, as in `best_matches`), counted up to `n`: the engine
    stops after `n` matches that pass, so a word in a third of 100,000 documents costs what `n` matches cost (the
    exact count read every one: 25 ms on SQLite and ~100 ms on PostgreSQL for 40,000)."""
    from sqlalchemy import func

    terms = query_terms(query)
    if not terms or n <= 0:
        return 0
    source, match, kind_conditions, _score, ref = _engine(session, kind, terms, prefix_last, preview=False)
    if session.get_bind().dialect.name == "sqlite":  # FTS5 yields its matches one by one: the walk stops at `n`
        found = select(ref).select_from(source).where(match, *kind_conditions,
                                                      *(within(ref) if within is not None else []))
    else:
        # Told of the LIMIT, PostgreSQL's planner walks a b-tree index and tests each row's tsvector, expecting to
        # stop soon (0.6 s for a word in 16,000 documents whose pages were not cached); the GIN index's matches are
        # read first instead (their ref ids only), and the `within` probes stop at `n`.
        matched = (select(ref.label("ref_id")).select_from(source).where(match, *kind_conditions)
                   .cte("matched").prefix_with("MATERIALIZED"))
        found = select(matched.c.ref_id).where(*(within(matched.c.ref_id) if within is not None else []))
    return session.execute(select(func.count()).select_from(found.limit(n).subquery())).scalar_one()


def newest_edges(session, kind, query, ns, within=None, prefix_last=True):
    """{n: the ref id of the n-th newest document of `kind` matching `query` (and `within`, as in `best_matches`)
    when an older one matches too, else None} for each of `ns`: whether more than n match, and where the n newest
    begin, from one walk of the engine's index that stops after the largest n + 1 and reads no document (0.2-1.3 ms
    for 5,000). Ranking costs about a microsecond a match (bm25 reads its positions and column sizes: 25-30 ms for
    a word in 30,000 of 100,000 documents); a pillar passing an edge to `matching` and `best_matches` as
    `ranked_from` ranks its n newest matches only, then lists the older ones newest first."""
    from sqlalchemy import func

    ns = sorted({n for n in ns if n > 0})
    terms = query_terms(query)
    if not terms or not ns:
        return dict.fromkeys(ns)
    source, match, kind_conditions, _score, ref = _engine(session, kind, terms, prefix_last, preview=False)
    newest = (select(ref.label("ref_id")).select_from(source)
              .where(match, *kind_conditions, *(within(ref) if within is not None else []))
              .order_by(ref.desc()).limit(ns[-1] + 1).subquery("newest"))
    numbered = select(newest.c.ref_id, func.row_number().over(order_by=newest.c.ref_id.desc()).label("n")) \
        .subquery("numbered")
    found = dict(session.execute(select(numbered.c.n, numbered.c.ref_id)
                                 .where(numbered.c.n.in_([*ns, *(n + 1 for n in ns)]))).all())
    return {n: found[n] if n + 1 in found else None for n in ns}
