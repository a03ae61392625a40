"""Row loaders of the workshops: each returns the row or aborts (404, or 403 when the row exists but is not the
user's to act on). The endpoint's permission (the matrix in portal/permissions.py) decides who may reach a page at
all; these decide which rows. Views never load guarded rows themselves.

Who may see what:
- a workshop's page: everyone with `workshop.view`, except drafts, which only their trainers and admins see (404);
- managing it (sessions, participants, attendance, certificates): its own trainers and admins (403 for others);
- its report: its trainers and admins (everything), supervisors (their unit tree only); a draft's report follows
  the page's rule (404 for anyone who does not manage it).
"""

from flask import abort, g
from flask_login import current_user
from sqlmodel import select

from portal import certificates, db
from portal.models import Workshop, WorkshopParticipant, WorkshopSession, WorkshopTrainer
from portal.permissions import ADMIN, SUPERVISOR, can


def can_manage_workshop(user, workshop, session=None):
    """Admins manage every workshop; a trainer only the workshops they are assigned to (asked once per request)."""
    if workshop is None or not can(user, "workshop.manage"):
        return False
    if ADMIN in user.roles:
        return True
    cache = g.setdefault("workshop_manages", {})
    key = (user.id, workshop.id)
    if key not in cache:
        cache[key] = (session or db.session()).exec(select(WorkshopTrainer.user_id).where(
            WorkshopTrainer.workshop_id == workshop.id, WorkshopTrainer.user_id == user.id)).first() is not None
    return cache[key]


def workshop_report_scope(user, workshop, session=None):
    """What of a workshop's report a user may see: None (everything: admin or its trainer), a unit path (a
    supervisor: their unit's subtree), or False (nothing)."""
    if can_manage_workshop(user, workshop, session):
        return None
    if workshop.status == "draft":
        return False
    if can(user, "workshop.report") and SUPERVISOR in user.roles and user.unit is not None:
        return user.unit.path
    return False


def get_workshop_or_404(workshop_id):
    """A workshop the signed-in person may see: drafts only for those who manage them (404 for everyone else, so
    that a draft's existence is not revealed)."""
    workshop = db.get_or_404(Workshop, workshop_id)
    if workshop.status == "draft" and not can_manage_workshop(current_user, workshop):
        abort(404)
    return workshop


def get_managed_workshop_or_403(workshop_id):
    """A workshop the signed-in person manages (its trainer, or an admin); 404 when missing, 403 otherwise."""
    workshop = db.get_or_404(Workshop, workshop_id)
    if not can_manage_workshop(current_user, workshop):
        abort(403)
    return workshop


def get_report_workshop_or_403(workshop_id):
    """(workshop, scope) of a report: scope None is everything, a unit path limits it to that unit's subtree.
    A draft is a 404 for those who do not manage it (as its page); a workshop outside one's scope a 403."""
    workshop = get_workshop_or_404(workshop_id)
    scope = workshop_report_scope(current_user, workshop)
    if scope is False:
        abort(403)
    return workshop, scope


def get_workshop_session_or_404(workshop, session_id):
    """One meeting (a WorkshopSession row) of `workshop`; a meeting of another workshop is a 404."""
    row = db.get_or_404(WorkshopSession, session_id)
    if row.workshop_id != workshop.id:
        abort(404)
    return row


def get_participant_or_404(workshop, participant_id):
    """A participant of `workshop`; a participant of another workshop is a 404."""
    row = db.get_or_404(WorkshopParticipant, participant_id)
    if row.workshop_id != workshop.id:
        abort(404)
    return row


def get_guest_or_404(code):
    """The participant behind a personal check-in code (guests' pages are public: the code is the key); a wrong,
    malformed or cancelled code is a 404."""
    code = certificates.normalize_code(code)
    if not code:
        abort(404)
    participant = db.session().exec(select(WorkshopParticipant).where(WorkshopParticipant.code == code)).first()
    if participant is None or participant.status == "cancelled":
        abort(404)
    return participant
