"""Backup → wipe → restore gives identical data (every table, every file); damaged or mismatched backups are
refused; fsck finds orphans both ways and repairs what can be repaired."""

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlmodel import Session, SQLModel

from portal import create_app, migrate
from tests import factories


def _pg_reachable():
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _populate(app):
    with app.app_context(), Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        factories.make_handbook(session)
        photo = factories.make_toolkit_item(session, kind="photo", app=app)
        factories.make_toolkit_item(session, kind="regulation", app=app,
                                    files={"pdf": factories.pdf_bytes()})
        session.commit()
        return photo.id


def _snapshot(app):
    """Every row of every table (sorted) and every uploaded file's bytes."""
    tables = {}
    with app.extensions["db_engine"].connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    root = Path(app.config["UPLOAD_DIR"])
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return tables, files


def _app(tmp_path, url):
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "k" * 40,
                       "UPLOAD_DIR": str(tmp_path / "uploads"), "TESTING": True})


def _round_trip(tmp_path, url, wipe):
    app = _app(tmp_path, url)
    migrate.upgrade(app.extensions["db_engine"])
    _populate(app)
    before = _snapshot(app)
    assert before[1], "the instance has uploaded files"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "backups").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["revision"] and "uploads/" + next(iter(before[1])) in manifest["files"]

    wipe(app)
    shutil.rmtree(app.config["UPLOAD_DIR"])
    result = runner.invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code == 0, result.output
    fresh = _app(tmp_path, url)
    assert _snapshot(fresh) == before
    fresh.extensions["db_engine"].dispose()
    app.extensions["db_engine"].dispose()
    return folder


def test_sqlite_round_trip_and_refusals(tmp_path):
    url = f"sqlite:///{tmp_path / 'portal.db'}"

    def wipe(app):
        app.extensions["db_engine"].dispose()
        os.remove(tmp_path / "portal.db")

    folder = _round_trip(tmp_path, url, wipe)
    app = _app(tmp_path, url)
    runner = app.test_cli_runner()
    # A damaged file: refused before anything is touched.
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    some_upload = next(p for p in (damaged / "uploads").rglob("*") if p.is_file())
    some_upload.write_bytes(some_upload.read_bytes()[:-1] + b"x")
    result = runner.invoke(args=["restore", str(damaged), "--yes"])
    assert result.exit_code != 0 and "damaged file" in result.output
    # Another schema revision: refused.
    other = tmp_path / "other-revision"
    shutil.copytree(folder, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["revision"] = "0001"
    (other / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(args=["restore", str(other), "--yes"])
    assert result.exit_code != 0 and "schema revision" in result.output
    # No manifest at all.
    (other / "manifest.json").unlink()
    assert "no readable manifest" in runner.invoke(args=["restore", str(other), "--yes"]).output
    app.extensions["db_engine"].dispose()


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="runs in the SQLite pass of the suite")
@pytest.mark.skipif(not _pg_reachable(), reason="PostgreSQL is not reachable on 127.0.0.1:5432")
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed")
def test_postgresql_round_trip(tmp_path):
    name = f"backup_{os.getpid()}"
    server = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def wipe(app):
        engine = app.extensions["db_engine"]
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    try:
        _round_trip(tmp_path, url, wipe)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_fsck_finds_orphans_both_ways_and_repairs(app, session, tmp_path):
    photo = factories.make_toolkit_item(session, kind="photo", app=app)
    session.commit()
    root = Path(app.config["UPLOAD_DIR"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["fsck"]).output.strip() == "clean"
    orphan = root / "toolkit" / "ab" / ("ab" * 32 + ".jpg")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"no record names me")
    leftover = root / "toolkit" / "ab" / "tmpx1y2"
    leftover.write_bytes(b"half")
    from portal.models import ToolkitPhoto

    stored = session.get(ToolkitPhoto, photo.id).path
    (root / stored).rename(root / (stored + ".moved"))
    result = runner.invoke(args=["fsck"])
    assert result.exit_code == 1
    assert f"orphan file: toolkit/ab/{'ab' * 32}.jpg" in result.output
    assert f"missing file: {stored} (toolkit photo)" in result.output
    assert "leftover of an interrupted write: toolkit/ab/tmpx1y2" in result.output
    result = runner.invoke(args=["fsck", "--repair"])
    assert not orphan.exists() and not leftover.exists()
    assert "missing files need a restore" in result.output
