"""Browser tests: the real app on a live server, driven by headless Chromium through Playwright.

Fixtures for every tests/browser/test_<pillar>.py:

- `live_server`  the running portal with fresh demo data for each test (`.url`, `.app`, `.session()`).
- `page`         a Chromium tab (new context per test, JavaScript on). Console errors, CSP violations and
                 uncaught exceptions fail the test at teardown.
- `nojs_page`    a second tab with JavaScript disabled (for "works without JavaScript" checks).
- `new_page()`   factory for more tabs, e.g. `new_page(viewport={"width": 360, "height": 740})`.
- `visit(page, path, status=200)`  navigates, checks the status, the CSP log and runs axe (serious/critical fail).
- `login(page, username)`          signs in through the real form (demo password), returns the dashboard page.
- `signed_in(page, username, path="/")`  the same, but only the first sign-in of an account in the run uses the form;
                 later ones reuse its session cookie (same secret key and user ids in every fresh database copy).
- `check_a11y(page)`               runs axe on the current state, e.g. after an htmx swap.

Chromium is Debian's (/usr/bin/chromium). Without it (or without playwright) the tests are skipped with a
reason, unless REQUIRE_BROWSER=1, in which case they fail.
"""

import hashlib
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEMO_PASSWORD = "bijak-bermedsos"
DEMO_ACCOUNTS = ("admin", "humas", "pelatih", "atasan", "pegawai")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
FAILING_IMPACTS = {"serious", "critical"}
ROOT = Path(__file__).resolve().parents[2]

BROWSER_TIMEOUT_MS = 10_000
try:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

    def expect(*_args, **_kwargs):
        pytest.skip("playwright is not installed")

# Test modules import `expect` from here (`from tests.browser.conftest import expect`), so that they still
# collect, and are skipped with a reason, on a machine without playwright.


def _missing_browser_reason():
    if sync_playwright is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reason = _missing_browser_reason()
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason and not REQUIRE_BROWSER:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# --- the live server ---------------------------------------------------------------------------------------------

def _compile_catalogs(target):
    """Compile the .po catalogs into `target` (like `make translations`, without touching the work tree)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = ROOT / "portal" / "translations"
    for po in source.glob("*/LC_MESSAGES/*.po"):
        mo = Path(target) / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=True)


class _AppSwitch:
    """The WSGI callable the server thread runs; each test installs a fresh app behind it."""

    def __init__(self):
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    app: object = None
    _switch: _AppSwitch = None
    _workdir: Path = None
    _template_db: Path = None
    _config: dict = field(default_factory=dict)
    _count: int = 0

    def fresh(self):
        """Install a new app on a pristine copy of the seeded database."""
        from portal import create_app

        old = self.app
        self._count += 1
        instance = self._workdir / f"instance-{self._count}"
        instance.mkdir()
        db_file = instance / "portal.db"
        shutil.copyfile(self._template_db, db_file)
        # The seeded uploads (quiz scenario images, toolkit photos and PDFs) belong with the database that names them.
        uploads = instance / "uploads"
        template_uploads = self._template_db.parent / "uploads"
        if template_uploads.is_dir():
            shutil.copytree(template_uploads, uploads)
        self.app = create_app(dict(self._config, DATABASE_URL=f"sqlite:///{db_file}", INSTANCE_PATH=str(instance),
                                   UPLOAD_DIR=str(uploads)))
        assert Path(self.app.config["UPLOAD_DIR"]) == uploads
        self._switch.app = self.app
        if old is not None:
            old.extensions["db_engine"].dispose()
        return self

    def session(self):
        """A database session on the current app's database (close it, or use it in a `with`)."""
        from sqlmodel import Session

        return Session(self.app.extensions["db_engine"], expire_on_commit=False)


