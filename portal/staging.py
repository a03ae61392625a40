"""Upload → preview → confirm, the one flow of every importer (users, units, GIFT questions, workshop participants,
platform metrics).

1. `stage(raw, scope, preview_fn)`: the uploaded file is checked in full (the preview, with line-numbered problems).
   When it can be imported, it waits on the server under a token bound to the person and the importer (`scope`).
2. The page shows the preview and a confirm form carrying the token.
3. `take(token, scope)` gives the staged bytes back to the person who staged them (None once expired); the view
   applies them (checking everything again: the data may have changed) and `discard`s the file.

Large files leave the request at both steps (issues 10, 11, 15): `is_large(raw)` uploads are kept as they are and
checked by a job (`queue_preview`, `preview_in_job`) whose page leads back to the preview (`preview_of_job`), and a
large confirmed file is written by a job (`apply_in_job`): the whole file is checked first in a read, then its rows
are written in batches, each committed with the job's progress and checkpoint. An importer describes its check and
its batch write as a `Batched`; `apply_now` is the small, all-or-nothing path of the same importer.

Staged files hold personal data (names, NIPs), so they live in the instance folder, never in `static/`, and are
removed when confirmed or once older than IMPORT_PREVIEW_HOURS (default 24): `purge_expired` runs whenever a file
is staged and from `flask --app portal fsck`.
"""

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import abort, current_app
from flask_login import current_user

from portal import tabular, uploads
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
    token = _keep(raw, scope) if preview.importable else None
    return Staged(preview=preview, token=token)


def _keep(raw, scope):
    """Write `raw` under a new token of the signed-in person and `scope`; returns the token."""
    if not _SCOPE_RE.fullmatch(scope):
        raise ValueError(f"bad staging scope {scope!r}")
    purge_expired()
    token = f"{scope}-{current_user.id}-{secrets.token_hex(16)}"
    target = folder() / f"{token}{_SUFFIX}"
    temporary = target.with_suffix(".part")
    temporary.write_bytes(raw)
    temporary.replace(target)  # never a half-written file under the final name
    return token


# --- large files: the check (preview) runs in the job worker ---------------------------------------------------------

def is_large(raw):
    """True for a file too large to check within the request (IMPORT_PREVIEW_JOB_MIN_ROWS lines or
    IMPORT_PREVIEW_JOB_MIN_BYTES): its preview is made by a job, with a progress page."""
    config = current_app.config
    return len(raw) > config["IMPORT_PREVIEW_JOB_MIN_BYTES"] or \
        tabular.estimate_rows(raw) > config["IMPORT_PREVIEW_JOB_MIN_ROWS"]


def queue_preview(session, raw, scope, kind, **params):
    """Keep `raw` and queue the job `kind` (registered with `preview_job`) that checks it; returns the Job row, whose
    page leads to the preview (and from there to the confirm step) once it is done."""
    from portal import jobs

    token = _keep(raw, scope)
    return jobs.enqueue(session, kind, current_user, token=token, scope=scope, **params)


def preview_in_job(ctx, token, check):
    """The body of a preview job: `check(session, actor, raw)` on the staged file in a read (no write lock). The
    file stays staged when it can be imported (the preview page carries its token) and is removed otherwise.
    Returns the JSON-able result the preview page shows (`preview_of_job`)."""
    from flask_babel import gettext as _

    from portal import db

    raw = staged_for_job(token)
    actor = ctx.actor
    with ctx.in_starters_language():
        ctx.step(1, 10, _("Membaca dan memeriksa berkas…"))
        with db.reading(ctx.session):
            try:
                preview = check(ctx.session, actor, raw)
            except DomainError:  # unreadable: the job fails and its page says why
                discard(token)
                raise
    if not preview.importable:
        discard(token)
    return {"job": ctx.job.id, "token": token if preview.importable else None, "preview": _summary(preview)}


PREVIEW_ROWS = 200  # rows a preview page shows
PREVIEW_ERRORS = 1000  # problems a preview page lists


def _summary(preview):
    counts = {}
    for row in preview.rows:
        counts[_action(row)] = counts.get(_action(row), 0) + 1
    return {"rows": [_plain(row) for row in preview.rows[:PREVIEW_ROWS]], "row_total": len(preview.rows),
            "errors": [list(error) for error in preview.errors[:PREVIEW_ERRORS]], "error_total": len(preview.errors),
            "skipped": [list(item) for item in preview.skipped[:PREVIEW_ERRORS]],
            "warnings": [list(item) for item in preview.warnings[:PREVIEW_ERRORS]],
            "notes": [str(note) for note in preview.notes], "counts": counts}


