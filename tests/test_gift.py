"""GIFT (Moodle's text format): the parser and writer, import and export through the service, the CLI and the UI."""

import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from portal.models import Question, QuestionVersion, QuizTopic
from portal.quiz import bank, exchange, gift, topics
from tests import factories
from tests.conftest import make_app

FULL = r"""// Bank soal uji: setiap fitur yang didukung
// komentar biasa diabaikan

$CATEGORY: $course$/top/Induk/Netralitas Politik

// @pedoman: netralitas-politik, akun-pribadi
// @tingkat: 3
::NP01 Menyukai unggahan::[markdown]Bolehkah ASN **menyukai** unggahan calon?{
  =Tidak boleh#Tepat, menyukai pun dilarang.
  ~Boleh#Kurang tepat.
  ~%50%Boleh bila akun dikunci#Sebagian.
  ####Lihat SKB Netralitas 2022.
}

::NP02::Pilih semua tindakan yang **dilarang**.{
~%50%Memberi like#Dilarang.
~%50%Membagikan#Dilarang.
~%-100%Membaca berita#Tidak dilarang.
}

::TF1::Bumi itu bulat.{T}

::TF2::Boleh berfoto dengan pose jari nomor urut.{FALSE#Keliru, itu dilarang.#Betul.####Pose jari menandai dukungan.}

::TF3::Pernyataan dengan satu umpan balik.{TRUE#Umpan balik salah}

::Escapes::Karakter khusus\: \~ \= \# \{ \} dan \\ garis miring\nbaris baru{=Ya \= sama#Tanda \# pagar ~Tidak}

::Plain::[plain]Tanda *bintang* tetap bintang{=A ~B}

::Html::[html]<p>Halo <b>dunia</b><script>alert(1)</script></p><p>Baris dua &amp; tiga</p>{=A ~B}

::Multi baris::Soal ini
terdiri dari dua baris{
=Satu
~Dua
}

$CATEGORY: Tanpa Jalur

Soal tanpa nama juga boleh{=Ya ~Tidak}
"""

BROKEN = """::Tutup::Kurung tidak ditutup{=a ~b

::Bobot::Jawaban ganda yang kurang{~%50%a ~%25%b ~c}

::Awal::Teks sebelum jawaban pertama{a ~b =c}

::Jodoh::Hanya satu pasangan{=a -> 1}

::Angka::Berapa?{#empat}

::Nol::Jawaban singkat tanpa nilai{=%0%apa saja}

::Luar::Bobot di luar rentang{~%150%a ~b}

::Belum ditutup Soal tanpa penutup nama{T}

// @tingkat: 9
::Oke::Soal yang baik{=a ~b}
"""
MOODLE_STYLE = (Path(__file__).parent / "gift" / "seperti_dokumentasi_moodle.gift").read_text(encoding="utf-8")


def parse(text):
    return gift.parse(text)


def by_name(result):
    return {q.name: q for q in result.questions}


def answers(question):
    return [(a.text, a.fraction, a.feedback, a.match_text) for a in question.answers]


# --- the parser ------------------------------------------------------------------------------------------------------

