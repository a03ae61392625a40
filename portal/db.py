"""Engine and per-request session. SQLite gets WAL, foreign keys and a busy timeout."""

from flask import current_app, g
from sqlalchemy import event
from sqlmodel import Session, create_engine

# Ids and numbers from a URL must fit an INTEGER column (PostgreSQL's is 32-bit); larger ones would crash the query.
MAX_INT = 2**31 - 1


def make_engine(url):
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "connect")
        def _sqlite_manual_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):
            # Take the write lock when the transaction starts instead of upgrading half-way, which SQLite
            # refuses with "database is locked" when two writers meet. Readers in WAL mode still read freely
            # outside transactions; requests are short, so the serialisation costs little.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def init_app(app):
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def engine():
    return current_app.extensions["db_engine"]


def session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc):
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def is_sqlite():
    return engine().dialect.name == "sqlite"
