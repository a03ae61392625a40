"""The ONE place that says who may do what.

Every endpoint declares a permission with @requires(...) or @public; `enforce` (a before_request hook) checks it
centrally and refuses endpoints that declare nothing. Templates call `can(...)`. Row-level rules (a supervisor's unit
tree, a trainer's own workshops) live in the helpers at the bottom and are called by views after the matrix check.
"""

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from portal.htmx import hx_redirect, is_htmx

PUBLIC = "public"  # anyone, also anonymous
LOGIN = "login"  # any signed-in, active account

EMPLOYEE, SUPERVISOR, HUMAS, TRAINER, ADMIN = "employee", "supervisor", "humas", "trainer", "admin"

# permission -> roles that hold it. Every account holds EMPLOYEE (every user is an ASN employee).
MATRIX = {
    "dashboard.view": {EMPLOYEE},
    "account.manage_own": {EMPLOYEE},
    "job.view": {EMPLOYEE},  # row-level: one's own jobs (admins: all)
    # handbook
    "handbook.read": {EMPLOYEE},
    "handbook.acknowledge": {EMPLOYEE},
    "handbook.edit": {HUMAS, ADMIN},
    "handbook.publish": {HUMAS, ADMIN},
    "handbook.report": {SUPERVISOR, ADMIN},
    "handbook.rules": {ADMIN},  # what acknowledging requires (every section or a core set)
    # quiz
    "quiz.take": {EMPLOYEE},
    "quiz.propose": {HUMAS, ADMIN},
    "quiz.manage": {ADMIN},
    "quiz.report": {SUPERVISOR, ADMIN},
    # toolkit
    "toolkit.view": {EMPLOYEE},
    "toolkit.edit": {HUMAS, ADMIN},
    "toolkit.approve": {HUMAS, ADMIN},
    # workshops
    "workshop.view": {EMPLOYEE},
    "workshop.register": {EMPLOYEE},
    "workshop.manage": {TRAINER, ADMIN},
    "workshop.report": {SUPERVISOR, TRAINER, ADMIN},
    # administration
    "admin.access": {ADMIN},
    "admin.users": {ADMIN},
    "admin.units": {ADMIN},
    "admin.audit": {ADMIN},
}

# Endpoints Flask itself registers.
BUILTIN_PUBLIC_ENDPOINTS = {"static"}


def permissions_of(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles = user.roles
    return frozenset(perm for perm, holders in MATRIX.items() if holders & roles)


def can(user, permission):
    if permission == PUBLIC:
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if permission == LOGIN:
        return True
    if permission not in MATRIX:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(MATRIX[permission] & user.roles)


def requires(*permissions):
    """Declare what an endpoint needs (all of them). Checked centrally by `enforce`."""
    for perm in permissions:
        if perm not in MATRIX and perm != LOGIN:
            raise KeyError(f"unknown permission {perm!r}")

    def decorate(view):
        view.required_permissions = tuple(permissions)
        return view

    return decorate


def public(view):
    view.required_permissions = (PUBLIC,)
    return view


def declared_permissions(app, endpoint):
    if endpoint in BUILTIN_PUBLIC_ENDPOINTS:
        return (PUBLIC,)
    view = app.view_functions.get(endpoint)
    return getattr(view, "required_permissions", None)


def login_redirect():
    target = url_for("accounts.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if is_htmx():
        return hx_redirect(target)
    return redirect(target)


def enforce():
    """before_request: refuse anything the matrix does not allow; fail closed on undeclared endpoints."""
    if request.endpoint is None:
        return None  # 404/405 follow
    perms = declared_permissions(current_app, request.endpoint)
    if perms is None:
        current_app.logger.error("endpoint %s declares no permission; refused", request.endpoint)
        abort(403)
    if PUBLIC in perms:
        return None
    if not current_user.is_authenticated:
        return login_redirect()
    for perm in perms:
        if not can(current_user, perm):
            abort(403)
    return None


def requires_row(condition):
    """Abort with 403 unless a row-level condition holds."""
    if not condition:
        abort(403)


# --- row-level helpers -------------------------------------------------------------------------------------------

def report_scope(user):
    """Unit paths a user may report on: None means every unit (admin); otherwise their own unit's subtree."""
    if ADMIN in user.roles:
        return None
    if SUPERVISOR in user.roles and user.unit is not None:
        return user.unit.path
    return ""


def unit_in_scope(user, unit):
    scope = report_scope(user)
    if scope is None:
        return True
    return bool(scope) and unit is not None and unit.path.startswith(scope)



# --- toolkit (Perangkat Humas) ------------------------------------------------------------------------------------

CENTRAL_HUMAS_UNIT = "BHM"  # Biro Hubungan Masyarakat: its humas (and admins) approve toolkit items for everyone


def is_central_humas(user, session=None):
    """An admin, or a humas whose unit is the Biro Hubungan Masyarakat or one of its sub-units."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if ADMIN in user.roles:
        return True
    if HUMAS not in user.roles or user.unit is None:
        return False
    from sqlmodel import select

    from portal import db
    from portal.models import Unit

    session = session or db.session()
    ids = [int(part) for part in user.unit.path.strip("/").split("/") if part.isdigit()]
    return bool(ids) and session.exec(
        select(Unit.id).where(Unit.id.in_(ids), Unit.code == CENTRAL_HUMAS_UNIT)).first() is not None


def can_edit_toolkit(user, item, session=None):
    """Humas edit the items of their own unit and its sub-units; central humas and admins edit every item."""
    if not can(user, "toolkit.edit"):
        return False
    if is_central_humas(user, session):
        return True
    from portal import db
    from portal.models import Unit

    unit = (session or db.session()).get(Unit, item.owner_unit_id)
    return unit is not None and user.unit is not None and unit.path.startswith(user.unit.path)


def can_approve_toolkit(user, item, session=None):
    """Approve or reject: admins and central humas, never for an item they created or submitted themselves."""
    if not can(user, "toolkit.approve") or not is_central_humas(user, session):
        return False
    return user.id not in {item.created_by_id, item.submitted_by_id}


# --- workshops (Pelatihan) ----------------------------------------------------------------------------------------

def can_manage_workshop(user, workshop, session=None):
    """Admins manage every workshop; a trainer only the workshops they are assigned to."""
    if workshop is None or not can(user, "workshop.manage"):
        return False
    if ADMIN in user.roles:
        return True
    from sqlmodel import select

    from portal import db
    from portal.models import WorkshopTrainer

    return (session or db.session()).exec(select(WorkshopTrainer.user_id).where(
        WorkshopTrainer.workshop_id == workshop.id, WorkshopTrainer.user_id == user.id)).first() is not None


def workshop_report_scope(user, workshop, session=None):
    """What of a workshop's report a user may see: None (everything: admin or its trainer), a unit path (a
    supervisor: their unit's subtree), or False (nothing)."""
    if can_manage_workshop(user, workshop, session):
        return None
    if can(user, "workshop.report") and SUPERVISOR in user.roles and user.unit is not None:
        return user.unit.path
    return False


def get_workshop_or_403(workshop_id, manage=True, session=None):
    """The workshop (404 when missing); with manage=True, 403 unless the user manages it."""
    from portal import db
    from portal.models import Workshop

    session = session or db.session()
    workshop = session.get(Workshop, workshop_id)
    if workshop is None:
        abort(404)
    if manage and not can_manage_workshop(current_user, workshop, session):
        abort(403)
    return workshop
