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

    # Acknowledging means having read: refused while changed sections are unread, which are listed with links.
    page.get_by_label("Saya telah membaca dan memahami pedoman ini").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Kirim persetujuan").click()
    checked(page)
    expect(page.locator(".flash-error")).to_contain_text("Buka dulu bagian yang belum Anda baca")
    expect(page.get_by_role("region", name="Baca dan setujui pedoman")).to_have_count(0)
    unread = page.locator(".unread-list a")
    assert unread.count() > 0
    for href in unread.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        visit(page, href)  # the plain button, as without JavaScript (htmx would mark it after two seconds)
        button = page.get_by_role("button", name="Tandai sudah dibaca")
        if button.count():
            with page.expect_navigation():
                button.click()
        expect(page.locator("#read-status")).to_contain_text("sudah Anda baca")
    visit(page, "/handbook/")
    expect(page.locator(".unread-list")).to_have_count(0)
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


PHONE = {"width": 360, "height": 740}


def _no_broken_words(page, selector):
    """No word of the cells' text is split over two lines (e.g. "Suntin g"); a slug may wrap at its hyphens."""
    broken = page.evaluate("""(selector) => {
      const out = [];
      for (const cell of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const match of node.textContent.matchAll(/[^\\s-]+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            if (range.getClientRects().length > 1) out.push(match[0]);
          }
        }
      }
      return out;
    }""", selector)
    assert not broken, broken


def test_management_table_and_report_read_well_on_a_phone(new_page, signed_in, visit):
    phone = new_page(viewport=PHONE)
    signed_in(phone, "humas", "/handbook/kelola")
    _no_broken_words(phone, "table.manage-table td")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    report = new_page(viewport=PHONE)
    signed_in(report, "atasan", "/handbook/laporan")
    labels = report.locator(".bar-list .bar-label")
    assert labels.count() > 0
    sizes = labels.evaluate_all("els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert min(sizes) >= 14, sizes  # real text, not an SVG label shrunk to 4 px
    _no_broken_words(report, ".bar-list .bar-label")
    assert report.evaluate("document.documentElement.scrollWidth") <= 360


def test_changes_are_shown_formatted_and_print_levels_hold(page, signed_in, visit):
    signed_in(page, "pegawai", "/handbook/perubahan")
    diff = page.locator(".rendered-diff").first
    expect(diff).to_be_visible()
    assert "**" not in diff.inner_text() and "###" not in diff.inner_text()
    assert page.locator(".rendered-diff ins, .rendered-diff del").count() > 0

    visit(page, "/handbook/cetak")
    sizes = page.evaluate("""() => {
      const size = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
      return [size('.print-chapter > h2'), size('.print-section > h3'), size('.print-section .prose h4')];
    }""")
    assert sizes[0] > sizes[1] > sizes[2], sizes
    ids = page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids))


def test_supervisor_sees_the_unit_card_and_sends_a_reminder(page, signed_in, visit, checked):
    signed_in(page, "atasan")
    card = page.get_by_role("region", name="Tindak lanjut unit Anda")
    expect(card).to_be_visible()
    with page.expect_navigation():
        card.get_by_role("link", name="Lihat dan kirim pengingat").click()
    checked(page)
    form = page.locator("section.follow-up form").first
    with page.expect_navigation():
        form.get_by_role("button", name="Kirim pengingat ke yang dicentang").click()
    checked(page)
    expect(page.locator(".flash-success")).to_contain_text("Pengingat dikirim ke")
