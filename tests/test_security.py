"""The security baseline: CSRF, headers, cookies, no inline script or style, escaping, error pages, health check,
and refusing to start without a secret key in production."""

import re
from io import BytesIO

import pytest
from sqlmodel import Session, select

from portal import create_app
from portal.config import ConfigError
from portal.permissions import public
from tests import factories
from tests.conftest import HX, csrf_token_from, make_app
from tests.test_permissions import url_for_rule

XSS_NAME = "<script>alert(1)</script>"


def csrf_login(client, user):
    token = csrf_token_from(client.get("/login").data)
    response = client.post("/login", data={"username": user.username, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    return token


# --- CSRF ----------------------------------------------------------------------------------------------------------

def test_post_without_csrf_token_is_a_400_in_indonesian(csrf_app, csrf_session):
    factories.make_user(csrf_session, username="pegawai.csrf")
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "pegawai.csrf", "password": factories.PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Permintaan tidak valid" in page
    assert "Sesi formulir sudah kedaluwarsa atau tidak sah" in page
    assert "CSRF token is missing" not in page  # no English library message
    assert client.get("/").status_code == 302  # not signed in


def test_signed_in_post_without_token_changes_nothing(csrf_app, csrf_session):
    from portal.models import Unit

    admin = factories.make_user(csrf_session, roles=("admin",))
    client = csrf_app.test_client()
    csrf_login(client, admin)
    token = csrf_token_from(client.get("/admin/units/new").data)  # signing in started a new session: a new token
    for data in ({"code": "LIAR", "name": "Unit Liar", "parent_id": 0},
                 {"code": "LIAR", "name": "Unit Liar", "parent_id": 0, "csrf_token": "palsu"}):
        response = client.post("/admin/units/new", data=data)
        assert response.status_code == 400
        assert "Permintaan tidak valid" in response.get_data(as_text=True)
    response = client.post("/admin/units/new", data={"code": "SAH", "name": "Unit Sah", "parent_id": 0,
                                                     "csrf_token": token})
    assert response.status_code == 303
    codes = set(csrf_session.exec(select(Unit.code)).all())
    assert "SAH" in codes and "LIAR" not in codes
    assert client.post("/logout").status_code == 400  # logging out needs the token too
    assert client.get("/").status_code == 200


def test_htmx_post_with_token_in_header_is_accepted(csrf_app, csrf_session):
    from portal.models import Unit

    admin = factories.make_user(csrf_session, roles=("admin",))
    client = csrf_app.test_client()
    csrf_login(client, admin)
    header_token = csrf_token_from(client.get("/admin/units/new").data)
    response = client.post("/admin/units/new", data={"code": "HTMX", "name": "Unit htmx", "parent_id": 0},
                           headers={**HX, "X-CSRFToken": header_token})
    assert response.status_code in (200, 204, 303)
    assert csrf_session.exec(select(Unit).where(Unit.code == "HTMX")).one()
    response = client.post("/admin/units/new", data={"code": "TANPA", "name": "Tanpa token", "parent_id": 0},
                           headers=HX)
    assert response.status_code == 400


# --- headers and cookies -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/login", "/", "/admin/users", "/tidak-ada", "/healthz"])
def test_security_headers(client, login_as, url):
    if url != "/login":
        login_as("admin")
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    directives = {part.strip().split(" ")[0]: part.strip() for part in csp.split(";")}
    assert directives["default-src"] == "default-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "script-src" not in directives or "'unsafe-inline'" not in directives["script-src"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
    if url != "/login":
        assert "no-store" in response.headers["Cache-Control"]


def test_session_cookie_flags(client):
    response = client.get("/login")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on a developer machine


def test_session_cookie_secure_when_configured(tmp_path):
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=True)
    try:
        response = app.test_client().get("/login")
        cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        app.extensions["db_engine"].dispose()


# --- no inline script or style anywhere ----------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
SCRIPT_WITH_BODY = re.compile(r"<script\b[^>]*>(?!\s*</script>)\s*\S.*?</script>", re.I | re.S)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
HTMX_INLINE_JS = re.compile(r"<[^>]+\s(?:data-)?(?:hx-on\b|hx-on:|hx-on-|hx-vals=['\"]js:|hx-vars)", re.I)
JS_URL = re.compile(r"(?:href|src|action)\s*=\s*['\"]?\s*javascript:", re.I)


def inline_code_problems(html):
    problems = []
    for name, pattern in (("inline <script>", INLINE_SCRIPT), ("<script> with a body", SCRIPT_WITH_BODY),
                          ("<style> element", STYLE_ELEMENT), ("style= attribute", STYLE_ATTRIBUTE),
                          ("on*= handler", EVENT_HANDLER), ("htmx inline JS", HTMX_INLINE_JS),
                          ("javascript: URL", JS_URL)):
        problems += [f"{name}: {match.group(0)[:120]}" for match in pattern.finditer(html)]
    return problems


def test_the_scanner_catches_inline_code():
    assert inline_code_problems('<script src="/static/js/htmx.min.js" defer></script>') == []
    assert inline_code_problems('<script src="/a.js" defer></script>\n<script src="/b.js" defer></script>') == []
    for bad in ("<script>alert(1)</script>", '<script type="module">x()</script>', '<p style="color:red">',
                "<style>p{}</style>", '<button onclick="x()">', '<body onload="x()">', '<a href="javascript:x()">',
                '<div hx-on:click="x()">', '<div data-hx-on:click="x()">', '<script src="/a.js">alert(1)</script>'):
        assert inline_code_problems(bad), bad


def test_no_inline_script_or_style_in_admin_area_and_login(app, client, session):
    from portal.accounts import services

    anonymous_pages = [client.get("/login"), client.get("/login?next=/admin/users"),
                       client.post("/login", data={"username": "x", "password": "salah-salah-salah"}),
                       client.post("/login", data={}), client.get("/tidak-ada")]

    unit = factories.make_unit(session, code="SETJEN", name="Sekretariat Jenderal")
    child = factories.make_unit(session, code="BHM", name="Biro Humas", parent=unit)
    admin = factories.make_user(session, username="admin.scan", roles=("admin",), unit=child)
    staff = [factories.make_user(session, unit=child, roles=("humas",) if n % 3 else ()) for n in range(30)]
    services.create_unit(session, admin, "INSP", "Inspektorat", unit.id)
    session.commit()
    assert client.post("/login", data={"username": "admin.scan", "password": factories.PASSWORD}).status_code == 302

    from types import SimpleNamespace

    ctx = SimpleNamespace(session=session, user=admin, unit=child)
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint.split(".")[0] in ("admin", "accounts"):
            url = url_for_rule(app, rule, ctx)
            assert url is not None, rule.endpoint
            pages[url] = client.get(url)
    pages["users-page-2"] = client.get("/admin/users?page=2")
    pages["users-htmx"] = client.get("/admin/users?q=pegawai", headers=HX)
    pages["user-form-errors"] = client.post("/admin/users/new", data={"username": "", "unit_id": 0})
    pages["unit-form-errors"] = client.post("/admin/units/new", data={"code": "", "name": ""})
    pages["password-errors"] = client.post("/account/password", data={"current_password": "x"})
    pages["reset"] = client.post(f"/admin/users/{staff[0].id}/reset-password")
    pages["import-errors"] = client.post("/admin/import/users", content_type="multipart/form-data", data={
        "file": (BytesIO(b"nip,nama,email,unit_kode,peran\n123,,x,NOPE,raja\n"), "a.csv")})
    pages["import-preview"] = client.post("/admin/import/units", content_type="multipart/form-data", data={
        "file": (BytesIO(b"kode,nama,induk_kode\nBARU,Unit Baru,SETJEN\n"), "a.csv")})
    pages["english"] = client.get("/admin/users?lang=en")

    problems = []
    for name, response in list(pages.items()) + [(f"anonymous {i}", r) for i, r in enumerate(anonymous_pages)]:
        assert response.status_code < 500, name
        if response.mimetype == "text/html":  # not the import templates (XLSX, CSV)
            problems += [f"{name}: {p}" for p in inline_code_problems(response.get_data(as_text=True))]
    assert not problems, "\n".join(problems)
    assert "Impor sekarang" in pages["import-preview"].get_data(as_text=True)  # the scan saw the real pages


def test_forbidden_page_has_no_inline_code(client, login_as):
    login_as("employee")
    response = client.get("/admin/")
    assert response.status_code == 403
    assert inline_code_problems(response.get_data(as_text=True)) == []


# --- htmx and error pages ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,url", [("get", "/"), ("get", "/admin/users?q=x"), ("post", "/admin/units/new")])
def test_anonymous_htmx_request_gets_hx_redirect_to_login(client, method, url):
    response = getattr(client, method)(url, headers=HX)
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.status_code == 204
    assert response.get_data(as_text=True) == ""


def test_error_pages_are_in_indonesian(client, login_as):
    login_as("employee")
    for url, method, code, title in (("/tidak-ada", "get", 404, "Halaman tidak ditemukan"),
                                     ("/admin/", "get", 403, "Akses ditolak"),
                                     ("/logout", "get", 405, "Metode tidak diizinkan")):
        response = getattr(client, method)(url)
        assert response.status_code == code, url
        page = response.get_data(as_text=True)
        assert '<html lang="id">' in page
        assert title in page
        for english in ("Not Found", "Forbidden", "Method Not Allowed", "The requested URL"):
            assert english not in page


def test_error_pages_follow_the_language_choice(client):
    response = client.get("/tidak-ada?lang=en")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Page not found" in page


def test_server_error_page_is_indonesian_and_hides_details(tmp_path):
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)
    try:
        @public
        def broken():
            raise RuntimeError("rahasia internal: kata sandi basis data")

        app.add_url_rule("/rusak", "rusak", broken)
        response = app.test_client().get("/rusak")
        assert response.status_code == 500
        page = response.get_data(as_text=True)
        assert "Terjadi kesalahan" in page
        assert "rahasia internal" not in page and "Traceback" not in page
    finally:
        app.extensions["db_engine"].dispose()


