"""Row loader of the jobs: a job is seen by the person who started it (and admins); to anyone else it does not
exist."""

from flask import abort
from flask_login import current_user

from portal import db
from portal.models import Job
from portal.permissions import ADMIN


def get_job_or_404(job_id):
    row = db.session().get(Job, job_id)
    if row is None or (row.created_by_id != current_user.id and ADMIN not in current_user.roles):
        abort(404)
    return row


def get_own_job_or_404(job_id):
    """A job the signed-in person started (an admin does not continue someone else's import)."""
    row = get_job_or_404(job_id)
    if row.created_by_id != current_user.id:
        abort(404)
    return row
