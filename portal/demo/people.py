"""The demo ministry: units and about sixty employees with realistic names and NIPs (deterministic)."""

import random

UNITS = [
    # code, name, parent code
    ("SETJEN", "Sekretariat Jenderal", None),
    ("BHM", "Biro Hubungan Masyarakat", "SETJEN"),
    ("BHM-MKP", "Bagian Media dan Komunikasi Publik", "BHM"),
    ("BHM-HAL", "Bagian Hubungan Antarlembaga dan Protokol", "BHM"),
    ("BSDM", "Biro Sumber Daya Manusia", "SETJEN"),
    ("BSDM-PK", "Bagian Pengembangan Kompetensi", "BSDM"),
    ("BSDM-MK", "Bagian Mutasi dan Kepangkatan", "BSDM"),
    ("BUMUM", "Biro Umum", "SETJEN"),
    ("INSP", "Inspektorat", "SETJEN"),
    ("PUSDATIN", "Pusat Data dan Informasi", "SETJEN"),
    ("UPT-MDN", "Balai Layanan Wilayah I Medan", "SETJEN"),
    ("UPT-SBY", "Balai Layanan Wilayah II Surabaya", "SETJEN"),
    ("UPT-MKS", "Balai Layanan Wilayah III Makassar", "SETJEN"),
]

# username, full name, unit code, roles
DEMO_ACCOUNTS = [
    ("admin", "Rizky Pratama Nugroho, S.Kom.", "PUSDATIN", ("admin",)),
    ("humas", "Dewi Anggraini Lestari, S.I.Kom.", "BHM-MKP", ("humas",)),
    ("pelatih", "Dr. Bambang Sutrisno, M.Si.", "BSDM-PK", ("trainer",)),
    ("atasan", "Ir. Hendra Wijaya Kusuma, M.M.", "BHM", ("supervisor",)),
    ("pegawai", "Siti Nurhaliza Rahmawati, S.E.", "BHM-MKP", ()),
]
DEMO_PASSWORD = "bijak-bermedsos"  # noqa: S105 - the documented demo password

FIRST_NAMES_F = ["Ayu", "Rina", "Fitri", "Nur", "Wulan", "Indah", "Sri", "Putri", "Dian", "Ratna", "Yuliana",
                 "Fransiska", "Maria", "Novita", "Hana", "Melati", "Intan", "Ni Luh", "Rahmawati", "Citra", "Andi Nurul",
                 "Kartika", "Larasati", "Siska"]
FIRST_NAMES_M = ["Agus", "Budi", "Dedi", "Eko", "Fajar", "Gilang", "Hadi", "Irfan", "Joko", "Kurniawan", "Made",
                 "Yohanes", "Andi", "Rudi", "Slamet", "Teguh", "Wahyu", "Yusuf", "Arief", "Bayu", "I Gede", "Ahmad",
                 "Hendrik", "Rizal"]
LAST_NAMES = ["Saputra", "Hidayat", "Siregar", "Nasution", "Harahap", "Pratiwi", "Santoso", "Wibowo", "Setiawan",
              "Kusumawati", "Simanjuntak", "Lubis", "Pangaribuan", "Tanjung", "Daeng Matutu", "Mahendra", "Wijayanti",
              "Putra", "Suryani", "Purnamasari", "Handayani", "Hutapea", "Manurung", "Rangkuti", "Batubara",
              "Latuconsina", "Pattiasina", "Sinaga", "Ginting", "Syahputra", "Ramadhani", "Fauzi", "Maharani"]
TITLES = ["", "", "S.Sos.", "S.H.", "S.Kom.", "S.E.", "S.I.Kom.", "M.Si.", "S.AP.", "A.Md.", "S.Psi."]
STAFF_UNITS = ["BHM-MKP", "BHM-MKP", "BHM-HAL", "BSDM-PK", "BSDM-MK", "BUMUM", "INSP", "PUSDATIN", "UPT-MDN",
               "UPT-SBY", "UPT-MKS", "BHM", "BSDM", "SETJEN"]
STAFF_COUNT = 58


def make_nip(rng, gender):
    year = rng.randint(1966, 1999)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hired = rng.randint(year + 22, min(year + 33, 2024))
    return f"{year:04d}{month:02d}{day:02d}{hired:04d}{rng.randint(1, 12):02d}{gender}{rng.randint(1, 999):03d}"


def demo_staff():
    """(nip, full name, unit code, email) for the demo employees; the same list every time."""
    rng = random.Random(20261122)
    people, used_names, used_nips = [], set(), set()
    while len(people) < STAFF_COUNT:
        gender = rng.choice((1, 2))
        first = rng.choice(FIRST_NAMES_M if gender == 1 else FIRST_NAMES_F)
        last = rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        nip = make_nip(rng, gender)
        if name in used_names or nip in used_nips:
            continue
        used_names.add(name)
        used_nips.add(nip)
        title = rng.choice(TITLES)
        full_name = f"{name}, {title}" if title else name
        unit = STAFF_UNITS[len(people) % len(STAFF_UNITS)]
        email = f"{first.lower().replace(' ', '')}.{last.lower().replace(' ', '')}@kementerian.go.id"
        people.append((nip, full_name, unit, email))
    return people
