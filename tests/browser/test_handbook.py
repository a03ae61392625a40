"""The handbook's main journeys in a real browser: reading (progress, the automatic mark-as-read, acknowledgement
and the dashboard card), live search with the Back button and without JavaScript, and humas editing a section with
the live preview. Every visited page also gets axe and CSP checks."""

import re

from tests.browser.conftest import expect

PROGRESS = re.compile(r"(\d+) dari (\d+) bagian sudah Anda buka")


def reading_progress(page):
    text = page.locator("section[aria-labelledby=progress-title] p").first.inner_text()
    match = PROGRESS.search(text)
    assert match, f"no reading progress in {text!r}"
    return int(match.group(1)), int(match.group(2))


def test_employee_reads_a_section_and_acknowledges_the_edition(page, signed_in, visit, checked):
    signed_in(page, "pegawai")
    expect(page.get_by_role("region", name="Baca dan setujui pedoman")).to_be_visible()  # the dashboard card
    visit(page, "/handbook/")
    done, total = reading_progress(page)
    assert 0 < done < total
    ack = page.locator("section[aria-labelledby=ack-title]")
    expect(ack).to_contain_text("memuat perubahan material")
    expect(ack.get_by_role("button", name="Kirim persetujuan")).to_be_visible()

    # A section not read yet, opened from the table of contents: htmx marks it read two seconds after it opens.
    unread = page.locator("nav.toc .toc-sections li:not(:has(.read-mark)) > a").first
    title = unread.inner_text()
    with page.expect_navigation():
        unread.click()
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#read-status")).to_contain_text("sudah Anda baca", timeout=8_000)

    visit(page, "/handbook/")
    assert reading_progress(page) == (done + 1, total)
    expect(page.locator("nav.toc .toc-sections li", has=page.get_by_role("link", name=title, exact=True))
           .locator(".read-mark")).to_have_count(1)

    page.get_by_label("Saya telah membaca dan memahami pedoman ini").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Kirim persetujuan").click()
    checked(page)
    expect(page.locator(".flash-success")).to_contain_text("Persetujuan Anda atas pedoman ini sudah tercatat")
    expect(ack).to_contain_text("Anda sudah menyatakan membaca dan memahami edisi")

    visit(page, "/")
    expect(page.get_by_role("region", name="Pedoman sudah Anda setujui")).to_be_visible()
    expect(page.get_by_role("region", name="Baca dan setujui pedoman")).to_have_count(0)


def result_titles(page):
    return page.locator("#results .result-title").all_inner_texts()


def test_live_search_back_button_and_without_javascript(page, new_page, signed_in, visit, check_a11y):
    signed_in(page, "pegawai", "/handbook/cari")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("searchbox", name="Cari di pedoman").press_sequentially("mengunggah", delay=20)
    page.wait_for_url(re.compile(r"/handbook/cari\?q=mengunggah$"))
    expect(page.locator("#results mark").first).to_be_visible()
    expect(page.locator("#results")).to_contain_text("bagian cocok dengan “mengunggah”")
    titles = result_titles(page)
    assert titles
    assert page.evaluate("window.__sameDocument") is True, "the live search reloaded the whole page"
    check_a11y(page)

    # Back: htmx restores the page from the server (a history-restore request gets the full page, not the fragment).
    page.go_back()
    page.wait_for_url(re.compile(r"/handbook/cari$"))
    expect(page.locator("#results mark")).to_have_count(0)
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.locator("main")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cari di pedoman")
    expect(page.get_by_role("navigation", name="Navigasi utama")).to_be_visible()
    check_a11y(page)
    # ... and the restored page still works: the live search runs again.
    page.get_by_role("searchbox", name="Cari di pedoman").press_sequentially("hoaks", delay=20)
    page.wait_for_url(re.compile(r"/handbook/cari\?q=hoaks$"))
    expect(page.locator("#results mark").first).to_be_visible()

    # Without JavaScript the same form is a plain GET with the same results (the session is reused).
    nojs = new_page(java_script_enabled=False, storage_state=page.context.storage_state())
    visit(nojs, "/handbook/cari")
    nojs.get_by_role("searchbox", name="Cari di pedoman").fill("mengunggah")
    with nojs.expect_navigation():
        nojs.get_by_role("button", name="Cari", exact=True).click()
    assert re.search(r"/handbook/cari\?q=mengunggah$", nojs.url)
    assert result_titles(nojs) == titles
    assert nojs.locator("#results mark").count() > 0


def test_humas_edits_a_section_with_live_preview(page, signed_in, visit, checked):
    signed_in(page, "humas", "/handbook/kelola")
    edit = page.get_by_role("link", name=re.compile(r"^Sunting ")).first
    with page.expect_navigation():
        edit.click()
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunting bagian")
    preview = page.locator("#preview")
    expect(preview).not_to_contain_text("Pratinjau tampil saat Anda mengetik")  # htmx loaded the current text's preview

    body = page.get_by_label("Isi (Markdown)")
    body.fill(body.input_value() + "\n\n**Diperbarui lewat uji peramban**")
    expect(preview.locator("strong", has_text="Diperbarui lewat uji peramban")).to_be_visible()
    page.get_by_label("Ringkasan perubahan").fill("Uji peramban: menambah satu kalimat")
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan draf").click()
    checked(page)
    flash = page.locator(".flash-success")
    expect(flash).to_contain_text(re.compile(r"Disimpan sebagai revisi #\d+ \(draf\)"))
    number = re.search(r"#(\d+)", flash.inner_text()).group(1)

    with page.expect_navigation():
        page.get_by_role("link", name="Riwayat revisi").click()
    checked(page)
    newest = page.locator("table tbody tr").first
    expect(newest).to_contain_text(f"#{number}")
    expect(newest).to_contain_text("terkini")
    expect(newest).to_contain_text("Uji peramban: menambah satu kalimat")
