"""Demo workshops: three trainings run by `pelatih`, dated around today (2026-11-22 in the demo world).

- "Belajar Asyik Pengelolaan Media Sosial": one day, finished 45 days ago, about 50 participants including guests
  from the archives and library offices of Kota Bogor, Kabupaten Bogor and Kota Depok; certificates issued.
- "Pelatihan Manajemen Kehumasan (Pengelolaan Media Sosial)": five days a month ago, 30 ASN, some izin, sakit and
  terlambat, the pre-test/post-test quiz attached (the first attempt is the pre-test, the second the post-test).
- "Rapat Kerja Sinergi Pengelolaan Anggaran dan Strategi Media Sosial": in ten days, open for registration with 12
  seats, all taken and one person waiting, so registering shows the waiting list.
"""

import random
from datetime import UTC, datetime, time, timedelta

from sqlmodel import select

from portal.models import (
    Attempt,
    Quiz,
    Section,
    ToolkitItem,
    Unit,
    User,
    Workshop,
    WorkshopAttendance,
    WorkshopMaterial,
    WorkshopParticipant,
    WorkshopSession,
    WorkshopTrainer,
    utcnow,
)
from portal.timezone import WIB, as_utc, from_wib
from portal.workshops import catalog
from portal.workshops.completion import issue_certificates
from portal.workshops.registration import new_code

TITLES = ("Belajar Asyik Pengelolaan Media Sosial", "Pelatihan Manajemen Kehumasan (Pengelolaan Media Sosial)",
          "Rapat Kerja Sinergi Pengelolaan Anggaran dan Strategi Media Sosial")
GUEST_OFFICES = ("Dinas Kearsipan dan Perpustakaan Kota Bogor", "Dinas Kearsipan dan Perpustakaan Kabupaten Bogor",
                 "Dinas Kearsipan dan Perpustakaan Kota Depok")
GUEST_POSITIONS = ("Arsiparis Ahli Pertama", "Pustakawan Ahli Muda", "Pranata Humas", "Analis Kebijakan",
                   "Pengelola Media Sosial", "Kepala Seksi Layanan", "Pustakawan Terampil")
MATERIAL_SLUGS = ("prinsip-akun-resmi", "perencanaan-post-dan-tahapan")


def _wib(day, hour, minute=0):
    return from_wib(day, time(hour, minute))


def _workshop(session, trainer, unit, title, description, status, place, **values):
    workshop = Workshop(title=title, description=description, status=status, place=place, unit_id=unit.id if unit
                        else None, created_by_id=trainer.id, **values)
    session.add(workshop)
    session.flush()
    session.add(WorkshopTrainer(workshop_id=workshop.id, user_id=trainer.id))
    for position, slug in enumerate(MATERIAL_SLUGS):
        if session.exec(select(Section.id).where(Section.slug == slug)).first():
            session.add(WorkshopMaterial(workshop_id=workshop.id, kind="handbook", ref=slug, position=position))
    for position, item_id in enumerate(session.exec(select(ToolkitItem.id).where(ToolkitItem.status == "disetujui")
                                                    .order_by(ToolkitItem.id).limit(2)).all()):
        session.add(WorkshopMaterial(workshop_id=workshop.id, kind="toolkit", ref=str(item_id), position=10 + position))
    catalog.index_workshop(session, workshop)
    return workshop


def _sessions(session, workshop, slots):
    rows = []
    for start, end, topic in slots:
        row = WorkshopSession(workshop_id=workshop.id, starts_at=start, ends_at=end, topic=topic)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _participant(session, workshop, registered_at, user=None, status="registered", **guest):
    p = WorkshopParticipant(workshop_id=workshop.id, user_id=user.id if user else None, status=status,
                            registered_at=registered_at, code=new_code(session),
                            source="self" if user else "import", **guest)
    session.add(p)
    session.flush()
    return p


