"""Backup and restore of a whole instance: the database and the uploaded files, with a manifest of checksums.

`flask --app portal backup DIR` writes DIR/<timestamp>/ with
- `database.sqlite3` (SQLite's online backup API: consistent while the portal runs) or `database.pgdump`
  (pg_dump's custom format) for PostgreSQL;
- `uploads/`, a copy of UPLOAD_DIR;
- `manifest.json`: the schema revision, the database kind, and the size and SHA-256 of every file.

`flask --app portal restore DIR/<timestamp>` checks every checksum and the schema revision first and refuses a
damaged or mismatched backup before touching anything; then it replaces the database and the uploads.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import make_url, text

MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    """A backup cannot be made or restored; the message says why."""


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _revision(engine):
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # noqa: BLE001 - a database without migrations has no revision
            return None


def _code_head():
    from alembic.script import ScriptDirectory

    from portal.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def _pg_args(url):
    url = make_url(url)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ, PGPASSWORD=url.password or "")
    return args, url.database, env


def backup(engine, upload_dir, target_dir, now=None):
    """Write a backup under target_dir; returns its folder."""
    now = now or datetime.now(UTC)
    folder = Path(target_dir) / now.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=False)
    kind = engine.dialect.name
    if kind == "sqlite":
        database = folder / "database.sqlite3"
        source = sqlite3.connect(make_url(str(engine.url)).database)
        copy = sqlite3.connect(database)
        try:
            source.backup(copy)  # consistent even while others write
        finally:
            copy.close()
            source.close()
    else:
        database = folder / "database.pgdump"
        args, name, env = _pg_args(engine.url.render_as_string(hide_password=False))
        result = subprocess.run(["pg_dump", *args, "--format=custom", "--no-owner", "-f", str(database), name],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    uploads = Path(upload_dir)
    if uploads.is_dir():
        shutil.copytree(uploads, folder / "uploads", ignore=shutil.ignore_patterns("*.part", "*.tmp"))
    else:
        (folder / "uploads").mkdir()
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        files[relative] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    manifest = {"format": 1, "created_at": now.isoformat(), "database": kind, "revision": _revision(engine),
                "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return folder


def verify(folder):
    """The manifest of a backup folder after checking every file against it; BackupError when anything is off."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"no readable manifest in {folder}: {error}") from None
    listed = set(manifest.get("files", {}))
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    if present - listed:
        raise BackupError(f"files not in the manifest: {', '.join(sorted(present - listed)[:5])}")
    for relative, expected in manifest["files"].items():
        path = folder / relative
        if not path.is_file():
            raise BackupError(f"missing file: {relative}")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"damaged file (checksum differs): {relative}")
    return manifest


def restore(engine, upload_dir, folder):
    """Replace the database and the uploads with the backup in `folder` (verified first)."""
    folder = Path(folder)
    manifest = verify(folder)
    kind = engine.dialect.name
    if manifest["database"] != kind:
        raise BackupError(f"the backup is of a {manifest['database']} database, this portal uses {kind}")
    head = _code_head()
    if manifest.get("revision") != head:
        raise BackupError(f"the backup's schema revision {manifest.get('revision')} is not this version's "
                          f"{head}: restore it with the portal version that made it, then upgrade")
    if kind == "sqlite":
        target = make_url(str(engine.url)).database
        engine.dispose()
        source = sqlite3.connect(folder / "database.sqlite3")
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # replaces every page of the target, in one step
        finally:
            copy.close()
            source.close()
    else:
        args, name, env = _pg_args(engine.url.render_as_string(hide_password=False))
        engine.dispose()
        result = subprocess.run(["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                 "-d", name, str(folder / "database.pgdump")], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    uploads = Path(upload_dir)
    staging = uploads.with_name(uploads.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(folder / "uploads", staging)
    old = uploads.with_name(uploads.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if uploads.exists():
        uploads.rename(old)
    staging.rename(uploads)
    shutil.rmtree(old, ignore_errors=True)
    return manifest
