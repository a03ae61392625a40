"""The shared full-text search restricted to allowed refs (the handbook's published sections) must not turn the
allowed list into an index probe per match: found by `make bench` at 100,000 toolkit documents (6 s per query)."""

from sqlalchemy import event
from sqlmodel import select

from portal import search
from portal.models import SearchDocument

BENCH_STATS = {"ix_search_document_id_kind_ref": "100614 1 1 1", "ix_search_document_ref_id": "100614 1",
               "ix_search_document_kind": "100614 50307", "sqlite_autoindex_search_document_1": "100614 50307 1"}


def test_allowed_refs_filter_the_matches_without_an_index_probe_per_ref(app, session):
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL plans the IN list as a hashed subplan on its own
    for ref_id in range(1, 41):
        search.index_document(session, "bench_a", ref_id, f"Netralitas {ref_id}", "netralitas pegawai")
    for ref_id in range(1, 401):
        search.index_document(session, "bench_b", ref_id, f"Netralitas lain {ref_id}", "netralitas")
    session.commit()
    with engine.connect() as connection:  # the statistics of the benchmark's database (100,000 toolkit documents)
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'search_document'")
        for index, stat in BENCH_STATS.items():
            connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES ('search_document', ?, ?)", (index, stat))
        connection.commit()
    engine.dispose()  # connections read the statistics when they open
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "search_fts MATCH" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        allowed = select(SearchDocument.ref_id).where(SearchDocument.kind == "bench_a", SearchDocument.ref_id <= 10)
        hits, total = search.search(session, "bench_a", "netralitas", allowed_refs=allowed)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert total == 10 and {h.ref_id for h in hits} == set(range(1, 11))
    statement, parameters = statements[-1]
    with engine.connect() as connection:
        plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    lookups = [step for step in plan if step.startswith("SEARCH d ")]
    assert lookups and all("ref_id=?" not in step for step in lookups), plan
