"""Demo quiz: the question bank in portal/demo/quiz/bank.gift (imported through the GIFT importer), the
self-assessment quiz and a workshop pre/post-test, a generated scenario image, and deterministic attempts by about 35
demo employees over the last months so that the reports and statistics have something to show.

`pegawai` has one failed attempt and no pass; `atasan` passed and holds a certificate.
"""

import io
import random
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from portal.models import Question, QuestionOption, QuestionSection, QuestionVersion, Quiz, User, utcnow
from portal.quiz import attempts, bank, exchange, images, quizzes, topics

BANK_FILE = Path(__file__).resolve().parent.parent / "demo" / "quiz" / "bank.gift"
PRACTICE_FILE = BANK_FILE.with_name("latihan.gift")
MAIN_QUIZ = "Kuis Bijak Bermedia Sosial"
PRE_POST_QUIZ = "Pre-test/Post-test Pengelolaan Media Sosial"
PRACTICE_QUIZ = "Latihan Jenis Soal"
PRACTICE_TOPIC = "Latihan Jenis Soal"

# topic -> questions drawn (15 in all)
MAIN_RULES = {
    "Hoaks dan Verifikasi": 2, "Netralitas Politik": 2, "SARA dan Ujaran Kebencian": 2, "Data Pribadi": 2,
    "Rahasia Jabatan": 2, "Akun Pribadi dan Atas Nama Instansi": 2, "Keamanan Informasi": 1,
    "Akun Resmi Instansi": 1, "Etika dan Gaya Hidup": 1,
}
PRE_POST_RULES = {
    "Akun Resmi Instansi": 3, "Hoaks dan Verifikasi": 2, "Data Pribadi": 2, "Rahasia Jabatan": 1,
    "Keamanan Informasi": 1, "SARA dan Ujaran Kebencian": 1,
}
TOPIC_DESCRIPTIONS = {
    "Hoaks dan Verifikasi": "Memeriksa judul, sumber, tanggal, gambar, dan video sebelum membagikan; melapor hoaks.",
    "Netralitas Politik": "Menyukai, membagikan, berkomentar, mengikuti akun, dan berfoto saat pemilu dan pilkada.",
    "SARA dan Ujaran Kebencian": "Konten SARA, radikalisme, pencemaran nama baik, dan grup tertutup.",
    "Data Pribadi": "KTP, KK, NIK, data kesehatan, foto anak, dan persetujuan sebelum mengunggah.",
    "Rahasia Jabatan": "Draf, memo internal, tangkapan layar, soal ujian, mutasi, dan permintaan informasi lewat PPID.",
    "Keamanan Informasi": "Latar foto, lokasi dan jadwal, rute kunjungan, kata sandi, dan verifikasi dua langkah.",
    "Akun Resmi Instansi": "Satu suara, moderasi komentar, menanggapi aduan, dan klarifikasi hoaks di akun resmi.",
    "Etika dan Gaya Hidup": "Pola hidup sederhana, konflik kepentingan, dan kewajiban atasan menindaklanjuti.",
    "Akun Pribadi dan Atas Nama Instansi": "Nama akun, penafian, kritik yang santun, dan jejak digital.",
    PRACTICE_TOPIC: "Contoh jawaban singkat, numerik, menjodohkan, isian rumpang, dan esai.",
}
# Questions most people get wrong in the demo (the statistics flag them).
HARD = {"AR03 Melaporkan warga atas nama instansi", "HV06 Hoaks tanpa kerusuhan", "SR04 Menyukai konten anti-Pancasila",
        "AP03 Penafian di bio akun", "DP03 Jenis data pribadi spesifik", "NP04 Dimasukkan ke grup relawan"}
SCENARIO_QUESTION = "KI02 Papan tulis berisi kata sandi"
SCENARIO_ALT = ("Tiruan unggahan Instagram akun pribadi: foto lima anggota tim di ruang rapat. Pada papan tulis di "
                "belakang mereka terbaca alamat server uji coba, nama pengguna admin, dan kata sandinya.")


