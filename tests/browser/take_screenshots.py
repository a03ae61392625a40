"""Screenshots of the main pages at phone and desktop width, to look at the UI as a person would.

    .venv/bin/python tests/browser/take_screenshots.py [--out screenshots] [--only NAME ...] [--html]

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
    b"nip,nama,email,unit_kode,peran\n"
    b"199005172015031001,Agus Saputra,agus@kementerian.go.id,BHM-MKP,\n"
    b"12345,Budi Santoso,budi@kementerian.go.id,BHM-MKP,\n"
    b"199005172015031002,,bukan-email,TIDAK-ADA,raja\n"
    b"199005172015031001,Agus Saputra Lagi,agus@kementerian.go.id,BHM,\n"
)


def sign_in(page, username, password):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


GOOD_USERS_CSV = (
    b"nip;nama;email;unit_kode;peran\n"
    b"199005172015031001;Agus Saputra;agus.saputra@kementerian.go.id;BHM-MKP;\n"
    b"198811232014032002;Rina Marlina, S.Sos.;rina.marlina@kementerian.go.id;BHM-HAL;humas\n"
)


def upload(page, path, name, content):
    page.goto(path)
    page.set_input_files("input[type=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def import_with_errors(page):
    upload(page, "/admin/import/users", "pegawai.csv", BAD_USERS_CSV)


def import_ready(page):
    upload(page, "/admin/import/users", "pegawai.csv", GOOD_USERS_CSV)


def password_errors(page):
    page.goto("/account/password")
    page.fill("#current_password", "salah")
    page.fill("#new_password", "pendek")
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def user_new_errors(page):
    page.goto("/admin/users/new")
    page.fill("#nip", "1234")
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def keep_document(response, seen):
    if response.request.resource_type == "document" and not 300 <= response.status < 400:
        seen[response.url] = response.text()


# name -> (account or None, path or a function doing the steps)
SHOTS = {
    "login": (None, "/login"),
    "login-error": (None, "login-error"),
    "dashboard-pegawai": ("pegawai", "/"),
    "dashboard-admin": ("admin", "/"),
    "password": ("pegawai", "/account/password"),
    "password-errors": ("pegawai", password_errors),
    "admin-index": ("admin", "/admin/"),
    "admin-users": ("admin", "/admin/users"),
    "profile": ("pegawai", "/account/"),
    "admin-user-sessions": ("admin", "/admin/users/2/edit"),
    "admin-user-edit": ("admin", "/admin/users/1/edit"),
    "admin-user-new-errors": ("admin", user_new_errors),
    "admin-units": ("admin", "/admin/units"),
    "admin-unit-edit": ("admin", "/admin/units/2/edit"),
    "admin-import-errors": ("admin", import_with_errors),
    "admin-import-ready": ("admin", import_ready),
    "admin-audit": ("admin", "/admin/audit"),
    "error-403": ("pegawai", "/admin/"),
    "error-404": ("pegawai", "/tidak-ada"),
    "dashboard-en": ("pegawai", "/?lang=en"),
    "quiz-report": ("admin", "/quiz/laporan"),
    "quiz-report-en": ("admin", "/quiz/laporan?lang=en"),
    "admin-audit-en": ("admin", "/admin/audit?lang=en"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--only", nargs="*", help="names of the shots to take (default: all)")
    parser.add_argument("--html", action="store_true",
                        help="also save each page's HTML as served (<name>.html), e.g. for the Nu HTML Checker")
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
                    live.fresh()  # every shot starts from the demo data as seeded
                    context = browser.new_context(base_url=live.url, viewport={"width": width, "height": 800},
                                                  locale="id-ID", timezone_id="Asia/Jakarta",
                                                  is_mobile=width < 600, has_touch=width < 600)
                    page = context.new_page()
                    served_html = {}
                    if args.html:  # the HTML as the server sent it (page.content() would be the live DOM)
                        page.on("response", lambda response, seen=served_html: keep_document(response, seen))
                    if account:
                        sign_in(page, account, DEMO_PASSWORD)
                    if target == "login-error":
                        sign_in(page, "pegawai", "salah-sekali")
                    elif callable(target):
                        target(page)
                    else:
                        page.goto(target)
                    page.wait_for_load_state("load")
                    if args.html and width == WIDTHS[-1]:
                        (out / f"{name}.html").write_text(served_html.get(page.url) or page.content())
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
