"""Row loader: a notification is its recipient's only (404 for anyone else)."""

from flask import abort
from flask_login import current_user

from portal import db
from portal.models import Notification


def get_notification_or_404(notification_id, session=None):
    row = (session or db.session()).get(Notification, notification_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    return row
