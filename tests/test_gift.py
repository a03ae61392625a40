"""GIFT (Moodle's text format): the parser and writer, import and export through the service, the CLI and the UI."""

import io

import pytest
from sqlmodel import select

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

UNSUPPORTED = """::Cocok::Jodohkan{=a -> 1 =b -> 2}

::Angka::Berapa 2+2?{#4:0}

::Singkat::Ibu kota Indonesia?{=Jakarta =Nusantara}

::Esai::Jelaskan pendapat Anda.{}

Hanya deskripsi tanpa jawaban.

::Baik::Soal yang bisa diimpor{=Ya ~Tidak}
"""


def parse(text):
    return gift.parse(text)


def by_name(result):
    return {q.name: q for q in result.questions}


# --- the parser ------------------------------------------------------------------------------------------------------

def test_every_supported_feature_parses():
    result = parse(FULL)
    assert result.skipped == [] and result.warnings == []
    q = by_name(result)
    assert len(q) == 10

    np01 = q["NP01 Menyukai unggahan"]
    assert np01.category == "Netralitas Politik"  # the last part of $course$/top/Induk/Netralitas Politik
    assert np01.kind == "single" and np01.stem == "Bolehkah ASN **menyukai** unggahan calon?"
    assert [(a.text, a.fraction, a.feedback) for a in np01.answers] == [
        ("Tidak boleh", 1.0, "Tepat, menyukai pun dilarang."), ("Boleh", 0.0, "Kurang tepat."),
        ("Boleh bila akun dikunci", 0.5, "Sebagian.")]
    assert np01.general_feedback == "Lihat SKB Netralitas 2022."
    assert np01.sections == ["netralitas-politik", "akun-pribadi"] and np01.difficulty == 3
    assert np01.line == 8  # the line of the question itself, below its comment lines

    np02 = q["NP02"]
    assert np02.kind == "multi" and [a.fraction for a in np02.answers] == [0.5, 0.5, -1.0]
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

    assert q["Plain"].stem == r"Tanda \*bintang\* tetap bintang"  # shown literally by the Markdown renderer
    html = q["Html"]
    assert html.stem == "Halo dunia\n\nBaris dua & tiga" and "<" not in html.stem and "alert" not in html.stem
    assert q["Multi baris"].stem == "Soal ini\nterdiri dari dua baris"
    assert [a.text for a in q["Multi baris"].answers] == ["Satu", "Dua"]

    unnamed = [x for x in result.questions if x.category == "Tanpa Jalur"][0]
    assert unnamed.name == "Soal tanpa nama juga boleh" and unnamed.kind == "single"


def test_windows_line_endings_and_a_bom_read_the_same():
    crlf = "\ufeff" + FULL.replace("\n", "\r\n")
    assert parse(crlf).questions == parse(FULL).questions
    assert gift.parse_bytes(crlf.encode("utf-8")).questions == parse(FULL).questions


def test_unsupported_kinds_are_skipped_with_their_line_numbers():
    result = parse(UNSUPPORTED)
    assert [q.name for q in result.questions] == ["Baik"]
    skipped = [(s.line, s.name) for s in result.skipped]
    assert skipped == [(1, "Cocok"), (3, "Angka"), (5, "Singkat"), (7, "Esai"), (9, "Hanya deskripsi tanpa jawaban.")]
    reasons = " | ".join(s.reason for s in result.skipped)
    for word in ("menjodohkan", "numerik", "jawaban singkat", "esai", "Deskripsi"):
        assert word in reasons


def test_broken_questions_are_skipped_and_the_rest_imports():
    text = ("::Rusak::Kurung tidak ditutup{=a ~b\n\n::Bobot::Jawaban ganda kurang{~%50%a ~%25%b ~c}\n\n"
            "::Tunggal::Satu pilihan saja{=a}\n\n// @tingkat: 9\n::Oke::Soal baik{=a ~b}\n")
    result = parse(text)
    assert [q.name for q in result.questions] == ["Oke"]
    assert [s.line for s in result.skipped] == [1, 3, 5]
    assert "100%" in result.skipped[1].reason
    assert result.warnings and result.warnings[0][0] == 7  # the unknown difficulty, on its own line


