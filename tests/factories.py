"""Test data builders. Passwords are hashed once per run, cheaply: production scrypt is deliberately slow."""

import itertools

from werkzeug.security import generate_password_hash

from portal.models import Unit, User, UserRole

PASSWORD = "kata-sandi-uji-123"
# Still scrypt, with a small work factor: the hash carries its parameters, so signing in test users stays fast.
_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
_seq = itertools.count(1)


def make_unit(session, code=None, name=None, parent=None):
    n = next(_seq)
    unit = Unit(code=code or f"U{n}", name=name or f"Unit Uji {n}", parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.commit()
    return unit


def make_user(session, username=None, roles=(), unit=None, active=True, nip=None, full_name=None, email=None,
              password_hash=_HASH):
    n = next(_seq)
    unit = unit or make_unit(session)
    user = User(username=username or f"user{n}", full_name=full_name or f"Pegawai Uji {n}", unit_id=unit.id,
                password_hash=password_hash, active=active, nip=nip, email=email)
    user.role_links = [UserRole(role=r) for r in roles if r != "employee"]
    session.add(user)
    session.commit()
    return user


def valid_nip(n=1, gender=1):
    """A plausible NIP: born 1990-05-17, appointed 2015-03, gender, sequence n."""
    return f"19900517201503{gender}{n:03d}"


# --- handbook ---------------------------------------------------------------------------------------------------------

# (chapter title, intro, [(slug, section title, Markdown body)]): a small handbook whose words the search tests use.
HANDBOOK = (
    ("Akun Pribadi dan Akun Resmi", "Bagaimana pegawai memakai akunnya.", (
        ("akun-pribadi", "Akun pribadi pegawai",
         "Aparatur sipil negara boleh memiliki akun media sosial pribadi. Pisahkan akun pribadi dari akun resmi "
         "instansi.\n\n### Contoh\n\nGunakan nama asli dan foto profil yang sopan."),
        ("foto-kegiatan", "Mengunggah foto kegiatan",
         "Foto kegiatan kantor boleh diunggah setelah disetujui atasan. Periksa latar belakang foto sebelum "
         "unggahan dibagikan."),
    )),
    ("Netralitas dan Informasi", "", (
        ("netralitas-politik", "Netralitas dalam pemilu",
         "PNS dilarang memberi dukungan kepada calon di medsos, termasuk menyukai dan membagikan unggahan kampanye."),
        ("hoaks-dan-verifikasi", "Hoaks dan verifikasi",
         "ASN memeriksa sumber sebelum membagikan informasi. Jangan menyebarkan hoaks."),
    )),
)


def make_handbook(session, chapters=HANDBOOK, version="2025.1", material=True, humas=None):
    """Chapters and sections written through portal.handbook.services by a humas user, then published as `version`
    (None: left as a draft). Returns a namespace with humas, chapters, sections (by slug) and edition."""
    from types import SimpleNamespace

    from portal.handbook import services

    humas = humas or make_user(session, roles=("humas",), full_name="Humas Uji")
    chapter_rows, sections = [], {}
    for title, intro, items in chapters:
        chapter = services.create_chapter(session, humas, title, intro)
        chapter_rows.append(chapter)
        for slug, section_title, body in items:
            sections[slug] = services.create_section(session, humas, chapter.id, section_title, body, slug=slug)
    session.commit()
    edition = publish_edition(session, humas, version, material=material) if version else None
    return SimpleNamespace(humas=humas, chapters=chapter_rows, sections=sections, edition=edition)


def publish_edition(session, humas, version, material=False, notes="Catatan edisi uji."):
    from portal.handbook import services

    edition = services.publish_edition(session, humas, version, notes, material, index_now=True)
    session.commit()
    return edition


def edit_section(session, humas, section, title=None, body=None, summary="Perubahan uji"):
    """Save a new draft revision of `section` on top of its current one; unchanged parts stay as they are."""
    from portal.handbook import services
    from portal.models import SectionRevision

    session.refresh(section)
    current = session.get(SectionRevision, section.current_revision_id)
    revision = services.save_section(session, humas, section, current.id, title or current.title,
                                     current.body if body is None else body, summary)
    session.commit()
    return revision


def read_everything(session, user, edition=None):
    """Mark every section of `edition` (default: the latest) read by `user`, as if they had opened each one."""
    from portal.handbook import services

    edition = edition or services.latest_edition(session)
    for item in services.edition_toc(session, edition).flat:
        services.mark_read(session, user, item.section_id)
    session.commit()


def acknowledge(session, user, edition=None):
    """`user` reads every section of `edition` (default: the latest) and acknowledges it."""
    from portal.handbook import services

    edition = edition or services.latest_edition(session)
    read_everything(session, user, edition)
    services.acknowledge(session, user, edition)
    session.commit()


# --- quiz ----------------------------------------------------------------------------------------------------------

def make_topic(session, name=None, section_ids=()):
    from portal.quiz import topics

    topic = topics.create_topic(session, None, name or f"Topik Uji {next(_seq)}", section_ids=section_ids)
    session.commit()
    return topic


def make_question(session, topic, kind="single", stem=None, options=None, name=None, status="active",
                  section_ids=(), explanation="Pembahasan uji.", difficulty=2, text_format="markdown"):
    """A question through portal.quiz.bank. `options` is [(text, fraction, feedback)] or, for matching,
    [(item, fraction, feedback, partner)]; each kind has a default (single choice: one right answer "Benar sekali"
    and two wrong ones)."""
    from portal.quiz import bank

    if options is None:
        options = {"single": [("Benar sekali", 1.0, "Tepat."), ("Salah satu", 0.0, "Kurang tepat."),
                              ("Salah dua", 0.0, "Kurang tepat.")],
                   "multi": [("Betul A", 0.5, "A betul."), ("Betul B", 0.5, "B betul."),
                             ("Keliru C", -0.5, "C keliru.")],
                   "truefalse": [("Benar", 1.0, "Ya, benar."), ("Salah", 0.0, "Bukan begitu.")],
                   "shortanswer": [("ASN", 1.0, "Tepat."), ("aparatur*", 0.5, "Tulis singkatannya.")],
                   "numerical": [("2008:0", 1.0, "Tepat."), ("2008:1", 0.5, "Hampir.")],
                   "matching": [("Hoaks", 0.0, "", "kabar bohong"), ("Doxing", 0.0, "", "menyebar data pribadi"),
                                ("", 0.0, "", "iklan berbayar")],
                   "essay": [], "description": []}[kind]
    if kind == "description":
        explanation = ""
    n = next(_seq)
    data = bank.QuestionInput(
        topic_id=topic.id, kind=kind, stem=stem or f"Pertanyaan uji nomor {n}?", name=name or f"Soal {n}",
        options=[bank.OptionInput(*option) for option in options], explanation=explanation,
        section_ids=list(section_ids), difficulty=difficulty, text_format=text_format)
    question = bank.create_question(session, None, data, status=status)
    session.commit()
    return question


def make_quiz(session, rules, title=None, **values):
    """A quiz drawing [(topic, count)]; immediate feedback, pass mark 70, no shuffling unless told otherwise."""
    from portal.quiz import quizzes

    settings = {"pass_mark": 70, "max_attempts": None, "cooldown_hours": 0, "feedback_mode": "immediate",
                "shuffle_questions": False, "shuffle_options": False, "certificate": True, "validity_months": 12,
                "active": True}
    settings.update(values)
    quiz = quizzes.save_quiz(session, None, None, {topic.id: count for topic, count in rules},
                             title=title or f"Kuis Uji {next(_seq)}", **settings)
    session.commit()
    return quiz


def answer_for(session, item, right):
    """An attempts.Response to a drawn question (an AttemptQuestion): the best answer when `right`, else a wrong
    one."""
    from sqlmodel import select

    from portal.models import QuestionOption, QuestionVersion
    from portal.quiz import attempts, kinds

    kind = session.get(QuestionVersion, item.version_id).kind
    options = {o.id: o for o in session.exec(
        select(QuestionOption).where(QuestionOption.version_id == item.version_id)).all()}
    ordered = [options[i] for i in kinds.ids(item.option_order)]
    best = max(ordered, key=lambda o: o.fraction, default=None)
    if kind == "multi":
        return attempts.Response(options=[o.id for o in ordered if o.fraction > 0] if right else
                                 [min(ordered, key=lambda o: o.fraction).id])
    if kind in ("single", "truefalse"):
        return attempts.Response(options=[(best if right else min(ordered, key=lambda o: o.fraction)).id])
    if kind == "shortanswer":
        return attempts.Response(text=best.text.replace("*", "") if right else "jawaban keliru")
    if kind == "numerical":
        low, high = kinds.numeric_range(best.text)
        return attempts.Response(text=str((low + high) / 2) if right else "-987654321")
    if kind == "matching":
        partners = [options[i] for i in kinds.ids(item.match_order)]
        return attempts.Response(pairs={o.id: next(p.id for p in partners if (p.match_text == o.match_text) == right)
                                        for o in ordered})
    return attempts.Response(text="Jawaban esai uji.")


def make_attempt(session, user, quiz, right=None, finish=True, now=None):
    """An attempt by `user`; answers the first `right` questions right and the rest wrong (None: leave all
    unanswered). Returns the attempt (finished when `finish`), committed."""
    from portal.quiz import attempts

    attempt = attempts.lock(session, attempts.start(session, user, quiz, now=now).id)
    if right is not None:
        for index, item in enumerate(attempts.attempt_items(session, attempt)):
            attempts.answer(session, attempt, item.position, answer_for(session, item, index < right), now=now,
                            page=False)
    if finish:
        attempt = attempts.finish(session, user, attempt, now=now)
    session.commit()
    return attempt


# --- toolkit ----------------------------------------------------------------------------------------------------------

def image_bytes(size=(64, 48), fmt="PNG", color=(30, 110, 180), exif=None, **save):
    """A small real image in `fmt` (JPEG, PNG, WEBP, GIF); `exif` (a PIL.Image.Exif) is written into JPEGs."""
    import io

    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        save["exif"] = exif
    image.save(out, fmt, **save)
    return out.getvalue()


def gps_exif(lat=(6.0, 10.0, 30.0), lon=(106.0, 49.0, 40.0)):
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraUji"
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: lat,
                                   ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: lon}
    return exif


