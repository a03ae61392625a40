"""Exports too large for a request are built by the job worker and downloaded from the job's page.

A pillar registers each of its tables with `@table("name")`: `build(session, **params) -> Table`, params JSON-able
(ids and scope paths, checked by the view that asked). A view answers an export with `download_or_offer`: the file
at once when the rows to read (`estimate`, counted cheaply) fit in a request (EXPORT_JOB_MIN_ROWS), else a page
that offers to prepare it; its button POSTs to the same address, where `start` queues the job and the view sends
the person to the job's progress page. The worker reads the table in a read transaction of its own (no write lock
while it reads), writes the file under INSTANCE_PATH/exports/ and the job's page links to `/jobs/<id>/berkas`,
which only the person who started it may open. Files are removed after EXPORT_KEEP_HOURS (`flask purge`, and
whenever an export is written).
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import db, exports, jobs, uploads
from portal.htmx import render
from portal.i18n import ngettext

JOB_KIND = "export.table"
FORMATS = {"csv": "text/csv", "xlsx": exports.XLSX_MIMETYPE}
_tables = {}  # name -> build(session, **params) -> Table


@dataclass(frozen=True)
class Table:
    columns: list
    rows: list
    filename: str  # without the extension
    sheet_title: str = "Data"


def table(name):
    """Register `build(session, **params) -> Table` as the export `name`."""
    def register(build):
        _tables[name] = build
        return build
    return register


def download_or_offer(session, name, fmt, estimate, back_url, **params):
    """The file now when about `estimate` rows are read, else the page offering to prepare it in the background
    (with a link back to `back_url`, the report it came from)."""
    if estimate <= current_app.config["EXPORT_JOB_MIN_ROWS"]:
        made = _tables[name](session, **params)
        return exports.download(made.columns, made.rows, fmt, made.filename, sheet_title=made.sheet_title)
    return render("export_offer.html", rows=estimate, fmt=fmt, back_url=back_url)


def start(session, actor, name, fmt, **params):
    """Queue the export `name` as a job of `actor`; returns the Job row."""
    if name not in _tables or fmt not in FORMATS:
        raise KeyError(name)
    return jobs.enqueue(session, JOB_KIND, actor, source=name, fmt=fmt, params=params)


def folder():
    path = Path(current_app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def purge_expired(now=None):
    """Remove exported files (and leftovers of interrupted writes) older than EXPORT_KEEP_HOURS; returns how many."""
    return uploads.remove_older_than(list(folder().iterdir()), current_app.config["EXPORT_KEEP_HOURS"] * 3600, now)


def _describe(result):
    return ngettext("Berkas siap: %(num)s baris.", "Berkas siap: %(num)s baris.", result.get("rows", 0))


def _next_url(result, _params):
    return url_for("jobs.download", job_id=result["job_id"])


@jobs.job(JOB_KIND, title=_l("Menyiapkan berkas unduhan"), describe=_describe, next_url=_next_url,
          next_label=_l("Unduh berkas"))
def _build_file(ctx, source, fmt, params):
    build = _tables[source]
    with ctx.in_starters_language():
        ctx.step(0, 3, _("Membaca data…"))  # commits: the job's transaction holds no write lock while it reads
        with db.unit_of_work(write=False) as reading:
            made = build(reading, **params)
        ctx.step(1, 3, ngettext("Menulis %(num)s baris…", "Menulis %(num)s baris…", len(made.rows)))
        body = exports.to_xlsx(made.columns, made.rows, made.sheet_title) if fmt == "xlsx" \
            else exports.to_csv(made.columns, made.rows)
    purge_expired()
    target = folder() / f"{ctx.job.id}-{secrets.token_hex(8)}.{fmt}"
    partial = target.with_suffix(".part")
    partial.write_bytes(body)
    partial.replace(target)  # never a half-written file under the final name
    return {"job_id": ctx.job.id, "file": target.name, "download": f"{made.filename}.{fmt}",
            "rows": len(made.rows)}


def finished_file(row):
    """(path, download name, mimetype) of a finished export job, or None (not an export, not done, or removed)."""
    if row.kind != JOB_KIND or row.status != "done":
        return None
    result = jobs.result_of(row) or {}
    name = Path(str(result.get("file", ""))).name
    path = folder() / name
    if not name or not path.is_file():
        return None
    fmt = path.suffix.lstrip(".")
    return path, result.get("download") or name, FORMATS.get(fmt, "application/octet-stream")
