"""Row loaders for accounts and units: the row, or 404. Who may reach them is decided by the endpoint's permission
(admin.users / admin.units); these rows have no finer rule."""

from flask import abort
from flask_login import current_user

from portal import db
from portal.models import Unit, User
from portal.permissions import unit_in_scope


def get_user_or_404(user_id):
    return db.session().get(User, user_id) or abort(404)


def get_unit_or_404(unit_id):
    return db.session().get(Unit, unit_id) or abort(404)


def get_report_unit_or_403(unit_id):
    """The unit a report is narrowed to (None: no unit asked for); 403 outside the user's report scope."""
    if not unit_id:
        return None
    unit = db.get_or_404(Unit, unit_id)
    if not unit_in_scope(current_user, unit):
        abort(403)
    return unit