def pdf_bytes(title="Peraturan Uji"):
    from portal.toolkit.demo import demo_pdf

    return demo_pdf("Dokumen Uji", title)


def make_central_unit(session):
    """The Biro Hubungan Masyarakat (code BHM): its humas approve toolkit items. Made once per database."""
    from sqlmodel import select

    unit = session.exec(select(Unit).where(Unit.code == "BHM")).first()
    return unit or make_unit(session, code="BHM", name="Biro Hubungan Masyarakat")


def make_toolkit_item(session, kind="regulation", status="disetujui", author=None, approver=None, app=None,
                      files=None, **values):
    """A toolkit item written through the toolkit's services and moved to `status` (draf, diajukan, disetujui,
    ditolak, diarsipkan). `author` defaults to a humas of a new (non-central) unit, `approver` to a new admin.
    A photo needs `app` (its file is stored under the app's UPLOAD_DIR); regulations and templates do not.
    Returns the item."""
    import contextlib

    from portal.toolkit import editing, workflow

    author = author or make_user(session, roles=("humas",), full_name="Humas Daerah Uji")
    defaults = {
        "regulation": {"title": "Disiplin Pegawai Negeri Sipil", "reg_type": "PP", "number": "94", "year": 2021,
                       "issuer": "Presiden Republik Indonesia", "legal_status": "berlaku", "tags": "disiplin"},
        "template": {"title": "Tanggapan keluhan layanan", "body": "Halo Kak {nama}, nomor tiket {nomor_tiket}.",
                     "category": "keluhan", "channels": ["Instagram"], "tags": "keluhan"},
        "photo": {"title": "Sosialisasi netralitas", "credit": "Humas", "consent": "tidak_perlu",
                  "tags": "netralitas"},
    }[kind]
    defaults["owner_unit_id"] = author.unit_id
    defaults.update(values)
    if kind == "photo" and files is None:
        files = {"photo": (image_bytes(), "foto.png")}
    with app.app_context() if app is not None else contextlib.nullcontext():
        item = editing.save_item(session, author, kind, defaults, files=files)
        if status in ("diajukan", "disetujui", "ditolak", "diarsipkan"):
            workflow.submit(session, author, item)
        if status in ("disetujui", "ditolak", "diarsipkan"):
            approver = approver or make_user(session, roles=("admin",), full_name="Admin Uji")
            if status == "ditolak":
                workflow.reject(session, approver, item, "Alasan penolakan uji.")
            else:
                workflow.approve(session, approver, item)
        if status == "diarsipkan":
            workflow.archive(session, approver, item)
        session.commit()  # the services flush; the files go in place after the commit
    session.refresh(item)
    return item