def seed(session, bank_path=BANK_FILE):
    if session.exec(select(Quiz.id).limit(1)).first() is not None:
        return "quiz: already there"
    bank_path = Path(bank_path)
    if not bank_path.exists():
        return "quiz: no demo question bank (portal/demo/quiz/bank.gift is missing)"
    admin = session.exec(select(User).where(User.username == "admin")).one()
    preview = exchange.apply_gift(session, admin, bank_path.read_bytes())
    if PRACTICE_FILE.exists():
        exchange.apply_gift(session, admin, PRACTICE_FILE.read_bytes())
    _describe_topics(session, admin)
    _add_scenario_image(session, admin)
    topic_ids = {t.name: t.id for t in topics.topics(session)}
    main = quizzes.save_quiz(
        session, admin, None, {topic_ids[n]: c for n, c in MAIN_RULES.items() if n in topic_ids},
        title=MAIN_QUIZ, pass_mark=70, max_attempts=None, cooldown_hours=1, feedback_mode="immediate",
        shuffle_questions=True, shuffle_options=True, certificate=True, validity_months=12, active=True,
        description="Lima belas soal skenario dari sembilan topik pedoman. Setiap jawaban langsung diberi umpan "
                    "balik dan tautan ke bagian pedoman yang menjelaskannya. Lulus dengan nilai 70 atau lebih; "
                    "sertifikat berlaku 12 bulan.")
    pre_post = quizzes.save_quiz(
        session, admin, None, {topic_ids[n]: c for n, c in PRE_POST_RULES.items() if n in topic_ids},
        title=PRE_POST_QUIZ, pass_mark=70, max_attempts=2, cooldown_hours=0, feedback_mode="deferred",
        shuffle_questions=True, shuffle_options=True, certificate=False, validity_months=None, active=True,
        description="Sepuluh soal untuk pelatihan pengelola media sosial: dikerjakan sekali di awal (pre-test) dan "
                    "sekali di akhir (post-test). Jawaban boleh diubah sampai dikumpulkan; hasil dan pembahasan "
                    "tampil setelahnya.")
    if PRACTICE_TOPIC in topic_ids:
        quizzes.save_quiz(
            session, admin, None, {topic_ids[PRACTICE_TOPIC]: 10}, title=PRACTICE_QUIZ, pass_mark=60,
            max_attempts=None, cooldown_hours=0, feedback_mode="immediate", shuffle_questions=False,
            shuffle_options=True, certificate=False, validity_months=None, active=True,
            description="Soal isian singkat, angka, menjodohkan, dan esai, dengan umpan balik langsung. Tidak "
                        "menerbitkan sertifikat.")
    _seed_proposal(session)
    # The bank is written: commit it, so that the attempts below (a hundred, through the real answer service) share
    # the drawn questions' kept parts instead of a transaction that changed the bank reading them afresh each time.
    session.commit()
    attempts = _seed_attempts(session, main, pre_post)
    return (f"quiz: {len(preview.rows)} questions in {len(topic_ids)} topics, 3 quizzes, "
            f"{attempts} demo attempts")


def _describe_topics(session, admin):
    """Each topic: a description and the handbook sections its questions link to most often."""
    for topic in topics.topics(session):
        counts = {}
        for section_id in session.exec(
            select(QuestionSection.section_id).join(Question, Question.id == QuestionSection.question_id)
            .where(Question.topic_id == topic.id)
        ).all():
            counts[section_id] = counts.get(section_id, 0) + 1
        top = sorted(counts, key=lambda s: (-counts[s], s))[:3]
        topics.update_topic(session, admin, topic, topic.name, TOPIC_DESCRIPTIONS.get(topic.name, ""),
                              topic.position, top)


