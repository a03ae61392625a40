"""SQLite's query-planner statistics (sqlite_stat1), measured again when the data has outgrown them.

SQLite plans with ANALYZE's statistics when it has them and with fixed guesses when it has not, and nothing measures
a database by itself. The benchmark's databases are measured when generated; a deployed database never was: with
50,000 people, the follow-up list's plan without statistics read everyone through `user.active` and sorted them
(17.6 ms, against 0.26 ms with statistics). Approximate statistics (PRAGMA analysis_limit) misjudge such two-valued
columns the same way, so tables are measured in full: 0.5 s for every table of the benchmark's 780 MB database, while
other writers wait (readers do not: WAL).

The job worker checks every minute (`refresh`, 4-9 ms there): a table with rows and no statistics, or whose size has
moved more than GROWTH times (and by MIN_CHANGE rows) since it was measured, is measured again (ANALYZE of that
table). The check reads each table's lowest and highest rowid (two index lookups), and counts the rows only of a
table whose rowid range says it may have moved. PostgreSQL's autovacuum keeps its own statistics: nothing to do
there.
"""

import logging

from sqlalchemy import text

from portal import jobs

log = logging.getLogger(__name__)
GROWTH = 2.0  # measured again once a table is this many times larger (or smaller) than when it was measured
MIN_CHANGE = 100  # ... and by at least this many rows (a table of 3 rows that gets a fourth keeps its statistics)

_TABLES = text("SELECT t.name FROM sqlite_master t WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite_%' "
               "AND t.sql NOT LIKE 'CREATE VIRTUAL%' AND upper(t.sql) NOT LIKE '%WITHOUT ROWID%' "
               "AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table' "
               "AND v.sql LIKE 'CREATE VIRTUAL%' AND t.name LIKE v.name || '\\_%' ESCAPE '\\')")
# the rows ANALYZE saw in each measured table: the first number of its entries' `stat`
_MEASURED = text("SELECT tbl, max(CAST(substr(stat, 1, instr(stat || ' ', ' ') - 1) AS INTEGER)) "
                 "FROM sqlite_stat1 GROUP BY tbl")


def _quoted(name):
    return '"' + name.replace('"', '""') + '"'


def _moved(rows, seen):
    """Whether a table of `rows` rows needs measuring, having had `seen` rows when measured (None: never was). Small
    tables count too: unmeasured, SQLite takes a table for a large one, and joined the 300 units of the follow-up
    list by primary key from 50,000 people instead of walking the units in path order."""
    if not rows:
        return False  # nothing to measure (ANALYZE records nothing for an empty table)
    if seen is None:
        return True
    return abs(rows - seen) >= MIN_CHANGE and not seen / GROWTH <= rows <= seen * GROWTH


def stale_tables(connection):
    """Names of the tables that have no statistics or have outgrown them (see `_moved`)."""
    measured = {}
    if connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is not None:
        measured = dict(connection.execute(_MEASURED).all())
    stale = []
    for name in connection.execute(_TABLES).scalars():
        table = _quoted(name)
        # two subqueries: each reads one end of the table, where min() and max() together would read it all
        low, high = connection.exec_driver_sql(  # nosec B608 (a table's name, quoted)
            f"SELECT (SELECT min(rowid) FROM {table}), (SELECT max(rowid) FROM {table})").one()  # noqa: S608
        span = high - low + 1 if high is not None else 0  # no fewer than the rows there are
        seen = measured.get(name)
        if span and seen is not None and not _moved(span, seen):
            continue  # (rows deleted inside the range go unnoticed until the range moves)
        rows = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()  # noqa: S608  # nosec B608
        if _moved(rows, seen):
            stale.append(name)
    return stale


def refresh():
    """Measure the stale tables again (SQLite only); returns their names. The check reads; the measuring is a write
    transaction of its own, taken only when something is stale."""
    from portal import db

    if db.engine().dialect.name != "sqlite":
        return []
    with db.unit_of_work(write=False) as session:
        stale = stale_tables(session.connection())
    if stale:
        with db.unit_of_work() as session:
            for name in stale:
                session.execute(text(f"ANALYZE {_quoted(name)}"))
        log.info("planner statistics measured again: %s", ", ".join(stale))
    return stale


@jobs.every_minute
def refresh_every_minute():
    refresh()