def test_escapes_round_trip():
    question = gift.GiftQuestion(
        name="Nama: dengan ~ = # { } \\ dan :: ganda", kind="single",
        stem="Teks {kurung} ~tilde~ =sama= #pagar# : titik dua \\ garis\nbaris kedua\n\nparagraf",
        answers=[gift.GiftAnswer("Ya = benar {pasti}", 1.0, "Umpan # balik: ~ok~"),
                 gift.GiftAnswer("Tidak \\n bukan baris baru", 0.0, "")],
        category="Topik/Sub", general_feedback="Pembahasan #1: {lihat} ~ = \\", sections=["a-b"], difficulty=1)
    written = gift.write([question])
    again = parse(written)
    assert again.skipped == [] and again.questions == [question]


def test_writer_then_parser_gives_the_same_questions():
    questions = parse(FULL).questions
    assert parse(gift.write(questions)).questions == questions


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
    for question, version, topic in session.exec(
            select(Question, QuestionVersion, QuizTopic)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .join(QuizTopic, QuizTopic.id == Question.topic_id)).all():
        options = [(o.text, round(o.fraction, 5), o.feedback) for o in bank.version_options(session, version.id)]
        slugs = [link["slug"] for link in topics.section_links(session, bank.question_section_ids(
            session, question.id))]
        rows.append((topic.name, question.name, version.kind, version.stem, version.explanation, tuple(options),
                     tuple(slugs), question.difficulty))
    return sorted(rows)


def test_export_then_import_gives_an_identical_bank(app, session, tmp_path):
    factories.make_handbook(session)
    imported = exchange.apply_gift(session, None, FULL.encode())
    assert imported.count("create") == 10
    before = dump(session)
    text, count = exchange.export_gift(session)
    assert count == 10 and "// @pedoman: netralitas-politik, akun-pribadi" in text
    session.close()
    app.extensions["db_engine"].dispose()

    (tmp_path / "other").mkdir()
    other = make_app(tmp_path / "other")  # a fresh database (on PostgreSQL: the same one, emptied)
    try:
        from sqlmodel import Session

        with Session(other.extensions["db_engine"], expire_on_commit=False) as fresh:
            factories.make_handbook(fresh)
            result = exchange.apply_gift(fresh, None, text.encode())
            assert result.skipped == [] and result.warnings == [] and result.count("create") == 10
            assert dump(fresh) == before
    finally:
        other.extensions["db_engine"].dispose()


def test_reimporting_the_same_file_changes_nothing_and_a_changed_one_updates(session):
    factories.make_handbook(session)
    exchange.apply_gift(session, None, FULL.encode())
    versions = len(session.exec(select(QuestionVersion)).all())
    again = exchange.preview_gift(session, FULL.encode())
    assert again.count("same") == 10 and again.count("create") == again.count("update") == 0
    exchange.apply_gift(session, None, FULL.encode())
    assert len(session.exec(select(QuestionVersion)).all()) == versions

    # NP01 answered in an attempt, then changed in the file: a new version; TF1 unanswered: updated in place.
    np01 = session.exec(select(Question).where(Question.name == "NP01 Menyukai unggahan")).one()
    tf1 = session.exec(select(Question).where(Question.name == "TF1")).one()
    for other in session.exec(select(Question).where(Question.topic_id == np01.topic_id,
                                                     Question.id != np01.id)).all():
        other.status = "retired"  # so that the attempt below draws NP01
        session.add(other)
    session.commit()
    quiz = factories.make_quiz(session, [(session.get(QuizTopic, np01.topic_id), 1)])
    factories.make_attempt(session, factories.make_user(session), quiz, right=1)
    changed = FULL.replace("Bolehkah ASN **menyukai**", "Bolehkah ASN **mengomentari**").replace(
        "Bumi itu bulat.", "Bumi itu bulat sekali.")
    preview = exchange.apply_gift(session, None, changed.encode())
    assert preview.count("update") == 2 and preview.count("same") == 8
    session.expire_all()
    np01_versions = session.exec(select(QuestionVersion).where(QuestionVersion.question_id == np01.id)).all()
    tf1_versions = session.exec(select(QuestionVersion).where(QuestionVersion.question_id == tf1.id)).all()
    assert len(np01_versions) == 2 and len(tf1_versions) == 1
    assert tf1_versions[0].stem == "Bumi itu bulat sekali."


