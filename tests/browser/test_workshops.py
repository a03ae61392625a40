"""The workshops' main journeys in a real browser: a trainer on a phone marks attendance in the roster (htmx, no
reload, no horizontal scroll) and opens the printable daftar hadir; an employee joins the waiting list of the full
upcoming workshop and cancels, and registers again without JavaScript; the roster's plain form without JavaScript.
Every visited page also gets axe and CSP checks."""

import re

from tests.browser.conftest import expect

FULL_WORKSHOP = "Rapat Kerja Sinergi Pengelolaan Anggaran dan Strategi Media Sosial"
PHONE = {"width": 360, "height": 740}
WAITING = re.compile(r"Daftar tunggu nomor (\d+)")


def follow(page, link, checked):
    with page.expect_navigation():
        link.click()
    return checked(page)


def open_roster(page, checked):
    """From /workshops/: the manage page of the full workshop, then the roster of its first session."""
    follow(page, page.get_by_role("link", name=FULL_WORKSHOP, exact=True), checked)
    assert re.search(r"/workshops/\d+/kelola$", page.url), page.url
    follow(page, page.get_by_role("link", name="Presensi", exact=True).first, checked)
    expect(page.get_by_role("heading", level=1)).to_have_text("Presensi sesi")
    return page


def first_unmarked(page):
    row = page.locator("li.roster-row", has=page.locator(".badge", has_text="belum ditandai")).first
    return page.locator(f"li#{row.get_attribute('id')}")


def test_trainer_marks_attendance_on_a_phone(new_page, signed_in, checked, check_a11y):
    page = new_page(viewport=PHONE)
    signed_in(page, "pelatih", "/workshops/")
    open_roster(page, checked)
    row = first_unmarked(page)
    page.evaluate("window.__sameDocument = true")
    row.get_by_role("button", name="hadir", exact=True).click()
    expect(row.locator(".roster-state .badge")).to_have_text("hadir")
    expect(row.get_by_role("button", name="hadir", exact=True)).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__sameDocument") is True, "marking reloaded the whole page"
    check_a11y(page)  # the swapped row
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "horizontal scroll at 360 px"

    follow(page, page.get_by_role("link", name="Cetak daftar hadir"), checked)
    assert page.url.endswith("/daftar-hadir"), page.url
    expect(page.locator("body")).to_contain_text(FULL_WORKSHOP)


def test_employee_joins_the_waiting_list_and_cancels(page, nojs_page, signed_in, checked):
    signed_in(page, "pegawai", "/workshops/")
    follow(page, page.get_by_role("link", name=FULL_WORKSHOP, exact=True), checked)
    detail_url = page.url
    follow(page, page.get_by_role("button", name="Masuk daftar tunggu"), checked)
    expect(page.get_by_text("Kelas sudah penuh: Anda masuk daftar tunggu")).to_be_visible()
    expect(page.get_by_text(WAITING)).to_have_text("Daftar tunggu nomor 2")  # one employee was already waiting

    follow(page, page.get_by_role("button", name="Batalkan pendaftaran"), checked)
    expect(page.get_by_text("Pendaftaran Anda dibatalkan.")).to_be_visible()
    expect(page.get_by_text(WAITING)).to_have_count(0)
    expect(page.get_by_role("button", name="Masuk daftar tunggu")).to_be_visible()

    # The same registration without JavaScript: a plain form post and a redirect back to the workshop.
    signed_in(nojs_page, "pegawai", re.sub(r"^https?://[^/]+", "", detail_url))
    follow(nojs_page, nojs_page.get_by_role("button", name="Masuk daftar tunggu"), checked)
    assert nojs_page.url == detail_url, nojs_page.url
    expect(nojs_page.get_by_text(WAITING)).to_have_text("Daftar tunggu nomor 2")


def test_roster_marks_without_javascript(nojs_page, signed_in, checked):
    page = nojs_page
    signed_in(page, "pelatih", "/workshops/")
    open_roster(page, checked)
    row = first_unmarked(page)
    follow(page, row.get_by_role("button", name="izin", exact=True), checked)
    assert "/presensi" in page.url, page.url
    expect(row.locator(".roster-state .badge")).to_have_text("izin")
    expect(row).to_contain_text("oleh ")


FINISHED_WORKSHOP = "Belajar Asyik Pengelolaan Media Sosial"


def test_report_is_legible_on_a_phone(new_page, signed_in, checked):
    """At 360 px the attendance rates are a list with labels as large as the text around them (not a shrunken
    SVG), and nothing scrolls sideways."""
    page = new_page(viewport=PHONE)
    signed_in(page, "pelatih", "/workshops/")
    follow(page, page.get_by_role("link", name="Laporan").first, checked)
    expect(page.get_by_role("heading", level=1)).to_have_text("Laporan pelatihan")
    labels = page.locator(".rate-label")
    assert labels.count() >= 2
    sizes = labels.evaluate_all("els => els.map(e => [parseFloat(getComputedStyle(e).fontSize), "
                                "e.getBoundingClientRect().width])")
    assert all(size >= 14 and width >= 150 for size, width in sizes), sizes
    bars = page.locator(".rate-row progress")
    assert bars.count() == labels.count()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "horizontal scroll at 360 px"
    # table cells keep their words whole: no word of a cell is split over two lines
    split = page.evaluate("""() => {
        const out = [];
        for (const td of document.querySelectorAll('table.ws-report td')) {
            const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (const match of node.textContent.matchAll(/\\S+/g)) {
                    const range = document.createRange();
                    range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
                    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    if (lines.size > 1) out.push(match[0]);
                }
            }
        }
        return out; }""")
    assert split == [], split


def test_invalid_workshop_form_shows_its_errors_in_place(page, signed_in, checked, check_a11y):
    signed_in(page, "pelatih", "/workshops/baru")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Kapasitas").fill("9" * 30)
    page.get_by_label("Tautan daring").fill("javascript:alert(1)")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Judul wajib diisi.")).to_be_visible()
    expect(page.get_by_text("Isi dengan bilangan bulat yang wajar.")).to_be_visible()
    expect(page.get_by_text("Tautan daring harus diawali")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True, "the form reloaded the whole page"
    check_a11y(page)


def test_certificate_pages_of_workshop_and_guest(page, visit, signed_in, checked):
    signed_in(page, "pegawai", "/workshops/")
    follow(page, page.get_by_role("link", name=FINISHED_WORKSHOP, exact=True), checked)
    follow(page, page.get_by_role("link", name="Lihat sertifikat"), checked)
    expect(page.locator(".cert-text")).to_contain_text("yang telah menyelesaikan")
    verify = page.locator(".cert-verify a")
    follow(page, verify, checked)
    expect(page.get_by_role("heading", level=2)).to_contain_text("asli")
