"""Who may do what with which row of the content pillar, and the row loaders of its views.

The endpoint's permission (portal/permissions.py) decides who may reach a page at all; these decide which rows:

- central humas (admins, humas of the Biro Hubungan Masyarakat) manage every account and plan for every unit, and
  publish key messages;
- a humas manages the accounts of their own unit and its sub-units and plans for them;
- a pengelola named on an account plans posts for that account;
- a supervisor approves the posts of their unit and its sub-units, central humas every post; nobody approves a post
  they created or submitted;
- everyone sees the shared calendar (submitted, approved, published posts); drafts and ideas only those who may plan
  for, or approve in, the post's unit.

Loaders return the row or abort (404, or 403 when the row exists but is not the user's to act on).
"""

from flask import abort
from flask_login import current_user
from sqlmodel import select

from portal import db
from portal.models import (
    ContentAccount,
    ContentAccountManager,
    ContentPillar,
    ContentPost,
    ContentPostAccount,
    KeyMessage,
    Unit,
)
from portal.models.content import SHARED_STATUSES
from portal.permissions import ADMIN, HUMAS, SUPERVISOR, can, is_central_humas


class Scope:
    """What one user may do in the content pillar, computed once per request (a few small queries)."""

    def __init__(self, session, user):
        self.user = user
        self.central = is_central_humas(user, session)
        self.humas_path = user.unit.path if HUMAS in user.roles and user.unit is not None else None
        self.supervisor_path = user.unit.path if SUPERVISOR in user.roles and user.unit is not None else None
        self.managed_account_ids = set(session.exec(select(ContentAccountManager.account_id).where(
            ContentAccountManager.user_id == user.id)).all())
        self._unit_paths = {}
        self._session = session

    def unit_path(self, unit_id):
        if unit_id not in self._unit_paths:
            unit = self._session.get(Unit, unit_id)
            self._unit_paths[unit_id] = unit.path if unit is not None else None
        return self._unit_paths[unit_id]

    def manages_unit(self, unit_id):
        """May manage the unit's accounts (and plan for all of them)."""
        if self.central:
            return True
        path = self.unit_path(unit_id)
        return bool(self.humas_path and path and path.startswith(self.humas_path))

    def manages_account(self, account):
        return can(self.user, "content.accounts") and self.manages_unit(account.unit_id)

    def plans_for(self, account):
        return self.manages_unit(account.unit_id) or account.id in self.managed_account_ids

    def plans_in_unit(self, unit_id, account_ids=()):
        return self.manages_unit(unit_id) or bool(self.managed_account_ids & set(account_ids))

    def approves_in_unit(self, unit_id):
        if self.central:
            return True
        path = self.unit_path(unit_id)
        return bool(self.supervisor_path and path and path.startswith(self.supervisor_path))

    def sees_drafts_of(self, unit_id, account_ids=()):
        return self.plans_in_unit(unit_id, account_ids) or self.approves_in_unit(unit_id)

    @property
    def plans_anything(self):
        return self.central or bool(self.humas_path) or bool(self.managed_account_ids)


def scope(session=None, user=None):
    """The signed-in user's Scope, cached on the request."""
    from flask import g

    session = session or db.session()
    user = user or current_user
    cached = g.get("content_scope")
    if cached is None or cached.user is not user:
        cached = g.content_scope = Scope(session, user)
    return cached


def post_account_ids(session, post_id):
    return list(session.exec(select(ContentPostAccount.account_id).where(
        ContentPostAccount.post_id == post_id)).all())


def can_see_post(session, user_scope, post):
    if post.status in SHARED_STATUSES:
        return True
    return user_scope.sees_drafts_of(post.unit_id, post_account_ids(session, post.id))


def can_edit_post(session, user_scope, post):
    return user_scope.plans_in_unit(post.unit_id, post_account_ids(session, post.id))


def approval_problem(user_scope, post):
    """None when the user may approve or reject the post now, else the reason (shown on the post's page)."""
    from flask_babel import gettext as _

    if post.status != "diajukan":
        return _("Hanya pos berstatus diajukan yang dapat disetujui atau ditolak.")
    if not can(user_scope.user, "content.approve") or not user_scope.approves_in_unit(post.unit_id):
        return _("Persetujuan diberikan oleh atasan unit pemilik pos atau humas pusat.")
    if user_scope.user.id in {post.created_by_id, post.submitted_by_id}:
        return _("Anda tidak dapat menyetujui rencana yang Anda buat atau ajukan sendiri.")
    return None


def reviewer_ids(session, unit_id, supervisors=True):
    """Whom a submission tells: central humas (humas of the Biro Hubungan Masyarakat and its sub-units) and, for a
    post (supervisors=True), the supervisors of its unit and of the units above it."""
    from portal.models import User, UserRole
    from portal.permissions import central_humas_ids

    ids = central_humas_ids(session)
    path = session.exec(select(Unit.path).where(Unit.id == unit_id)).first() if supervisors else None
    above = [int(part) for part in (path or "").strip("/").split("/") if part.isdigit()]
    if above:
        ids |= set(session.exec(select(User.id).join(UserRole, UserRole.user_id == User.id)
                                .where(UserRole.role == SUPERVISOR, User.active, User.unit_id.in_(above))).all())
    return sorted(ids)


def get_account_or_404(account_id):
    return db.get_or_404(ContentAccount, account_id)


def get_managed_account_or_403(account_id):
    account = db.get_or_404(ContentAccount, account_id)
    if not scope().manages_account(account):
        abort(403)
    return account


def get_post_or_404(post_id):
    """A post the user may see; a draft of a unit they have nothing to do with is a 404 (not revealed)."""
    post = db.get_or_404(ContentPost, post_id)
    if not can_see_post(db.session(), scope(), post):
        abort(404)
    return post


def get_editable_post_or_403(post_id):
    post = get_post_or_404(post_id)
    if not can_edit_post(db.session(), scope(), post):
        abort(403)
    return post


def get_pillar_or_404(pillar_id):
    return db.get_or_404(ContentPillar, pillar_id)


def get_key_message_or_404(message_id):
    return db.get_or_404(KeyMessage, message_id)


def require_central_humas():
    """Key messages and agenda are published by central humas (and admins) only."""
    if not (ADMIN in current_user.roles or scope().central):
        abort(403)


def get_unit_or_404(unit_id):
    if not unit_id:
        return None
    return db.get_or_404(Unit, unit_id)


def get_plannable_account_or_403(account_id):
    """An account the user plans for (imports its metrics, enters its monthly figures)."""
    account = db.get_or_404(ContentAccount, account_id)
    if not scope().plans_for(account):
        abort(403)
    return account
