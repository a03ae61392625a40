"""The admin's personal-data tools on a user's page: readable at 360 px, accessible (axe), working without
JavaScript (the export downloads, the anonymisation asks for the username)."""

import os

from sqlmodel import select

from portal.models import User
from tests.browser.conftest import expect


def _pegawai_id(live_server):
    with live_server.session() as session:
        return session.exec(select(User.id).where(User.username == "pegawai")).one()


def test_admin_exports_and_anonymises_without_javascript(nojs_page, live_server, login, visit, console_log):
    console_log.expected_statuses.add(422)  # the mistyped username, on purpose
    login(nojs_page, "admin")
    user_id = _pegawai_id(live_server)
    visit(nojs_page, f"/admin/users/{user_id}/edit")
    with nojs_page.expect_download() as download:
        nojs_page.get_by_role("button", name="Unduh data pribadi").click()
    assert download.value.suggested_filename.startswith(f"data-pribadi-{user_id}-")
    assert download.value.suggested_filename.endswith(".xlsx")

    nojs_page.get_by_label("Ketik nama pengguna untuk memastikan").fill("salah")
    nojs_page.get_by_role("button", name="Anonimkan akun").click()
    expect(nojs_page.get_by_text("Nama pengguna yang diketik tidak cocok.")).to_be_visible()
    nojs_page.get_by_label("Ketik nama pengguna untuk memastikan").fill("pegawai")
    nojs_page.get_by_role("button", name="Anonimkan akun").click()
    expect(nojs_page.get_by_text("Data pribadi akun ini telah dianonimkan.")).to_be_visible()
    expect(nojs_page.get_by_role("heading", level=1)).to_have_text(f"Pegawai anonim {user_id}")


def test_the_privacy_tools_read_well_on_a_phone(new_page, live_server, login, visit):
    phone = new_page(viewport={"width": 360, "height": 740})
    login(phone, "admin")
    user_id = _pegawai_id(live_server)
    visit(phone, f"/admin/users/{user_id}/edit")  # axe runs here
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    if os.environ.get("SCREENSHOTS"):
        phone.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "privacy-360.png"), full_page=True)
        wide = new_page(viewport={"width": 1280, "height": 900})
        login(wide, "admin")
        visit(wide, f"/admin/users/{user_id}/edit")
        wide.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "privacy-1280.png"), full_page=True)
