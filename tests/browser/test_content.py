"""The content plan in a real browser, as the issue's check describes it: a unit manager plans posts for two accounts
on a phone, submits; the supervisor approves one and rejects another; another unit sees the post on the shared
calendar and is warned of a clash when it plans the same topic; central humas publishes a key message that shows on
every unit's week; the weekly plan prints. Again without JavaScript. Every visited page gets axe and CSP checks."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from tests.browser.conftest import ROOT, expect

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
REGIONAL = "197503052006081858"  # Gilang Latuconsina, regional humas of Balai Layanan Wilayah II Surabaya


def plan_day():
    """A day later this week (or next week's Monday on a Sunday), within the planning range."""
    from portal.timezone import today_wib

    return today_wib() + timedelta(days=1)


def week_code(day):
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def fill_post(page, day, topic, tags, accounts, clock="09:30"):
    for name in accounts:
        page.get_by_label(name).check()
    page.get_by_label("Tanggal tayang").fill(day.isoformat())
    page.get_by_label("Jam tayang (WIB)").fill(clock)
    page.get_by_label("Topik").fill(topic)
    page.get_by_label("Pilar konten").select_option(label="Edukasi & Literasi")
    page.get_by_label("Draf keterangan (caption)").fill(
        "Jangan mudah percaya pesan berantai. Cek kebenarannya di kanal resmi kami sebelum dibagikan.")
    page.get_by_label("Tagar atau kata kunci").fill(tags)


def test_plan_submit_approve_reject_clash_and_key_message(new_page, signed_in, visit, checked, check_a11y):
    day = plan_day()
    manager = new_page(viewport=PHONE)
    signed_in(manager, "pegawai", "/content/")
    expect(manager.get_by_role("heading", level=1)).to_have_text("Rencana konten mingguan")
    with manager.expect_navigation():
        manager.get_by_role("link", name="Rencana pos baru", exact=True).click()
    checked(manager)
    fill_post(manager, day, "Uji peramban: cek fakta pesan berantai", "pesan berantai, hoaks",
              [re.compile(r"^Instagram @kemenbijak — "), re.compile(r"^TikTok @kemenbijak — ")])
    with manager.expect_navigation():
        manager.get_by_role("button", name="Simpan").click()
    checked(manager)
    expect(manager.get_by_role("heading", level=1)).to_have_text("Uji peramban: cek fakta pesan berantai")
    post_url = manager.url
    with manager.expect_navigation():
        manager.get_by_role("button", name="Ajukan untuk disetujui").click()
    checked(manager)
    expect(manager.locator(".lead .badge")).to_have_text("diajukan")

    # The week on a phone, then with htmx to the next week and back.
    visit(manager, f"/content/?minggu={week_code(day)}")
    expect(manager.locator("#week")).to_contain_text("Uji peramban: cek fakta pesan berantai")
    manager.get_by_role("link", name=re.compile(r"› *$")).click()
    expect(manager.locator(".week-title")).to_contain_text(week_code(day + timedelta(days=7)))
    check_a11y(manager)

    # The supervisor approves it and rejects another submitted post.
    supervisor = new_page(viewport=DESKTOP)
    signed_in(supervisor, "atasan", urlsplit(post_url).path)
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="Setujui").click()
    checked(supervisor)
    expect(supervisor.locator(".lead .badge")).to_have_text("disetujui")
    visit(supervisor, "/")
    card = supervisor.get_by_text(re.compile(r"rencana pos menunggu persetujuan Anda"))
    expect(card).to_be_visible()
    with supervisor.expect_navigation():
        supervisor.get_by_role("link", name="Tinjau").click()
    checked(supervisor)
    supervisor.get_by_label("Alasan penolakan").fill("Tambahkan sumber resmi pada keterangan.")
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="Tolak").click()
    checked(supervisor)
    expect(supervisor.locator(".rejection")).to_contain_text("Tambahkan sumber resmi")

    # Another unit sees the approved post on the shared calendar and is warned when it plans the same topic.
    regional = new_page(viewport=PHONE)
    signed_in(regional, REGIONAL, f"/content/bulan?bulan={day.strftime('%Y-%m')}")
    expect(regional.locator("#month")).to_contain_text("Uji peramban: cek fakta")
    visit(regional, "/content/pos/baru")
    fill_post(regional, day, "Cek fakta pesan berantai di Surabaya", "Hoaks",
              [re.compile(r"^Instagram @balaiwil2.surabaya — ")], clock="19:30")
    with regional.expect_navigation():
        regional.get_by_role("button", name="Simpan").click()
    checked(regional)
    expect(regional.locator(".flash-warning")).to_contain_text("catatan untuk diperiksa")
    expect(regional.get_by_text("Unit lain merencanakan topik yang sama dalam 24 jam:")).to_be_visible()

    # Central humas publishes a key message; it shows on the regional unit's week.
    humas = new_page(viewport=DESKTOP)
    signed_in(humas, "humas", "/content/pesan/baru")
    humas.get_by_label("Jenis").select_option("pesan_kunci")
    humas.get_by_label("Judul").fill("Pesan uji: satu suara soal layanan daring")
    humas.get_by_label("Mulai").fill(day.isoformat())
    with humas.expect_navigation():
        humas.get_by_role("button", name="Terbitkan").click()
    checked(humas)
    visit(regional, f"/content/?minggu={week_code(day)}")
    expect(regional.locator("#week")).to_contain_text("Pesan uji: satu suara soal layanan daring")
    expect(regional.locator("#week")).to_contain_text("Belum ada pos unit ini untuk pesan kunci")

    # The printable plan.
    visit(humas, f"/content/cetak?minggu={week_code(day)}")
    expect(humas.get_by_role("heading", level=1)).to_have_text("Rencana Konten Media Sosial Mingguan")
    expect(humas.locator(".print-table")).to_contain_text("Uji peramban: cek fakta pesan berantai")


