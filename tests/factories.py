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


# --- handbook ----------------------------------------------------------------------------------------------------------

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
    edition = publish_edition(session, humas, version, material=material) if version else None
    return SimpleNamespace(humas=humas, chapters=chapter_rows, sections=sections, edition=edition)


def publish_edition(session, humas, version, material=False, notes="Catatan edisi uji."):
    from portal.handbook import services

    return services.publish_edition(session, humas, version, notes, material)


def edit_section(session, humas, section, title=None, body=None, summary="Perubahan uji"):
    """Save a new draft revision of `section` on top of its current one; unchanged parts stay as they are."""
    from portal.handbook import services
    from portal.models import SectionRevision

    session.refresh(section)
    current = session.get(SectionRevision, section.current_revision_id)
    return services.save_section(session, humas, section, current.id, title or current.title,
                                 current.body if body is None else body, summary)
