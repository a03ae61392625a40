"""The ONE place that says who may do what.

Every endpoint declares a permission with @requires(...) or @public; `enforce` (a before_request hook) checks it
centrally and refuses endpoints that declare nothing. Templates call `can(...)`. Row-level rules (a supervisor's unit
tree, central humas) live in the helpers at the bottom; each pillar's row loaders (e.g. portal/workshops/access.py)
use them after the matrix check.
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
    # across pillars: the pre-post checker, the header search, notifications
    "check.use": {EMPLOYEE},
    "check.manage_terms": {ADMIN},
    "search.use": {EMPLOYEE},
    "notifications.view": {EMPLOYEE},
    # content (Konten): row-level rules in portal/content/access.py. Planning is open to every employee because
    # a unit's pengelola media sosial is named per account (ContentAccountManager), not by a role; the loaders
    # check that the person manages the account, is a humas of its unit, or is central humas.
    "content.view": {EMPLOYEE},
    "content.plan": {EMPLOYEE},
    "content.approve": {SUPERVISOR, HUMAS, ADMIN},
    "content.accounts": {HUMAS, ADMIN},
    "content.key_messages": {HUMAS, ADMIN},
    "content.pillars": {ADMIN},
    "content.report": {SUPERVISOR, HUMAS, ADMIN},  # the institution roll-up (row-level: report scope)
    # administration
    "admin.access": {ADMIN},
    "admin.users": {ADMIN},
    "admin.units": {ADMIN},
    "admin.audit": {ADMIN},
    "admin.privacy": {ADMIN},  # export one person's data, anonymise a departed person
}

# Endpoints Flask itself registers.
BUILTIN_PUBLIC_ENDPOINTS = {"static"}


def _resolved(user):
    """The user behind the request's `current_user` proxy, looked up once: every attribute read through the proxy
    looks the signed-in user up again (templates ask `can(...)` a dozen times per page)."""
    get = getattr(user, "_get_current_object", None)
    return get() if get is not None else user


def permissions_of(user):
    user = _resolved(user)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles = user.roles
    return frozenset(perm for perm, holders in MATRIX.items() if holders & roles)


def can(user, permission):
    if permission == PUBLIC:
        return True
    user = _resolved(user)
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


CENTRAL_HUMAS_UNIT = "BHM"  # Biro Hubungan Masyarakat: its humas (and admins) decide for every unit


def is_central_humas(user, session=None, path_of=None):
    """An admin, or a humas whose unit is the Biro Hubungan Masyarakat or one of its sub-units: they approve toolkit
    items and content plans for every unit. Looked up once per request; `path_of(unit_id)` may supply unit paths
    from a caller's own cache."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if ADMIN in user.roles:
        return True
    if HUMAS not in user.roles or not user.unit_id:
        return False
    from flask import g, has_app_context
    from sqlmodel import select

    from portal import db
    from portal.models import Unit

    known = g.setdefault("central_humas", {}) if has_app_context() else {}
    key = (user.id, user.unit_id)
    if key not in known:
        session = session if session is not None else db.session()
        path = (path_of(user.unit_id) if path_of else
                session.exec(select(Unit.path).where(Unit.id == user.unit_id)).first()) or ""
        ids = [int(part) for part in path.strip("/").split("/") if part.isdigit()]
        known[key] = bool(ids) and session.exec(
            select(Unit.id).where(Unit.id.in_(ids), Unit.code == CENTRAL_HUMAS_UNIT)).first() is not None
    return known[key]


def central_humas_ids(session):
    """Ids of the active humas of the Biro Hubungan Masyarakat and its sub-units (admins not included): whom a
    submission for central review tells."""
    from sqlmodel import select

    from portal.models import Unit, User, UserRole

    central = session.exec(select(Unit.path).where(Unit.code == CENTRAL_HUMAS_UNIT)).first()
    if not central:
        return set()
    return set(session.exec(select(User.id).join(UserRole, UserRole.user_id == User.id)
                            .join(Unit, Unit.id == User.unit_id)
                            .where(UserRole.role == HUMAS, User.active, Unit.path.startswith(central))).all())
