"""The quiz's main journeys in a real browser: a whole attempt with immediate feedback (htmx), interrupted after two
answers and resumed from the quiz list; the same attempt without JavaScript; a certificate and its public
verification page. Every visited page also gets axe and CSP checks."""

import re

from tests.browser.conftest import expect

MAIN_QUIZ = "Kuis Bijak Bermedia Sosial"
QUESTIONS = 15
POSITION = re.compile(r"Soal (\d+) dari (\d+)")


def quiz_card(page):
    return page.locator("section.quiz-card", has=page.get_by_role("heading", name=MAIN_QUIZ, exact=True))


def start_main_quiz(page, checked):
    """On /quiz/: start (or start again) the main quiz."""
    with page.expect_navigation():
        quiz_card(page).get_by_role("button", name=re.compile(r"^(Mulai kuis|Kerjakan lagi)")).click()
    checked(page)
    assert re.search(r"/quiz/percobaan/\d+", page.url), page.url


def position(page):
    match = POSITION.search(page.locator("#progress-label").inner_text())
    assert match, "no question position shown"
    return int(match.group(1)), int(match.group(2))


def press(page, control, navigates):
    """Click a button or link: a page load without JavaScript, an htmx swap with it."""
    if navigates:
        with page.expect_navigation():
            control.click()
    else:
        control.click()


def answer_first_option(page, number, navigates):
    """Pick the first option (one checkbox for a multiple-response question), answer, and check the feedback."""
    assert position(page) == (number, QUESTIONS)
    page.locator("fieldset.options input").first.check()
    press(page, page.get_by_role("button", name="Jawab"), navigates)
    feedback = page.locator(".feedback")
    expect(feedback.get_by_role("heading", level=3)).to_have_text(re.compile(r"Benar!|Sebagian benar|Kurang tepat"))
    if not navigates:  # after the swap: focus on the verdict, which is also announced
        expect(feedback.get_by_role("heading", level=3)).to_be_focused()
        expect(page.locator("#live-region")).to_have_text(re.compile(r"Benar!|Sebagian benar|Kurang tepat"))
    expect(feedback.get_by_role("link", name=re.compile(r"^Baca bagian pedoman: ")).first).to_be_visible()


def next_question(page, navigates):
    press(page, page.get_by_role("link", name=re.compile(r"^Soal berikutnya")), navigates)
    expect(page.get_by_role("button", name="Jawab")).to_be_visible()


def check_result_page(page, checked):
    page.wait_for_url(re.compile(r"/quiz/percobaan/\d+/hasil$"))
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hasil: {MAIN_QUIZ}")
    expect(page.locator("section[aria-labelledby=score-title] .stat")).to_have_text(re.compile(r"^\d+([,.]\d+)?$"))
    topics = page.locator("table[aria-labelledby=topics-title] tbody tr")
    expect(topics).to_have_count(9)
    expect(topics.first).to_contain_text("%")
    expect(page.locator(".review-list details")).to_have_count(QUESTIONS)


def test_full_attempt_with_javascript_resumes_after_two_answers(page, signed_in, visit, checked, check_a11y):
    signed_in(page, "pegawai", "/quiz/")
    start_main_quiz(page, checked)
    attempt_url = page.url
    page.evaluate("window.__sameDocument = true")
    answer_first_option(page, 1, navigates=False)
    check_a11y(page)  # the feedback state
    next_question(page, navigates=False)
    answer_first_option(page, 2, navigates=False)
    assert page.evaluate("window.__sameDocument") is True, "answering reloaded the whole page"

    # Interrupted: the quiz list offers to continue, and the attempt resumes at the first unanswered question.
    visit(page, "/quiz/")
    card = quiz_card(page)
    expect(card).to_contain_text("sedang dikerjakan")
    with page.expect_navigation():
        card.get_by_role("link", name="Lanjutkan").click()
    checked(page)
    assert page.url.split("?")[0] == attempt_url.split("?")[0]
    expect(page.locator("#progress-label")).to_contain_text(f"Soal 3 dari {QUESTIONS}")
    expect(page.locator("#progress-label")).to_contain_text(f"2 dari {QUESTIONS} terjawab")

    for number in range(3, QUESTIONS + 1):
        answer_first_option(page, number, navigates=False)
        if number < QUESTIONS:
            next_question(page, navigates=False)
    page.get_by_role("button", name="Selesai dan lihat hasil").click()
    check_result_page(page, checked)


