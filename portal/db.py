"""Engine, sessions and the one transaction path.

Reads never lock. On SQLite (WAL) a transaction starts deferred (`BEGIN`): readers see a snapshot and never wait
for a writer. A use case that writes says so first (`begin_write()`), and its transaction then starts with `BEGIN
IMMEDIATE`: the write lock is taken up front, so concurrent writers queue (tried again every 0.5-4 ms for up to
BUSY_TIMEOUT_MS, `_take_write_lock`) instead of failing half-way with "database is locked" when a read
transaction tries to upgrade.
A request with an unsafe method (POST, ...) is a write use case automatically, once the signed-in user has been
loaded (`start_request_writes`, a before_request hook); a POST view that must do slow work before it writes
(checking a password hash) is declared `@deferred_write` and calls `begin_write()` itself when it is ready.

Services flush and never commit. A request commits once, when its response is decided: before a page is rendered
(`settle`, called by portal.htmx.render: the lock is not held while a template renders) or at its end
(`finish_request`), when the response is a success (status below 400), and rolls back otherwise (a read with
nothing to keep ends with COMMIT, which on PostgreSQL keeps the connection's prepared statements); CLI commands and
job tasks use `unit_of_work()`.
Work that must only happen after a successful commit (cache invalidation, notifications, e-mail, jobs) is
registered with `after_commit(session, fn)`.
"""

import contextlib
import contextvars
import functools
import logging
import random
import sqlite3
import time

from flask import abort, current_app, g, has_app_context, request
from sqlalchemy import String, event, text
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlmodel import Session, create_engine

from portal import generations

log = logging.getLogger(__name__)

# Ids and numbers from a URL must fit an INTEGER column (PostgreSQL's is 32-bit); larger ones would crash the query.
MAX_INT = 2**31 - 1
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 20_000  # SQLite waits this long for the write lock before it answers "busy"
WRITE_LOCK_PAUSES = (0.0005, 0.004)  # the first and the longest pause between tries for the write lock, in seconds

_write_intent = contextvars.ContextVar("portal_write_intent", default=False)


class _SQLiteCompiler(SQLiteCompiler):
    """Writes table hints after the table's name, which SQLAlchemy's SQLite compiler drops: `select(...).with_hint(
    Model, "INDEXED BY ix_name", "sqlite")` names a covering index where SQLite's planner reads each row through the
    primary key instead until ANALYZE has measured the index (it then picks an index on (id, ...) itself; the hint
    keeps the plan independent of when statistics were last gathered). Other databases ignore it."""

    def get_from_hint_text(self, table, text):
        return text


class folded(GenericFunction):  # noqa: N801  # a SQL function's name
    """`folded(text)`: the text lowercased as Python's `str.lower` does and compared code point by code point, so
    that a list ordered by the database matches one ordered in Python (`key=str.lower`). SQLite's own lower() only
    folds ASCII ("Ádi" would sort before "ádi"), so its connections get `unicode_lower` (make_engine); PostgreSQL's
    lower() folds Unicode, and COLLATE "C" compares like Python instead of by the locale's rules."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_sqlite(element, compiler, **kw):
    return f"unicode_lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element, compiler, **kw):
    return f'lower({compiler.process(element.clauses, **kw)}) COLLATE "C"'


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def make_engine(url, sqlite_cache_kb=None):
    """The engine for `url`. `sqlite_cache_kb`: SQLite's page cache per connection (None: SQLite's 2,000 KiB). A web
    worker sets 512 (SQLITE_CACHE_KB, see gunicorn.conf.py): its connections' caches filled up to their 2 MB over
    the new toolkit searches (8 MB of a worker's growth with four connections), the data stays in the operating
    system's file cache, and reading it from there cost no measurable CPU (in-process, new toolkit queries 27.2-28.6
    against 27.1-27.9 ms, the dashboard 1.04-1.05 ms both ways); a worker grew 23-25 MB instead of 33-36."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
        engine.dialect.statement_compiler = _SQLiteCompiler

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself (see _sqlite_begin)
            dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)  # see `folded`
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if sqlite_cache_kb and int(sqlite_cache_kb) > 0:  # 0 or less: SQLite's default
                cursor.execute(f"PRAGMA cache_size=-{int(sqlite_cache_kb)}")  # negative: KiB, not pages
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            if not _write_intent.get():
                conn.exec_driver_sql("BEGIN")
                return
            if not _take_write_lock(conn.connection.driver_connection):
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # past the wait: "database is locked" (answered 503)

        return engine
    # Reads end with COMMIT, so psycopg's prepared statements live on (see _end_request_transaction), and PostgreSQL
    # plans a statement once for any values after five runs (plan_cache_mode = auto): the session's statement of
    # every request is not planned again each time (planning was 0.25 ms of server CPU per request, seven times its
    # run). Statements whose best plan depends on the values bound ask for a plan of their own: plan_for_values.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_PLANNED_FOR_VALUES = "plan_for_values"  # session.info: the transaction that has asked for it


