"""The toolkit's main journeys in a real browser: search by a regulation's short citation, fill and copy an answer
template, the photo grid's thumbnails, the phone layout, and the warning on a template citing a revoked regulation.
Every visited page also gets axe and CSP checks."""

from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import expect

PHONE = {"width": 360, "height": 740}
TEMPLATE = "Tanggapan laporan pelanggaran disiplin ASN"
OLD_TEMPLATE = "Tanggapan laporan pelanggaran disiplin ASN (versi lama)"


def open_item(page, title, checked):
    with page.expect_navigation():
        page.locator("#results").get_by_role("link", name=title, exact=True).click()
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_employee_finds_a_regulation_and_fills_a_template(page, signed_in, visit, checked, check_a11y, live_server):
    signed_in(page, "pegawai", "/toolkit/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Cari foto, peraturan, atau templat jawaban").press_sequentially("PP 94/2021", delay=20)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["PP 94/2021"])
    expect(page.locator("#results-count")).to_contain_text("cocok dengan “PP 94/2021”")
    first = page.locator("#results ol.results > li").first
    expect(first.locator(".result-title")).to_have_text("PP 94/2021 — Disiplin Pegawai Negeri Sipil")
    expect(first.locator(".result-kind")).to_contain_text("berlaku")  # PP 94/2021, not the revoked PP 53/2010
    assert page.evaluate("window.__sameDocument") is True, "the live search reloaded the whole page"
    check_a11y(page)

    visit(page, "/toolkit/?kind=template")
    open_item(page, TEMPLATE, checked)
    with page.expect_navigation():
        page.get_by_role("link", name="Gunakan templat ini").first.click()
    checked(page)
    inputs = page.locator("#use-area form input[type=text]")
    expect(inputs.first).to_be_visible()
    values = {}
    for index in range(inputs.count()):
        field = inputs.nth(index)
        values[field.get_attribute("name")] = value = f"Isian uji {index + 1}"
        field.fill(value)
    assert "isi_nama" in values
    page.get_by_role("button", name="Isi templat").click()
    filled = page.locator("#filled-text")
    expect(filled).to_be_visible()
    text = filled.input_value()
    for value in values.values():
        assert value in text
    assert "{" not in text, f"a placeholder was left unfilled: {text}"
    check_a11y(page)

    # Copy to the clipboard (127.0.0.1 is a secure context; the permission is granted for this origin).
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.get_by_role("button", name="Salin").click()
    expect(page.locator(".copy-status")).to_have_text("Tersalin ✓")
    assert page.evaluate("navigator.clipboard.readText()") == text


def test_photo_thumbnails_load_and_phone_has_no_horizontal_scroll(page, new_page, signed_in, visit):
    signed_in(page, "pegawai", "/toolkit/?kind=photo")
    thumbs = page.locator(".photo-grid img.thumb")
    expect(thumbs.first).to_be_visible()
    assert thumbs.count() >= 4
    for index in range(thumbs.count()):  # lazy images load once scrolled to
        thumb = thumbs.nth(index)
        thumb.scroll_into_view_if_needed()
        expect(thumb).to_have_js_property("complete", True)
        assert thumb.evaluate("img => img.naturalWidth") > 0, f"thumbnail {index + 1} did not load"

    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, storage_state=page.context.storage_state())
    visit(phone, "/toolkit/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "/toolkit/ scrolls sideways"


def test_humas_sees_the_revoked_regulation_warning(page, signed_in, visit, checked):
    signed_in(page, "humas", "/toolkit/?kind=template&q=versi+lama")
    open_item(page, OLD_TEMPLATE, checked)
    warning = page.locator(".revoked-warning")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("heading")).to_have_text(
        "Perhatian: templat ini merujuk peraturan yang sudah dicabut")
    expect(warning).to_contain_text("PP 53/2010")
    expect(warning).to_contain_text("dicabut oleh PP 94/2021")


def test_a_pdf_with_javascript_is_refused_in_the_form(page, signed_in, checked, console_log, tmp_path):
    from tests.test_toolkit import HOSTILE_PDFS

    hostile = tmp_path / "peraturan.pdf"
    hostile.write_bytes(HOSTILE_PDFS["open-action-js"][0])
    signed_in(page, "humas", "/toolkit/baru/regulation")
    page.get_by_label("Judul", exact=True).fill("Peraturan uji dengan skrip")
    page.get_by_label("Nomor (kosongkan bila tidak bernomor)").fill("77")
    page.get_by_label("Tahun", exact=True).fill("2021")
    page.get_by_label("Naskah PDF (paling besar 20 MB)").set_input_files(str(hostile))
    console_log.expected_statuses.add(422)
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan").first.click()
    checked(page)
    expect(page.locator("form.toolkit-form")).to_contain_text("memuat JavaScript")
    expect(page.get_by_label("Judul", exact=True)).to_have_value("Peraturan uji dengan skrip")  # nothing typed is lost


def test_a_regional_humas_does_not_see_the_central_drafts(page, signed_in, visit, live_server):
    from sqlmodel import select

    from portal.models import ToolkitItem, User

    with live_server.session() as db_session:
        draft = db_session.exec(select(ToolkitItem).where(ToolkitItem.status == "draf",
                                                          ToolkitItem.kind == "regulation")).first()
        regional = db_session.exec(select(User).where(User.nip == "197503052006081858")).one()
    signed_in(page, regional.username, "/toolkit/kelola")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert draft.title not in page.content()
    visit(page, f"/toolkit/item/{draft.id}", status=404)
