"""Upload → preview → confirm, the one flow of every importer (users, units, GIFT questions, workshop participants,
platform metrics).

1. `stage(raw, scope, preview_fn)`: the uploaded file is checked in full (the preview, with line-numbered problems).
   When it can be imported, it waits on the server under a token bound to the person and the importer (`scope`).
2. The page shows the preview and a confirm form carrying the token.
3. `take(token, scope)` gives the staged bytes back to the person who staged them (None once expired); the view
   applies them (checking everything again: the data may have changed) and `discard`s the file.

Staged files hold personal data (names, NIPs), so they live in the instance folder, never in `static/`, and are
removed when confirmed or once older than IMPORT_PREVIEW_HOURS (default 24): `purge_expired` runs whenever a file
is staged and from `flask --app portal fsck`.
"""

import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import abort, current_app
from flask_login import current_user

from portal.errors import DomainError

_SCOPE_RE = re.compile(r"[a-z0-9]{1,30}")
_SUFFIX = ".staged"


@dataclass
class Preview:
    """What an importer found in a file, before (preview) or after (apply) writing it."""

    rows: list = field(default_factory=list)  # one per importable record; each has an "action": create/update/same
    errors: list = field(default_factory=list)  # (line, message): problems that stop the whole import
    skipped: list = field(default_factory=list)  # records left out without stopping the import (line, name, reason)
    warnings: list = field(default_factory=list)  # (line, message): imported, but worth a look
    notes: list = field(default_factory=list)  # how the file was read, e.g. its encoding and delimiter

    @property
    def ok(self):
        return not self.errors

    @property
    def importable(self):
        return self.ok and bool(self.rows)

    def count(self, action):
        return sum(1 for row in self.rows if _action(row) == action)


def _action(row):
    return row["action"] if isinstance(row, dict) else getattr(row, "action", None)


@dataclass
class Staged:
    """The outcome of `stage`: the preview (or the reason the file could not be read) and the confirm token."""

    preview: Preview | None = None
    error: str | None = None
    token: str | None = None


def folder():
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _max_age_seconds():
    return current_app.config.get("IMPORT_PREVIEW_HOURS", 24) * 3600


def _token_re(scope):
    return re.compile(rf"{re.escape(scope)}-{current_user.id}-[0-9a-f]{{32}}")


def stage(raw, scope, preview_fn):
    """Preview `raw` with preview_fn(raw) and keep it for confirmation when it can be imported."""
    if not _SCOPE_RE.fullmatch(scope):
        raise ValueError(f"bad staging scope {scope!r}")
    try:
        preview = preview_fn(raw)
    except DomainError as error:
        return Staged(error=error.message)
    token = None
    if preview.importable:
        purge_expired()
        token = f"{scope}-{current_user.id}-{secrets.token_hex(16)}"
        target = folder() / f"{token}{_SUFFIX}"
        temporary = target.with_suffix(".part")
        temporary.write_bytes(raw)
        temporary.replace(target)  # never a half-written file under the final name
    return Staged(preview=preview, token=token)


def take(token, scope):
    """The bytes staged under `token` by the signed-in person for `scope`, or None once it has expired (or was used).
    A token that is not theirs or not of this importer is a bad request (400)."""
    if not token or not _token_re(scope).fullmatch(token):
        abort(400)
    path = folder() / f"{token}{_SUFFIX}"
    try:
        if time.time() - path.stat().st_mtime > _max_age_seconds():
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def read_staged(token):
    """The bytes of a staged file, for a job the confirmation queued (no person to check: the job's params are the
    server's own); None once removed."""
    if not token or not re.fullmatch(r"[a-z0-9]{1,30}-\d+-[0-9a-f]{32}", token):
        return None
    try:
        return (folder() / f"{token}{_SUFFIX}").read_bytes()
    except FileNotFoundError:
        return None


def discard(token):
    if token and re.fullmatch(r"[a-z0-9]{1,30}-\d+-[0-9a-f]{32}", token):
        (folder() / f"{token}{_SUFFIX}").unlink(missing_ok=True)


def apply_in_job(ctx, token, apply_fn):
    """The body of an import job: `apply_fn(session, actor, raw, progress)` on the staged file. `progress(message)`
    commits (a job's step), so an all-or-nothing importer tells it only before its first write; an importer that
    writes in batches calls `progress(message, done, total)` after each one, holding the write lock a batch at a
    time (it must then be idempotent: a re-run finds the written batches unchanged). Messages are in the language
    of the person who started the import. Returns the Preview; raises DomainError (the job fails) when the file is
    gone or no longer fits."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    raw = read_staged(token)
    if raw is None:
        raise DomainError(_("Berkas impor sudah tidak ada (kedaluwarsa). Unggah berkasnya lagi."))
    actor = ctx.actor
    # force_locale: never the request's locale lookup, which would touch the request's session (JOBS_IMMEDIATE)
    with force_locale(getattr(actor, "preferred_language", None) or "id"):
        ctx.step(0, 3, _("Memeriksa berkas…"))
        preview = apply_fn(ctx.session, actor, raw,
                           lambda message, done=1, total=3: ctx.step(done, total, message))
        if not preview.ok:
            ctx.session.rollback()
            line, message = preview.errors[0]
            raise DomainError(_("Impor dibatalkan, tidak ada yang disimpan: baris %(line)d: %(message)s",
                                line=line, message=message))
    discard(token)
    return preview


def is_expired(path, now=None):
    try:
        return (now or time.time()) - path.stat().st_mtime > _max_age_seconds()
    except FileNotFoundError:
        return False


def purge_expired(now=None):
    """Remove staged files (and leftovers of interrupted writes) older than the preview lifetime; returns how many."""
    now = now or time.time()
    removed = 0
    for path in list(folder().glob(f"*{_SUFFIX}")) + list(folder().glob("*.part")) + list(folder().glob("*.csv")) \
            + list(folder().glob("*.gift")):
        try:
            if now - path.stat().st_mtime > _max_age_seconds():
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