def plan_for_values(db_session):
    """PostgreSQL: plan each statement of this transaction from here on for the values it is run with (SET LOCAL
    plan_cache_mode = force_custom_plan), for use cases whose statements are fast or slow by their values: a text
    search matching a handful of people or all of them, a report over one unit or the whole institution. With one
    plan for any values, the user search for "kementerian" (every e-mail address) got a rare name's plan: 24-26 ms
    instead of 16. Once per transaction; nothing on SQLite, which plans every statement anyway."""
    if db_session.get_bind().dialect.name != "postgresql":
        return
    transaction = db_session.get_transaction()
    if transaction is not None and db_session.info.get(_PLANNED_FOR_VALUES) is transaction:
        return
    db_session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    db_session.info[_PLANNED_FOR_VALUES] = db_session.get_transaction()


def plans_for_values(service):
    """Decorate a service `fn(session, ...)` whose statements need plans for their values (see plan_for_values)."""
    @functools.wraps(service)
    def planned(db_session, *args, **kwargs):
        plan_for_values(db_session)
        return service(db_session, *args, **kwargs)
    return planned


def _take_write_lock(dbapi_connection):
    """BEGIN IMMEDIATE, trying again for up to BUSY_TIMEOUT_MS while another connection writes; False when the lock
    stayed taken (or the error was another one), for the caller to try once more through SQLAlchemy, which raises.

    SQLite's own busy handler sleeps longer and longer between tries (1, 2, 5 ... 50, 100 ms): with many writers
    the lock was often free while all of them slept, and a quiz answer waited hundreds of milliseconds for a lock
    held 2-3 ms at a time. Here a writer tries again after 0.5 ms, doubling up to 4 ms (with jitter)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = WRITE_LOCK_PAUSES[0]
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as error:
                if "locked" not in str(error).lower() and "busy" not in str(error).lower():
                    return False
            if time.monotonic() + pause > deadline:
                return False
            time.sleep(pause * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
            pause = min(pause * 2, WRITE_LOCK_PAUSES[1])
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def init_app(app):
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"], app.config.get("SQLITE_CACHE_KB"))
    app.teardown_appcontext(_close_session)


def engine():
    return current_app.extensions["db_engine"]


def new_session(bind=None):
    """A session that keeps loaded values after commit; it runs `after_commit` hooks on commit (listeners on the
    Session class, below: adding them to each new session cost more than a small page's query)."""
    return Session(bind or engine(), expire_on_commit=False)


def session() -> Session:
    """The request's (or app context's) session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = new_session()
    return g.db_session


def _close_session(_exc):
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
    token = g.pop("db_write_token", None)
    if token is not None:
        _write_intent.reset(token)


# --- the write lock -------------------------------------------------------------------------------------------------

def _has_changes(db_session):
    return bool(db_session.new or db_session.dirty or db_session.deleted or db_session.info.get("flushed"))


def begin_write(db_session=None):
    """From now on this context writes. SQLite: end the read transaction (it holds no changes), so that the next one
    takes the write lock at its start (BEGIN IMMEDIATE). PostgreSQL needs no lock up front and keeps no snapshot
    across statements (READ COMMITTED): the transaction goes on, without the COMMIT and BEGIN round trips (two of
    a quiz answer's twelve)."""
    db_session = db_session or session()
    if _write_intent.get() and db_session.in_transaction():
        return
    if db_session.in_transaction():
        if _has_changes(db_session):
            raise RuntimeError("begin_write() after changes were made in a read transaction")
        if db_session.get_bind().dialect.name == "sqlite":
            db_session.commit()  # ends the read snapshot; loaded objects keep their values (expire_on_commit=False)
    token = _write_intent.set(True)
    if has_app_context() and g.get("db_session") is db_session and "db_write_token" not in g:
        g.db_write_token = token  # reset when the app context ends (a thread serves many requests)


@contextlib.contextmanager
def reading(db_session):
    """Inside a write use case (a job), a stretch that only reads, e.g. checking a whole import file: its transaction
    starts deferred (SQLite: no write lock, other writers go on) and is ended before the writes that follow, which
    then take the lock again at their start."""
    if db_session.in_transaction():
        if _has_changes(db_session):
            raise RuntimeError("reading() after changes were made; commit them first")
        db_session.commit()
    token = _write_intent.set(False)
    try:
        yield db_session
    finally:
        _write_intent.reset(token)
        if db_session.in_transaction():
            if _has_changes(db_session):
                db_session.rollback()
                raise RuntimeError("a reading() stretch changed the database")
            db_session.commit()  # ends the snapshot; loaded values stay (expire_on_commit=False)


def deferred_write(view):
    """Declare a POST view that reads and does slow work before it writes; it calls `begin_write()` itself."""
    view.deferred_write = True
    return view


def start_request_writes():
    """before_request, after the permission check: a request with an unsafe method is a write use case."""
    if request.method in SAFE_METHODS or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "deferred_write", False):
        return
    begin_write(session())


def finish_request(response):
    """after_request: commit once when the response to a POST (...) is a success, else roll back. A GET never
    writes: its changes, if any, are dropped (and logged, as the bug they are)."""
    _end_request_transaction(response.status_code)
    return response


def settle(status):
    """The view has decided its response: end a write request's transaction now, as `finish_request` would at the
    end, so the write lock (SQLite) and row locks (PostgreSQL) are not held while the page renders. Reads after
    this (lazy loads while rendering) are plain reads."""
    if has_app_context() and request.method not in SAFE_METHODS and _end_request_transaction(status):
        _write_intent.set(False)  # the request's token still restores the value from before it at teardown


def _end_request_transaction(status):
    """Commit the request's transaction when it is a write with changes and `status` a success, else roll it back.
    False when there was no transaction to end."""
    db_session = g.get("db_session")
    if db_session is None or not db_session.in_transaction():
        return False
    changed = _has_changes(db_session)
    if changed and status < 400 and request.method not in SAFE_METHODS:
        _move_signed_in_person(db_session)
        db_session.commit()
        return True
    if changed and request.method in SAFE_METHODS:
        log.error("%s %s changed the database; a GET never writes, the change was dropped",
                  request.method, request.path)
    if changed or db_session.info.get("after_commit"):
        db_session.rollback()
    else:
        # Nothing to keep or drop: ending a read with COMMIT keeps what the connection has prepared (psycopg
        # forgets every prepared statement at a ROLLBACK, and PostgreSQL then plans each statement afresh).
        db_session.commit()
    return True


def _move_signed_in_person(db_session):
    """What a signed-in person writes shows on their own pages at once: their person counter moves with the commit
    (what is kept per person, the dashboard's cards, is keyed by it; see portal/generations.py)."""
    user = g.get("_login_user")  # loaded by Flask-Login for this request; never loaded here
    if user is not None and getattr(user, "is_authenticated", False):
        generations.move_person(db_session, user.id)


@contextlib.contextmanager
def unit_of_work(write=True, bind=None):
    """A session for one use case outside a request (CLI, job): commits at the end, rolls back on any error."""
    token = _write_intent.set(write)
    db_session = new_session(bind)
    try:
        yield db_session
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()
        _write_intent.reset(token)


def try_write(fn, *args, busy_ms=250):
    """Best-effort bookkeeping outside the request's transaction (e.g. a session's last-seen time): fn(session,
    *args) in a short write transaction of its own that waits at most `busy_ms` for the lock and is skipped, not
    failed, when the database is busy."""
    try:
        # A deferred transaction whose first statement is the write: the lock is taken then, waiting `busy_ms`.
        with unit_of_work(write=False) as db_session:
            connection = db_session.connection()
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_ms)}")
            try:
                fn(db_session, *args)
            finally:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    except OperationalError as error:
        log.info("skipped best-effort write (%s)", error)