def test_unknown_handbook_slugs_are_warnings_and_the_question_still_imports(session):
    factories.make_handbook(session)
    text = "// @pedoman: netralitas-politik, tidak-ada-bagian\n::Q::Soal?{=a ~b}\n"
    preview = exchange.apply_gift(session, None, text.encode(), topic_name="Topik Paksa")
    assert preview.count("create") == 1
    assert preview.warnings == [(2, "Bagian pedoman “tidak-ada-bagian” tidak dikenal; soal tetap diimpor tanpa "
                                    "tautan itu.")]
    question = session.exec(select(Question).where(Question.name == "Q")).one()
    assert session.get(QuizTopic, question.topic_id).name == "Topik Paksa"
    assert [link["slug"] for link in topics.section_links(
        session, bank.question_section_ids(session, question.id))] == ["netralitas-politik"]
    assert question.status == "active"


# --- the CLI -----------------------------------------------------------------------------------------------------

def test_cli_import_prints_a_summary_and_export_writes_gift(app, session, tmp_path):
    factories.make_handbook(session)
    path = tmp_path / "bank.gift"
    path.write_text(FULL + "\n" + UNSUPPORTED, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-gift", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 11, skipped 5" in result.output
    assert "line " in result.output  # skipped questions are listed with their line numbers
    again = runner.invoke(args=["import-gift", str(path)])
    assert again.exit_code == 0 and "imported 0, skipped 5" in again.output and "unchanged 11" in again.output

    exported = runner.invoke(args=["export-gift", "--topic", "Netralitas Politik"])
    assert exported.exit_code == 0
    assert "$CATEGORY: $course$/top/Netralitas Politik" in exported.output and "::NP01 Menyukai unggahan::" in \
        exported.output and "Tanpa Jalur" not in exported.output
    forced = runner.invoke(args=["import-gift", str(path), "--topic", "Satu Topik"])
    assert forced.exit_code == 0 and "imported 11" in forced.output
    session.expire_all()
    topic = session.exec(select(QuizTopic).where(QuizTopic.name == "Satu Topik")).one()
    assert len(session.exec(select(Question).where(Question.topic_id == topic.id)).all()) == 11


@pytest.mark.parametrize("content,message", [
    ("::Q::Café {=a ~b}".encode("latin-1"), "UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "biner"),
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
    response = upload(client, (FULL + "\n" + UNSUPPORTED).encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "11 baru, 0 diperbarui, 0 tidak berubah, 5 dilewati." in page
    assert "Soal menjodohkan (-&gt;) tidak didukung." in page or "Soal menjodohkan (->) tidak didukung." in page
    assert "NP01 Menyukai unggahan" in page and "Impor sekarang" in page
    assert session.exec(select(Question)).all() == []  # nothing written before confirming
    token = page.split('name="token" value="')[1].split('"')[0]
    confirmed = client.post("/quiz/kelola/impor/konfirmasi", data={"token": token, "topic": ""})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/quiz/kelola/"
    assert "Impor selesai: 11 soal baru" in client.get("/quiz/kelola/").get_data(as_text=True)
    assert len(session.exec(select(Question)).all()) == 11
    # The token is used up.
    again = client.post("/quiz/kelola/impor/konfirmasi", data={"token": token, "topic": ""})
    assert again.status_code == 303 and again.headers["Location"] == "/quiz/kelola/impor"


@pytest.mark.parametrize("content", ["::Q::Café {=a ~b}".encode("latin-1"), b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_ui_import_of_an_unreadable_file_is_a_clear_message(client, login_as, content):
    login_as("admin")
    response = upload(client, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "UTF-8" in page or "biner" in page
    assert "Impor sekarang" not in page


def test_ui_export_downloads_the_bank(client, login_as, session):
    factories.make_handbook(session)
    exchange.apply_gift(session, None, FULL.encode())
    session.commit()
    login_as("admin")
    response = client.get("/quiz/kelola/ekspor.gift")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    assert len(gift.parse_bytes(response.data).questions) == 10


def test_only_admins_import_and_export(client, login_as):
    login_as("humas")
    assert client.get("/quiz/kelola/impor").status_code == 403
    assert client.get("/quiz/kelola/ekspor.gift").status_code == 403
    assert client.get("/quiz/kelola/").status_code == 200  # humas may propose questions
