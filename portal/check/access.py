"""Row loaders of the checker: a saved check is its owner's only (anyone else gets 404: it does not exist for them)."""

from flask import abort
from flask_login import current_user

from portal import db
from portal.models import SavedCheck


def get_saved_or_404(saved_id, session=None):
    saved = (session or db.session()).get(SavedCheck, saved_id)
    if saved is None or saved.user_id != current_user.id:
        abort(404)
    return saved