# --- escaping ------------------------------------------------------------------------------------------------------

def test_user_strings_are_escaped(client, login_as, session):
    login_as("admin", full_name="Admin Aman")
    unit = factories.make_unit(session, code="XSS", name='Unit <img src=x onerror="alert(2)">')
    user = factories.make_user(session, full_name=XSS_NAME, unit=unit, username="xss.user")
    from portal.accounts import services

    services.update_user(session, None, user, "xss.user", XSS_NAME + " baru", unit.id, ["humas"])
    session.commit()
    pages = [client.get("/admin/users"), client.get("/admin/users?q=script", headers=HX),
             client.get(f"/admin/users/{user.id}/edit"), client.get("/admin/units"), client.get("/admin/audit"),
             client.post(f"/admin/users/{user.id}/reset-password"),
             client.get("/admin/users", query_string={"q": XSS_NAME})]
    for response in pages:
        page = response.get_data(as_text=True)
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert not inline_code_problems(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].get_data(as_text=True)
    assert "&lt;img src=x" in pages[3].get_data(as_text=True)


def test_own_name_is_escaped_on_the_dashboard(client, login_as):
    login_as("employee", full_name=XSS_NAME)
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


# --- health check --------------------------------------------------------------------------------------------------

def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_when_the_database_is_unreachable(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "instance"),
                      "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'portal.db'}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_healthz_when_queries_fail(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from sqlmodel import Session as SQLModelSession

    def refuse(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(SQLModelSession, "execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_healthz_needs_no_login_and_no_csrf(csrf_app):
    assert csrf_app.test_client().get("/healthz").status_code == 200


# --- configuration -------------------------------------------------------------------------------------------------

def test_production_without_secret_key_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_with_secret_key_starts_with_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["SECRET_KEY"] == "k" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["db_engine"].dispose()


def test_production_refuses_a_short_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "abc")
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SQLITE_CACHE_KB", "abc", "SQLITE_CACHE_KB must be a whole number, not 'abc'"),
    ("DASHBOARD_CACHE_SECONDS", "1.5", "DASHBOARD_CACHE_SECONDS must be a whole number"),
    ("MAX_UPLOAD_MB", "0", "MAX_UPLOAD_MB must be at least 1, not 0"),
    ("IMPORT_BATCH_ROWS", "-5", "IMPORT_BATCH_ROWS must be at least 1"),
    ("CONTENT_REPORT_DEADLINE_DAY", "31", "CONTENT_REPORT_DEADLINE_DAY must be between 1 and 28, not 31"),
])
def test_a_bad_integer_setting_refuses_to_start_naming_the_setting(monkeypatch, tmp_path, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})


