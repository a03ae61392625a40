"""Faults (issue 11, item 4): a real gunicorn worker killed with SIGKILL in the middle of an upload, an import and a
publish leaves files and rows consistent: `flask fsck` finds them clean, or repairs them (orphan files of the
upload that never committed) and is clean afterwards. The worker kills itself at the exact moment (see
tests/crash_app.py); gunicorn starts a new one, as in production. One server for the whole module: a few seconds."""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, func, select

from portal.models import Edition, ToolkitItem, User
from tests import factories
from tests.conftest import TEST_DATABASE_URL, compiled_translations
from tests.test_scale_out import Browser, _csrf, _free_port, _login

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"

pytestmark = [
    pytest.mark.xdist_group("crash"),  # one gunicorn for the module: its tests stay on one worker
    pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="runs in the SQLite pass of the suite"),
    pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    env = dict(os.environ, CRASH_DIR=str(base), CRASH_FLAG=str(base / "crash"),
               CRASH_TRANSLATIONS=compiled_translations())
    os.environ.update({k: env[k] for k in ("CRASH_DIR", "CRASH_FLAG", "CRASH_TRANSLATIONS")})
    from portal import create_app
    from tests import crash_app

    app = create_app(crash_app.config())  # the same configuration, in this process: setup and fsck
    engine = app.extensions["db_engine"]
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        unit = factories.make_unit(session, code="PUSAT")
        humas = factories.make_user(session, roles=("humas",), unit=unit)
        admin = factories.make_user(session, roles=("admin",), unit=unit)
        factories.make_handbook(session, version=None, humas=humas)  # a draft waiting to be published
    port = _free_port()
    command = [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--graceful-timeout", "2",
               "tests.crash_app:app"]
    log = (base / "gunicorn.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env={**env, "CRASH_INJECT": "1"}, stdout=subprocess.DEVNULL,
                               stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        yield app, base_url, Path(env["CRASH_FLAG"]), humas, admin
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        engine.dispose()
        for key in ("CRASH_DIR", "CRASH_FLAG", "CRASH_TRANSLATIONS"):
            os.environ.pop(key, None)
        if os.environ.get("CRASH_KEEP_LOG"):
            shutil.copyfile(base / "gunicorn.log", os.environ["CRASH_KEEP_LOG"])
        shutil.rmtree(base, ignore_errors=True)


def _wait_until_up(base_url, process=None, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process is None or process.poll() is None, "gunicorn stopped"
        try:
            if Browser().request(f"{base_url}/healthz")[0] == 200:
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    pytest.fail("gunicorn did not answer")


def _killed_during(base_url, flag, moment, send):
    """Arm the fault, send the request: the worker dies (the connection drops), and a new one takes over."""
    flag.write_text(moment)
    with pytest.raises((OSError, urllib.error.URLError)):  # the worker died: no response at all
        send()
    assert not flag.exists(), "the request committed nothing: the fault never fired"
    _wait_until_up(base_url)


def _fsck(app, *args):
    result = app.test_cli_runner().invoke(args=["fsck", *args])
    return result.exit_code, result.output


def _signed_in(base_url, user):
    browser = Browser()
    _login(browser, base_url, user.username)
    return browser


def _form_data(browser, page_url, **data):
    """`data` plus the CSRF token of the page that shows the form."""
    _status, page, _headers = browser.request(page_url)
    return {**data, "csrf_token": _csrf(page)}


def _count(app, model):
    with Session(app.extensions["db_engine"]) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_killed_during_an_upload_leaves_what_fsck_repairs(server):
    app, base_url, flag, humas, _admin = server
    browser = _signed_in(base_url, humas)
    with Session(app.extensions["db_engine"]) as session:
        unit_id = session.get(User, humas.id).unit_id
    photo = factories.image_bytes(size=(320, 240))
    data = _form_data(browser, f"{base_url}/toolkit/baru/photo", title="Foto kegiatan", owner_unit_id=unit_id,
                      consent="tidak_perlu")

    _killed_during(base_url, flag, "before-commit", lambda: browser.request(
        f"{base_url}/toolkit/baru/photo", data, files={"photo": ("foto.png", photo)}))

    assert _count(app, ToolkitItem) == 0  # the record never committed...
    code, output = _fsck(app)
    assert code == 1, output  # ...its file (or the `.part` it was written to) is left over
    assert "orphan file: toolkit/" in output or "leftover of an interrupted write: toolkit/" in output, output
    code, output = _fsck(app, "--repair")
    assert code == 0 and "repaired" in output
    assert _fsck(app) == (0, "clean\n")

    # The same upload, sent again after the crash, works; killed right after its commit it is consistent too.
    _killed_during(base_url, flag, "after-commit", lambda: browser.request(
        f"{base_url}/toolkit/baru/photo", data, files={"photo": ("foto.png", photo)}))
    assert _count(app, ToolkitItem) == 1
    code, output = _fsck(app)
    if code:  # committed, but the rename of its `.part` into place never happened: fsck finishes it
        assert "upload not yet moved into place: toolkit/" in output, output
        assert _fsck(app, "--repair")[0] == 0
    assert _fsck(app) == (0, "clean\n")


def test_killed_during_an_import_saves_nothing_and_fsck_is_clean(server):
    app, base_url, flag, _humas, admin = server
    browser = _signed_in(base_url, admin)
    csv_text = "nip;nama;email;unit_kode;peran\n" + "".join(
        f"{factories.valid_nip(n)};Pegawai Impor {n};impor{n}@contoh.go.id;PUSAT;\n" for n in range(1, 6))
    status, page, _ = browser.request(f"{base_url}/admin/import/users",
                                      _form_data(browser, f"{base_url}/admin/import/users"),
                                      files={"file": ("pegawai.csv", csv_text.encode())})
    assert status == 200, page[:500]
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page).group(1)
    users_before = _count(app, User)

    _killed_during(base_url, flag, "before-commit", lambda: browser.request(
        f"{base_url}/admin/import/users/confirm", {"token": token, "csrf_token": _csrf(page)}))

    assert _count(app, User) == users_before  # all or nothing: nothing
    assert _fsck(app) == (0, "clean\n")


def test_killed_during_a_publish_leaves_the_draft_and_fsck_is_clean(server):
    app, base_url, flag, humas, _admin = server
    browser = _signed_in(base_url, humas)
    data = _form_data(browser, f"{base_url}/handbook/kelola/terbitkan", version="2026.1", notes="Edisi pertama.",
                      material="y")

    _killed_during(base_url, flag, "before-commit", lambda: browser.request(
        f"{base_url}/handbook/kelola/terbitkan", data))
    assert _count(app, Edition) == 0
    assert _fsck(app) == (0, "clean\n")

    status, _page, _headers = browser.request(f"{base_url}/handbook/kelola/terbitkan", data)  # again: it works
    assert status == 303 and _count(app, Edition) == 1
    assert _fsck(app) == (0, "clean\n")