def test_every_feature_of_the_portal_file_parses():
    result = parse(FULL)
    assert result.skipped == [] and result.warnings == []
    q = by_name(result)
    assert len(q) == 10

    np01 = q["NP01 Menyukai unggahan"]
    assert np01.category == ("Induk", "Netralitas Politik")  # $course$/top/Induk/Netralitas Politik, nested
    assert np01.kind == "single" and np01.text_format == "markdown"
    assert np01.stem == "Bolehkah ASN **menyukai** unggahan calon?"
    assert [(a.text, a.fraction, a.feedback) for a in np01.answers] == [
        ("Tidak boleh", 1.0, "Tepat, menyukai pun dilarang."), ("Boleh", 0.0, "Kurang tepat."),
        ("Boleh bila akun dikunci", 0.5, "Sebagian.")]
    assert np01.general_feedback == "Lihat SKB Netralitas 2022."
    assert np01.sections == ["netralitas-politik", "akun-pribadi"] and np01.difficulty == 3
    assert np01.line == 8  # the line of the question itself, below its comment lines

    np02 = q["NP02"]
    assert np02.kind == "multi" and [a.fraction for a in np02.answers] == [0.5, 0.5, -1.0]
    assert np02.text_format == "plain"  # no marker: Moodle's auto-format, read as plain text
    assert np02.sections == [] and np02.difficulty is None

    assert q["TF1"].kind == "truefalse" and [a.fraction for a in q["TF1"].answers] == [1.0, 0.0]
    tf2 = q["TF2"]
    # FALSE is right: "Betul." is shown for choosing Salah (right), "Keliru..." for choosing Benar (wrong).
    assert [(a.text, a.fraction, a.feedback) for a in tf2.answers] == [
        ("Benar", 0.0, "Keliru, itu dilarang."), ("Salah", 1.0, "Betul.")]
    assert tf2.general_feedback == "Pose jari menandai dukungan."
    assert [a.feedback for a in q["TF3"].answers] == ["", "Umpan balik salah"]

    escapes = q["Escapes"]
    assert escapes.stem == "Karakter khusus: ~ = # { } dan \\ garis miring\nbaris baru"
    assert [(a.text, a.feedback) for a in escapes.answers] == [("Ya = sama", "Tanda # pagar"), ("Tidak", "")]

    assert q["Plain"].stem == "Tanda *bintang* tetap bintang" and q["Plain"].text_format == "plain"
    html = q["Html"]
    assert html.text_format == "html"
    assert html.stem == "<p>Halo <b>dunia</b></p><p>Baris dua &amp; tiga</p>"  # sanitised, not flattened
    assert q["Multi baris"].stem == "Soal ini\nterdiri dari dua baris"
    assert [a.text for a in q["Multi baris"].answers] == ["Satu", "Dua"]

    unnamed = [x for x in result.questions if x.category == ("Tanpa Jalur",)][0]
    assert unnamed.name == "Soal tanpa nama juga boleh" and unnamed.kind == "single" and not unnamed.named


def test_a_file_written_as_moodles_documentation_shows_reads_every_construct():
    result = parse(MOODLE_STYLE)
    assert result.skipped == [] and result.warnings == []
    q = {question.line: question for question in result.questions}
    kinds = [question.kind for question in result.questions]
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "truefalse": 9, "single": 9, "multi": 1, "shortanswer": 4, "numerical": 4, "matching": 2, "essay": 2,
        "description": 1}
    named = by_name(result)
    assert named["BS1"].category == ("Etika Digital", "Dasar") and named["BS1"].kind == "truefalse"
    assert answers(named["BS2"]) == [("Benar", 0.0, "Keliru: tangkapan layarnya bisa tetap beredar.", ""),
                                     ("Salah", 1.0, "Tepat: jejak digital sulit dihapus.", "")]
    assert named["BS3"].general_feedback == "Klarifikasi resmi membantu meredam hoaks."
    assert [a.fraction for a in named["BS4"].answers] == [0.0, 1.0]
    assert answers(named["PG1"])[1] == ("Langsung meneruskan ke grup keluarga", 0.0,
                                        "Kurang tepat, hoaks ikut menyebar.", "")
    missing = q[27]  # a missing word: the answer block in the middle of the sentence
    assert missing.kind == "single" and missing.stem == "Unggahan yang menyinggung SARA _____ dibagikan oleh ASN."
    assert [a.fraction for a in named["PG2"].answers] == [0.0, 0.5, 1.0]
    assert [a.fraction for a in named["JG1"].answers] == [0.5, 0.5, -1.0] and named["JG1"].kind == "multi"
    assert answers(named["JS1"]) == [("ASN", 1.0, "", ""), ("A.S.N.", 1.0, "", "")]
    assert answers(named["JS2"])[1] == ("aduan konten", 0.5, "Hampir: alamat lengkapnya aduankonten.id.", "")
    assert q[53].kind == "shortanswer" and q[53].stem == "Permintaan informasi publik diajukan melalui _____ instansi."
    assert [a.text for a in named["NM1"].answers] == ["1:0"] and named["NM2"].answers[0].text == "1..3"
    assert answers(named["NM3"]) == [("2008:0", 1.0, "Tepat: Undang-Undang Nomor 11 Tahun 2008.", ""),
                                     ("2008:1", 0.5, "Hampir, selisih setahun.", "")]
    assert named["NM4"].answers[0].text == "0.7:0.005"
    assert [(a.text, a.match_text) for a in named["JD1"].answers] == [
        ("Hoaks di internet", "aduankonten.id"), ("Keluhan layanan publik", "LAPOR!"),
        ("Permintaan informasi publik", "PPID")]
    assert named["JD1"].general_feedback == "Setiap masalah punya kanalnya sendiri."
    assert (named["JD2"].answers[2].text, named["JD2"].answers[2].match_text) == ("", "iklan berbayar")
    assert named["ES1"].kind == "essay" and named["ES1"].answers == []
    assert named["ES2"].general_feedback.startswith("Tetap tenang")
    assert q[92].kind == "description" and q[92].stem.startswith("Soal berikut tentang akun resmi instansi.")
    assert named["FM1"].text_format == "markdown" and named["FM1"].answers[0].feedback == "Menyukai pun *dilarang*."
    fm2 = named["FM2"]
    assert fm2.text_format == "html" and "<b>pedoman</b>" in fm2.stem and "<i>SKB</i>" in fm2.stem
    assert 'href="https://jdih.example.go.id/skb"' in fm2.stem and "script" not in fm2.stem
    assert answers(fm2)[0] == ("<b>Sudah</b> dibaca", 1.0, "<em>Bagus</em>.", "")
    assert [a.text for a in named["FM3"].answers] == ["#", "=", "~", "{", "}", "-"]
    assert named["FM3"].text_format == named["FM4"].text_format == "plain"
    assert [a.text for a in named["FM4"].answers] == ["1. Pertama", "> Kutipan", "* Bintang"]
    kh1 = named["KH1: titik dua"]
    assert kh1.stem == "Dalam GIFT, tanda { dan } mengapit jawaban,\nsedangkan \\ menjadi tanda escape."
    assert answers(kh1)[0] == ("Benar = setuju", 1.0, "Ya: ~ # { } semuanya di-escape.", "")
    assert named["ID1"].category == ("Kategori Lain",)
    assert (named["ID1"].id_number, named["ID1"].tags) == ("ETK-01", ["hoaks", "verifikasi"])
    twins = [x for x in result.questions if x.stem.startswith("Siapa yang bertanggung jawab")]
    assert [x.kind for x in twins] == ["shortanswer", "single"] and twins[0].name == twins[1].name
    assert not twins[0].named


