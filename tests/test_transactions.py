"""The one transaction path (portal/db.py): reads never lock, a request commits once on success and rolls back
otherwise, after-commit work runs only after a commit, and a write use case takes the lock at its start."""

import sqlite3
import threading

import pytest
from flask import Blueprint
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import event, text
from sqlmodel import select

from portal import db, htmx
from portal.errors import DomainError
from portal.forms import perform
from portal.models import Unit
from portal.permissions import public
from tests import factories
from tests.conftest import make_app


@pytest.fixture
def probe_app(tmp_path):
    """The app with a few extra endpoints that write a unit and then answer in different ways."""
    app = make_app(tmp_path)
    bp = Blueprint("probe", __name__)
    ran = []

    def add_unit(code):
        session = db.session()
        session.add(Unit(code=code, name=code, path="/"))
        session.flush()
        db.after_commit(session, ran.append, code)

    @bp.post("/ok/<code>")
    @public
    def ok(code):
        add_unit(code)
        return "ok"

    @bp.post("/fail/<code>")
    @public
    def fail(code):
        add_unit(code)
        return "rejected", 422

    @bp.post("/crash/<code>")
    @public
    def crash(code):
        add_unit(code)
        raise RuntimeError("boom")

    @bp.get("/get/<code>")
    @public
    def get_writes(code):
        add_unit(code)
        return "read"

    @bp.get("/read")
    @public
    def read_only():
        return ",".join(db.session().exec(select(Unit.code)).all()) or "-"

    @bp.get("/hook/<code>")
    @public
    def hook_only(code):
        db.session().exec(select(Unit.code)).all()
        db.after_commit(db.session(), ran.append, code)  # no change, but work promised after a commit
        return "read"

    @bp.post("/domain/<code>")
    @public
    def domain(code):
        def service():
            add_unit(code)
            raise DomainError("no")

        outcome = perform(service)
        return ("failed" if not outcome else "ok"), 303

    @bp.post("/savepoint/<code>")
    @public
    def savepoint(code):
        """A write, then a savepoint released: the request must still commit once, with its hooks after it."""
        add_unit(code)
        with db.session().begin_nested():
            db.session().add(Unit(code=code + "-sp", name=code, path="/"))
        return "ok"

    @bp.post("/render/<code>/<int:status>")
    @public
    def render_page(code, status):
        """A write, then a page: the transaction ends before the template renders (htmx.render -> db.settle)."""
        add_unit(code)
        return htmx.render("probe.html", status=status)

    def lock_is_free():
        """While the page renders: may another connection take SQLite's write lock at once?"""
        other = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
            return "free"
        except sqlite3.OperationalError:
            return "held"
        finally:
            other.close()

    app.jinja_env.loader = ChoiceLoader([DictLoader({"probe.html": "{{ lock_is_free() }} {{ codes() }}"}),
                                         app.jinja_env.loader])
    app.jinja_env.globals.update(lock_is_free=lock_is_free,
                                 codes=lambda: ",".join(sorted(db.session().exec(select(Unit.code)).all())))
    app.register_blueprint(bp, url_prefix="/probe")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.probe_ran = ran
    yield app
    app.extensions["db_engine"].dispose()


def _codes(app):
    with db.unit_of_work(write=False, bind=app.extensions["db_engine"]) as session:
        return set(session.exec(select(Unit.code)).all())


def test_a_successful_request_commits_once_and_then_runs_after_commit_work(probe_app):
    client = probe_app.test_client()
    assert client.post("/probe/ok/A1").status_code == 200
    assert "A1" in _codes(probe_app)
    assert probe_app.probe_ran == ["A1"]


def test_a_released_savepoint_is_not_the_commit(probe_app):
    client = probe_app.test_client()
    assert client.post("/probe/savepoint/S1").status_code == 200
    assert {"S1", "S1-sp"} <= _codes(probe_app)
    assert probe_app.probe_ran == ["S1"]