def insert_new(db_session, table, rows, keys):
    """INSERT `rows` into `table`, leaving out those whose natural key (`keys`, a unique index) is already there:
    the upsert that makes a batch of an import safe to run again (SQLite and PostgreSQL: ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    if db_session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db_session.execute(insert(table).on_conflict_do_nothing(index_elements=list(keys)), rows)


# PostgreSQL: serialization failure, deadlock, lock not available (lock_timeout)
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_busy(error):
    """True when `error` (or what caused it) is the database saying another writer holds the lock for too long:
    SQLite's "database is locked" after the busy timeout and the retries, PostgreSQL's lock and deadlock errors.
    The request answers 503 "try again" for these, never 500."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        original = getattr(error, "orig", None)
        text = str(original or error).lower()
        if isinstance(error, OperationalError) and ("database is locked" in text or "database is busy" in text):
            return True
        if getattr(original, "sqlstate", None) in _BUSY_SQLSTATES:
            return True
        error = error.__cause__ or error.__context__
    return False


def rollback(db_session=None):
    """Undo the current use case's changes (a DomainError was raised half-way)."""
    (db_session or session()).rollback()


# --- after commit -----------------------------------------------------------------------------------------------------

def after_commit(db_session, fn, *args, **kwargs):
    """Run fn(*args, **kwargs) once the session's current transaction has committed; dropped on rollback.
    Works on any session, also one not made by `new_session` (tests, data generators)."""
    if not isinstance(db_session, Session) and not event.contains(db_session, "after_commit", _run_after_commit):
        event.listen(db_session, "after_commit", _run_after_commit)  # a plain SQLAlchemy session
        event.listen(db_session, "after_rollback", _drop_after_commit)
    db_session.info.setdefault("after_commit", []).append(functools.partial(fn, *args, **kwargs))


