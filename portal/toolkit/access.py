"""Who may see and act on which toolkit item, decided once: the row rules and the row loaders of the toolkit.

The endpoint's permission (portal/permissions.py: toolkit.view / toolkit.edit / toolkit.approve) decides who may reach
a page; these rules decide which rows:
- employees see approved items that are still valid (`is_visible`);
- a humas edits the items of their own unit and its sub-units, and sees those in every status; a regional humas does
  NOT see another region's drafts, submissions or their consent documents (personal data);
- central humas (the Biro Hubungan Masyarakat and its sub-units) and admins edit and see every item, and approve or
  reject submissions, never their own.

Facts about the signed-in person (is central humas, which subtree they edit) and unit paths are looked up once per
request (`flask.g`): approving an item or showing the editor's item page asks the database once, not per check.
Loaders return the row or abort (404, or 403 when the row exists but is not the user's to act on); views never load
toolkit rows themselves.
"""

from flask import abort, g, has_app_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_
from sqlmodel import select

from portal import db, permissions
from portal.models import ToolkitItem, ToolkitStatusChange, Unit
from portal.permissions import can
from portal.toolkit.labels import today

EVERY_UNIT = ""  # editor_unit_path of central humas and admins


def _facts():
    """This request's cache of looked-up facts (a fresh one outside an app context)."""
    if not has_app_context():
        return {}
    if "toolkit_facts" not in g:
        g.toolkit_facts = {}
    return g.toolkit_facts


def forget_facts():
    """Drop the request's cached facts (after a unit or role change in the same request)."""
    if has_app_context():
        g.pop("toolkit_facts", None)


def _session(session):
    return session if session is not None else db.session()


def unit_path(session, unit_id):
    """The path ("/1/4/") of a unit, looked up once per request; None for an unknown unit."""
    paths = _facts().setdefault("unit_paths", {})
    if unit_id not in paths:
        paths[unit_id] = _session(session).exec(select(Unit.path).where(Unit.id == unit_id)).first() \
            if unit_id else None
    return paths[unit_id]


def _signed_in(user):
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_editor(user):
    return can(user, "toolkit.edit")


def is_central_humas(user, session=None):
    """The shared rule (portal/permissions.py), with the unit path from this request's cache."""
    return permissions.is_central_humas(user, session, path_of=lambda unit_id: unit_path(session, unit_id))


def editor_unit_path(user, session=None):
    """The subtree whose items `user` edits: EVERY_UNIT for central humas and admins, their unit's path for a
    regional humas, None for everyone else."""
    if not is_editor(user):
        return None
    if is_central_humas(user, session):
        return EVERY_UNIT
    return unit_path(session, user.unit_id) or None


def can_edit_item(user, item, session=None):
    """Humas edit the items of their own unit and its sub-units; central humas and admins edit every item."""
    scope = editor_unit_path(user, session)
    if scope is None:
        return False
    if scope == EVERY_UNIT:
        return True
    owner = unit_path(session, item.owner_unit_id)
    return owner is not None and owner.startswith(scope)


def can_archive_item(user, item, session=None):
    return can_edit_item(user, item, session) or (is_editor(user) and is_central_humas(user, session))


# --- visibility ---------------------------------------------------------------------------------------------------

def visible_clause(on=None):
    """What employees see: approved, and neither past its valid-until date nor past its photo consent."""
    on = on or today()
    return and_(ToolkitItem.status == "disetujui",
                or_(ToolkitItem.visible_until.is_(None), ToolkitItem.visible_until >= on))


def is_visible(item, on=None):
    on = on or today()
    return item.status == "disetujui" and (item.visible_until is None or item.visible_until >= on)


def can_see_item(user, item, session=None, on=None):
    """Visible items for everyone; every status of the items one edits."""
    return is_visible(item, on) or can_edit_item(user, item, session)


def seen_clause(user, session=None, on=None):
    """The SQL condition of `can_see_item` for lists and search: None when the user sees every item (central humas),
    else what they may see (visible items, plus every item of their subtree for a regional humas)."""
    scope = editor_unit_path(user, session)
    if scope == EVERY_UNIT:
        return None
    if scope is None:
        return visible_clause(on)
    subtree = select(Unit.id).where(Unit.path.startswith(scope))
    return or_(visible_clause(on), ToolkitItem.owner_unit_id.in_(subtree))


def can_read_consent(user, item, session=None):
    """Consent documents carry personal data: central humas and the humas of the owning unit only."""
    return item.kind == "photo" and can_edit_item(user, item, session)


# --- decisions ----------------------------------------------------------------------------------------------------

def approval_problem(session, user, item):
    """Why `user` may not approve or reject `item` now (a translated message), or None."""
    if item.status != "diajukan":
        return _("Hanya item yang sedang diajukan yang dapat disetujui atau ditolak.")
    if not can(user, "toolkit.approve") or not is_central_humas(user, session):
        return _("Persetujuan hanya oleh admin atau humas Biro Hubungan Masyarakat.")
    if user.id in {item.created_by_id, item.submitted_by_id}:
        return _("Anda tidak dapat menyetujui atau menolak item yang Anda buat atau ajukan sendiri.")
    return None


def was_ever_approved(session, item):
    return session.exec(select(ToolkitStatusChange.id).where(ToolkitStatusChange.item_id == item.id,
                                                             ToolkitStatusChange.to_status == "disetujui")).first() \
        is not None


def delete_problem(session, user, item):
    """Why `user` may not delete `item` (a translated message), or None: only never-approved drafts, by their maker."""
    if item.status != "draf":
        return _("Hanya draf yang dapat dihapus; item lain diarsipkan.")
    if user is None or item.created_by_id != user.id or not can_edit_item(user, item, session):
        return _("Hanya pembuat draf yang dapat menghapusnya.")
    if was_ever_approved(session, item):
        return _("Item ini pernah disetujui dan tampil bagi pegawai; arsipkan, jangan dihapus.")
    return None


# --- row loaders --------------------------------------------------------------------------------------------------

def _get_item(item_id):
    return db.get_or_404(ToolkitItem, item_id)


def get_item_or_404(item_id):
    """An item the signed-in person may see (see `can_see_item`); anything else is a 404 (not revealed)."""
    item = _get_item(item_id)
    if not can_see_item(current_user, item):
        abort(404)
    return item


def get_editable_item_or_403(item_id):
    """An item the signed-in humas may edit, submit, withdraw, restore or delete; 404 when missing, else 403."""
    item = _get_item(item_id)
    if not can_edit_item(current_user, item):
        abort(403)
    return item


def get_item_to_decide_or_403(item_id):
    """An item for central humas or an admin to approve or reject; why they may not decide it now (their own item,
    not submitted) is the workflow's message, not a 403."""
    item = _get_item(item_id)
    if not is_central_humas(current_user):
        abort(403)
    return item


def get_item_to_archive_or_403(item_id):
    item = _get_item(item_id)
    if not can_archive_item(current_user, item):
        abort(403)
    return item


def get_consent_document_or_404(item_id):
    """(item, the ItemFile of its consent document) for central humas or the owning unit's humas; 404 otherwise."""
    from portal.toolkit import files

    item = _get_item(item_id)
    if not can_read_consent(current_user, item):
        abort(404)
    document = files.consent_document(db.session(), item)
    if document is None:
        abort(404)
    return item, document