def test_windows_line_endings_and_a_bom_read_the_same():
    crlf = "\ufeff" + FULL.replace("\n", "\r\n")
    assert parse(crlf).questions == parse(FULL).questions
    assert gift.parse_bytes(crlf.encode("utf-8")).questions == parse(FULL).questions


def test_broken_questions_are_skipped_with_their_line_and_reason_and_the_rest_imports():
    result = parse(BROKEN)
    assert [q.name for q in result.questions] == ["Oke"]
    skipped = {s.line: s.reason for s in result.skipped}
    assert list(skipped) == [1, 3, 5, 7, 9, 11, 13, 15]
    assert "tidak ditutup" in skipped[1] and "100%" in skipped[3] and "harus diawali = atau ~" in skipped[5]
    assert "dua pasangan" in skipped[7] and "bukan jawaban numerik" in skipped[9] and "lebih dari nol" in skipped[11]
    assert "-100 sampai 100" in skipped[13] and "::" in skipped[15]
    assert result.warnings and result.warnings[0][0] == 17  # the unknown difficulty, on its own line


def test_escapes_round_trip():
    question = gift.GiftQuestion(
        name="Nama: dengan ~ = # { } \\ dan :: ganda", kind="single",
        stem="Teks {kurung} ~tilde~ =sama= #pagar# : titik dua \\ garis\nbaris kedua\n\nparagraf",
        answers=[gift.GiftAnswer("Ya = benar {pasti}", 1.0, "Umpan # balik: ~ok~"),
                 gift.GiftAnswer("Tidak \\n bukan baris baru", 0.0, "")],
        category=("Topik/dengan garis miring", "Sub"), general_feedback="Pembahasan #1: {lihat} ~ = \\",
        sections=["a-b"], difficulty=1, id_number="A-1", tags=["satu", "dua kata"])
    written = gift.write([question])
    assert "$CATEGORY: $course$/top/Topik//dengan garis miring/Sub" in written
    again = parse(written)
    assert again.skipped == [] and again.questions == [question]