def test_a_write_request_commits_before_its_page_renders(probe_app):
    """Rendering never holds the write lock: the use case is committed (or rolled back) once the view has decided
    its response, and the template's own reads see the committed data."""
    if not probe_app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    client = probe_app.test_client()
    page = client.post("/probe/render/R1/200")
    assert page.status_code == 200 and page.get_data(as_text=True).startswith("free") and "R1" in page.get_data(
        as_text=True)
    assert "R1" in _codes(probe_app) and probe_app.probe_ran == ["R1"]
    rejected = client.post("/probe/render/R2/422")
    assert rejected.status_code == 422 and rejected.get_data(as_text=True).startswith("free")
    assert "R2" not in _codes(probe_app) and probe_app.probe_ran == ["R1"]


@pytest.mark.parametrize("path", ["/probe/fail/B1", "/probe/crash/B1", "/probe/get/B1", "/probe/domain/B1"])
def test_rejected_failed_and_get_requests_write_nothing(probe_app, path):
    client = probe_app.test_client()
    method = client.get if "/get/" in path else client.post
    method(path)
    assert "B1" not in _codes(probe_app)
    assert probe_app.probe_ran == []  # after-commit work is dropped with the rollback


def test_a_read_request_ends_with_commit_and_a_get_that_wrote_with_rollback(probe_app):
    """A read with nothing to keep or drop ends with COMMIT: psycopg forgets every prepared statement at a ROLLBACK,
    and PostgreSQL would plan every statement of every page afresh. A GET that changed something (a bug, logged)
    or promised after-commit work is still rolled back."""
    from sqlalchemy import event

    engine = probe_app.extensions["db_engine"]
    ends = []
    on_commit, on_rollback = (lambda _conn: ends.append("commit")), (lambda _conn: ends.append("rollback"))
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    client = probe_app.test_client()
    try:
        assert client.get("/probe/read").status_code == 200
        assert ends == ["commit"]
        ends.clear()
        assert client.get("/probe/get/G1").status_code == 200
        assert ends == ["rollback"] and "G1" not in _codes(probe_app)
        ends.clear()
        assert client.get("/probe/hook/H1").status_code == 200
        assert ends == ["rollback"] and probe_app.probe_ran == []
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)


def _plans(connection, fragment):
    """(generic plans, custom plans) PostgreSQL has made for the connection's prepared statements containing
    `fragment`, all of them (psycopg prepares a statement at its sixth run)."""
    return tuple(connection.exec_driver_sql(
        "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) FROM pg_prepared_statements "
        "WHERE statement LIKE %(s)s", {"s": f"%{fragment}%"}).one())


def _postgresql_engine(app):
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    return engine


def test_postgresql_plans_the_session_statement_once(app):
    """The statement every signed-in request runs (the session record's) keeps one plan for any token once it has
    run a few times: planning it afresh cost seven times running it. The URL's own options (a search_path, as the
    migration tests' schemas use) reach the connection."""
    from portal.accounts import sessions

    engine = _postgresql_engine(app)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"
        with db.new_session(bind=connection) as session:
            for n in range(14):
                session.exec(sessions._load_statement(), params={"token_hash": f"{n:064x}"}).first()
        generic, _custom = _plans(connection, "user_session.token_hash")
        assert generic > 0
    with db.make_engine(engine.url.update_query_dict({"options": "-csearch_path=elsewhere"}).render_as_string(
            hide_password=False)).connect() as connection:
        assert connection.exec_driver_sql("SHOW search_path").scalar() == "elsewhere"


def test_postgresql_plans_a_user_search_for_its_values(app, session):
    """A user search is planned for its text each time (a rare name: a few people; "kementerian": every e-mail
    address), however often it ran before, and only within its own transaction."""
    from portal.accounts.user_search import search_users

    engine = _postgresql_engine(app)
    factories.make_user(session, full_name="Rina Wulandari")
    session.commit()
    with engine.connect() as connection:
        with db.new_session(bind=connection) as own:
            for name in ["rina", "wulan"] * 6 + ["kementerian", "example"]:
                search_users(own, q=name)
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
            own.commit()
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"
        generic, custom = _plans(connection, "LIKE")
        assert custom > 0 and generic == 0