def published_handbook(session):
    """The small handbook of HANDBOOK, published once per database: later calls return the same rows (for tests that
    need handbook URLs for several roles on one database, e.g. the permission matrix)."""
    from types import SimpleNamespace

    from sqlmodel import select

    from portal.handbook import services
    from portal.models import Chapter, Section, User

    slugs = [slug for _title, _intro, items in HANDBOOK for slug, _t, _b in items]
    found = {s.slug: s for s in session.exec(select(Section).where(Section.slug.in_(slugs))).all()}
    if len(found) < len(slugs):
        return make_handbook(session)
    chapters = [session.get(Chapter, found[items[0][0]].chapter_id) for _title, _intro, items in HANDBOOK]
    edition = services.latest_edition(session)
    humas = session.get(User, edition.published_by_id) if edition and edition.published_by_id else None
    return SimpleNamespace(humas=humas, chapters=chapters, sections=found, edition=edition)


# --- workshops --------------------------------------------------------------------------------------------------------

def make_workshop(session, trainer=None, status="open", capacity=None, sessions=(), title=None, **values):
    """A workshop with `trainer` (a new trainer when None) and sessions given as (starts_at, ends_at) UTC pairs."""
    from portal.models import Workshop, WorkshopSession, WorkshopTrainer
    from portal.workshops import catalog

    trainer = trainer or make_user(session, roles=("trainer",))
    workshop = Workshop(title=title or f"Pelatihan Uji {next(_seq)}", status=status, capacity=capacity, **values)
    session.add(workshop)
    session.flush()
    session.add(WorkshopTrainer(workshop_id=workshop.id, user_id=trainer.id))
    for start, end in sessions:
        session.add(WorkshopSession(workshop_id=workshop.id, starts_at=start, ends_at=end, topic="Sesi uji"))
    catalog.index_workshop(session, workshop)
    session.commit()
    return workshop


