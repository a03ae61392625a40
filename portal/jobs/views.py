"""The page of one background job: progress while it runs (htmx polling, or a plain refresh), then its outcome."""

from flask import Blueprint, abort, send_file, url_for

from portal import export_jobs, jobs
from portal.htmx import render
from portal.jobs.access import get_job_or_404, get_own_job_or_404
from portal.permissions import requires

bp = Blueprint("jobs", __name__)


@bp.get("/<int:job_id>")
@requires("job.view")
def status(job_id):
    row = get_job_or_404(job_id)
    kind = jobs.KINDS.get(row.kind)
    result = jobs.result_of(row) if row.status == "done" else None  # while running: its checkpoint, not a result
    summary = kind.describe(result) if (kind and kind.describe and result is not None) else None
    tone = "success"
    if isinstance(summary, tuple):  # (text, tone): a finished job can still have found problems to show
        summary, tone = summary
    next_url = kind.next_url(result, jobs.params_of(row)) if (kind and kind.next_url and row.status == "done") \
        else None
    return render("jobs/status.html", block="status", job=row, title=kind.title if kind else row.kind,
                  summary=summary, tone=tone, next_url=next_url, next_label=kind.next_label if kind else None,
                  poll_url=url_for("jobs.status", job_id=row.id),
                  running=row.status in ("queued", "running"))


@bp.get("/<int:job_id>/berkas")
@requires("job.view")
def download(job_id):
    """The file a finished export job prepared: for the person who started it only, while it is kept."""
    found = export_jobs.finished_file(get_own_job_or_404(job_id))
    if found is None:
        abort(404)
    path, name, mimetype = found
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