def test_full_attempt_without_javascript(nojs_page, signed_in, checked):
    page = nojs_page
    signed_in(page, "pegawai", "/quiz/")
    start_main_quiz(page, checked)
    for number in range(1, QUESTIONS + 1):
        answer_first_option(page, number, navigates=True)
        if number < QUESTIONS:
            next_question(page, navigates=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Selesai dan lihat hasil").click()
    check_result_page(page, checked)


def test_certificate_verification_link_works_logged_out(page, new_page, signed_in, visit, checked):
    signed_in(page, "atasan", "/quiz/")
    card = quiz_card(page)
    expect(card).to_contain_text("lulus")
    with page.expect_navigation():
        card.get_by_role("link", name="Lihat sertifikat").click()
    checked(page)
    name = page.locator(".cert-name").inner_text()
    unit = page.locator(".cert-unit").inner_text()
    code = page.locator(".cert-code").inner_text()
    verify_href = page.locator(".cert-verify a").get_attribute("href")
    match = re.search(r"(/verify/[\w-]+)$", verify_href)
    assert match, f"unexpected verification link {verify_href}"

    public = new_page()  # a separate browser context: nobody is signed in
    visit(public, match.group(1))
    expect(public.get_by_role("navigation", name="Navigasi utama")).to_have_count(0)
    result = public.locator("section[aria-labelledby=verify-result]")
    expect(result.get_by_role("heading")).to_have_text("✓ Sertifikat ini asli dan masih berlaku")
    facts = dict(zip(result.locator("dt").all_inner_texts(), result.locator("dd").all_inner_texts(), strict=True))
    assert list(facts) == ["Nama", "Unit kerja", "Judul", "Tanggal terbit", "Berlaku sampai", "Kode"]
    assert facts["Nama"] == name
    assert facts["Unit kerja"] == unit
    assert facts["Judul"] == MAIN_QUIZ
    assert facts["Kode"] == code
    assert re.search(r"\d{4}", facts["Berlaku sampai"])
    text = public.locator("main").inner_text()
    for private in ("Nilai", "nilai", "NIP", "@"):  # no score, no personal identifiers
        assert private not in text, f"the public verification page shows {private!r}"


PRACTICE_QUIZ = "Latihan Jenis Soal"


def answer_practice_quiz(page, navigates, check_a11y):
    """The demo practice quiz, in its fixed order: short answer, numerical, matching, essay, missing word. Every
    answer is right; each kind's feedback is checked with axe."""

    def submit():
        press(page, page.get_by_role("button", name="Jawab"), navigates)
        expect(page.locator(".feedback")).to_be_visible()
        check_a11y(page)

    page.get_by_label("Jawaban Anda").fill("ppid")
    submit()
    expect(page.locator(".feedback h3")).to_have_text("Benar!")
    next_question(page, navigates)
    page.get_by_label("Jawaban Anda").fill("10")
    submit()
    expect(page.locator(".feedback h3")).to_have_text("Benar!")
    next_question(page, navigates)
    for item, partner in (("Hoaks dan konten negatif di internet", "aduankonten.id"),
                          ("Keluhan warga tentang pelayanan publik", "LAPOR!"),
                          ("Konten radikal yang dibagikan seorang ASN", "aduanasn.id"),
                          ("Permintaan salinan dokumen publik", "PPID")):
        page.get_by_role("combobox", name=item).select_option(label=partner)
    submit()
    expect(page.locator(".feedback h3")).to_have_text("Benar!")
    next_question(page, navigates)
    page.get_by_label("Jawaban Anda").fill("Terima kasih atas keluhannya; kami bantu lewat pesan langsung.")
    submit()
    expect(page.locator(".feedback h3")).to_have_text("Jawaban tersimpan")
    expect(page.locator(".feedback")).to_contain_text("Contoh jawaban")
    next_question(page, navigates)
    page.get_by_label("Jawaban Anda").fill("17")
    submit()
    expect(page.locator(".feedback h3")).to_have_text("Benar!")


def start_practice_quiz(page, checked):
    card = page.locator("section.quiz-card", has=page.get_by_role("heading", name=PRACTICE_QUIZ, exact=True))
    with page.expect_navigation():
        card.get_by_role("button", name=re.compile(r"^(Mulai kuis|Kerjakan lagi)")).click()
    checked(page)
    expect(page.locator("#progress-label")).to_contain_text("Soal 1 dari 5")


def finish_practice_quiz(page, checked):
    with page.expect_navigation():
        page.get_by_role("button", name="Selesai dan lihat hasil").click()
    page.wait_for_url(re.compile(r"/quiz/percobaan/\d+/hasil$"))
    checked(page)
    expect(page.locator("section[aria-labelledby=score-title] .stat")).to_have_text("100")
    expect(page.locator(".review-list details")).to_have_count(5)
    expect(page.locator(".review-list")).to_contain_text("tidak dinilai")


def test_typed_answers_with_javascript(page, signed_in, checked, check_a11y):
    signed_in(page, "pegawai", "/quiz/")
    start_practice_quiz(page, checked)
    page.evaluate("window.__sameDocument = true")
    answer_practice_quiz(page, navigates=False, check_a11y=check_a11y)
    assert page.evaluate("window.__sameDocument") is True, "answering reloaded the whole page"
    finish_practice_quiz(page, checked)


def test_typed_answers_without_javascript(nojs_page, signed_in, checked, check_a11y):
    signed_in(nojs_page, "pegawai", "/quiz/")
    start_practice_quiz(nojs_page, checked)
    answer_practice_quiz(nojs_page, navigates=True, check_a11y=check_a11y)
    finish_practice_quiz(nojs_page, checked)
