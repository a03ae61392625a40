"""What the checker returns: flags with a category, a code, a severity, spans, a reason and a handbook section.

Every code the engine can raise is described once, in RULES: its category, default severity, the reason shown to the
employee and the slug of the handbook section that explains it. Reasons are lazy strings (Flask-Babel `lazy_gettext`):
building them needs no application; they are translated when turned into text (`str(flag.reason)`), in the language
of the request that shows them, and fall back to the Indonesian text outside an application.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

CATEGORIES = ("personal_data", "classification", "neutrality", "sara", "hoax", "wealth")

CATEGORY_LABELS = {
    "personal_data": _l("Data pribadi"),
    "classification": _l("Rahasia jabatan dan draf"),
    "neutrality": _l("Netralitas politik"),
    "sara": _l("SARA, ujaran kebencian, dan hinaan"),
    "hoax": _l("Tanda hoaks"),
    "wealth": _l("Pamer kemewahan dan atribut dinas"),
}

SEVERITIES = ("tinggi", "sedang", "rendah")
SEVERITY_RANK = {"tinggi": 3, "sedang": 2, "rendah": 1}
SEVERITY_LABELS = {"tinggi": _l("Tinggi"), "sedang": _l("Sedang"), "rendah": _l("Rendah")}


@dataclass(frozen=True)
class Rule:
    category: str
    severity: str
    section: str  # slug of the handbook section that explains the rule
    reason: object  # a lazy string


RULES = {
    # -- personal data --------------------------------------------------------------------------------------------
    "nik": Rule("personal_data", "tinggi", "ktp-kk-dan-nik", _l(
        "Tampak seperti NIK (16 angka dengan kode wilayah dan tanggal lahir). NIK adalah data pribadi: jangan "
        "mengunggah NIK warga, rekan, atau keluarga.")),
    "kk": Rule("personal_data", "tinggi", "ktp-kk-dan-nik", _l(
        "Tampak seperti nomor Kartu Keluarga. Nomor KK membuka data seluruh anggota keluarga dan tidak boleh "
        "diunggah.")),
    "nip": Rule("personal_data", "sedang", "kewajiban-uu-pdp", _l(
        "Tampak seperti NIP (18 angka: tanggal lahir, tanggal pengangkatan, jenis kelamin). NIP adalah data "
        "kepegawaian; jangan menyebarkannya di media sosial.")),
    "phone": Rule("personal_data", "sedang", "kewajiban-uu-pdp", _l(
        "Nomor telepon seluler adalah data pribadi. Unggah hanya dengan persetujuan pemiliknya, atau gunakan nomor "
        "layanan resmi.")),
    "email": Rule("personal_data", "sedang", "kewajiban-uu-pdp", _l(
        "Alamat surel pribadi adalah data pribadi. Untuk urusan layanan, arahkan ke alamat surel resmi instansi.")),
    "plate": Rule("personal_data", "rendah", "kewajiban-uu-pdp", _l(
        "Tampak seperti nomor pelat kendaraan. Bersama foto atau lokasi, pelat nomor dapat mengungkap pemiliknya.")),
    "bank_account": Rule("personal_data", "sedang", "data-pribadi-spesifik", _l(
        "Tampak seperti nomor rekening bank. Data keuangan termasuk data pribadi yang bersifat spesifik dan sering "
        "disalahgunakan untuk penipuan.")),
    # -- classification and draft markers ------------------------------------------------------------------------
    "secret_marker": Rule("classification", "tinggi", "kewajiban-rahasia-jabatan", _l(
        "Ada penanda klasifikasi (RAHASIA, TERBATAS, atau sejenisnya). Dokumen berklasifikasi tidak boleh diunggah "
        "atau difoto untuk media sosial.")),
    "draft_marker": Rule("classification", "sedang", "draf-memo-dan-tangkapan-layar", _l(
        "Tampak membicarakan draf atau konsep dokumen dinas. Draf yang belum ditetapkan termasuk informasi yang "
        "dikecualikan dan belum boleh disebarkan.")),
    "unpublished_decision": Rule("classification", "tinggi", "draf-memo-dan-tangkapan-layar", _l(
        "Tampak membicarakan keputusan, surat, atau peraturan yang belum resmi diumumkan. Tunggu rilis resmi dari "
        "kanal instansi.")),
    "leak_marker": Rule("classification", "tinggi", "kewajiban-rahasia-jabatan", _l(
        "Ada tanda bocoran informasi internal. Membocorkan rahasia jabatan melanggar disiplin PNS, apa pun "
        "niatnya.")),
    "internal_marker": Rule("classification", "sedang", "draf-memo-dan-tangkapan-layar", _l(
        "Ada tanda bahwa isinya hanya untuk kalangan internal (\"jangan disebarluaskan\", \"off the record\"). "
        "Jika memang tidak boleh disebar, jangan unggah sama sekali.")),
    "exam_leak": Rule("classification", "tinggi", "soal-ujian-dan-mutasi-pegawai", _l(
        "Tampak membicarakan soal atau kunci jawaban ujian/seleksi yang bocor. Membocorkan soal seleksi adalah "
        "pelanggaran berat.")),
    # -- political neutrality ------------------------------------------------------------------------------------
    "candidate_name": Rule("neutrality", "sedang", "netralitas-like-share-komentar", _l(
        "Menyebut nama calon dalam pemilu atau pilkada. ASN dilarang menunjukkan dukungan, termasuk lewat unggahan, "
        "komentar, dan tanda suka.")),
    "party_name": Rule("neutrality", "sedang", "netralitas-like-share-komentar", _l(
        "Menyebut partai politik. ASN harus bebas dari pengaruh golongan dan partai politik; hindari unggahan yang "
        "terbaca sebagai dukungan.")),
    "ballot_number": Rule("neutrality", "tinggi", "netralitas-foto-dan-pose", _l(
        "Ada ajakan memilih nomor urut tertentu (\"coblos\", \"no urut\", \"paslon 02\"). Ini bentuk kampanye yang "
        "dilarang bagi ASN.")),
    "finger_pose": Rule("neutrality", "tinggi", "netralitas-foto-dan-pose", _l(
        "Menyebut pose atau salam jari yang menandai nomor urut calon. Hindari pose jari dalam foto selama masa "
        "pemilu.")),
    "campaign_hashtag": Rule("neutrality", "tinggi", "netralitas-like-share-komentar", _l(
        "Tagar kampanye calon atau partai. Memakai atau menyebarkan tagar kampanye termasuk ikut berkampanye.")),
    "campaign_call": Rule("neutrality", "tinggi", "netralitas-like-share-komentar", _l(
        "Ajakan memilih atau mendukung calon tertentu. ASN dilarang berkampanye, termasuk di akun pribadi.")),
    "campaign_group": Rule("neutrality", "tinggi", "netralitas-ikuti-akun-dan-grup", _l(
        "Ajakan bergabung dengan relawan, tim sukses, atau grup kampanye. ASN dilarang bergabung atau mengikuti "
        "akun dan grup kampanye.")),
    # -- SARA, hate speech, insults ------------------------------------------------------------------------------
    "hate_term": Rule("sara", "tinggi", "larangan-konten-sara", _l(
        "Istilah yang merendahkan suku, agama, ras, atau golongan. Ujaran kebencian SARA dapat dipidana menurut UU "
        "ITE dan melanggar disiplin ASN.")),
    "group_hostility": Rule("sara", "tinggi", "larangan-konten-sara", _l(
        "Kata bermusuhan atau merendahkan yang ditujukan kepada suatu suku, agama, ras, atau golongan.")),
    "insult": Rule("sara", "sedang", "pencemaran-nama-baik", _l(
        "Kata kasar atau hinaan yang ditujukan kepada orang atau instansi. Kritik boleh, hinaan tidak.")),
    "accusation": Rule("sara", "sedang", "pencemaran-nama-baik", _l(
        "Menuduh orang tertentu melakukan perbuatan tercela. Tuduhan tanpa putusan dapat menjadi pencemaran nama "
        "baik; laporkan melalui saluran resmi.")),
    "threat": Rule("sara", "tinggi", "konten-asusila-judi-dan-ancaman", _l(
        "Kalimat bernada ancaman kepada orang lain. Ancaman melalui media elektronik dapat dipidana menurut UU ITE.")),
    # -- hoax signals --------------------------------------------------------------------------------------------
    "chain_message": Rule("hoax", "sedang", "mengenali-hoaks", _l(
        "Ajakan menyebarkan berantai (\"sebarkan!\", \"kirim ke 10 grup\", \"sebelum dihapus\"). Ini ciri khas "
        "hoaks; periksa dulu sumbernya.")),
    "money_offer": Rule("hoax", "tinggi", "klarifikasi-hoaks-dan-akun-palsu", _l(
        "Tawaran uang, bantuan, atau hadiah yang belum terverifikasi, sering dengan tautan. Pastikan lewat kanal "
        "resmi; banyak yang berupa penipuan.")),
    "shortlink": Rule("hoax", "rendah", "cek-judul-dan-sumber", _l(
        "Tautan pendek menyembunyikan alamat tujuan. Pastikan tautannya resmi sebelum dibagikan.")),
    "caps": Rule("hoax", "rendah", "mengenali-hoaks", _l(
        "Huruf kapital dan tanda seru berlebihan sering dipakai untuk memancing emosi pembaca.")),
    "unverified_claim": Rule("hoax", "rendah", "cek-judul-dan-sumber", _l(
        "Klaim tanpa sumber yang jelas (\"kabarnya\", \"terbukti\", \"viral\", \"yang ditutupi\"). Periksa judul, "
        "sumber, dan tanggalnya.")),
    # -- wealth and official attributes --------------------------------------------------------------------------
    "wealth_display": Rule("wealth", "sedang", "pola-hidup-sederhana", _l(
        "Tampak memamerkan barang mewah atau gaya hidup mewah. ASN diminta menerapkan pola hidup sederhana, "
        "termasuk di media sosial.")),
    "uniform": Rule("wealth", "sedang", "pola-hidup-sederhana", _l(
        "Seragam, kendaraan, atau atribut dinas dalam konten pribadi. Atribut dinas membuat unggahan pribadi "
        "terbaca sebagai sikap instansi.")),
}


@dataclass(frozen=True)
class Flag:
    """One thing the checker found. `spans` are (start, end) character offsets into the checked text."""

    code: str
    severity: str
    spans: tuple

    @property
    def rule(self):
        return RULES[self.code]

    @property
    def category(self):
        return RULES[self.code].category

    @property
    def reason(self):
        return RULES[self.code].reason

    @property
    def section(self):
        return RULES[self.code].section

    @property
    def severity_rank(self):
        return SEVERITY_RANK[self.severity]

    def excerpts(self, text):
        return [text[a:b] for a, b in self.spans]

    def to_dict(self, text=None):
        """Plain data (for JSON); the reason is translated if called inside an application."""
        data = {"category": self.category, "code": self.code, "severity": self.severity,
                "spans": [list(s) for s in self.spans], "reason": str(self.reason), "section": self.section}
        if text is not None:
            data["excerpts"] = self.excerpts(text)
        return data


@dataclass
class CheckResult:
    text: str
    flags: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.flags)

    @property
    def categories(self):
        return {f.category for f in self.flags}

    @property
    def severity(self):
        """The highest severity among the flags, or None."""
        if not self.flags:
            return None
        return max(self.flags, key=lambda f: f.severity_rank).severity

    def by_category(self):
        """{category: [flags]} in the order of CATEGORIES, only categories with flags."""
        out = {}
        for category in CATEGORIES:
            flags = [f for f in self.flags if f.category == category]
            if flags:
                out[category] = flags
        return out

    def codes(self):
        return {f.code for f in self.flags}

    def to_dict(self):
        return {"flags": [f.to_dict(self.text) for f in self.flags], "severity": self.severity}
