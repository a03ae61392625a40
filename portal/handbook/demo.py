"""Demo handbook: the Markdown chapters in portal/demo/handbook/, two published editions (2025.1, then the material
2026.1), one unpublished draft change, and realistic reading and acknowledgement across the demo ministry."""

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from portal.handbook import services
from portal.models import Acknowledgement, Chapter, Edition, Section, SectionRead, User

CONTENT_DIR = Path(__file__).resolve().parent.parent / "demo" / "handbook"
SECTION_RE = re.compile(r"^## (.+) \{#([a-z0-9-]+)\}$", re.MULTILINE)
FIRST_EDITION = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)
SECOND_EDITION = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


def parse_chapter(text):
    """(title, intro, [(slug, title, body)]) of one chapter file."""
    first, _, rest = text.partition("\n")
    title = first.removeprefix("# ").strip()
    parts = SECTION_RE.split(rest)
    intro = parts[0].strip()
    sections = []
    for i in range(1, len(parts), 3):
        sections.append((parts[i + 1], parts[i].strip(), parts[i + 2].strip()))
    return title, intro, sections


def load_chapters():
    return [parse_chapter(path.read_text(encoding="utf-8")) for path in sorted(CONTENT_DIR.glob("[0-9][0-9]-*.md"))]


def _older_text(body):
    """The 2025 wording of a section: the same text without its last paragraph."""
    paragraphs = body.split("\n\n")
    return "\n\n".join(paragraphs[:-1]) if len(paragraphs) > 2 else body


def seed(session):
    if session.exec(select(Chapter.id).limit(1)).first() is not None:
        return "handbook: already there"
    humas = session.exec(select(User).where(User.username == "humas")).one()
    chapters = load_chapters()
    changed_later = {"dasar-hukum-netralitas", "netralitas-like-share-komentar", "kewajiban-uu-pdp",
                     "pencemaran-nama-baik"}
    added_later = {"keamanan-akun-dan-2fa", "laporan-bulanan-akun-resmi"}
    final_text = {}
    for title, intro, sections in chapters:
        chapter = services.create_chapter(session, humas, title, intro)
        for slug, section_title, body in sections:
            final_text[slug] = (section_title, body)
            if slug in added_later:
                continue
            first_body = _older_text(body) if slug in changed_later else body
            services.create_section(session, humas, chapter.id, section_title, first_body, slug=slug,
                                    summary="Teks awal pedoman")
    session.commit()
    first = services.publish_edition(session, humas, "2025.1",
                                     "Edisi pertama Pedoman Bijak Bermedia Sosial bagi ASN.", material=True,
                                     index_now=True)
    first.published_at = FIRST_EDITION
    session.add(first)
    session.commit()

    # 2026: two new sections and updated legal basis (UU 20/2023, UU 1/2024, MK 105/2024) -> a material edition.
    for title, _intro, sections in chapters:
        chapter = session.exec(select(Chapter).where(Chapter.title == title)).one()
        for slug, section_title, body in sections:
            if slug in added_later:
                services.create_section(session, humas, chapter.id, section_title, body, slug=slug,
                                        summary="Bagian baru edisi 2026")
            elif slug in changed_later:
                section = session.exec(select(Section).where(Section.slug == slug)).one()
                services.save_section(session, humas, section, section.current_revision_id, section_title, body,
                                      summary="Memperbarui dasar hukum dan contoh")
    second = services.publish_edition(
        session, humas, "2026.1",
        "Menyesuaikan UU No. 20 Tahun 2023 tentang ASN dan UU No. 1 Tahun 2024 (perubahan kedua UU ITE), "
        "menambah bagian keamanan akun dan laporan bulanan akun resmi. Semua pegawai diminta membaca ulang "
        "dan menyatakan persetujuan kembali.",
        material=True, index_now=True,
    )
    second.published_at = SECOND_EDITION
    session.add(second)
    session.commit()

    # An unpublished draft, so humas sees what is waiting for the next edition.
    section = session.exec(select(Section).where(Section.slug == "cek-gambar-dan-video")).one()
    title, body = final_text["cek-gambar-dan-video"]
    services.save_section(session, humas, section, section.current_revision_id, title,
                          body + "\n\n> Tips: simpan tautan alat pemeriksa gambar di penanda peramban Anda.",
                          summary="Menambah tips pemeriksaan gambar")

    _seed_reading(session, first, second)
    return f"handbook: {len(chapters)} chapters, {len(final_text)} sections, editions 2025.1 and 2026.1"


def _seed_reading(session, first, second):
    rng = random.Random(3103)
    section_ids = [s for s in session.exec(select(Section.id).order_by(Section.id)).all()]
    users = session.exec(select(User).where(User.active).order_by(User.id)).all()
    for user in users:
        if user.username == "pegawai":
            # Part-way through: acknowledged the first edition, has read about 40% of the current one.
            read = section_ids[: int(len(section_ids) * 0.4)]
            acks = [(first, FIRST_EDITION + timedelta(days=12))]
        elif user.username in ("humas", "admin", "atasan"):
            read = section_ids
            acks = [(first, FIRST_EDITION + timedelta(days=2)), (second, SECOND_EDITION + timedelta(days=1))]
        else:
            roll = rng.random()
            if roll < 0.55:
                read = section_ids
                acks = [(second, SECOND_EDITION + timedelta(days=rng.randint(1, 60)))]
            elif roll < 0.75:
                read = rng.sample(section_ids, rng.randint(10, len(section_ids) - 5))
                acks = [(first, FIRST_EDITION + timedelta(days=rng.randint(1, 90)))]
            else:
                read = rng.sample(section_ids, rng.randint(0, 12))
                acks = []
        for section_id in read:
            session.add(SectionRead(user_id=user.id, section_id=section_id,
                                    read_at=SECOND_EDITION + timedelta(days=rng.randint(0, 70))))
        for edition, at in acks:
            session.add(Acknowledgement(user_id=user.id, edition_id=edition.id, acknowledged_at=at))
    session.commit()


__all__ = ["Edition", "load_chapters", "seed"]