def scenario_png():
    """A mock Instagram post (generated, so no real person or photo is involved)."""
    from PIL import Image, ImageDraw, ImageFont

    def font(size):
        return ImageFont.load_default(size=size)

    width, height = 720, 860
    image = Image.new("RGB", (width, height), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, height - 1), outline="#d5dce4", width=2)
    draw.ellipse((20, 18, 72, 70), fill="#f58529")
    draw.ellipse((25, 23, 67, 65), fill="#ffffff")
    draw.ellipse((29, 27, 63, 61), fill="#5b7a99")
    draw.text((86, 24), "bayu.ketua.tim", fill="#1c2430", font=font(22))
    draw.text((86, 50), "Ruang Rapat Lt. 3", fill="#4e5a69", font=font(17))
    for dot in range(3):  # the "more" menu
        draw.ellipse((width - 56 + dot * 12, 42, width - 50 + dot * 12, 48), fill="#1c2430")
    top, bottom = 88, 628
    draw.rectangle((0, top, width, bottom), fill="#cfd8e3")
    draw.rectangle((0, bottom - 120, width, bottom), fill="#9aa9ba")
    draw.rectangle((70, top + 40, width - 70, top + 300), fill="#fbfcfd", outline="#7d8ea3", width=6)
    hand = font(24)
    draw.text((100, top + 62), "SPRINT 12 - SELESAI!  \\o/", fill="#1f5fbf", font=font(28))
    draw.text((100, top + 118), "server uji: 10.20.4.17:8443", fill="#c0392b", font=hand)
    draw.text((100, top + 158), "user: admin_simpeg", fill="#c0392b", font=hand)
    draw.text((100, top + 198), "pass: Bijak#2025!", fill="#c0392b", font=hand)
    draw.text((100, top + 246), "- demo ke pimpinan Jumat", fill="#2c3e50", font=font(20))
    colors = ["#2f6f9f", "#8e44ad", "#16a085", "#d35400", "#34495e"]
    for i, color in enumerate(colors):
        cx = 120 + i * 120
        draw.ellipse((cx - 34, top + 330, cx + 34, top + 398), fill="#f1c7a5")
        draw.rounded_rectangle((cx - 52, top + 400, cx + 52, bottom + 30), radius=30, fill=color)
    draw.rectangle((0, bottom, width, bottom + 40), fill="#ffffff")
    icon_y = bottom + 18  # like, comment, share
    draw.ellipse((22, icon_y, 36, icon_y + 14), outline="#1c2430", width=3)
    draw.ellipse((32, icon_y, 46, icon_y + 14), outline="#1c2430", width=3)
    draw.polygon([(23, icon_y + 10), (45, icon_y + 10), (34, icon_y + 26)], outline="#1c2430", width=3)
    draw.ellipse((66, icon_y, 94, icon_y + 24), outline="#1c2430", width=3)
    draw.polygon([(116, icon_y + 2), (146, icon_y + 12), (116, icon_y + 24), (122, icon_y + 12)], outline="#1c2430",
                 width=3)
    draw.text((20, bottom + 62), "128 suka", fill="#1c2430", font=font(20))
    caption = "bayu.ketua.tim Akhirnya aplikasi baru rampung! Terima kasih tim hebat"
    draw.text((20, bottom + 96), caption, fill="#1c2430", font=font(19))
    draw.text((20, bottom + 124), "#kerjabareng #pusdatin #ASNmelayani", fill="#1f5fbf", font=font(19))
    draw.text((20, bottom + 170), "3 JAM YANG LALU", fill="#7b8794", font=font(15))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _add_scenario_image(session, admin):
    question = session.exec(select(Question).where(Question.name == SCENARIO_QUESTION)).first()
    if question is None:
        return
    version = session.get(QuestionVersion, question.current_version_id)
    options = bank.version_options(session, version.id)
    data = bank.QuestionInput(
        topic_id=question.topic_id, kind=version.kind, stem=version.stem, name=question.name,
        explanation=version.explanation, difficulty=question.difficulty,
        section_ids=bank.question_section_ids(session, question.id),
        options=[bank.OptionInput(o.text, o.fraction, o.feedback) for o in options],
        image=images.store(scenario_png()), image_alt=SCENARIO_ALT)
    bank.update_question(session, admin, question, data)


def _seed_proposal(session):
    """A question proposed by humas, waiting for an admin (a draft is never drawn)."""
    humas = session.exec(select(User).where(User.username == "humas")).first()
    topic = next((t for t in topics.topics(session) if t.name == "Keamanan Informasi"), None)
    if humas is None or topic is None:
        return
    slugs = topics.section_ids_by_slug(session, ["berbagi-lokasi-dan-jadwal"])
    bank.create_question(session, humas, bank.QuestionInput(
        topic_id=topic.id, kind="single", name="USUL Lokasi langsung saat kunjungan lapangan",
        stem="Saat kunjungan lapangan ke lokasi bencana, Rina ingin membagikan **lokasi langsung** (*live "
             "location*) di Instagram Story agar keluarganya tenang. Apa saran yang paling tepat?",
        options=[
            bank.OptionInput("Bagikan lokasi hanya kepada keluarga lewat pesan pribadi, dan unggah foto kegiatan "
                                 "setelah rombongan meninggalkan lokasi", 1.0,
                                 "Tepat. Lokasi dan jadwal rombongan tidak diumumkan selagi kegiatan berlangsung."),
            bank.OptionInput("Bagikan di Story karena hanya berlaku 24 jam", 0.0,
                                 "Kurang tepat. Dalam 24 jam lokasi rombongan sudah terbaca siapa pun yang melihat."),
            bank.OptionInput("Bagikan di Story asal tidak menandai akun instansi", 0.0,
                                 "Kurang tepat. Tanpa tanda pun, lokasi dan seragam sudah menunjukkan siapa Anda."),
        ],
        explanation="Jangan membagikan lokasi dan jadwal secara langsung selama kegiatan dinas; unggah setelah "
                    "kegiatan selesai.",
        section_ids=list(slugs.values()), difficulty=1), status="draft")


# --- attempts -----------------------------------------------------------------------------------------------------