def start_live_server(workdir):
    """Create, migrate and seed a template database; serve the portal on 127.0.0.1 on a free port.

    Returns (LiveServer, stop). Used by the fixtures below and by take_screenshots.py.
    """
    from sqlmodel import Session
    from werkzeug.serving import make_server

    from portal import create_app, migrate
    from portal.demo.seed import seed_demo

    workdir = Path(workdir)
    catalogs = workdir / "translations"
    _compile_catalogs(catalogs)
    config = {
        "SECRET_KEY": "browser-tests-" + os.urandom(8).hex(),
        "TESTING": False,
        "JOBS_IMMEDIATE": True,  # jobs run right after the request that queued them (no worker in the tests)
        "WTF_CSRF_ENABLED": True,  # production-like: every form posts its token
        "BABEL_TRANSLATION_DIRECTORIES": str(catalogs),
        # Each test opens a new browser context anyway; without a max-age every navigation revalidates the stylesheet
        # and htmx (three 304s a page), which only slows the journeys down.
        "SEND_FILE_MAX_AGE_DEFAULT": 3600,
    }
    template_dir = workdir / "template"
    template_dir.mkdir(parents=True)
    template_db = template_dir / "portal.db"
    app = create_app(dict(config, DATABASE_URL=f"sqlite:///{template_db}", INSTANCE_PATH=str(template_dir),
                          UPLOAD_DIR=str(template_dir / "uploads")))
    engine = app.extensions["db_engine"]
    migrate.upgrade(engine)
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        seed_demo(session)
    engine.dispose()  # closes the last connection: the WAL is checkpointed into the file we copy

    switch = _AppSwitch()
    server = make_server("127.0.0.1", 0, switch, threaded=True)
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", _switch=switch, _workdir=workdir,
                      _template_db=template_db, _config=config)
    live.fresh()
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        if live.app is not None:
            live.app.extensions["db_engine"].dispose()

    return live, stop


@pytest.fixture(scope="session")
def _server():
    reason = _missing_browser_reason()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    workdir = Path(tempfile.mkdtemp(prefix="portal-browser-"))
    live, stop = start_live_server(workdir)
    yield live
    stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def live_server(_server):
    """The live portal; every test starts from the freshly seeded demo data."""
    return _server.fresh()


# --- the browser -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def _playwright(_server):
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


_CSP = re.compile(r"Content Security Policy|Content-Security-Policy", re.I)
_FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


class ConsoleLog:
    """What the pages of one test said on the console. Anything unexpected fails the test."""

    def __init__(self):
        self.problems = []
        self.expected_statuses = set()  # statuses a test navigated to on purpose (403, 404, 401 ...)

    def watch(self, page):
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception: {error}"))

    def _on_console(self, message):
        if message.type != "error":
            return
        text = message.text
        failed = _FAILED_RESOURCE.search(text)
        if failed and int(failed.group(1)) in self.expected_statuses:
            return
        self.problems.append(f"console error at {message.location.get('url', '?')}: {text}")

    def csp_violations(self):
        return [p for p in self.problems if _CSP.search(p)]

    def assert_clean(self):
        assert not self.problems, "the browser reported problems:\n" + "\n".join(self.problems)


@pytest.fixture
def console_log():
    return ConsoleLog()


@pytest.fixture
def new_page(browser, live_server, console_log):
    """new_page(**context_options) opens a tab in a new browser context, watched by `console_log`."""
    contexts = []

    def open_page(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "id-ID")
        options.setdefault("timezone_id", "Asia/Jakarta")
        context = browser.new_context(**options)
        # 10 s, not Playwright's 30: a hung page fails soon; not 5: with two pytest-xdist workers and Chromium on
        # two cores, a sign-in (scrypt) or a seeded page may take a few seconds when the machine is busy.
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        console_log.watch(page)
        if options.get("java_script_enabled") is False:
            _NO_JS_PAGES.add(id(page))
        return page

    yield open_page
    for context in contexts:
        for page in context.pages:
            _NO_JS_PAGES.discard(id(page))
        context.close()
    console_log.assert_clean()


_NO_JS_PAGES = set()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def nojs_page(new_page):
    return new_page(java_script_enabled=False)


# --- checks ------------------------------------------------------------------------------------------------------

_AXE_SCRIPT = None