@pytest.mark.parametrize("text", [FULL, MOODLE_STYLE], ids=["portal", "moodle-style"])
def test_writer_then_parser_gives_the_same_questions(text):
    questions = parse(text).questions
    written = gift.write(questions)
    assert parse(written).questions == questions
    assert gift.write(parse(written).questions) == written


def test_unreadable_bytes_are_a_clear_error():
    with pytest.raises(gift.GiftError, match="UTF-8"):
        gift.decode("::Q::Café {=a ~b}".encode("latin-1"))
    with pytest.raises(gift.GiftError, match="biner"):
        gift.decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(gift.GiftError, match="kosong"):
        gift.decode(b"  \n")


# --- import and export through the service ------------------------------------------------------------------------

def dump(session):
    """The whole bank as plain values, for comparing two databases."""
    rows = []
    paths = topics.paths(session)
    for question, version in session.exec(
            select(Question, QuestionVersion)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)).all():
        options = [(o.text, round(o.fraction, 5), o.feedback, o.match_text, o.text_html, o.feedback_html)
                   for o in bank.version_options(session, version.id)]
        slugs = [link["slug"] for link in topics.section_links(session, bank.question_section_ids(
            session, question.id))]
        rows.append((paths[question.topic_id], question.name, question.status, version.kind, version.text_format,
                     version.stem, version.stem_html, version.explanation, version.explanation_html, tuple(options),
                     tuple(slugs), question.difficulty, question.id_number, question.tags))
    return sorted(rows)


def in_fresh_database(app, tmp_path, work):
    """work(session) on a new, empty database (on PostgreSQL: the same one, emptied) with the handbook."""
    app.extensions["db_engine"].dispose()
    (tmp_path / "other").mkdir()
    other = make_app(tmp_path / "other")
    try:
        with Session(other.extensions["db_engine"], expire_on_commit=False) as fresh:
            factories.make_handbook(fresh)
            return work(fresh)
    finally:
        other.extensions["db_engine"].dispose()


def imported(session, text, topic_name=None):
    preview = exchange.apply_gift(session, None, text.encode(), topic_name)
    session.commit()
    return preview


def question_named(session, name):
    return session.exec(select(Question).where(Question.name == name)).one()


def current_version(session, question):
    return session.get(QuestionVersion, question.current_version_id)


def test_a_moodle_style_file_imports_with_nothing_lost_but_exact_duplicates(session):
    preview = imported(session, MOODLE_STYLE)
    assert preview.count("create") == 31  # 32 questions in the file, one of them written twice
    assert [(s.line, s.name) for s in preview.skipped] == [(145, "Ganda")]
    assert "baris 143" in preview.skipped[0].reason
    assert preview.warnings == [(150, "Nama soal “Sama” sudah dipakai di baris 148; soal ini disimpan sebagai "
                                      "“Sama (2)”.")]
    assert len(session.exec(select(Question)).all()) == 31

    # $CATEGORY paths are nested topics.
    paths = topics.paths(session)
    assert sorted(set(paths.values())) == [("Etika Digital",), ("Etika Digital", "Dasar"),
                                           ("Etika Digital", "Format"), ("Kategori Lain",)]
    parent = topics.topic_by_path(session, ("Etika Digital",))
    assert topics.topic_by_path(session, ("Etika Digital", "Format")).parent_id == parent.id
    assert paths[question_named(session, "BS1").topic_id] == ("Etika Digital", "Dasar")

    # Two unnamed questions with the same opening: both kept, the second with a suffix.
    twins = session.exec(select(Question).where(Question.name.startswith("Siapa yang bertanggung"))
                         .order_by(Question.id)).all()
    assert [q.kind for q in twins] == ["shortanswer", "single"] and twins[1].name == twins[0].name + " (2)"
    assert [q.name for q in session.exec(select(Question).where(Question.name.startswith("Sama"))
                                         .order_by(Question.id)).all()] == ["Sama", "Sama (2)"]

    # id and tags; every kind; the description is kept (never drawn).
    id1 = question_named(session, "ID1")
    assert id1.id_number == "ETK-01" and bank.question_tags(id1) == ["hoaks", "verifikasi"]
    assert {q.kind for q in session.exec(select(Question)).all()} == {
        "truefalse", "single", "multi", "shortanswer", "numerical", "matching", "essay", "description"}

    # Formats: Markdown rendered, HTML sanitised but kept, plain text shown literally (never a heading or a list).
    fm1 = bank.version_options(session, current_version(session, question_named(session, "FM1")).id)
    assert fm1[0].feedback_html == "<p>Menyukai pun <em>dilarang</em>.</p>\n"
    fm2 = current_version(session, question_named(session, "FM2"))
    assert "<b>pedoman</b>" in fm2.stem_html and "<i>SKB</i>" in fm2.stem_html and "<script" not in fm2.stem_html
    assert 'href="https://jdih.example.go.id/skb"' in fm2.stem_html
    assert [o.text_html for o in bank.version_options(session, fm2.id)][0] == "<b>Sudah</b> dibaca"
    fm3 = bank.version_options(session, current_version(session, question_named(session, "FM3")).id)
    assert [o.text_html for o in fm3] == ["#", "=", "~", "{", "}", "-"]
    fm4 = bank.version_options(session, current_version(session, question_named(session, "FM4")).id)
    assert [o.text_html for o in fm4] == ["1. Pertama", "&gt; Kutipan", "* Bintang"]
    kh1 = current_version(session, question_named(session, "KH1: titik dua"))
    assert kh1.stem_html == "<p>Dalam GIFT, tanda { dan } mengapit jawaban,<br>\nsedangkan \\ menjadi tanda escape.</p>"


