"""The pre-post checker, the header search and the bell in a real browser: live results through htmx and the same
check without JavaScript, the clean copy of a photo, a misspelt search, notifications read; axe at 360 and 1280 px."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from tests import factories
from tests.browser.conftest import expect

RISKY = "Sebarkan sebelum dihapus!!! NIK adik saya 3174051208900003, WA 0812-3456-7890. Jangan lupa coblos no 2"
WIDTHS = [360, 1280]


@pytest.mark.parametrize("width", WIDTHS)
def test_live_check_with_javascript(new_page, signed_in, check_a11y, width):
    page = new_page(viewport={"width": width, "height": 900})
    signed_in(page, "pegawai", "/check/")
    expect(page.get_by_text("tidak disimpan, kecuali")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Draf unggahan").fill(RISKY)  # no button pressed: htmx checks as the person types
    results = page.locator("#check-results")
    expect(results.locator("mark.flag").first).to_be_visible()
    expect(results).to_contain_text("Tampak seperti NIK")
    expect(results.get_by_role("link", name="Baca di pedoman").first).to_have_attribute(
        "href", re.compile(r"^/handbook/bagian/"))
    assert page.evaluate("window.__sameDocument") is True
    check_a11y(page)
    page.screenshot(path=f"/tmp/check-risky-{width}.png", full_page=True)
    page.get_by_label("Draf unggahan").fill("Selamat pagi, rapat koordinasi dimulai pukul 09.00 di aula.")
    expect(results).to_contain_text("Tidak ada yang perlu diperhatikan")
    page.screenshot(path=f"/tmp/check-{width}.png", full_page=True)


def test_check_without_javascript_and_save(nojs_page, signed_in, checked):
    page = nojs_page
    signed_in(page, "pegawai", "/check/")
    page.get_by_label("Draf unggahan").fill(RISKY)
    with page.expect_navigation():
        page.get_by_role("button", name="Periksa", exact=True).click()
    checked(page)
    expect(page.locator("#check-results")).to_contain_text("Tampak seperti NIK")
    expect(page.get_by_label("Draf unggahan")).to_have_value(RISKY)  # what was typed stays
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan hasil").click()
    checked(page)
    page.screenshot(path="/tmp/check-saved.png", full_page=True)
    assert re.search(r"/check/tersimpan/\d+$", page.url)
    expect(page.get_by_text("Hasil pemeriksaan disimpan")).to_be_visible()


def test_photo_with_gps_warning_and_clean_copy(page, signed_in, checked, tmp_path):
    photo = tmp_path / "rumah.jpg"
    photo.write_bytes(factories.image_bytes(size=(320, 240), fmt="JPEG", exif=factories.gps_exif()))
    signed_in(page, "pegawai", "/check/")
    page.get_by_label("Gambar (opsional)").set_input_files(str(photo))
    with page.expect_navigation():
        page.get_by_role("button", name="Periksa", exact=True).click()
    checked(page)
    expect(page.locator("#check-results")).to_contain_text("lokasi GPS")
    page.get_by_label("Gambar (opsional)").set_input_files(str(photo))
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Unduh salinan tanpa metadata").click()
    download = download_info.value
    assert download.suggested_filename == "rumah-tanpa-metadata.jpg"
    clean = Image.open(io.BytesIO(Path(download.path()).read_bytes()))
    assert clean.size == (320, 240) and not clean.getexif()


@pytest.mark.parametrize("width", WIDTHS)
def test_header_search_with_a_misspelt_word(new_page, signed_in, checked, width):
    page = new_page(viewport={"width": width, "height": 900})
    signed_in(page, "pegawai", "/")
    search = page.locator("header").get_by_role("searchbox", name="Cari di seluruh portal")
    search.fill("netralitass")
    with page.expect_navigation():
        search.press("Enter")
    checked(page)
    expect(page.locator(".did-you-mean")).to_contain_text("netralitas")
    expect(page.locator("#group-handbook")).to_be_visible()
    page.screenshot(path=f"/tmp/search-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_bell_and_marking_read(new_page, signed_in, live_server, visit, check_a11y, width):
    from sqlmodel import select

    from portal.models import Notification, User

    with live_server.session() as session:
        me = session.exec(select(User).where(User.username == "pegawai")).one()
        for earlier in session.exec(select(Notification).where(Notification.user_id == me.id)).all():
            session.delete(earlier)  # the demo's own notices (content decisions) are not this test's
        for text in ("Isi survei kepuasan pelatihan", "Baca edisi baru pedoman"):
            session.add(Notification(user_id=me.id, kind="reminder", params=f'{{"text": "{text}"}}', url="/handbook/"))
        session.commit()
    page = new_page(viewport={"width": width, "height": 900})
    signed_in(page, "pegawai", "/")
    bell = page.locator("header a.bell")
    expect(bell.locator(".bell-count")).to_have_text("2")
    page.screenshot(path=f"/tmp/bell-{width}.png")
    bell.click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    check_a11y(page)
    first = page.locator("li.notification.unread").first
    first.get_by_role("button", name="Tandai sudah dibaca").click()  # htmx: only this notice changes
    expect(page.locator("li.notification.unread")).to_have_count(1)
    check_a11y(page)
    page.screenshot(path=f"/tmp/notifications-{width}.png", full_page=True)
    page.get_by_role("button", name="Tandai semua sudah dibaca").click()
    page.wait_for_load_state()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(page.locator("header a.bell .bell-count")).to_have_count(0)