def test_postgresql_plans_a_full_text_search_for_its_values(app):
    """Each way into the full-text engine (a pillar's search, the header search's `top`, a pillar's `matching`
    subquery) asks for plans for its values: a common word matches half the documents, a rare one a few."""
    from portal import search

    engine = _postgresql_engine(app)
    for run in (lambda s: search.search(s, "handbook", "netralitas"),
                lambda s: search.top(s, "handbook", "netralitas"),
                lambda s: search.matching(s, "toolkit", "foto")):
        with engine.connect() as connection, db.new_session(bind=connection) as own:
            run(own)
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


def test_plan_for_values_asks_once_per_transaction(app):
    """One SET LOCAL per transaction, however many searches it runs; none on SQLite."""
    engine = app.extensions["db_engine"]
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with db.new_session(bind=engine) as session:
        event.listen(engine, "before_cursor_execute", seen)
        try:
            db.plan_for_values(session)
            db.plan_for_values(session)
            session.commit()
            db.plan_for_values(session)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    expected = 2 if engine.dialect.name == "postgresql" else 0
    assert sum("plan_cache_mode" in s for s in statements) == expected


def test_a_read_never_waits_for_a_writer(app, client, session, login_as):
    """While another connection holds the write lock (mid-transaction), pages still answer."""
    login_as("employee")
    holding, release = threading.Event(), threading.Event()

    def writer():
        with db.unit_of_work(bind=app.extensions["db_engine"]) as other:
            other.execute(text("UPDATE unit SET name = name"))  # takes the write lock (BEGIN IMMEDIATE)
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        assert client.get("/").status_code == 200
        assert client.get("/healthz").status_code == 200
    finally:
        release.set()
        thread.join(30)
    assert not thread.is_alive()


def test_two_writers_queue_instead_of_failing(app):
    """Two write use cases that read first and then write: both succeed, one after the other (no 'locked')."""
    engine = app.extensions["db_engine"]
    with db.unit_of_work(bind=engine) as session:
        session.add(Unit(code="ROOT", name="Root", path="/"))
    barrier = threading.Barrier(2)
    errors = []

    def work(code):
        try:
            with db.unit_of_work(bind=engine) as session:
                barrier.wait()
                session.exec(select(Unit).where(Unit.code == "ROOT")).one()
                session.add(Unit(code=code, name=code, path="/"))
                session.flush()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(code,)) for code in ("W1", "W2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert {"W1", "W2"} <= _codes(app)


def test_begin_write_refuses_to_split_a_use_case(app):
    with db.unit_of_work(write=False, bind=app.extensions["db_engine"]) as session:
        session.add(Unit(code="X1", name="X", path="/"))
        session.flush()
        with pytest.raises(RuntimeError):
            db.begin_write(session)
        session.rollback()


def test_password_hashes_are_checked_outside_the_write_lock(app, client, session, monkeypatch):
    """scrypt is slow on purpose: login and password change must not hold the write lock while it runs."""
    from portal.accounts import services

    user = factories.make_user(session)
    seen = []
    real_check = services.check_password_hash

    def spying_check(*args):
        seen.append(db._write_intent.get())
        return real_check(*args)

    monkeypatch.setattr(services, "check_password_hash", spying_check)
    response = client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 302
    response = client.post("/account/password", data={"current_password": factories.PASSWORD,
                                                      "new_password": "sandi-baru-yang-panjang-123",
                                                      "confirm": "sandi-baru-yang-panjang-123"})
    assert response.status_code == 303, response.data[:300]
    assert seen == [False, False]
    session.refresh(user)
    assert user.last_login_at is not None and user.auth_version == 2


def test_sqlite_page_cache_per_connection_follows_the_setting(tmp_path):
    """SQLITE_CACHE_KB (gunicorn.conf.py sets 512 for the web workers) sizes each SQLite connection's page cache;
    unset, SQLite's default stays. PostgreSQL ignores it."""
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    for cache_kb, expected in ((512, -512), (None, -2000), (0, -2000), (-5, -2000)):
        engine = db.make_engine(url, cache_kb)
        try:
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == expected
        finally:
            engine.dispose()
    app = make_app(tmp_path, SQLITE_CACHE_KB=300)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        with app.extensions["db_engine"].connect() as connection:
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -300