def test_integer_settings_accept_spaces_and_fall_back_when_empty(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", " 15 ")
    monkeypatch.setenv("DASHBOARD_CACHE_SECONDS", "")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["SESSION_IDLE_MINUTES"] == 15
    assert app.config["DASHBOARD_CACHE_SECONDS"] == 60
    app.extensions["db_engine"].dispose()


def test_production_refuses_the_demo_password_on_any_account(monkeypatch, tmp_path):
    from werkzeug.security import generate_password_hash

    from portal.demo.people import DEMO_PASSWORD

    db_url = f"sqlite:///{tmp_path}/p.db"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": db_url})
    from portal.migrate import upgrade

    upgrade(app.extensions["db_engine"])
    with Session(app.extensions["db_engine"]) as session:
        unit = factories.make_unit(session)
        demo_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt:1024:8:1")
        factories.make_user(session, username="siapa.saja", unit=unit, password_hash=demo_hash)
        factories.make_user(session, username="lain.lagi", unit=unit, password_hash=demo_hash)
        factories.make_user(session, username="aman", unit=unit)
    app.extensions["db_engine"].dispose()
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    with pytest.raises(ConfigError, match="demo password"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": db_url})


def test_development_key_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    second = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert (tmp_path / "i" / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_forms_are_normalised(monkeypatch, tmp_path):
    from portal.config import load_config

    for given in ("postgres://u@h/db", "postgresql://u@h/db"):
        monkeypatch.setenv("DATABASE_URL", given)
        monkeypatch.setenv("SECRET_KEY", "x")
        assert load_config(str(tmp_path))["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
