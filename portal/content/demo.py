"""Demo content plan: official accounts of the demo units, the seven default pillars, key messages and agenda,
and eight weeks of planned posts around today (past weeks published and evaluated, the current week mixed, next
week drafts), with a clash between two units, a caption citing a revoked regulation and a caption the pre-post
checker flags. Everything goes through the content services, as the people would do it. Idempotent."""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select

from portal.content import accounts, approval, calendar, pillars, plan
from portal.content.access import Scope
from portal.content.common import week_of
from portal.models import ContentAccount, Unit, User, UserRole
from portal.timezone import WIB, today_wib

# unit code, platform, handle, verified, manager usernames ("@regional" is the regional humas of UPT-SBY)
ACCOUNTS = [
    ("BHM", "Instagram", "kemenbijak", True, ("humas", "pegawai")),
    ("BHM", "X", "kemenbijak", True, ("humas",)),
    ("BHM", "Facebook", "kemenbijak.ri", True, ("humas",)),
    ("BHM", "YouTube", "kemenbijakTV", True, ("humas",)),
    ("BHM", "TikTok", "kemenbijak", False, ("humas", "pegawai")),
    ("BHM", "Website", "kemenbijak.go.id", False, ("humas",)),
    ("UPT-SBY", "Instagram", "balaiwil2.surabaya", False, ("@regional",)),
    ("UPT-SBY", "Facebook", "balaiwil2surabaya", False, ("@regional",)),
    ("UPT-MDN", "Instagram", "balaiwil1.medan", False, ()),
    ("UPT-MKS", "Instagram", "balaiwil3.makassar", False, ()),
    ("BSDM", "LinkedIn", "biro-sdm-kemenbijak", False, ()),
]

NATIONAL_DAYS = [
    ((1, 1), "Tahun Baru"), ((2, 9), "Hari Pers Nasional"), ((3, 8), "Hari Perempuan Internasional"),
    ((4, 21), "Hari Kartini"), ((5, 2), "Hari Pendidikan Nasional"), ((5, 20), "Hari Kebangkitan Nasional"),
    ((6, 1), "Hari Lahir Pancasila"), ((7, 23), "Hari Anak Nasional"), ((8, 17), "HUT Kemerdekaan RI"),
    ((10, 1), "Hari Kesaktian Pancasila"), ((10, 28), "Hari Sumpah Pemuda"), ((11, 10), "Hari Pahlawan"),
    ((11, 25), "Hari Guru Nasional"), ((12, 3), "Hari Disabilitas Internasional"),
    ((12, 9), "Hari Antikorupsi Sedunia"), ((12, 22), "Hari Ibu"),
]

# pillar index (1-7 as in pillars.DEFAULTS), topic, audience, caption, tags
IDEAS = [
    (1, "Penjelasan aturan baru layanan perizinan daring", "pelaku usaha",
     "Mulai bulan ini pengajuan izin cukup dari rumah. Simak tiga langkah mudahnya di slide berikut, dan simpan "
     "unggahan ini bila nanti diperlukan. Info lengkap: kemenbijak.go.id/layanan", "perizinan, layanan daring"),
    (2, "Jam layanan tatap muka dan kanal pengaduan", "masyarakat umum",
     "Layanan tatap muka buka Senin–Jumat pukul 08.00–15.00 WIB. Di luar jam itu, sampaikan pertanyaan dan aduan "
     "lewat LAPOR! atau pesan langsung ke akun ini. Kami jawab paling lambat satu hari kerja.", "layanan, pengaduan"),
    (3, "Capaian penyelesaian aduan triwulan ini", "masyarakat umum",
     "Terima kasih atas kepercayaan Sobat Bijak. Triwulan ini 92% aduan selesai dalam lima hari kerja. Kami terus "
     "memperbaiki layanan; masukan Anda sangat berarti.", "capaian, pengaduan"),
    (4, "Cek fakta: kenali ciri hoaks bantuan sosial", "masyarakat umum",
     "Ada pesan berantai yang meminta data pribadi untuk pencairan bantuan? Itu hoaks. Periksa sumbernya, jangan "
     "klik tautan asing, dan pastikan informasi lewat kanal resmi kami.", "hoaks, bansos, cek fakta"),
    (5, "Kisah petugas layanan di balai wilayah", "masyarakat umum",
     "Bu Ratna sudah 12 tahun melayani warga di loket balai. Baginya, senyum adalah bagian dari layanan. Terima "
     "kasih, Bu Ratna!", "human interest, petugas"),
    (6, "Ucapan hari besar nasional", "masyarakat umum",
     "Selamat memperingati hari besar nasional. Mari teruskan semangatnya dalam kerja melayani masyarakat.",
     "hari besar"),
    (7, "Tanya jawab: syarat pengajuan layanan", "masyarakat umum",
     "Punya pertanyaan tentang syarat layanan? Tulis di kolom komentar, tim kami akan menjawab hari Jumat pukul "
     "15.00 WIB dalam sesi tanya jawab langsung.", "tanya jawab, layanan"),
    (4, "Literasi digital: bijak berbagi di grup percakapan", "pegawai dan masyarakat",
     "Grup tertutup bukan ruang pribadi. Sebelum meneruskan pesan, tanyakan: benarkah? bergunakah? perlukah? "
     "#BijakBermedsos", "literasi digital, hoaks"),
    (1, "Sosialisasi netralitas ASN menjelang pilkada", "pegawai",
     "ASN tetap netral: tidak menyukai, membagikan, atau mengomentari unggahan kampanye. Sanksinya diatur dalam "
     "PP 94 Tahun 2021 tentang Disiplin PNS.", "netralitas, asn"),
    (2, "Pengumuman libur layanan dan layanan daring tetap buka", "masyarakat umum",
     "Layanan tatap muka libur pada hari libur nasional. Layanan daring dan kanal aduan tetap buka 24 jam.",
     "layanan, libur"),
]
HOURS = (7, 9, 11, 12, 15, 19, 20)


