"""Every endpoint declares a permission, and every role gets the status code the matrix promises on every endpoint.

The expectations come from `portal.permissions.MATRIX` and each endpoint's declaration, so endpoints added later by
other pillars are covered automatically. An endpoint whose URL has arguments needs an entry in URL_BUILDERS below:
the matrix tests fail, naming the endpoint, until it has one.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import Blueprint, url_for
from sqlmodel import Session, select

from portal.models import AuditLog, Unit, User
from portal.permissions import LOGIN, MATRIX, PUBLIC, declared_permissions
from tests import factories
from tests.conftest import HX, make_app

ROLES = ("anonymous", "employee", "supervisor", "humas", "trainer", "admin")
SKIPPED_ENDPOINTS = {"static"}

# endpoint -> builder(ctx) -> URL arguments. `ctx` has `session`, `user` (the signed-in user; for anonymous, some
# existing user) and `unit` (that user's unit). Build arguments for rows the role may see, so "allowed" means 200:
# create rows with tests/factories.py when the user's own ones do not fit.
URL_BUILDERS = {
    "admin.user_edit": lambda ctx: {"user_id": ctx.user.id},
    "admin.user_reset_password": lambda ctx: {"user_id": ctx.user.id},
    "admin.unit_edit": lambda ctx: {"unit_id": ctx.unit.id},
    "admin.import_csv": lambda ctx: {"kind": "users"},
    "admin.import_confirm": lambda ctx: {"kind": "users"},
}

# Deliberate exceptions to "allowed means 200": (endpoint, signed in?) -> status.
STATUS_OVERRIDES = {
    ("accounts.login", True): 302,  # a signed-in user is sent on to the dashboard
}


def undeclared_endpoints(app):
    """Endpoints in the url_map that declare no permission (the permission walker)."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if declared_permissions(app, rule.endpoint) is None})


def role_allows(role, endpoint, app):
    perms = declared_permissions(app, endpoint)
    if PUBLIC in perms:
        return True
    if role == "anonymous":
        return False
    roles = {"employee", role}
    return all(perm == LOGIN or MATRIX[perm] & roles for perm in perms)


def rules_for(app, method):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if method in rule.methods and rule.endpoint not in SKIPPED_ENDPOINTS),
                  key=lambda rule: (rule.endpoint, rule.rule))


def url_for_rule(app, rule, ctx):
    """The URL of `rule`, with arguments from URL_BUILDERS; None when it has arguments and no builder."""
    needed = rule.arguments - set(rule.defaults or {})
    values = {}
    if needed:
        builder = URL_BUILDERS.get(rule.endpoint)
        if builder is None:
            return None
        values = builder(ctx)
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def missing_builders(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if rule.endpoint not in SKIPPED_ENDPOINTS
                   and rule.arguments - set(rule.defaults or {})
                   and rule.endpoint not in URL_BUILDERS})


def _fail_on_missing_builders(app):
    missing = missing_builders(app)
    if missing:
        pytest.fail("endpoints with URL arguments but no entry in URL_BUILDERS (tests/test_permissions.py): "
                    + ", ".join(missing) + ". Add a builder that creates or picks rows the allowed roles may see.")


@pytest.fixture
def signed_in(session, login):
    """signed_in(role) -> ctx: a user holding `role` (signed in on `client` unless anonymous) and their unit."""

    def make(role):
        roles = () if role in ("anonymous", "employee") else (role,)
        user = factories.make_user(session, roles=roles)
        if role != "anonymous":
            login(user)
        return SimpleNamespace(session=session, user=user, unit=session.get(Unit, user.unit_id))

    return make


# --- declarations ----------------------------------------------------------------------------------------------------

def test_every_endpoint_declares_a_permission(app):
    assert undeclared_endpoints(app) == []


def test_declared_permissions_exist_in_the_matrix(app):
    for rule in app.url_map.iter_rules():
        for perm in declared_permissions(app, rule.endpoint) or ():
            assert perm in MATRIX or perm in (PUBLIC, LOGIN), (rule.endpoint, perm)


def test_walker_flags_a_new_undeclared_endpoint_and_it_fails_closed(tmp_path):
    app = make_app(tmp_path)
    try:
        throwaway = Blueprint("throwaway", __name__)

        @throwaway.get("/forgotten")
        def forgotten():
            return "secret"

        app.register_blueprint(throwaway, url_prefix="/throwaway")
        app.add_url_rule("/also-forgotten", "also_forgotten", lambda: "secret")

        assert undeclared_endpoints(app) == ["also_forgotten", "throwaway.forgotten"]

        client = app.test_client()
        for url in ("/throwaway/forgotten", "/also-forgotten"):
            response = client.get(url)
            assert response.status_code == 403, url  # refused before anyone is asked to sign in
            assert b"secret" not in response.data

        # Not even an admin gets through.
        with Session(app.extensions["db_engine"], expire_on_commit=False) as db_session:
            admin = factories.make_user(db_session, roles=("admin",))
        assert client.post("/login", data={"username": admin.username,
                                           "password": factories.PASSWORD}).status_code == 302
        assert client.get("/admin/").status_code == 200
        for url in ("/throwaway/forgotten", "/also-forgotten"):
            response = client.get(url)
            assert response.status_code == 403, url
            assert b"secret" not in response.data
    finally:
        app.extensions["db_engine"].dispose()