def make_participant(session, workshop, user=None, status="registered", **values):
    """An employee participant (user given) or a guest."""
    from portal.models import WorkshopParticipant

    n = next(_seq)
    participant = WorkshopParticipant(workshop_id=workshop.id, user_id=user.id if user else None,
                                      name=values.pop("name", "" if user else f"Tamu Uji {n}"), status=status,
                                      code=values.pop("code", f"TAMU{n:06d}"), **values)
    session.add(participant)
    session.commit()
    return participant


# --- content (Konten) -------------------------------------------------------------------------------------------------

def make_content_account(session, unit, platform="Instagram", handle=None, managers=(), status="aktif"):
    """An official account of `unit`, with `managers` (users) as its pengelola."""
    from portal.models import ContentAccount, ContentAccountManager

    n = next(_seq)
    handle = handle or f"akun_uji_{n}"
    account = ContentAccount(platform=platform, handle=f"@{handle}", handle_key=handle.lower(),
                             url=f"https://www.instagram.com/{handle}", unit_id=unit.id, status=status)
    session.add(account)
    session.flush()
    for user in managers:
        session.add(ContentAccountManager(account_id=account.id, user_id=user.id))
    session.commit()
    return account


def make_content_pillar(session, name=None, colour="#1f5f99"):
    from portal.models import ContentPillar

    pillar = ContentPillar(name=name or f"Pilar Uji {next(_seq)}", colour=colour)
    session.add(pillar)
    session.commit()
    return pillar


def make_content_post(session, author, accounts, when=None, pillar=None, topic="Topik uji", status="draf",
                      caption="Keterangan uji.", tags=""):
    """A planned post written directly (no service): `when` is an aware UTC datetime, default tomorrow 10.00 WIB."""
    from datetime import UTC, datetime, time, timedelta

    from portal.content.common import text_key
    from portal.models import ContentPost, ContentPostAccount
    from portal.timezone import WIB, today_wib

    when = (when or datetime.combine(today_wib() + timedelta(days=1), time(10), tzinfo=WIB)).astimezone(UTC)
    pillar = pillar or make_content_pillar(session)
    post = ContentPost(unit_id=accounts[0].unit_id, scheduled_at=when, pillar_id=pillar.id, topic=topic,
                       topic_key=text_key(topic), caption=caption, tags=tags, status=status,
                       created_by_id=author.id if author else None,
                       submitted_by_id=author.id if author and status != "draf" else None)
    session.add(post)
    session.flush()
    for account in accounts:
        session.add(ContentPostAccount(post_id=post.id, account_id=account.id))
    session.commit()
    return post


def make_planned_post(app, session, planner, accounts, pillar=None, topic="Topik uji", caption="Keterangan uji.",
                      tags="", audience="", status="draf", day=None):
    """A planned post written through the plan's services (so it is in the full-text index, as in the portal):
    created by `planner` (who must plan for `accounts`), then submitted by them when `status` is "diajukan".
    `day` is a WIB date, default tomorrow (10.00 WIB)."""
    from datetime import time, timedelta

    from portal.content import approval, plan
    from portal.timezone import today_wib

    pillar = pillar or make_content_pillar(session)
    data = plan.PostInput(account_ids=[a.id for a in accounts], day=day or today_wib() + timedelta(days=1),
                          clock=time(10), pillar_id=pillar.id, topic=topic, audience=audience, caption=caption,
                          tags=tags, status="ide" if status == "ide" else "draf")
    with app.test_request_context():
        post = plan.create_post(session, planner, data)
        if status == "diajukan":
            approval.submit(session, planner, post, post.version)
        session.commit()
    return post