def _pick(rng, shown_options, kind, correct):
    """Option ids a person picks: the right ones when `correct`, otherwise a plausible wrong answer."""
    right = [o for o in shown_options if o.fraction > 0]
    wrong = [o for o in shown_options if o.fraction <= 0]
    if kind != "multi":
        best = max(shown_options, key=lambda o: o.fraction)
        return [best.id] if correct or not wrong else [rng.choice(wrong).id]
    if correct:
        return [o.id for o in right]
    picks = rng.sample(right, max(1, len(right) - 1)) + ([rng.choice(wrong)] if wrong else [])
    return [o.id for o in picks]


def _take(session, user, quiz, rng, started, ability, hard_penalty=0.35):
    """One finished attempt by `user` started at `started`, answering with the given ability (0..1)."""
    attempt = attempts.lock(session, attempts.start(session, user, quiz, now=started, rng=rng).id)
    moment = started
    for item in attempts.attempt_items(session, attempt):
        version = session.get(QuestionVersion, item.version_id)
        question = session.get(Question, version.question_id)
        by_id = {o.id: o for o in session.exec(select(QuestionOption)
                                               .where(QuestionOption.version_id == version.id)).all()}
        shown_options = [by_id[int(i)] for i in item.option_order.split(",")]
        chance = ability + {1: 0.12, 2: 0.0, 3: -0.15}.get(question.difficulty, 0)
        if question.name in HARD:
            chance -= hard_penalty
        moment += timedelta(seconds=rng.randint(25, 95))
        picks = _pick(rng, shown_options, version.kind, rng.random() < chance)
        attempts.answer(session, attempt, item.position, picks, now=moment, page=False)
    return attempts.finish(session, user, attempt, now=moment + timedelta(seconds=20))


def _take_with_score(session, user, quiz, rng, started, right_count):
    """An attempt with exactly `right_count` questions answered right (for the named demo accounts)."""
    attempt = attempts.lock(session, attempts.start(session, user, quiz, now=started, rng=rng).id)
    moment = started
    for index, item in enumerate(attempts.attempt_items(session, attempt)):
        version = session.get(QuestionVersion, item.version_id)
        by_id = {o.id: o for o in session.exec(select(QuestionOption)
                                               .where(QuestionOption.version_id == version.id)).all()}
        shown_options = [by_id[int(i)] for i in item.option_order.split(",")]
        moment += timedelta(seconds=rng.randint(30, 80))
        attempts.answer(session, attempt, item.position, _pick(rng, shown_options, version.kind, index < right_count),
                        now=moment, page=False)
    return attempts.finish(session, user, attempt, now=moment + timedelta(seconds=15))


def _seed_attempts(session, main, pre_post):
    rng = random.Random(4104)
    now = utcnow()
    users = session.exec(select(User).where(User.active).order_by(User.id)).all()
    by_name = {u.username: u for u in users}
    count = 0
    # The named accounts: pegawai failed once (three days ago); atasan passed six weeks ago.
    if "pegawai" in by_name:
        _take_with_score(session, by_name["pegawai"], main, rng, now - timedelta(days=3, hours=2), 7)
        count += 1
    if "atasan" in by_name:
        _take_with_score(session, by_name["atasan"], main, rng, now - timedelta(days=41, hours=5), 14)
        count += 1
    staff = [u for u in users if u.username not in ("admin", "humas", "pelatih", "atasan", "pegawai")]
    takers = rng.sample(staff, min(33, len(staff)))
    for index, user in enumerate(takers):
        ability = min(max(rng.gauss(0.74, 0.13), 0.3), 0.98)
        days_ago = rng.randint(4, 170)
        if index == 0:
            days_ago = 352  # a pass that expires within the month: the dashboard asks to retake
            ability = 0.95
        started = now - timedelta(days=days_ago, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
        attempt = _take(session, user, main, rng, started, ability)
        count += 1
        if not attempt.passed and rng.random() < 0.45 and days_ago > 6:
            # Read the suggested sections, came back a few days later.
            again = started + timedelta(days=rng.randint(2, min(days_ago - 2, 20)))
            _take(session, user, main, rng, again, min(ability + 0.15, 0.97))
            count += 1
    # A workshop's pre-test and post-test for eight participants (deferred feedback).
    for user in takers[:8]:
        ability = min(max(rng.gauss(0.55, 0.1), 0.25), 0.9)
        started = now - timedelta(days=30, hours=rng.randint(0, 3))
        _take(session, user, pre_post, rng, started, ability, hard_penalty=0.2)
        _take(session, user, pre_post, rng, started + timedelta(days=2), min(ability + 0.25, 0.97),
              hard_penalty=0.2)
        count += 2
    return count


__all__ = ["MAIN_QUIZ", "PRACTICE_QUIZ", "PRE_POST_QUIZ", "scenario_png", "seed"]