def test_without_javascript_plan_and_move(new_page, signed_in, visit, checked):
    day = plan_day()
    page = new_page(java_script_enabled=False, viewport=PHONE)
    signed_in(page, "pegawai", "/content/pos/baru")
    fill_post(page, day, "Tanpa JavaScript: info layanan", "layanan", [re.compile(r"^Instagram @kemenbijak — ")])
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").click()
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tanpa JavaScript: info layanan")
    page.locator("#schedule").get_by_label("Jam baru (WIB)").fill("20:15")
    with page.expect_navigation():
        page.get_by_role("button", name="Pindahkan").click()
    checked(page)
    expect(page.locator(".flash-success")).to_contain_text("Jadwal pos dipindah.")
    expect(page.locator("#schedule")).to_contain_text("20.15 WIB")
    # A bad week in the address is a clear message, not an error page.
    visit(page, "/content/?minggu=2026-W99", status=400)
    expect(page.locator(".flash-error")).to_contain_text("tidak punya minggu ke-99")


def test_registry_and_pillars_on_a_phone_and_desktop(new_page, signed_in, visit):
    for viewport in (PHONE, DESKTOP):
        page = new_page(viewport=viewport)
        signed_in(page, "pegawai", "/content/akun")
        expect(page.locator("#results")).to_contain_text("@kemenbijak")
        visit(page, "/content/pilar")
        expect(page.locator(".pillar-list")).to_contain_text("Kebijakan & Program")
        visit(page, "/content/bulan")
        visit(page, "/content/pesan")
        visit(page, "/content/")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1 or viewport == DESKTOP


def _ids(live_server):
    from sqlmodel import select

    from portal.models import ContentAccount, Unit

    with live_server.session() as db_session:
        account = db_session.exec(select(ContentAccount).where(ContentAccount.platform == "Instagram",
                                                               ContentAccount.handle_key == "kemenbijak")).one()
        unit = db_session.exec(select(Unit).where(Unit.code == "UPT-SBY")).one()
        return account.id, unit.id


def test_import_an_export_then_report_and_roll_up(new_page, signed_in, visit, checked, check_a11y, live_server):
    from portal.content.reports import last_full_month

    account_id, sby_id = _ids(live_server)
    month = last_full_month().strftime("%Y-%m")
    humas = new_page(viewport=DESKTOP)
    signed_in(humas, "humas", f"/content/akun/{account_id}/impor")
    humas.get_by_label("Berkas ekspor platform (CSV atau XLSX)").set_input_files(
        str(ROOT / "portal" / "demo" / "content" / "instagram_id.csv"))
    with humas.expect_navigation():
        humas.get_by_role("button", name="Periksa berkas").click()
    checked(humas)
    expect(humas.get_by_text(re.compile("format Indonesia"))).to_be_visible()
    with humas.expect_navigation():
        humas.get_by_role("button", name="Impor sekarang").click()
    checked(humas)
    expect(humas.locator(".flash-success")).to_contain_text("Impor selesai: 5 baru")

    # The Surabaya balai's returned report: completed and submitted again on a phone, then accepted.
    regional = new_page(viewport=PHONE)
    signed_in(regional, REGIONAL, f"/content/laporan/{sby_id}?bulan={month}")
    expect(regional.locator(".lead .badge")).to_have_text("dikembalikan")
    regional.get_by_label("Kendala").fill("Angka pengikut TikTok sudah dilengkapi; jangkauan Facebook turun karena "
                                          "libur panjang.")
    with regional.expect_navigation():
        regional.get_by_role("button", name="Simpan narasi").click()
    checked(regional)
    with regional.expect_navigation():
        regional.get_by_role("button", name="Ajukan laporan ke humas pusat").click()
    checked(regional)
    expect(regional.locator(".lead .badge").first).to_have_text(re.compile("diajukan|terlambat"))

    visit(humas, f"/content/laporan?bulan={month}")
    expect(humas.get_by_role("heading", name="Peringkat unit")).to_be_visible()
    with humas.expect_navigation():
        humas.get_by_role("link", name="Balai Layanan Wilayah II Surabaya").click()
    checked(humas)
    humas.get_by_label("Catatan").fill("Lengkap.")
    with humas.expect_navigation():
        humas.get_by_role("button", name="Terima").click()
    checked(humas)
    expect(humas.locator(".lead .badge").first).to_have_text("diterima")
    visit(humas, f"/content/laporan/{sby_id}/cetak?bulan={month}")
    expect(humas.get_by_role("heading", level=1)).to_have_text("Laporan Kinerja Media Sosial Bulanan")
    phone = new_page(viewport=PHONE)
    signed_in(phone, "humas", f"/content/laporan?bulan={month}")
    check_a11y(phone)
