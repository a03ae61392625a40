"""Row loaders for accounts and units: the row, or 404. Who may reach them is decided by the endpoint's permission
(admin.users / admin.units); these rows have no finer rule."""

from flask import abort

from portal import db
from portal.models import Unit, User


def get_user_or_404(user_id):
    return db.session().get(User, user_id) or abort(404)


def get_unit_or_404(unit_id):
    return db.session().get(Unit, unit_id) or abort(404)
