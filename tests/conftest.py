"""Shared fixtures: an app on a fresh database per test, a client, `login_as(role)`, htmx headers.

SQLite by default (a new file per test, copied from a template made once per run). With TEST_DATABASE_URL set
(PostgreSQL), the schema is created once per run and every table is emptied between tests.

`app`/`client`/`session` (CSRF off), `csrf_app`/`csrf_session` (CSRF on), `login(user)`, `login_as(role)`,
`empty_database_url` (a database without tables, for migrations and seeding). Translations are compiled once per
run into a temporary folder. `make test` runs the suite on two pytest-xdist workers (`--dist loadgroup`): every
test has its own SQLite file and instance folder, each worker its own PostgreSQL database (see
`_per_worker_database_url`), and the tests that share an expensive module fixture (a live server, gunicorn) are one
`xdist_group` each.
"""

import atexit
import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from flask import appcontext_pushed
from sqlalchemy import event, text
from sqlmodel import Session, SQLModel

from portal import create_app
from portal import db as portal_db
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
HX = {"HX-Request": "true"}


def _per_worker_database_url(url):
    """Under pytest-xdist (`-n 2`), each worker on PostgreSQL gets a database of its own, `<name>_<worker>`, made
    when missing (the conftest empties every table between tests, so two workers cannot share one)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or not url.startswith("postgresql"):
        return url
    import time

    from sqlalchemy import create_engine, make_url

    url = make_url(url)
    name = f"{url.database}_{worker}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(10):
            with server.connect() as conn:
                if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                    break
                try:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                    break
                except Exception:  # another worker's CREATE DATABASE holds template1 for a moment
                    if attempt == 9:
                        raise
                    time.sleep(0.5)
    finally:
        server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _share_url_builders_between_apps():
    """Every test makes an app, and nine tenths of making one was werkzeug compiling a URL builder function for each
    of the ~170 rules (an AST built and `compile`d per rule, ~120 ms an app on a slow machine). The builder depends on
    the rule's text, its parts and its defaults only (the rule itself is passed in when it runs), and every app of a
    test run registers the same rules: compile each once per process. Test harness only; production makes one app
    per process."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:  # a werkzeug without it: nothing to share
        return
    builders = {}

    def shared(self, append_unknown=True):
        key = (self.rule, append_unknown, repr(self._trace), repr(sorted((self.defaults or {}).items())),
               repr(sorted((name, type(c).__name__) for name, c in self._converters.items())))
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = shared


_share_url_builders_between_apps()
TEST_DATABASE_URL = _per_worker_database_url(os.environ.get("TEST_DATABASE_URL"))
if TEST_DATABASE_URL:
    os.environ["TEST_DATABASE_URL"] = TEST_DATABASE_URL  # for the modules that read the environment themselves
_pg_schema_ready = False


