"""Screenshots of the main pages at phone and desktop width, to look at the UI as a person would.

    .venv/bin/python tests/browser/take_screenshots.py [--out screenshots] [--only NAME ...]

Starts the portal the same way the browser tests do (fresh SQLite, demo data, CSRF on) and writes
<out>/<page>-<width>.png (full-page). Not collected by pytest.
"""

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (360, 1280)
BAD_USERS_CSV = (
    "nip,nama,email,unit_kode,peran\n"
    "199005172015031001,Agus Saputra,agus@kementerian.go.id,BHM-MKP,\n"
    "12345,Budi Santoso,budi@kementerian.go.id,BHM-MKP,\n"
    "199005172015031002,,bukan-email,TIDAK-ADA,raja\n"
    "199005172015031001,Agus Saputra Lagi,agus@kementerian.go.id,BHM,\n"
).encode()


def sign_in(page, username, password):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def import_with_errors(page):
    page.goto("/admin/import/users")
    page.set_input_files("input[type=file]", files=[{"name": "pegawai.csv", "mimeType": "text/csv",
                                                      "buffer": BAD_USERS_CSV}])
    with page.expect_navigation():
        page.click("main form button[type=submit]")


# name -> (account or None, path or a function doing the steps)
SHOTS = {
    "login": (None, "/login"),
    "login-error": (None, "login-error"),
    "dashboard-pegawai": ("pegawai", "/"),
    "dashboard-admin": ("admin", "/"),
    "password": ("pegawai", "/account/password"),
    "admin-index": ("admin", "/admin/"),
    "admin-users": ("admin", "/admin/users"),
    "admin-user-edit": ("admin", "/admin/users/1/edit"),
    "admin-units": ("admin", "/admin/units"),
    "admin-import-errors": ("admin", import_with_errors),
    "admin-audit": ("admin", "/admin/audit"),
    "error-403": ("pegawai", "/admin/"),
    "error-404": ("pegawai", "/tidak-ada"),
    "dashboard-en": ("pegawai", "/?lang=en"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--only", nargs="*", help="names of the shots to take (default: all)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, start_live_server

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="portal-shots-"))
    live, stop = start_live_server(workdir)
    names = args.only or list(SHOTS)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for width in WIDTHS:
                for name in names:
                    account, target = SHOTS[name]
                    context = browser.new_context(base_url=live.url, viewport={"width": width, "height": 800},
                                                  locale="id-ID", timezone_id="Asia/Jakarta",
                                                  is_mobile=width < 600, has_touch=width < 600)
                    page = context.new_page()
                    if account:
                        sign_in(page, account, DEMO_PASSWORD)
                    if target == "login-error":
                        sign_in(page, "pegawai", "salah-sekali")
                    elif callable(target):
                        target(page)
                    else:
                        page.goto(target)
                    page.wait_for_load_state("networkidle")
                    path = out / f"{name}-{width}.png"
                    page.screenshot(path=str(path), full_page=True)
                    overflow = page.evaluate("document.documentElement.scrollWidth") - width
                    note = f"  OVERFLOWS by {overflow}px" if overflow > 0 else ""
                    print(f"{path}{note}")
                    context.close()
            browser.close()
    finally:
        stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