def _user(session, username):
    return session.exec(select(User).where(User.username == username)).first()


def _regional(session):
    """The regional humas of Balai Layanan Wilayah II Surabaya (made a humas by the toolkit demo)."""
    unit = session.exec(select(Unit).where(Unit.code == "UPT-SBY")).first()
    if unit is None:
        return None
    for person in session.exec(select(User).where(User.unit_id == unit.id, User.nip.is_not(None))
                               .order_by(User.id)).all():
        if "humas" in person.roles:
            return person
    person = session.exec(select(User).where(User.unit_id == unit.id, User.nip.is_not(None))
                          .order_by(User.id)).first()
    if person is not None:
        session.add(UserRole(user_id=person.id, role="humas"))
        session.flush()
        session.refresh(person)
    return person


def seed(session):
    if session.exec(select(ContentAccount.id).limit(1)).first() is not None:
        return "content: already there"
    admin, humas, atasan = _user(session, "admin"), _user(session, "humas"), _user(session, "atasan")
    if admin is None or humas is None or atasan is None:
        return None
    regional = _regional(session) or humas
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    pillars.seed_defaults(session)
    rows = pillars.list_pillars(session)
    by_unit = {}
    for code, platform, handle, verified, managers in ACCOUNTS:
        if code not in units:
            continue
        names = [regional.nip or regional.username if m == "@regional" else m for m in managers]
        account = accounts.create_account(session, admin, accounts.AccountInput(
            platform=platform, handle=handle, unit_id=units[code].id, verified=verified, managers=", ".join(names)))
        by_unit.setdefault(code, []).append(account)
    today = today_wib()
    this_week = week_of(today)
    messages = _seed_key_messages(session, humas, this_week, today)
    planners = {"BHM": (_user(session, "pegawai") or humas, atasan), "UPT-SBY": (regional, humas),
                "UPT-MDN": (humas, admin), "UPT-MKS": (humas, admin)}
    rng = random.Random(20261126)
    count = 0
    for offset in range(-6, 2):
        monday = this_week.monday + timedelta(days=7 * offset)
        for code, (planner, approver) in planners.items():
            planner_scope = Scope(session, planner)
            unit_accounts = [a for a in by_unit.get(code, []) if a.platform != "Website" and planner_scope.plans_for(a)]
            if not unit_accounts:
                continue
            per_week = 5 if code == "BHM" else 2
            for n in range(per_week):
                day = monday + timedelta(days=(n * 7 // per_week + rng.randint(0, 1)) % 7)
                idea = IDEAS[(offset * 3 + n + len(code)) % len(IDEAS)]
                chosen = unit_accounts[:2] if code == "BHM" and n % 2 == 0 else [unit_accounts[n % len(unit_accounts)]]
                post = _plan(session, planner, chosen, day, time(rng.choice(HOURS), 0), rows, idea, messages)
                _advance(session, post, planner, approver, day, today, offset, n)
                count += 1
    count += _seed_showcase(session, by_unit, planners, this_week, today, rows, messages)
    count += _seed_older_months(session, by_unit, planners, today, rows, rng)
    metric_count = _seed_metrics(session, by_unit, today, rng)
    reports_made = _seed_reports(session, units, planners, humas, today)
    session.commit()
    return (f"content: {sum(len(v) for v in by_unit.values())} accounts, {len(rows)} pillars, {count} posts, "
            f"{metric_count} post metrics, {reports_made} monthly reports")


def _seed_key_messages(session, humas, this_week, today):
    messages = []
    start, end = this_week.monday - timedelta(days=42), this_week.monday + timedelta(days=21)
    for (month, day), title in NATIONAL_DAYS:
        for year in (start.year, end.year):
            when = date(year, month, day)
            if start <= when <= end and all(m.title != title for m in messages):
                messages.append(calendar.create_key_message(session, humas, calendar.KeyMessageInput(
                    kind="agenda", title=title, starts_on=when, ends_on=when, tags="hari besar",
                    body="Unggah ucapan resmi dengan templat visual dari perangkat humas pukul 06.00–08.00 WIB.")))
    messages.append(calendar.create_key_message(session, humas, calendar.KeyMessageInput(
        kind="pesan_kunci", title="Waspada hoaks bantuan sosial", starts_on=this_week.monday,
        ends_on=this_week.sunday, tags="hoaks, bansos",
        body="Bantuan sosial tidak pernah meminta data pribadi atau biaya lewat pesan berantai. Arahkan warga ke "
             "kanal resmi dan aduankonten.id. Setiap unit mengunggah sedikitnya satu konten cek fakta pekan ini.")))
    messages.append(calendar.create_key_message(session, humas, calendar.KeyMessageInput(
        kind="pesan_kunci", title="Layanan perizinan daring 24 jam", starts_on=this_week.monday + timedelta(days=7),
        ends_on=this_week.sunday + timedelta(days=7), tags="perizinan, layanan daring",
        body="Sampaikan bahwa pengajuan izin kini dapat dilakukan daring kapan saja; tatap muka tetap dilayani.")))
    return messages


def _plan(session, planner, chosen, day, clock, rows, idea, messages, **extra):
    pillar_no, topic, audience, caption, tags = idea
    key = next((m.id for m in messages if m.kind == "pesan_kunci" and m.starts_on <= day <= m.ends_on
                and set(tags.split(", ")) & set(m.tags.split(","))), None)
    data = plan.PostInput(account_ids=[a.id for a in chosen], day=day, clock=clock, pillar_id=rows[pillar_no - 1].id,
                          topic=extra.get("topic", topic), audience=audience, caption=extra.get("caption", caption),
                          tags=tags, key_message_id=key, status=extra.get("status", "draf"))
    return plan.create_post(session, planner, data, today=day)


def _advance(session, post, planner, approver, day, today, offset, n):
    """Past weeks: published and evaluated; this week: a mix; next week: drafts and ideas."""
    if offset > 0:
        if n % 3 == 0:
            approval.submit(session, planner, post, post.version)
        return
    if offset == 0:
        steps = ("draf", "diajukan", "disetujui", "terbit", "diajukan")[n % 5]
        if day < today and steps != "draf":
            steps = "terbit"
        elif day >= today and steps == "terbit":
            steps = "disetujui"
    else:
        steps = "dievaluasi" if n % 4 != 3 else "terbit"
    order = ("diajukan", "disetujui", "terbit", "dievaluasi")
    if steps == "draf":
        return
    for step in order[:order.index(steps) + 1]:
        if step == "diajukan":
            approval.submit(session, planner, post, post.version)
        elif step == "disetujui":
            approval.approve(session, approver, post, post.version)
        elif step == "terbit":
            approval.publish(session, planner, post, post.version, _demo_link(session, post))
        else:
            approval.evaluate(session, planner, post, post.version,
                              "Jangkauan di atas rata-rata; komentar positif, dua pertanyaan dijawab lewat DM.")


def _demo_link(session, post):
    """A plausible permalink on the post's first account's platform."""
    from portal.models import ContentPostAccount

    account = session.exec(select(ContentAccount).join(
        ContentPostAccount, ContentPostAccount.account_id == ContentAccount.id).where(
        ContentPostAccount.post_id == post.id)).first()
    bare = account.handle.lstrip("@") if account else "kemenbijak"
    return {"Instagram": f"https://www.instagram.com/p/DEMO{post.id:05d}/",
            "Facebook": f"https://www.facebook.com/{bare}/posts/{700000 + post.id}",
            "X": f"https://x.com/{bare}/status/{1850000000000000000 + post.id}",
            "YouTube": f"https://www.youtube.com/watch?v=demo{post.id:07d}",
            "TikTok": f"https://www.tiktok.com/@{bare}/video/{7430000000000000000 + post.id}",
            }.get(account.platform if account else "", f"https://www.instagram.com/p/DEMO{post.id:05d}/")


def _seed_showcase(session, by_unit, planners, this_week, today, rows, messages):
    """This week's examples: a clash between two units, a revoked regulation, a caption the checker flags, an idea
    and a rejected draft."""
    made = 0
    day = max(today, this_week.monday) + timedelta(days=1)
    if day > this_week.sunday:
        day = this_week.sunday
    hoax = IDEAS[3]
    bhm, sby = by_unit.get("BHM", []), by_unit.get("UPT-SBY", [])
    if bhm and sby:
        (pegawai, atasan), (regional, humas) = planners["BHM"], planners["UPT-SBY"]
        first = _plan(session, pegawai, bhm[:1], day, time(10, 0), rows, hoax, messages)
        approval.submit(session, pegawai, first, first.version)
        second = _plan(session, regional, sby[:1], day, time(19, 0), rows, hoax, messages,
                       caption="Sobat Balai, hati-hati pesan berantai bansos yang meminta foto KTP. Petugas kami tidak "
                               "pernah meminta data lewat WhatsApp. Cek info resmi di akun ini.")
        approval.submit(session, regional, second, second.version)
        approval.approve(session, humas, second, second.version)
        revoked = _plan(session, pegawai, bhm[:1], day, time(15, 0), rows, IDEAS[8], messages,
                        topic="Ingat lagi aturan disiplin PNS di media sosial",
                        caption="Aturan disiplin PNS (PP Nomor 53 Tahun 2010) melarang PNS menyebarkan ujaran "
                                "kebencian. Bijaklah bermedia sosial!")
        flagged = _plan(session, pegawai, bhm[:1], min(day + timedelta(days=1), this_week.sunday), time(12, 0), rows,
                        IDEAS[1], messages, topic="Kontak petugas layanan akhir pekan",
                        caption="Untuk layanan akhir pekan hubungi petugas kami, Pak Budi, di 0812-3456-7890. "
                                "Info ini jangan disebarluaskan dulu ya.")
        idea = _plan(session, pegawai, bhm[:1], this_week.sunday, time(19, 0), rows, IDEAS[4], messages,
                     status="ide", topic="Video profil petugas loket (ide)", caption="")
        tiktok = [a for a in bhm if a.platform == "TikTok"] or bhm[:1]
        rejected = _plan(session, pegawai, tiktok, day, time(8, 0), rows, IDEAS[2], messages)
        approval.submit(session, pegawai, rejected, rejected.version)
        approval.reject(session, atasan, rejected, rejected.version,
                        "Sertakan sumber data capaian dan periode yang dihitung.")
        made += 6
        del revoked, flagged, idea
    return made


# Typical reach of one post per platform, for the demo metrics (a ministry with a modest following).
BASE_REACH = {"Instagram": 9000, "Facebook": 5000, "X": 7000, "YouTube": 12000, "TikTok": 20000, "Threads": 2000,
              "LinkedIn": 1500, "Website": 3000}
FOLLOWERS = {"Instagram": 148000, "Facebook": 96000, "X": 121000, "YouTube": 38000, "TikTok": 57000,
             "LinkedIn": 6400, "Website": 0}


def _seed_older_months(session, by_unit, planners, today, rows, rng):
    """Months two to five before this one: planned, approved, published and evaluated posts (as a busy unit keeps
    them), so that the reports and the twelve-month trends have history."""
    from portal.content.common import add_months

    made = 0
    first_of_window = week_of(today).monday - timedelta(days=42)
    for back in range(5, 1, -1):
        first = add_months(today.replace(day=1), -back)
        for code, (planner, approver) in planners.items():
            planner_scope = Scope(session, planner)
            unit_accounts = [a for a in by_unit.get(code, []) if a.platform != "Website" and planner_scope.plans_for(a)]
            if not unit_accounts:
                continue
            per_month = 6 if code == "BHM" else 3
            for n in range(per_month):
                day = first + timedelta(days=2 + n * 26 // per_month + rng.randint(0, 2))
                if day >= first_of_window:
                    continue
                idea = IDEAS[(back * 5 + n + len(code)) % len(IDEAS)]
                chosen = [unit_accounts[n % len(unit_accounts)]]
                post = _plan(session, planner, chosen, day, time(rng.choice(HOURS), 0), rows, idea, [])
                _advance(session, post, planner, approver, day, today, -1, n)
                made += 1
    return made


def _seed_metrics(session, by_unit, today, rng):
    """Metrics for every published post and six months of account figures, as if entered or imported."""
    from portal.content.common import add_months
    from portal.content.platform_exports import normal_url
    from portal.models import ContentAccountMonth, ContentMetric, ContentPost, ContentPostAccount

    accounts = {a.id: a for items in by_unit.values() for a in items}
    rows = session.exec(select(ContentPost, ContentPostAccount.account_id).join(
        ContentPostAccount, ContentPostAccount.post_id == ContentPost.id).where(
        ContentPost.status.in_(("terbit", "dievaluasi")))).all()
    made = 0
    for post, account_id in rows:
        account = accounts.get(account_id)
        if account is None:
            continue
        reach = int(BASE_REACH.get(account.platform, 3000) * rng.uniform(0.45, 1.8))
        session.add(ContentMetric(
            post_id=post.id, account_id=account_id, permalink=normal_url(post.published_url),
            published_at=post.scheduled_at + timedelta(minutes=rng.choice((0, 0, 0, 5, 20, 95))), reach=reach,
            impressions=int(reach * rng.uniform(1.2, 1.7)), likes=int(reach * rng.uniform(0.03, 0.09)),
            comments=int(reach * rng.uniform(0.002, 0.012)), shares=int(reach * rng.uniform(0.004, 0.02)),
            saves=int(reach * rng.uniform(0.002, 0.015)) if account.platform in ("Instagram", "TikTok") else None,
            clicks=int(reach * rng.uniform(0.005, 0.02)) if account.platform in ("Facebook", "X") else None,
            video_views=int(reach * rng.uniform(1.0, 1.6)) if account.platform in ("YouTube", "TikTok") else None,
            source="import"))
        made += 1
    for account in accounts.values():
        followers = FOLLOWERS.get(account.platform, 3000) // (1 if account.unit_id == by_unit["BHM"][0].unit_id
                                                              else 12)
        if not followers:
            continue
        for back in range(6, 0, -1):
            first = add_months(today.replace(day=1), -back)
            new = int(followers * rng.uniform(0.006, 0.03))
            followers += new
            session.add(ContentAccountMonth(account_id=account.id, month=first, followers=followers,
                                            new_followers=new, posts=None, reach=None))
    session.flush()
    return made


def _seed_reports(session, units, planners, humas, today):
    """Reports in every state: accepted, submitted, returned, a draft, a late one and a missing one."""
    from portal.content import reports
    from portal.content.common import add_months

    narrative = {
        "achievements": "Seluruh rencana konten pesan kunci terbit tepat waktu; konten cek fakta hoaks bansos "
                        "menjadi unggahan dengan interaksi tertinggi bulan ini.",
        "obstacles": "Dua unggahan video tertunda karena menunggu persetujuan narasumber; data TikTok baru bisa "
                     "diekspor setelah tanggal 3.",
        "follow_up": "Menambah format video pendek untuk pilar layanan publik dan menjadwalkan sesi tanya jawab "
                     "langsung setiap Jumat sore.",
    }
    plan_states = {"BHM": ("diajukan", "diterima", "diterima", "diterima"),
                   "UPT-SBY": ("dikembalikan", "diterima_late", "diterima", "diterima"),
                   "UPT-MDN": (None, "diterima", "diterima", "diterima"),
                   "UPT-MKS": ("draf", "diterima", "diterima", None)}
    made = 0
    for code, states in plan_states.items():
        unit = units.get(code)
        if unit is None or code not in planners:
            continue
        planner = planners[code][0]
        for back, state in enumerate(states, start=1):
            if state is None:
                continue
            first = add_months(today.replace(day=1), -back)
            reports.save_narrative(session, planner, unit, first, **narrative)
            made += 1
            if state == "draf":
                continue
            reports.submit(session, planner, unit, first)
            report = reports.get_report(session, unit.id, first)
            due = reports.deadline(first)
            submitted = datetime.combine(due - timedelta(days=2), time(9), tzinfo=WIB)
            if state == "diterima_late":
                submitted = datetime.combine(due + timedelta(days=4), time(9), tzinfo=WIB)
            report.submitted_at = submitted.astimezone(UTC)
            session.add(report)
            decider = humas if planner.id != humas.id else _user(session, "admin")
            if state.startswith("diterima"):
                reports.accept(session, decider, unit, first, "Lengkap, terima kasih.")
            elif state == "dikembalikan":
                reports.send_back(session, decider, unit, first,
                                  "Lengkapi angka pengikut TikTok dan jelaskan penurunan jangkauan Facebook.")
    return made