@pytest.mark.parametrize("text,count", [(FULL, 10), (MOODLE_STYLE, 31)], ids=["portal", "moodle-style"])
def test_export_then_import_gives_an_identical_bank(app, session, tmp_path, text, count):
    factories.make_handbook(session)
    assert imported(session, text).count("create") == count
    before = dump(session)
    exported, exported_count = exchange.export_gift(session)
    assert exported_count == count
    again = exchange.preview_gift(session, exported.encode())  # the export re-imports unchanged
    assert again.count("same") == count and again.skipped == [] and again.warnings == []
    session.close()

    def reimport(fresh):
        result = exchange.apply_gift(fresh, None, exported.encode())
        assert result.skipped == [] and result.warnings == [] and result.count("create") == count
        return dump(fresh)

    assert in_fresh_database(app, tmp_path, reimport) == before


def test_reimporting_the_same_file_changes_nothing_and_a_changed_one_updates(session):
    factories.make_handbook(session)
    imported(session, FULL)
    versions = len(session.exec(select(QuestionVersion)).all())
    again = exchange.preview_gift(session, FULL.encode())
    assert again.count("same") == 10 and again.count("create") == again.count("update") == 0
    imported(session, FULL)
    assert len(session.exec(select(QuestionVersion)).all()) == versions

    # NP01 answered in an attempt, then changed in the file: a new version; TF1 unanswered: updated in place.
    np01 = question_named(session, "NP01 Menyukai unggahan")
    tf1 = question_named(session, "TF1")
    for other in session.exec(select(Question).where(Question.topic_id == np01.topic_id,
                                                     Question.id != np01.id)).all():
        other.status = "retired"  # so that the attempt below draws NP01
        session.add(other)
    session.commit()
    quiz = factories.make_quiz(session, [(session.get(QuizTopic, np01.topic_id), 1)])
    factories.make_attempt(session, factories.make_user(session), quiz, right=1)
    changed = FULL.replace("Bolehkah ASN **menyukai**", "Bolehkah ASN **mengomentari**").replace(
        "Bumi itu bulat.", "Bumi itu bulat sekali.")
    preview = imported(session, changed)
    assert preview.count("update") == 2 and preview.count("same") == 8
    session.expire_all()
    np01_versions = session.exec(select(QuestionVersion).where(QuestionVersion.question_id == np01.id)).all()
    tf1_versions = session.exec(select(QuestionVersion).where(QuestionVersion.question_id == tf1.id)).all()
    assert len(np01_versions) == 2 and len(tf1_versions) == 1
    assert tf1_versions[0].stem == "Bumi itu bulat sekali."


