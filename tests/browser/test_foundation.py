"""The foundation's main journeys in a real browser: sign-in per role, errors, admin user search (htmx and without
JavaScript), language switch, phone layout, keyboard, sign-out. Every visited page also gets axe and CSP checks."""

import re

import pytest

from portal.permissions import MATRIX
from tests.browser.conftest import expect

PHONE = {"width": 360, "height": 740}
ROLES = {"admin": "admin", "humas": "humas", "pelatih": "trainer", "atasan": "supervisor", "pegawai": "employee"}
# label, endpoint, permission: the main navigation as base.html shows it (pillar items only once they exist)
NAV = [
    ("Beranda", "accounts.dashboard", "dashboard.view"),
    ("Pedoman", "handbook.index", "handbook.read"),
    ("Kuis", "quiz.index", "quiz.take"),
    ("Perangkat Humas", "toolkit.index", "toolkit.view"),
    ("Pelatihan", "workshops.index", "workshop.view"),
    ("Konten", "content.index", "content.view"),
    ("Cek Unggahan", "check.index", "check.use"),
    ("Admin", "admin.index", "admin.access"),
]


def nav_labels(page):
    return page.get_by_role("navigation", name="Navigasi utama").get_by_role("link").all_inner_texts()


def expected_nav(app, role):
    roles = {role, "employee"}
    return [label for label, endpoint, perm in NAV if endpoint in app.view_functions and MATRIX[perm] & roles]


@pytest.mark.parametrize("username", list(ROLES))
def test_each_demo_account_sees_the_navigation_of_its_roles(page, live_server, login, username):
    login(page, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
    labels = nav_labels(page)
    assert labels == expected_nav(live_server.app, ROLES[username])
    assert ("Admin" in labels) == (username == "admin")


def test_employee_gets_the_403_page_on_admin(page, login, visit):
    login(page, "pegawai")
    visit(page, "/admin/", status=403)
    expect(page.get_by_role("heading", level=1)).to_have_text("Akses ditolak")
    expect(page.get_by_role("link", name="Kembali ke beranda")).to_be_visible()


@pytest.mark.parametrize("username", ["pegawai", "tidak-ada"])
def test_wrong_password_shows_the_generic_error(page, visit, console_log, checked, username):
    console_log.expected_statuses.add(401)
    visit(page, "/login")
    page.get_by_label("Nama pengguna atau NIP").fill(username)
    page.get_by_label("Kata sandi").fill("salah-sekali-123")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Masuk").click()
    assert navigation.value.status == 401
    checked(page)
    expect(page.locator(".flash-error")).to_have_text("Nama pengguna atau kata sandi salah.")
    expect(page.get_by_label("Nama pengguna atau NIP")).to_have_value(username)
    assert page.url.endswith("/login")


def result_names(page):
    return page.locator("#results tbody tr td:first-child").all_inner_texts()


def test_admin_user_search_is_live_and_works_without_javascript(page, nojs_page, login, visit, check_a11y):
    login(page, "admin")
    visit(page, "/admin/users")
    all_names = result_names(page)
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("Cari nama, NIP, nama pengguna, atau email").press_sequentially("nurhaliza", delay=20)
    page.wait_for_url(re.compile(r"/admin/users\?.*q=nurhaliza"))
    expect(page.locator("#results tbody tr")).to_have_count(1)
    names = result_names(page)
    assert names == ["Siti Nurhaliza Rahmawati, S.E."]
    assert names != all_names
    assert page.evaluate("window.__sameDocument") is True, "the search reloaded the whole page"
    expect(page.locator("#results")).to_contain_text("1 pengguna ditemukan")
    # Keyboard and screen readers: typing kept focus in the search box, and the count was announced.
    expect(page.get_by_label("Cari nama, NIP, nama pengguna, atau email")).to_be_focused()
    expect(page.locator("#live-region")).to_have_text("1 pengguna ditemukan")
    check_a11y(page)

    # Without JavaScript the same form submits as a plain GET and shows the same results.
    login(nojs_page, "admin")
    visit(nojs_page, "/admin/users")
    nojs_page.get_by_label("Cari nama, NIP, nama pengguna, atau email").fill("nurhaliza")
    with nojs_page.expect_navigation():
        nojs_page.get_by_role("button", name="Terapkan").click()
    assert "q=nurhaliza" in nojs_page.url
    assert result_names(nojs_page) == names


def test_admin_user_filter_by_role_without_javascript(nojs_page, login, visit):
    login(nojs_page, "admin")
    visit(nojs_page, "/admin/users")
    nojs_page.get_by_label("Peran").select_option("trainer")
    with nojs_page.expect_navigation():
        nojs_page.get_by_role("button", name="Terapkan").click()
    assert result_names(nojs_page) == ["Dr. Bambang Sutrisno, M.Si."]


def test_language_switch_to_english_is_remembered(page, login, checked, visit):
    login(page, "pegawai")
    with page.expect_navigation():
        page.get_by_role("button", name="EN", exact=True).click()
    checked(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Main navigation")).to_contain_text("Home")
    expect(page.get_by_role("button", name="EN", exact=True)).to_have_attribute("aria-pressed", "true")

    visit(page, "/account/password")  # the next page, without ?lang=
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")

    with page.expect_navigation():
        page.get_by_role("button", name="ID", exact=True).click()
    checked(page)
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ganti kata sandi")


def scroll_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize(("username", "path"), [("pegawai", "/"), ("admin", "/admin/users"),
                                                 ("admin", "/admin/units"), ("admin", "/admin/audit")])
def test_phone_has_no_horizontal_scroll(new_page, login, visit, username, path):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(page, username)
    visit(page, path)
    assert scroll_width(page) <= PHONE["width"], f"{path} scrolls sideways on a phone"


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, login):
    login(page, "pegawai")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Langsung ke isi")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_logout_with_the_button(page, login, checked, visit):
    login(page, "atasan")
    with page.expect_navigation():
        page.get_by_role("button", name="Keluar").click()
    checked(page)
    assert page.url.endswith("/login")
    expect(page.locator(".flash-info")).to_have_text("Anda sudah keluar.")
    visit(page, "/")  # the dashboard now sends to the login page
    assert "/login?next=" in page.url
