"""Imports in the browser: an Excel-made file (Windows-1252, semicolons) previewed and confirmed, with and without
JavaScript, accessible, readable on a phone."""

import os
from pathlib import Path

import pytest

from tests.browser.conftest import expect

PHONE = {"width": 360, "height": 740}
SHOTS = os.environ.get("SCREENSHOT_DIR")
USERS_FILE = ("nip;nama;email;unit_kode;peran\r\n"
              "198501012015011001;José Ñúñez Saputra;jose@kementerian.go.id;BHM-MKP;employee;supervisor\r\n"
              "19860202 201501 2 002;Ni Luh Putu Ayu Pérez;;BSDM;humas|trainer\r\n").encode("cp1252")
BROKEN_FILE = ("nip;nama;email;unit_kode;peran\r\n"
               "1,98501E+17;Agus Saputra;;BHM-MKP;\r\n").encode("cp1252")


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def choose(page, name, raw):
    page.get_by_label("Berkas CSV atau XLSX").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": raw}])
    with page.expect_navigation():
        page.get_by_role("button", name="Periksa berkas").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_admin_imports_an_excel_file(page, nojs_page, signed_in, visit, check_a11y, live_server, javascript):
    tab = page if javascript else nojs_page
    signed_in(tab, "admin", "/admin/import/users")
    choose(tab, "pegawai.csv", USERS_FILE)
    expect(tab.get_by_text("Dibaca sebagai: Windows-1252, pemisah titik koma")).to_be_visible()
    table = tab.locator("table.responsive")
    expect(table).to_contain_text("José Ñúñez Saputra")
    expect(table).to_contain_text("Atasan")
    expect(table).to_contain_text("Humas, Pelatih")
    expect(table).to_contain_text("198602022015012002")
    check_a11y(tab)
    shot(tab, f"import-preview-1280-{'js' if javascript else 'nojs'}")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Impor sekarang").click()
    expect(tab.get_by_text("Impor selesai: 2 baru, 0 diperbarui, 0 tidak berubah.")).to_be_visible()


def test_mangled_nip_on_a_phone(new_page, signed_in, check_a11y, console_log):
    console_log.expected_statuses.add(422)  # a file with a bad row is answered 422 Unprocessable Content
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    signed_in(page, "admin", "/admin/import/users")
    choose(page, "pegawai.csv", BROKEN_FILE)
    expect(page.get_by_role("alert")).to_contain_text("Excel mengubah NIP menjadi angka ilmiah (1,98501E+17)")
    check_a11y(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "import-error-360")
    choose(page, "pegawai.csv", USERS_FILE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "import-preview-360")


def test_trainer_imports_participants(page, signed_in, check_a11y, live_server):
    from sqlmodel import select

    from portal.models import Workshop

    with live_server.session() as session:
        workshop = session.exec(select(Workshop).order_by(Workshop.id)).first()
    signed_in(page, "pelatih", f"/workshops/{workshop.id}/impor")
    raw = ("nama;nip;instansi;jabatan;email;telepon\r\n"
           'Ayu Pérez;;"Dinas Kominfo\r\nKota Depok";Pranata Humas;ayu@depok.go.id;0812 3456 789\r\n').encode("cp1252")
    choose(page, "peserta.csv", raw)
    expect(page.get_by_text("Dibaca sebagai: Windows-1252, pemisah titik koma")).to_be_visible()
    expect(page.locator("table.responsive")).to_contain_text("Dinas Kominfo Kota Depok")
    check_a11y(page)
    shot(page, "participants-preview-1280")