def test_every_endpoint_with_url_arguments_has_a_builder(app):
    _fail_on_missing_builders(app)


def test_there_is_no_way_to_delete_a_user(app):
    """Accounts are deactivated, never deleted: no delete route, no DELETE method anywhere in the admin area."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            assert "DELETE" not in rule.methods, rule.rule
            assert "delete" not in rule.rule and "delete" not in rule.endpoint, rule.rule


# --- the matrix ------------------------------------------------------------------------------------------------------

def expected_status(app, endpoint, role):
    if not role_allows(role, endpoint, app):
        return 302 if role == "anonymous" else 403
    return STATUS_OVERRIDES.get((endpoint, role != "anonymous"), 200)


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(app, client, signed_in, role):
    ctx = signed_in(role)
    rules = rules_for(app, "GET")
    assert {"accounts.dashboard", "admin.users", "admin.user_edit"} <= {rule.endpoint for rule in rules}
    wrong = []
    for rule in rules:
        url = url_for_rule(app, rule, ctx)
        if url is None:
            wrong.append(f"{rule.endpoint}: URL arguments {sorted(rule.arguments)} but no entry in URL_BUILDERS")
            continue
        expected = expected_status(app, rule.endpoint, role)
        response = client.get(url)
        if response.status_code != expected:
            wrong.append(f"GET {url} ({rule.endpoint}) as {role}: {response.status_code}, expected {expected}")
        elif expected == 302 and role == "anonymous":
            location = urlsplit(response.headers["Location"])
            if location.path != "/login" or "next=" not in location.query:
                wrong.append(f"GET {url} as anonymous redirects to {response.headers['Location']}, not /login?next=")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_post_matrix(app, client, signed_in, role):
    """Anonymous POSTs go to the login page; a POST by a role lacking the permission is refused with 403.

    Allowed POSTs are not sent here (they would change data); the pillar tests cover them.
    """
    ctx = signed_in(role)
    checked, wrong = [], []
    for rule in rules_for(app, "POST"):
        if role_allows(role, rule.endpoint, app):
            continue
        url = url_for_rule(app, rule, ctx)
        if url is None:
            wrong.append(f"{rule.endpoint}: URL arguments {sorted(rule.arguments)} but no entry in URL_BUILDERS")
            continue
        response = client.post(url, data={"username": "x", "full_name": "x", "code": "X"})
        checked.append(rule.endpoint)
        if role == "anonymous":
            location = urlsplit(response.headers.get("Location", ""))
            if response.status_code != 302 or location.path != "/login":
                wrong.append(f"POST {url} as anonymous: {response.status_code} to {location.path!r}, "
                             "expected 302 to /login")
        elif response.status_code != 403:
            wrong.append(f"POST {url} ({rule.endpoint}) as {role}: {response.status_code}, expected 403")
    assert not wrong, "\n".join(wrong)
    if role != "admin":
        assert "admin.user_new" in checked and "admin.user_reset_password" in checked
    if role == "employee":
        assert {c for c in checked if c.startswith("admin.")} == {
            r.endpoint for r in rules_for(app, "POST") if r.endpoint.startswith("admin.")}


def test_denied_writes_change_nothing(app, client, login_as, session):
    """An employee's POST to admin endpoints is refused before anything is written."""
    employee = login_as("employee")
    unit = factories.make_unit(session)
    assert client.post("/admin/users/new", data={"username": "sneaky", "full_name": "Sneaky",
                                                 "unit_id": unit.id, "roles": ["admin"]}).status_code == 403
    assert client.post(f"/admin/users/{employee.id}/edit", data={
        "username": employee.username, "full_name": "Promoted", "unit_id": employee.unit_id, "roles": ["admin"],
        "active": "y"}).status_code == 403
    session.expire_all()
    assert session.exec(select(User).where(User.username == "sneaky")).first() is None
    assert session.get(User, employee.id).roles == {"employee"}
    assert session.exec(select(AuditLog)).all() == []


def test_anonymous_htmx_request_gets_hx_redirect(client):
    response = client.get("/admin/users", headers=HX)
    assert response.headers["HX-Redirect"].startswith("/login")
    assert b"<html" not in response.data


@pytest.mark.parametrize("role,admin_access", [("employee", False), ("supervisor", False), ("humas", False),
                                               ("trainer", False), ("admin", True)])
def test_navigation_shows_admin_only_to_admins(client, login_as, role, admin_access):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    assert ('href="/admin/"' in page) is admin_access