def _plain(value):
    """A preview row as JSON can hold it (sets become sorted lists, lazy strings text)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class Head:
    """The first items of a longer list, as a preview page uses them: iterating and slicing give the items kept,
    `len()` (Jinja's `length`) and truth the full count."""

    def __init__(self, items, total):
        self.items, self.total = list(items), total

    def __len__(self):
        return self.total

    def __bool__(self):
        return self.total > 0

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, index):
        return self.items[index]


class StoredPreview(Preview):
    """A Preview made by a job, as its page shows it (the first PREVIEW_ROWS rows, the counts of all)."""

    def __init__(self, data):
        super().__init__(rows=Head(data["rows"], data["row_total"]),
                         errors=Head([tuple(e) for e in data["errors"]], data["error_total"]),
                         skipped=[tuple(item) for item in data["skipped"]],
                         warnings=[tuple(item) for item in data["warnings"]], notes=list(data["notes"]))
        self.counts = data["counts"]

    def count(self, action):
        return self.counts.get(action, 0)


def preview_of_job(row, scope):
    """What a finished preview job (already loaded through the jobs' row loader: the person's own) found, for the
    import page of `scope`: a Staged (preview and confirm token), or a 404 for another importer's job."""
    from flask_babel import gettext as _

    from portal import jobs

    params, result = jobs.params_of(row), jobs.result_of(row)
    if params.get("scope") != scope or row.status != "done" or not result:
        abort(404)
    token = result.get("token")
    if token and read_staged(token) is None:
        return Staged(error=_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."))
    return Staged(preview=StoredPreview(result["preview"]), token=token)


def describe_preview(result):
    """What a finished preview job says on its page, and in which tone (problems found: a warning)."""
    from portal.i18n import ngettext

    summary = result["preview"]
    if summary["error_total"]:
        return ngettext("%(num)s masalah ditemukan — tidak ada yang disimpan. Lanjutkan untuk melihat barisnya.",
                        "%(num)s masalah ditemukan — tidak ada yang disimpan. Lanjutkan untuk melihat barisnya.",
                        summary["error_total"]), "warning"
    return ngettext("Pemeriksaan selesai: %(num)s baris siap diimpor. Lanjutkan ke pratinjau untuk mengimpornya.",
                    "Pemeriksaan selesai: %(num)s baris siap diimpor. Lanjutkan ke pratinjau untuk mengimpornya.",
                    summary["row_total"])


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


def staged_for_job(token):
    """The staged file's bytes for an import job; DomainError (the job fails with this message) once it is gone."""
    from flask_babel import gettext as _

    raw = read_staged(token)
    if raw is None:
        raise DomainError(_("Berkas impor sudah tidak ada (kedaluwarsa). Unggah berkasnya lagi."))
    return raw


def discard(token):
    if token and re.fullmatch(r"[a-z0-9]{1,30}-\d+-[0-9a-f]{32}", token):
        (folder() / f"{token}{_SUFFIX}").unlink(missing_ok=True)


@dataclass(frozen=True)
class Batched:
    """How an importer writes: `check(session, actor, raw) -> Preview` reads and never writes; `write(session, actor,
    rows)` writes some of its create/update rows (an upsert by the rows' natural key: running it again for rows
    already written changes nothing); `finish(session, actor, counts)` runs once after the last batch (the import's
    one audit entry, anything that needs every row written). `by_line`: rows are written in file order and a resumed
    job skips the lines an earlier attempt saved (for importers whose check refuses what is already there)."""

    check: Callable
    write: Callable
    finish: Callable
    by_line: bool = False
    order: Callable | None = None  # rows to write -> the same rows in the order they must be written


def apply_now(session, actor, raw, importer):
    """The small, in-request path: check, then write every row in the caller's transaction (all or nothing: a Preview
    with errors means the caller rolls back)."""
    preview = importer.check(session, actor, raw)
    if preview.ok:
        rows = _to_write(preview, importer)
        if rows:
            importer.write(session, actor, rows)
            importer.finish(session, actor, {"created": preview.count("create"),
                                             "updated": preview.count("update")})
            session.flush()
            session.expire_all()  # bulk statements bypass the identity map (the actor may be among the updated)
    return preview


def _to_write(preview, importer=None):
    rows = [row for row in preview.rows if _action(row) in ("create", "update")]
    return importer.order(rows) if importer is not None and importer.order else rows


def apply_in_job(ctx, token, importer, batch_rows=None):
    """The body of an import job: the whole staged file is checked first (a read: no write lock), then its rows are
    written in batches of `batch_rows` (IMPORT_BATCH_ROWS), each committed by `ctx.step`, so the write lock is held
    for one batch at a time (and on SQLite left free for IMPORT_BATCH_PAUSE_MS between two) and the job page shows
    how far it got. A job run again after dying mid-way finishes the
    rest: what earlier batches saved is found again (upsert by natural key) or skipped by line (`by_line`), counted
    from the checkpoint saved with each batch. Messages are in the language of the person who started the import.
    Returns the Preview (its rows: every importable row, also those saved by an earlier attempt) and the counts;
    raises DomainError (the job fails) when the file is gone or no longer fits."""
    from flask_babel import gettext as _

    from portal import db
    from portal.formatting import fmt_number
    from portal.i18n import ngettext

    raw = staged_for_job(token)
    actor = ctx.actor
    size = batch_rows or current_app.config.get("IMPORT_BATCH_ROWS", 500)
    # SQLite's lock is not a queue: a writer waiting for it polls (every 100 ms once it has waited a while), so the
    # job leaves a gap between batches; PostgreSQL's row locks do not stop other writers.
    pause = current_app.config.get("IMPORT_BATCH_PAUSE_MS", 100) / 1000 \
        if ctx.session.get_bind().dialect.name == "sqlite" else 0
    saved = ctx.checkpoint() or {"created": 0, "updated": 0, "line": 0}
    with ctx.in_starters_language():
        ctx.step(0, 1, _("Memeriksa berkas…"))
        with db.reading(ctx.session):
            preview = importer.check(ctx.session, actor, raw)
        if importer.by_line and saved["line"]:
            preview.errors = [(line, message) for line, message in preview.errors if line > saved["line"]]
            rows = [row for row in preview.rows if row["line"] > saved["line"]]
        else:
            rows = _to_write(preview, importer)
        if not preview.ok:
            line, message = preview.errors[0]
            if saved["created"] or saved["updated"]:
                raise DomainError(ngettext(
                    "Impor berhenti: %(num)s baris sudah tersimpan; baris %(line)d: %(message)s",
                    "Impor berhenti: %(num)s baris sudah tersimpan; baris %(line)d: %(message)s",
                    saved["created"] + saved["updated"], line=line, message=message))
            raise DomainError(_("Impor dibatalkan, tidak ada yang disimpan: baris %(line)d: %(message)s",
                                line=line, message=message))
        total = len(rows)
        for start in range(0, total, size):
            batch = rows[start:start + size]
            importer.write(ctx.session, actor, batch)
            for row in batch:
                key = "updated" if _action(row) == "update" else "created"
                saved[key] += 1
            saved["line"] = max(saved["line"], max(row["line"] for row in batch))
            ctx.checkpoint(saved)
            done = start + len(batch)
            ctx.step(done, total, ngettext("%(num)s dari %(total)s baris tersimpan…",
                                           "%(num)s dari %(total)s baris tersimpan…", done,
                                           total=fmt_number(total)))
            if done < total and pause:
                time.sleep(pause)  # SQLite: a writer waiting in its busy handler gets the lock between two batches
        if saved["created"] or saved["updated"]:
            importer.finish(ctx.session, actor, {"created": saved["created"], "updated": saved["updated"]})
            ctx.session.flush()
    ctx.session.expire_all()
    db.after_commit(ctx.session, discard, token)
    return preview, saved


def apply_self_batched_in_job(ctx, token, apply_fn):
    """The body of an import job whose importer batches its own writes (the content metrics):
    `apply_fn(session, actor, raw, progress)` on the staged file; it calls `progress(message, done, total)` after each
    batch (a job step: it commits), so it must be idempotent (a re-run finds the written batches unchanged). Messages
    are in the language of the person who started the import. Returns the Preview; raises DomainError (the job
    fails) when the file is gone or no longer fits."""
    from flask_babel import gettext as _

    raw = staged_for_job(token)
    actor = ctx.actor
    with ctx.in_starters_language():
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
    kept = [path for pattern in (f"*{_SUFFIX}", "*.part", "*.csv", "*.gift") for path in folder().glob(pattern)]
    return uploads.remove_older_than(kept, _max_age_seconds(), now)
