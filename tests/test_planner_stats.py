"""SQLite's planner statistics are measured again by the worker when a table has none or has outgrown them: a
deployed database is never measured otherwise, and without statistics the follow-up list read 50,000 people through
`user.active` and sorted them (17.6 ms against 0.26 ms)."""

from sqlalchemy import text

from portal import jobs, planner_stats
from tests import factories


def measured(session):
    """{table: rows ANALYZE saw} from sqlite_stat1 (empty before any ANALYZE)."""
    if session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() is None:
        return {}
    return dict(session.execute(planner_stats._MEASURED).all())


def test_the_worker_measures_tables_without_statistics_and_again_once_they_have_grown(app, session, monkeypatch):
    if app.extensions["db_engine"].dialect.name != "sqlite":
        with app.app_context():
            assert planner_stats.refresh() == []  # PostgreSQL: autovacuum measures
        return
    monkeypatch.setattr(planner_stats, "MIN_CHANGE", 5)
    for n in range(3):
        factories.make_user(session, full_name=f"Orang {n}")
    session.commit()
    with app.app_context():
        first = planner_stats.refresh()
        assert {"user", "unit"} <= set(first)  # never measured: small tables too (joins plan with them)
        session.rollback()
        seen = measured(session)["user"]
        assert seen >= 3 and planner_stats.refresh() == []  # measured: nothing to do
        factories.make_user(session, full_name="Satu lagi")
        session.commit()
        assert planner_stats.refresh() == []  # a few more rows: the statistics still hold
        for n in range(seen * 2):
            factories.make_user(session, full_name=f"Orang baru {n}")
        session.commit()
        assert "user" in planner_stats.refresh()  # more than twice as many people since
        session.rollback()
        assert measured(session)["user"] > seen * 2


def test_the_check_runs_every_minute_in_the_worker():
    assert (planner_stats.refresh_every_minute, True) in jobs._declared
