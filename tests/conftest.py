"""Shared fixtures: an app on a fresh database per test, a client, `login_as(role)`, htmx headers.

SQLite by default (a new file per test). With TEST_DATABASE_URL set (PostgreSQL), the schema is created once per run
and every table is emptied between tests.
"""

import atexit
import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from flask import request_started
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from portal import create_app
from portal import db as portal_db
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
HX = {"HX-Request": "true"}
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
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


def _database_url(tmp_path):
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"


def _prepare_schema(engine):
    global _pg_schema_ready
    if engine.dialect.name == "sqlite":
        SQLModel.metadata.create_all(engine)
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
        "DATABASE_URL": _database_url(tmp_path),
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


@pytest.fixture
def session(app):
    """A session on the app's database for arranging and checking data.

    The app's requests run in the test's thread; on SQLite every transaction takes the write lock (BEGIN IMMEDIATE),
    so a read transaction left open here would make the next request wait for it. It is therefore ended (rolled
    back, which also expires loaded objects so they show the request's changes) when a request starts, unless it
    holds unsaved changes: commit those before a request.
    """
    with Session(app.extensions["db_engine"], expire_on_commit=False) as db_session:

        def end_read_transaction(_sender, **_extra):
            if db_session.in_transaction() and not (db_session.new or db_session.dirty or db_session.deleted):
                db_session.rollback()

        request_started.connect(end_read_transaction, app, weak=False)
        try:
            yield db_session
        finally:
            request_started.disconnect(end_read_transaction, app)


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