def _attendance(session, rng, workshop_sessions, participants, trainer, profile):
    """Marks for every participant and session; `profile(rng, participant index)` -> status weights."""
    for index, p in enumerate(participants):
        weights = profile(index)
        for s in workshop_sessions:
            status = rng.choices(("hadir", "terlambat", "izin", "sakit", "tidak_hadir"), weights=weights)[0]
            late = status == "terlambat"
            method = rng.choice(("qr", "qr", "manual")) if status in ("hadir", "terlambat") else "manual"
            marked = as_utc(s.starts_at) + timedelta(minutes=rng.randint(16, 40) if late
                                                              else rng.randint(-25, 10))
            note = {"izin": "Tugas kedinasan", "sakit": "Surat keterangan dokter"}.get(status, "")
            session.add(WorkshopAttendance(session_id=s.id, participant_id=p.id, status=status, note=note,
                                           method=method, marked_by_id=None if method == "qr" else trainer.id,
                                           marked_at=marked))


def _guest_name(rng, used):
    from portal.demo.people import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES

    while True:
        name = f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {rng.choice(LAST_NAMES)}"
        if name not in used:
            used.add(name)
            return name


def seed(session):
    if session.exec(select(Workshop.id).limit(1)).first() is not None:
        return "workshops: already there"
    trainer = session.exec(select(User).where(User.username == "pelatih")).first()
    if trainer is None:
        return None
    rng = random.Random(2611)
    today = utcnow().astimezone(WIB).date()
    unit = session.exec(select(Unit).where(Unit.code == "BSDM-PK")).first()
    staff = session.exec(select(User).where(User.nip.is_not(None), User.active).order_by(User.id)).all()
    pegawai = session.exec(select(User).where(User.username == "pegawai")).first()
    quiz = session.exec(select(Quiz).where(Quiz.title.startswith("Pre-test/Post-test"))).first()

    # 1. one day, finished, ~50 participants with guests from three regional offices
    day1 = today - timedelta(days=45)
    w1 = _workshop(session, trainer, unit, TITLES[0],
                   "Lokakarya satu hari untuk pegawai dan mitra arsip daerah: merencanakan konten, menulis takarir "
                   "yang ramah, memilih foto yang boleh diunggah, dan menjawab komentar warganet dengan santun.",
                   "finished", "Aula Gedung B Lantai 3, Jakarta", capacity=60,
                   registration_opens_at=_wib(day1 - timedelta(days=21), 8),
                   registration_closes_at=_wib(day1 - timedelta(days=2), 16))
    s1 = _sessions(session, w1, [(_wib(day1, 8, 30), _wib(day1, 12), "Merencanakan konten dan menulis takarir"),
                                 (_wib(day1, 13), _wib(day1, 16), "Praktik: foto, video pendek, dan balasan komentar")])
    registered = _wib(day1 - timedelta(days=14), 9)
    members = [u for u in staff[:30]] + ([pegawai] if pegawai else [])
    p1 = [_participant(session, w1, registered + timedelta(minutes=7 * i), u) for i, u in enumerate(members)]
    used = set()
    for i in range(19):
        office = GUEST_OFFICES[i % 3]
        name = _guest_name(rng, used)
        p1.append(_participant(session, w1, registered + timedelta(hours=3, minutes=5 * i), name=name,
                               institution=office, position=rng.choice(GUEST_POSITIONS),
                               email=f"{name.lower().replace(' ', '.')}@{('kotabogor', 'bogorkab', 'depok')[i % 3]}"
                                     ".go.id", phone=f"08{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}"))
    _attendance(session, rng, s1, p1, trainer, lambda i: (80, 10, 3, 2, 5) if i % 9 else (40, 10, 10, 0, 40))

    # 2. five days, 30 ASN, pre-test and post-test
    start2 = today - timedelta(days=32)
    start2 -= timedelta(days=start2.weekday())  # a Monday
    w2 = _workshop(session, trainer, unit, TITLES[1],
                   "Pelatihan lima hari bagi pengelola media sosial dan pranata humas: strategi komunikasi, "
                   "kalender konten, produksi foto dan video, manajemen krisis, serta evaluasi kinerja akun resmi.",
                   "finished", "Pusat Pendidikan dan Pelatihan, Ruang Kelas 2, Bogor", capacity=30,
                   registration_opens_at=_wib(start2 - timedelta(days=30), 8),
                   registration_closes_at=_wib(start2 - timedelta(days=7), 16),
                   pre_quiz_id=quiz.id if quiz else None, post_quiz_id=quiz.id if quiz else None)
    topics = ("Strategi komunikasi publik dan peran humas", "Kalender konten dan metode POST",
              "Produksi foto dan video pendek", "Manajemen isu dan krisis di media sosial",
              "Evaluasi kinerja akun resmi dan rencana tindak lanjut")
    s2 = _sessions(session, w2, [(_wib(start2 + timedelta(days=d), 8), _wib(start2 + timedelta(days=d), 16),
                                  topics[d]) for d in range(5)])
    tested = []
    if quiz is not None:  # the quiz demo's eight pre/post-test takers come first
        tested = session.exec(select(User).join(Attempt, Attempt.user_id == User.id)
                              .where(Attempt.quiz_id == quiz.id).distinct().order_by(User.id)).all()
    others = [u for u in staff if u not in tested]
    rng.shuffle(others)
    cohort = (list(tested) + others)[:30]
    p2 = [_participant(session, w2, _wib(start2 - timedelta(days=20 - i % 10), 10), u) for i, u in enumerate(cohort)]
    _attendance(session, rng, s2, p2, trainer, lambda i: (78, 9, 6, 4, 3) if i % 7 else (55, 10, 15, 10, 10))
    if quiz is not None:
        from portal.quiz.demo import _take

        for u in cohort:
            if u in tested:
                continue
            ability = min(max(rng.gauss(0.5, 0.1), 0.25), 0.85)
            _take(session, u, quiz, rng, _wib(start2, 8, 15), ability, hard_penalty=0.2)
            _take(session, u, quiz, rng, _wib(start2 + timedelta(days=4), 14), min(ability + 0.25, 0.97),
                  hard_penalty=0.2)

    # 3. upcoming, open, full with a waiting list
    day3 = today + timedelta(days=10)
    w3 = _workshop(session, trainer, unit, TITLES[2],
                   "Rapat kerja dua hari untuk menyelaraskan anggaran kampanye dan strategi media sosial tahun "
                   "depan antara Biro Hubungan Masyarakat, biro perencanaan, dan balai wilayah.",
                   "open", "Ruang Rapat Utama Lantai 8, Jakarta", capacity=12,
                   online_link="https://vicon.kementerian.go.id/raker-medsos",
                   registration_opens_at=datetime.combine(today - timedelta(days=5), time(1, 0), tzinfo=UTC),
                   registration_closes_at=_wib(day3 - timedelta(days=3), 16))
    _sessions(session, w3, [(_wib(day3, 9), _wib(day3, 16), "Evaluasi anggaran dan capaian kampanye 2026"),
                            (_wib(day3 + timedelta(days=1), 9), _wib(day3 + timedelta(days=1), 15),
                             "Strategi dan kalender media sosial 2027")])
    queue = [u for u in staff[30:] if u is not pegawai][:13]
    for i, u in enumerate(queue):
        _participant(session, w3, _wib(today - timedelta(days=4), 9) + timedelta(hours=5 * i), u,
                     status="registered" if i < 12 else "waitlisted")
    session.commit()

    issued = issue_certificates(session, trainer, w1) + issue_certificates(session, trainer, w2)
    session.commit()  # the demo seed is its own unit of work, like every pillar's
    return (f"workshops: 3 workshops, {len(p1) + len(p2) + len(queue)} participants, "
            f"{issued} certificates")