def test_unknown_handbook_slugs_are_warnings_and_the_question_still_imports(session):
    factories.make_handbook(session)
    text = "// @pedoman: netralitas-politik, tidak-ada-bagian\n::Q::Soal?{=a ~b}\n"
    preview = imported(session, text, topic_name="Topik Paksa")
    assert preview.count("create") == 1
    assert preview.warnings == [(2, "Bagian pedoman “tidak-ada-bagian” tidak dikenal; soal tetap diimpor tanpa "
                                    "tautan itu.")]
    question = question_named(session, "Q")
    assert session.get(QuizTopic, question.topic_id).name == "Topik Paksa"
    assert [link["slug"] for link in topics.section_links(
        session, bank.question_section_ids(session, question.id))] == ["netralitas-politik"]
    assert question.status == "active"


def test_drafts_and_retired_questions_are_left_out_of_the_export_unless_asked(session):
    imported(session, FULL)
    humas = factories.make_user(session, roles=("humas",))
    topic = topics.topic_by_path(session, ("Tanpa Jalur",))
    bank.create_question(session, humas, bank.QuestionInput(
        topic_id=topic.id, kind="truefalse", stem="Usulan humas yang belum diperiksa.", name="Usulan",
        options=bank.true_false_options(True)), status="draft")
    bank.set_question_status(session, None, question_named(session, "TF3"), "retired")
    session.commit()
    text, count = exchange.export_gift(session)
    assert count == 9 and "::Usulan::" not in text and "::TF3::" not in text
    text, count = exchange.export_gift(session, include_drafts=True)
    assert count == 10 and "::Usulan::" in text and "::TF3::" not in text


def test_a_topic_override_may_be_a_path_and_a_topic_export_includes_its_subtopics(session):
    imported(session, FULL, topic_name="Kuis Lama/Netralitas")
    assert sorted(set(topics.paths(session).values())) == [("Kuis Lama",), ("Kuis Lama", "Netralitas")]
    imported(session, "::Atas::Soal di induk{T}\n", topic_name="Kuis Lama")
    parent = topics.topic_by_path(session, ("Kuis Lama",))
    text, count = exchange.export_gift(session, topic_id=parent.id)
    assert count == 11 and "$CATEGORY: $course$/top/Kuis Lama/Netralitas" in text
    child = topics.topic_by_path(session, ("kuis lama", "NETRALITAS"))  # names compared without case
    assert exchange.export_gift(session, topic_id=child.id)[1] == 10


# --- the CLI -----------------------------------------------------------------------------------------------------