@functools.cache
def compiled_translations():
    """The Babel catalogs compiled once per run into a temporary folder (the work tree is not touched)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    target = Path(tempfile.mkdtemp(prefix="portal-translations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    source = ROOT / "portal" / "translations"
    for po in source.glob("*/LC_MESSAGES/*.po"):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=True)
    return str(target)


@functools.cache
def _sqlite_template():
    """An SQLite file with the whole schema, made once per run: each test's database starts as a copy of it."""
    from sqlalchemy import create_engine

    target = Path(tempfile.mkdtemp(prefix="portal-db-template-")) / "template.db"
    atexit.register(shutil.rmtree, target.parent, ignore_errors=True)
    engine = create_engine(f"sqlite:///{target}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return target


def _database_url(tmp_path):
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    db_file = tmp_path / "test.db"
    if not db_file.exists():
        shutil.copyfile(_sqlite_template(), db_file)
    return f"sqlite:///{db_file}"


def _prepare_schema(engine):
    global _pg_schema_ready
    if engine.dialect.name == "sqlite":
        SQLModel.metadata.create_all(engine)  # a no-op on a copy of the template; creates the schema otherwise
        return
    if not _pg_schema_ready:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        SQLModel.metadata.create_all(engine)
        _pg_schema_ready = True
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": overrides.get("DATABASE_URL") or _database_url(tmp_path),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "BABEL_TRANSLATION_DIRECTORIES": compiled_translations(),
    }
    config.update(overrides)
    app = create_app(config)
    _prepare_schema(app.extensions["db_engine"])
    return app


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def csrf_app(tmp_path):
    """The app with CSRF protection on, as in production."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def _test_session(app):
    """A session on the app's database for arranging and checking data.

    The app's requests and CLI commands run in the test's thread; on SQLite every transaction takes the write lock
    (BEGIN IMMEDIATE), so a read transaction left open here would make the next request wait for it. It is therefore
    ended (rolled back, which also expires loaded objects so they show the request's changes) whenever an app
    context is pushed, unless it holds changes, flushed or not: commit those before a request.
    """
    with Session(app.extensions["db_engine"], expire_on_commit=False) as db_session:
        flushed = []  # set when the open transaction has written something (flushed but not committed)
        event.listen(db_session, "after_flush", lambda *_args: flushed.append(True))
        event.listen(db_session, "after_transaction_end",
                     lambda _session, transaction: transaction.parent is None and flushed.clear())

        def end_read_transaction(_sender, **_extra):
            unsaved = flushed or db_session.new or db_session.dirty or db_session.deleted
            if db_session.in_transaction() and not unsaved:
                db_session.rollback()

        appcontext_pushed.connect(end_read_transaction, app, weak=False)
        try:
            yield db_session
        finally:
            appcontext_pushed.disconnect(end_read_transaction, app)


@pytest.fixture
def session(app):
    yield from _test_session(app)


@pytest.fixture
def csrf_session(csrf_app):
    """Like `session`, for `csrf_app`."""
    yield from _test_session(csrf_app)


@pytest.fixture
def login(client):
    """login(user) signs `client` in through the real login form."""

    def do_login(user, password=factories.PASSWORD):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.data[:500]
        return user

    return do_login


@pytest.fixture
def login_as(session, login):
    """login_as("humas") creates a user holding that role and signs in as them."""

    def do_login_as(role="employee", **kwargs):
        roles = () if role in (None, "employee", "anonymous") else (role,)
        user = factories.make_user(session, roles=roles, **kwargs)
        return login(user)

    return do_login_as


def csrf_token_from(html):
    match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no csrf_token in page"
    return match.group(1).decode()


def db_session_of(app):
    with app.app_context():
        return portal_db.session()


@pytest.fixture
def empty_database_url(request, tmp_path):
    """The URL of a new, empty database (no tables) for tests that build the schema themselves (migrations, seeding).

    Parametrize indirectly with "sqlite" (always) or "postgresql" (skipped without a PostgreSQL TEST_DATABASE_URL):
    there, a temporary schema of TEST_DATABASE_URL's database, first on the search path, dropped afterwards. (Not a
    temporary database: dropping one forces a checkpoint, which takes seconds on a busy server.) The conftest's own
    schema, public, is not touched.
    """
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not (TEST_DATABASE_URL or "").startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL pointing to PostgreSQL")
    from sqlalchemy import create_engine, make_url

    url = make_url(TEST_DATABASE_URL)
    schema = f"empty_{request.node.originalname[:30]}_{os.getpid()}".lower()
    server = create_engine(url)
    try:
        with server.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with server.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        server.dispose()


REDIS_DBS = range(8, 16)  # tests that need Redis claim a free one: two runs on one machine must not share one


def claim_redis_db(owner):
    """The number of an empty Redis database on 127.0.0.1:6379 claimed for `owner` (the claim expires if the run
    dies); skips the test without Redis or when other runs hold them all. The caller empties it when done."""
    redis = pytest.importorskip("redis")
    for number in REDIS_DBS:
        client = redis.Redis(host="127.0.0.1", port=6379, db=number, socket_connect_timeout=0.5)
        try:
            claimed = client.set("portal-test-claim", owner, nx=True, ex=900)
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        if claimed:
            for key in client.scan_iter():
                if key != b"portal-test-claim":
                    client.delete(key)
            return number
    pytest.skip("no free Redis database (other runs hold them all)")


@pytest.fixture
def redis_db():
    """A claimed, empty Redis database for this test (see claim_redis_db), emptied again at the end."""
    import redis

    number = claim_redis_db(f"test-{os.getpid()}")
    yield number
    redis.Redis(host="127.0.0.1", port=6379, db=number).flushdb()
