"""The page of one background job: progress while it runs (htmx polling, or a plain refresh), then its outcome."""

from flask import Blueprint, abort, url_for
from flask_login import current_user

from portal import db, jobs
from portal.htmx import render
from portal.models import Job
from portal.permissions import ADMIN, requires

bp = Blueprint("jobs", __name__)


def get_job_or_404(job_id):
    """A job is seen by the person who started it (and admins); to anyone else it does not exist."""
    row = db.session().get(Job, job_id)
    if row is None or (row.created_by_id != current_user.id and ADMIN not in current_user.roles):
        abort(404)
    return row


@bp.get("/<int:job_id>")
@requires("job.view")
def status(job_id):
    row = get_job_or_404(job_id)
    kind = jobs.KINDS.get(row.kind)
    result = jobs.result_of(row) if row.status == "done" else None  # while running: its checkpoint, not a result
    summary = kind.describe(result) if (kind and kind.describe and result is not None) else None
    next_url = kind.next_url(result, jobs.params_of(row)) if (kind and kind.next_url and row.status == "done") \
        else None
    return render("jobs/status.html", block="status", job=row, title=kind.title if kind else row.kind,
                  summary=summary, next_url=next_url, poll_url=url_for("jobs.status", job_id=row.id),
                  running=row.status in ("queued", "running"))