def _axe_script():
    global _AXE_SCRIPT
    if _AXE_SCRIPT is None:
        from axe_playwright_python.sync_playwright import Axe

        _AXE_SCRIPT = Axe().axe_script
    return _AXE_SCRIPT


def axe_violations(page, impacts=FAILING_IMPACTS):
    """axe-core's violations of the given impacts on the page as it is now."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(_axe_script())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def format_violations(violations):
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:10]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


# The same markup at the same width gives the same axe result: pages seen before in this run (the login form,
# a dashboard) are not checked again. CSRF tokens differ per session and are left out of the comparison.
_A11Y_CHECKED = set()
_TOKENS = re.compile(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{10,}")  # signed CSRF tokens (itsdangerous)


def _page_fingerprint(page):
    html, width = page.evaluate("[document.documentElement.outerHTML, window.innerWidth]")
    return hashlib.sha256(f"{width}\n{_TOKENS.sub('TOKEN', html)}".encode()).hexdigest()


def check_a11y(page):
    """Fail on serious or critical axe violations (no-op on a page without JavaScript)."""
    if id(page) in _NO_JS_PAGES:
        return
    fingerprint = _page_fingerprint(page)
    if fingerprint in _A11Y_CHECKED:
        return
    violations = axe_violations(page)
    assert not violations, f"accessibility violations on {page.url}:\n{format_violations(violations)}"
    _A11Y_CHECKED.add(fingerprint)


def check_page(page, log):
    """The checks every visited page gets: no CSP violation or console error so far, and axe."""
    violations = log.csp_violations()
    assert not violations, "CSP violations:\n" + "\n".join(violations)
    check_a11y(page)


@pytest.fixture(name="check_a11y")
def check_a11y_fixture():
    return check_a11y


@pytest.fixture
def visit(console_log):
    """visit(page, "/path", status=200): navigate, check the status, CSP and accessibility; returns the response."""

    def do_visit(page, path, status=200):
        if status >= 400:
            console_log.expected_statuses.add(status)
        response = page.goto(path)
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"{path}: expected {status}, got {response.status}"
        check_page(page, console_log)
        return response

    return do_visit


@pytest.fixture
def checked(console_log):
    """checked(page): run the per-page checks after a navigation the test did itself (a click, a form post)."""

    def do_check(page):
        page.wait_for_load_state()
        check_page(page, console_log)
        return page

    return do_check




@pytest.fixture
def login(visit, checked):
    """login(page, "pegawai") signs in through the real form and lands on the dashboard (or `next`)."""

    def do_login(page, username, password=DEMO_PASSWORD, next_path=None):
        visit(page, "/login" + (f"?next={next_path}" if next_path else ""))
        page.get_by_label(re.compile("Nama pengguna|Username", re.I)).fill(username)
        page.get_by_label(re.compile("^(Kata sandi|Password)$", re.I)).fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("^(Masuk|Sign in)$")).click()
        assert "/login" not in page.url, f"login as {username} failed: still on {page.url}"
        return checked(page)

    return do_login


@pytest.fixture
def signed_in(live_server, visit):
    """signed_in(page, "pegawai", path="/"): a signed-in tab on `path`, cheaper than `login` (no form, no password
    hash): a server-side session record is made for the tab's browser (its user agent) and its cookie set. Not for
    tests about signing in or out."""

    def do_sign_in(page, username, path="/"):
        from sqlmodel import select

        from portal.accounts import sessions
        from portal.models import User

        user_agent = page.evaluate("navigator.userAgent")
        with live_server.session() as db_session:
            user = db_session.exec(select(User).where(User.username == username)).one()
            token = sessions.start(db_session, user, user_agent, "127.0.0.1", hours=1)
            db_session.commit()
        app = live_server.app
        cookie = app.session_interface.get_signing_serializer(app).dumps({"sid": token, "_permanent": True})
        page.context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie,
                                   "url": live_server.url}])
        visit(page, path)
        assert "/login" not in page.url, f"the session of {username} was refused"
        return page

    return do_sign_in
