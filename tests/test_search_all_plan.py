"""The header search's statements read through indexes only: no full scan of a table on SQLite or PostgreSQL, for
an employee, an editor and a misspelt word (its vocabulary lookups). `make bench` measured 0.8 s per query at 100,000
toolkit items when the groups ranked and counted every match and loaded every workshop into Python."""

import re

import pytest
from sqlalchemy import event, text

from portal.search_all import search_everything
from tests import factories

# Scans that read a bounded set: the full-text match itself, the statement's own subqueries (at most
# search.RANK_WINDOW rows) and the one row of a SELECT without FROM (a cache generation read by primary key).
SQLITE_BOUNDED = re.compile(r"^SCAN (search_fts\w* VIRTUAL TABLE|\(subquery-\d+\)|found|ranked|CONSTANT ROW)(?=\s|$)")


@pytest.fixture
def content(app, session):
    factories.make_handbook(session)
    for n in range(3):
        factories.make_toolkit_item(session, "regulation", title=f"Netralitas Pegawai {n}", tags="netralitas")
    factories.make_toolkit_item(session, "template", status="draf", title="Templat netralitas", tags="netralitas")
    factories.make_workshop(session, title="Pelatihan Netralitas di Media Sosial")
    factories.make_topic(session, name="Netralitas ASN")
    # The content plan: a submitted post every employee sees, a draft only its unit's planners and approvers see.
    unit = factories.make_unit(session)
    pengelola = factories.make_user(session, unit=unit)
    account = factories.make_content_account(session, unit, managers=[pengelola])
    factories.make_planned_post(app, session, pengelola, [account], topic="Kampanye netralitas", status="diajukan")
    factories.make_planned_post(app, session, pengelola, [account], topic="Draf netralitas pegawai")
    return unit, pengelola


def statements_of(app, session, user, q):
    engine = app.extensions["db_engine"]
    captured = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        # cache_generation is read whole on purpose: one row per cached subject (about ten), one statement a page
        if statement.lstrip().upper().startswith("SELECT") and "FROM cache_generation" not in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with app.test_request_context("/cari/"):
            outcome = search_everything(session, user, q)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return outcome, captured


def plan_problems(session, statements):
    """Plan lines that scan a whole table, per statement."""
    connection = session.connection()
    problems = []
    if connection.dialect.name == "sqlite":
        for statement, parameters in statements:
            plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            scans = [line for line in plan if line.startswith("SCAN ") and not SQLITE_BOUNDED.match(line)
                     and " USING " not in line]  # "SCAN t USING INDEX": read in index order, cut by LIMIT
            if scans:
                problems.append((statement[:200], scans))
        return problems
    # PostgreSQL plans tiny test tables with sequential scans whatever the indexes; with them turned off, a
    # "Seq Scan" that remains is one that no index can replace.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    for statement, parameters in statements:
        plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
        scans = [line for line in plan if "Seq Scan" in line]
        if scans:
            problems.append((statement[:200], scans))
    return problems


@pytest.mark.parametrize("role, q", [("employee", "netralitas"), ("employee", "netralitass"),
                                     ("employee", "pelatihan media"), ("admin", "netralitas")])
def test_the_header_search_never_scans_a_table(app, session, content, role, q):
    user = factories.make_user(session, roles=(role,))
    outcome, statements = statements_of(app, session, user, q)
    assert outcome.total >= 1  # it found things (for the misspelt word: through the suggestion)
    if q.startswith("netralitas"):  # the content plan's submitted post; an admin also gets the draft
        assert next(g for g in outcome.groups if g.pillar == "content").total == (2 if role == "admin" else 1)
    assert any("MATCH" in s or "@@" in s for s, _p in statements)
    if q == "netralitass":
        assert outcome.suggestion == "netralitas" and any("search_term" in s for s, _p in statements)
    assert plan_problems(session, statements) == []


@pytest.mark.parametrize("who", ["pengelola", "supervisor", "humas"])
def test_the_content_plan_group_never_scans_a_table(app, session, content, who):
    """Drafts are checked per match through the post's unit (its path) and its accounts, by primary keys."""
    unit, pengelola = content
    user = pengelola if who == "pengelola" else factories.make_user(session, roles=(who,), unit=unit)
    outcome, statements = statements_of(app, session, user, "netralitas")
    group = next(g for g in outcome.groups if g.pillar == "content")
    assert group.total == 2  # the draft too
    # The content group's statements only: for a humas of a unit outside the Biro Hubungan Masyarakat the toolkit's
    # statement reads the unit table once on PostgreSQL (its `owner_unit_id IN (SELECT unit.id ... LIKE ...)`).
    mine = [(s, p) for s, p in statements if "content_post" in s]
    assert any("search_fts_content_post" in s or "@@" in s for s, _p in mine)
    assert plan_problems(session, mine) == []


def test_counts_stop_at_the_cap_and_say_more(app, session, monkeypatch):
    from portal import search

    monkeypatch.setattr(search, "top", _with_defaults(search.top, cap=3))
    for n in range(5):
        factories.make_toolkit_item(session, "regulation", title=f"Klarifikasi hoaks {n}", tags="hoaks")
    user = factories.make_user(session, roles=("employee",))
    with app.test_request_context("/cari/"):
        outcome = search_everything(session, user, "klarifikasi")
    toolkit = next(g for g in outcome.groups if g.pillar == "toolkit")
    assert (toolkit.total, toolkit.more, len(toolkit.results)) == (3, True, 5)


def _with_defaults(fn, **defaults):
    def wrapped(*args, **kwargs):
        return fn(*args, **{**defaults, **kwargs})

    return wrapped