def _run_after_commit(db_session):
    if db_session.in_nested_transaction():
        return  # a savepoint was released: the outer transaction has not committed yet
    db_session.info.pop("flushed", None)
    hooks = db_session.info.pop("after_commit", [])
    for hook in hooks:
        try:
            hook()
        except Exception:  # one failing hook must not hide the others; the data is already committed
            log.exception("after-commit hook %r failed", hook)


def _drop_after_commit(db_session):
    if db_session.in_nested_transaction():
        return  # a savepoint rolled back; the outer transaction (and its hooks) goes on
    db_session.info.pop("flushed", None)
    db_session.info.pop("after_commit", None)


event.listen(Session, "after_commit", _run_after_commit)  # every SQLModel session, however it was made
event.listen(Session, "after_rollback", _drop_after_commit)


@event.listens_for(Session, "after_flush")
def _mark_flushed(db_session, _context):
    db_session.info["flushed"] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_statement_write(state):
    """An UPDATE/DELETE/INSERT statement run through the session (e.g. a compare-and-set `update(...).where(...)`)
    changes the database without a flush; the request must still commit it."""
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info["flushed"] = True


def get_or_404(model, row_id):
    """The row of `model` with this primary key in the request's session, or a 404; an id outside the database's
    integer range is a 404 too (never an overflow). Each pillar's `access.py` loaders start here."""
    if row_id is None or not 0 < row_id <= MAX_INT:
        abort(404)
    return session().get(model, row_id) or abort(404)