def test_cli_import_prints_a_summary_in_english_and_export_writes_gift(app, session, tmp_path):
    factories.make_handbook(session)
    session.commit()
    path = tmp_path / "bank.gift"
    path.write_text(FULL + "\n" + BROKEN, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-gift", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 11, skipped 8" in result.output
    lines = result.output.splitlines()
    assert "line 43: skipped Tutup: A curly bracket { is not closed with }." in lines
    assert "line 45: skipped Bobot: With multiple answers, the weights of the correct answers must add up to " \
           "100% (now 75%)." in lines
    assert "line 59: warning: Unknown difficulty “9” (use 1, 2 or 3); the question is imported with the default " \
           "difficulty." in lines
    for indonesian in ("dilewati", "soal", "Baris", "tidak", "harus"):  # one language: English
        assert indonesian not in result.output, indonesian
    again = runner.invoke(args=["import-gift", str(path)])
    assert again.exit_code == 0 and "imported 0, skipped 8" in again.output and "unchanged 11" in again.output

    exported = runner.invoke(args=["export-gift", "--topic", "Induk/Netralitas Politik"])
    assert exported.exit_code == 0
    assert "$CATEGORY: $course$/top/Induk/Netralitas Politik" in exported.output and \
        "::NP01 Menyukai unggahan::" in exported.output and "Tanpa Jalur" not in exported.output
    assert runner.invoke(args=["export-gift", "--topic", "Tidak Ada"]).exit_code == 1
    forced = runner.invoke(args=["import-gift", str(path), "--topic", "Satu Topik"])
    assert forced.exit_code == 0 and "imported 11" in forced.output
    session.expire_all()
    topic = session.exec(select(QuizTopic).where(QuizTopic.name == "Satu Topik")).one()
    assert len(session.exec(select(Question).where(Question.topic_id == topic.id)).all()) == 11


def test_cli_export_leaves_drafts_out_unless_asked(app, session):
    imported(session, FULL)
    question_named(session, "TF1").status = "draft"
    session.commit()
    runner = app.test_cli_runner()
    plain = runner.invoke(args=["export-gift"])
    assert "::TF1::" not in plain.output and "exported 9 question(s)" in plain.output
    drafts = runner.invoke(args=["export-gift", "--include-drafts"])
    assert "::TF1::" in drafts.output and "exported 10 question(s)" in drafts.output


@pytest.mark.parametrize("content,message", [
    ("::Q::Café {=a ~b}".encode("latin-1"), "cannot be read as UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    (None, "cannot read"),
])
def test_cli_refuses_unreadable_files(app, tmp_path, content, message):
    path = tmp_path / "bank.gift"
    if content is not None:
        path.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["import-gift", str(path)])
    assert result.exit_code == 1
    assert message in result.output


# --- the UI --------------------------------------------------------------------------------------------------------

def upload(client, content, name="bank.gift", topic=""):
    return client.post("/quiz/kelola/impor", data={"file": (io.BytesIO(content), name), "topic": topic},
                       content_type="multipart/form-data")


def test_ui_import_previews_then_imports(client, login_as, session):
    factories.make_handbook(session)
    login_as("admin")
    response = upload(client, (FULL + "\n" + BROKEN).encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "11 baru, 0 diperbarui, 0 tidak berubah, 8 dilewati." in page
    assert "Soal menjodohkan memerlukan paling sedikit dua pasangan." in page
    assert "NP01 Menyukai unggahan" in page and "Impor sekarang" in page and "Induk › Netralitas Politik" in page
    assert session.exec(select(Question)).all() == []  # nothing written before confirming
    token = page.split('name="token" value="')[1].split('"')[0]
    confirmed = client.post("/quiz/kelola/impor/konfirmasi", data={"token": token, "topic": ""})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/quiz/kelola/"
    assert "Impor selesai: 11 soal baru" in client.get("/quiz/kelola/").get_data(as_text=True)
    assert len(session.exec(select(Question)).all()) == 11
    # The token is used up.
    again = client.post("/quiz/kelola/impor/konfirmasi", data={"token": token, "topic": ""})
    assert again.status_code == 303 and again.headers["Location"] == "/quiz/kelola/impor"


def test_ui_import_token_belongs_to_the_person_and_the_importer(client, login_as, session):
    login_as("admin")
    page = upload(client, FULL.encode()).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    assert client.post("/quiz/kelola/impor/konfirmasi", data={"token": "users" + token[4:]}).status_code == 400
    client.post("/logout")
    login_as("admin")  # another admin
    assert client.post("/quiz/kelola/impor/konfirmasi", data={"token": token}).status_code == 400
    assert session.exec(select(Question)).all() == []


@pytest.mark.parametrize("content", ["::Q::Café {=a ~b}".encode("latin-1"), b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_ui_import_of_an_unreadable_file_is_a_clear_message(client, login_as, content):
    login_as("admin")
    response = upload(client, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "UTF-8" in page or "biner" in page
    assert "Impor sekarang" not in page


def test_ui_export_downloads_the_bank_with_drafts_only_when_ticked(client, login_as, session):
    factories.make_handbook(session)
    imported(session, FULL)
    question_named(session, "TF1").status = "draft"
    session.commit()
    login_as("admin")
    page = client.get("/quiz/kelola/impor").get_data(as_text=True)
    assert 'name="draf"' in page and 'action="/quiz/kelola/ekspor.gift"' in page
    response = client.get("/quiz/kelola/ekspor.gift")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    assert len(gift.parse_bytes(response.data).questions) == 9
    with_drafts = client.get("/quiz/kelola/ekspor.gift?draf=y")
    assert len(gift.parse_bytes(with_drafts.data).questions) == 10


def test_only_admins_import_and_export(client, login_as):
    login_as("humas")
    assert client.get("/quiz/kelola/impor").status_code == 403
    assert client.get("/quiz/kelola/ekspor.gift").status_code == 403
    assert client.get("/quiz/kelola/").status_code == 200  # humas may propose questions
