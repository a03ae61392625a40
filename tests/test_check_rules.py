"""The pre-post checker's rule engine (portal/check): one block per rule with true positives and near-misses that must
stay quiet, spans, normalisation, term lists, highlighting, and the measured targets on the labelled corpus
(tests/check_corpus.txt)."""

import re
from pathlib import Path

import pytest
from markupsafe import Markup

from portal.check import CATEGORIES, RULES, check_text, highlight
from portal.check.defaults import DEFAULT_TERMS, LIST_DESCRIPTIONS
from portal.check.evaluate import CorpusError, evaluate, format_report, load_corpus, main, parse_corpus
from portal.check.model import CATEGORY_LABELS, SEVERITIES
from portal.check.normalize import normalize
from portal.check.personal import mobile_number, plausible_kk, plausible_nik, plausible_nip

ROOT = Path(__file__).resolve().parent.parent


def codes(text, **kw):
    return check_text(text, **kw).codes()


def spans_of(text, code, **kw):
    result = check_text(text, **kw)
    return [text[a:b] for f in result.flags if f.code == code for a, b in f.spans]


def categories(text, **kw):
    return check_text(text, **kw).categories


# -- the result ---------------------------------------------------------------------------------------------------

def test_a_flag_carries_category_code_severity_spans_reason_and_section():
    text = "Tolong cek NIK 3174091203850007 ya"
    result = check_text(text)
    [flag] = result.flags
    assert (flag.category, flag.code, flag.severity) == ("personal_data", "nik", "tinggi")
    assert flag.spans == ((text.index("3174"), text.index("3174") + 16),)
    assert "NIK" in str(flag.reason)
    assert flag.section == "ktp-kk-dan-nik"
    assert result.severity == "tinggi" and result.categories == {"personal_data"} and result
    data = result.to_dict()
    assert data["flags"][0]["excerpts"] == ["3174091203850007"] and data["flags"][0]["category"] == "personal_data"


def test_a_harmless_post_has_no_flags_and_odd_input_never_breaks():
    assert not check_text("Selamat pagi, semangat kerja! ☀️")
    assert check_text("").flags == [] and check_text(None).flags == [] and check_text(None).severity is None
    for weird in ["\x00\x01", "💥" * 500, "a" * 30000, "0" * 5000, "#" * 100, "@" * 100, "İstanbul ǅ ﬁ",
                  "1 2 3 " * 2000]:
        check_text(weird)  # no exception


def test_flags_are_sorted_by_severity_and_grouped_per_code():
    text = "RAHASIA. Hubungi 0812-3456-7890 atau 0857-1111-2222"
    result = check_text(text)
    assert [f.code for f in result.flags][0] == "secret_marker"
    [phone] = [f for f in result.flags if f.code == "phone"]
    assert [text[a:b] for a, b in phone.spans] == ["0812-3456-7890", "0857-1111-2222"]
    assert list(result.by_category()) == ["personal_data", "classification"] or \
        list(result.by_category()) == [c for c in CATEGORIES if c in result.categories]


def test_every_rule_points_at_a_real_handbook_section_and_has_a_known_category():
    slugs = {line.split("\t")[0] for line in
             (ROOT / "portal/demo/handbook/SLUGS.txt").read_text(encoding="utf-8").splitlines() if line.strip()}
    for code, rule in RULES.items():
        assert rule.category in CATEGORIES, code
        assert rule.severity in SEVERITIES, code
        assert rule.section in slugs, (code, rule.section)
        assert str(rule.reason).strip(), code
    assert set(CATEGORY_LABELS) == set(CATEGORIES)


def test_reasons_work_without_an_app_and_are_translated_inside_one(app):
    reason = RULES["nik"].reason
    assert str(reason).startswith("Tampak seperti NIK")  # no application context: the Indonesian text
    with app.test_request_context("/?lang=en"):
        assert str(reason).startswith("Looks like a NIK")
    with app.test_request_context("/?lang=id"):
        assert str(reason).startswith("Tampak seperti NIK")


# -- normalisation ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "normal"), [
    ("VIRAAAL", "viral"),
    ("g4k", "tidak"),
    ("sebarkn", "sebarkan"),
    ("t0l0l", "tolol"),
    ("s3b4rk4n", "sebarkan"),
    ("yg", "yang"),
    ("Hermès", "hermes"),
    ("𝐒𝐄𝐁𝐀𝐑𝐊𝐀𝐍", "sebarkan"),
    ("hati2", "hati "),
])
def test_normalisation_undoes_slang_leetspeak_and_repeats(written, normal):
    assert normalize(written).text == normal


@pytest.mark.parametrize("kept", ["covid19", "50rb", "5g", "b1234xyz", "2024", "17-an"])
def test_normalisation_leaves_numbers_and_codes_alone(kept):
    assert normalize(kept).text == kept


def test_normalised_spans_map_back_to_the_original_text():
    text = "Ayo SEBARKN!!! yg VIRAAAL"
    norm = normalize(text)
    i = norm.text.index("sebarkan")
    a, b = norm.span(i, i + len("sebarkan"))
    assert text[a:b] == "SEBARKN"
    j = norm.text.index("viral")
    a, b = norm.span(j, j + 5)
    assert text[a:b] == "VIRAAAL"


def test_acronyms_keep_their_letters_and_do_not_turn_into_slang():
    assert normalize("TPP").text == "tpp" and normalize("tp").text == "tapi"
    assert normalize("PPPK KK").text == "pppk kk" and normalize("bgttt").text == "banget"
    assert "party_name" not in codes("Jl. P. Diponegoro no. 5, Kec. K")


# -- personal data ------------------------------------------------------------------------------------------------

def test_nik_structure():
    assert plausible_nik("3174091203850007")  # DKI, 12-03-85
    assert plausible_nik("3273016502780004")  # a woman: day 25 + 40
    assert not plausible_nik("9974091203850007")  # no province 99
    assert not plausible_nik("3174091213850007")  # month 13
    assert not plausible_nik("3174093102850007")  # 31 February
    assert not plausible_nik("3174097503850007")  # day 75 - 40 = 35
    assert not plausible_nik("3174091203850000")  # sequence 0000
    assert not plausible_nik("3100091203850007")  # regency 00
    assert plausible_kk("3201122009150007") and not plausible_kk("3201126509150007")  # no +40 on a KK


def test_nip_structure():
    assert plausible_nip("198503122010011003")
    assert plausible_nip("198712052011012004")
    assert not plausible_nip("198513122010011003")  # month 13
    assert not plausible_nip("198503122010013003")  # sex 3
    assert not plausible_nip("198503122010011000")  # sequence 000
    assert not plausible_nip("198503121995011003")  # appointed at 9


@pytest.mark.parametrize("text", [
    "NIK 3174091203850007", "nik: 3174 0912 0385 0007", "3273.0165.0278.0004 atas nama Siti",
    "ktp nya 3174-0912-0385-0007", "KTP 1234567890123456 (nomor asal, tapi ditulis sebagai KTP)",
])
def test_nik(text):
    assert "nik" in codes(text)


@pytest.mark.parametrize("text", [
    "Resi JNE 1234567890123456 belum sampai", "Nomor seri 9974091203850007", "Tahun 2024 2025 2026 2027",
    "Kode booking 3174091213850007",
])
def test_not_a_nik(text):
    assert "nik" not in codes(text)


def test_kk_needs_its_cue_and_beats_nik():
    assert codes("No. KK 3201122009150007") == {"kk"}
    assert codes("kartu keluarga: 3674012502140009") == {"kk"}
    assert codes("3201122009150007") == {"nik"}


@pytest.mark.parametrize("text", ["NIP 198503122010011003", "nip: 19850312 201001 1 003", "198712052011012004"])
def test_nip(text):
    assert "nip" in codes(text)


@pytest.mark.parametrize("number", [
    "0812-3456-7890", "0812 3456 7890", "0812.3456.7890", "081234567890", "+62 812 3456 7890", "+62-812-3456-7890",
    "+6281234567890", "6281234567890", "62 812 3456 7890", "(0812) 3456 7890", "(+62) 812-3456-7890",
    "+62 (812) 3456-7890", "+62 (0)812 3456 7890", "0857 1122 3344", "0896-7788-9900", "0813 1234 567",
])
def test_phone_numbers_in_every_common_spelling(number):
    text = f"hubungi {number} ya"
    assert spans_of(text, "phone") == [number]


@pytest.mark.parametrize("text", [
    "Call center 1500-123", "Telp (021) 3456789", "021-555-1234", "jam 08.00–15.00", "Harga Rp 081.000",
    "Darurat 112", "NIK 3174091203850007", "Info WA Center resmi 0811-1500-123", "Kode pos 40115",
    "08.00-12.00 dan 13.00-16.00", "0800 1234 567",
])
def test_not_a_personal_phone(text):
    assert "phone" not in codes(text)


def test_mobile_number_normalises_prefixes():
    assert mobile_number("6281234567890") == "081234567890"
    assert mobile_number("62081234567890") == "081234567890"
    assert mobile_number("0841234567") is None and mobile_number("08123") is None


@pytest.mark.parametrize("text", [
    "Transfer ke BCA 5430123456 a.n. Putri", "no rek mandiri 123-00-1234567-8", "rekening BRI 0123-01-045678-53-1",
    "norek BSI: 7123456789", "1370012345678 (Mandiri) an Hendra",
])
def test_bank_account_next_to_a_bank_word(text):
    assert "bank_account" in codes(text)


@pytest.mark.parametrize("text", [
    "Promo BCA diskon 20% pakai kartu debit", "Saldo BCA Rp 1.500.000 cukup", "1234567890 kali", "BRI 2024 juara",
    "Transfer BCA 15.000.000",
])
def test_not_a_bank_account(text):
    assert "bank_account" not in codes(text)


def test_email_personal_but_not_an_official_mailbox():
    assert spans_of("kirim ke dewi.lestari85@gmail.com ya", "email") == ["dewi.lestari85@gmail.com"]
    assert "email" in codes("budi.santoso@kemenkeu.go.id")  # a person at an official domain
    assert "email" not in codes("Aduan ke pengaduan@kemenpanrb.go.id atau humas.setjen@kemenkeu.go.id")


@pytest.mark.parametrize(("text", "plate"), [
    ("plat B 1234 XYZ kabur", "B 1234 XYZ"), ("AB 123 CD parkir", "AB 123 CD"), ("mobil B1927KZT", "B1927KZT"),
    ("nopol d 1234 abc", "d 1234 abc"), ("DK 88 AA", "DK 88 AA"),
])
def test_vehicle_plates(text, plate):
    assert spans_of(text, "plate") == [plate]


@pytest.mark.parametrize("text", [
    "Rapat di Lt. 3 Gedung B", "peristiwa G 30 S", "PP 94 TAHUN 2021", "HUT RI 80", "ruang b 12 a", "UU 1 TAHUN 2024",
    "Kelas XII IPA 2", "SE 137 TAHUN 2018",
])
def test_not_a_plate(text):
    assert "plate" not in codes(text)


# -- classification -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("SANGAT RAHASIA. Nota dinas pimpinan", "secret_marker"),
    ("RAHASIA - laporan audit", "secret_marker"),
    ("Dokumen TERBATAS: rute kunjungan", "secret_marker"),
    ("Confidential: draft kontrak", "secret_marker"),
    ("Draf Permen tunjangan udah beredar", "draft_marker"),
    ("konsep surat edaran WFH", "draft_marker"),
    ("dr4ft pergub tunjangan", "draft_marker"),
    ("SK mutasi yg blm ditandatangani", "unpublished_decision"),
    ("Nota dinas yang belum terbit, terlampir fotonya", "unpublished_decision"),
    ("Bocoran SK mutasi eselon 3", "leak_marker"),
    ("jangan disebarluaskan ya", "internal_marker"),
    ("Notulen rapat internal pimpinan", "internal_marker"),
    ("hanya untuk kalangan internal", "internal_marker"),
    ("Kunci jawaban soal CPNS dari orang dalam", "exam_leak"),
    ("Soal tes PPPK bocor di telegram", "exam_leak"),
])
def test_classification_markers(text, code):
    assert code in codes(text)


@pytest.mark.parametrize("text", [
    "Rahasia sambal terasi enak ala ibu", "Kuota terbatas! Daftar sekarang", "TERBATAS! Diskon 50% kopi",
    "Promo TERBATAS untuk pegawai", "Lagi nulis draf lagu buat perpisahan", "Konsep acara family gathering",
    "Draft undangan pernikahan yang simple", "Atap kantor bocor lagi kalau hujan", "Besok rapat internal tim jam 9",
    "Alhamdulillah SK CPNS sudah keluar", "Latihan soal SKD CPNS gratis tiap Sabtu", "Bocoran harga iPhone baru",
    "[HOAKS] Pesan soal gaji dipotong tidak benar, jangan disebarkan",
    "Konsultasi publik Rancangan Peraturan Menteri, sampaikan masukan Anda", "Rahasia awet muda: tidur cukup",
    "Kewajiban menyimpan rahasia jabatan dibahas di pelatihan",
])
def test_classification_near_misses(text):
    assert "classification" not in categories(text)


# -- neutrality ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("tgl 14 coblos nomor 2 ya!", "ballot_number"),
    ("Gw dukung paslon 02 lah", "ballot_number"),
    ("Pilih caleg PKB no urut 5 di dapil kita", "ballot_number"),
    ("Foto bareng caleg, salam dua jari ✌️", "finger_pose"),
    ("s4l4m du4 j4r1 pokoknya", "finger_pose"),
    ("#salamduajari", "finger_pose"),
    ("Tetap #AMINajaDulu", "campaign_hashtag"),
    ("#PrabowoGibran2024 satu putaran", "campaign_hashtag"),
    ("Semangat #KawanPrabowo", "campaign_hashtag"),
    ("Gerindra menang lagi! Lanjutkan", "party_name"),
    ("Ayo dukung caleg PKS", "party_name"),
    ("Pilih Pak Anies, indonesia butuh perubahan", "candidate_name"),
    ("Yuk gabung grup relawan kecamatan kita", "campaign_group"),
    ("Relawan Sahabat Calon Bupati X", "campaign_group"),
    ("Jangan lupa coblos Bu Sri, calon bupati kita", "campaign_call"),
    ("Jangan lupa, pilih yang nomor 2 ya!", "ballot_number"),
])
def test_neutrality(text, code):
    assert code in codes(text)


@pytest.mark.parametrize("text", [
    "Alhamdulillah juara nomor 2 lomba makan kerupuk 17-an", "Antre vaksin, nomor urut 45",
    "Besok libur pemilu, jangan lupa ke TPS! #PemiluDamai #AyoMemilih", "Garuda di dadaku ⚽",
    "Bayar pajak kendaraan (PKB) online", "Pembayaran PBB jatuh tempo 31 Agustus",
    "Presiden Prabowo meresmikan bendungan baru hari ini", "Dukung Pak Kadis di lomba lari 10K!",
    "ASN wajib netral dalam Pilkada. Dilarang like atau share postingan calon. #ASNNetral",
    "Amin ya Allah #Aamiin", "Yuk pilih nomor 2 di lomba foto!", "Jangan lupa pilih menu nomor 3, enak",
    "Terima kasih para relawan PMI di lokasi banjir", "Nonton debat capres semalem, bahasannya menarik",
    "#DukungTimnas #PemiluDamai2024",
])
def test_neutrality_near_misses(text):
    assert "neutrality" not in categories(text)


def test_a_bare_mention_of_a_candidate_is_low_and_support_makes_it_high():
    [bare] = [f for f in check_text("Prabowo hari ini ke Papua").flags if f.code == "candidate_name"]
    [backed] = [f for f in check_text("Prabowo pasti menang, lanjutkan!").flags if f.code == "candidate_name"]
    assert (bare.severity, backed.severity) == ("rendah", "tinggi")


def test_candidate_and_party_lists_come_from_terms():
    terms = {"candidate_names": ["Budi Hartono", "Sri Wulandari"]}
    assert "candidate_name" in codes("Ayo dukung Budi Hartono!", terms=terms)
    assert "candidate_name" not in codes("Ayo dukung Budi Hartono!")
    assert "candidate_name" not in codes("Ganjar pasti menang!", terms=terms)  # the default list was replaced
    assert "campaign_hashtag" in codes("#SriWulandariBupati", terms=terms)
    assert "party_name" in codes("Partai Maju Terus menang!", terms={"party_names": ["partai maju terus"]})


# -- SARA, hate speech and insults --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("Dasar aseng", "hate_term"),
    ("Kadrun2 pada demo lagi", "hate_term"),
    ("Orang Madura tuh kasar, jangan terima kerja", "group_hostility"),
    ("Orang Tionghoa itu penjajah ekonomi, usir aja", "group_hostility"),
    ("Dasar china pelit", "group_hostility"),
    ("Kepala dinas kita emang goblok", "insult"),
    ("@bupati_xyz bangsat lu", "insult"),
    ("bu kadis t0l0l, kbijakan gk jelas", "insult"),
    ("Bos gue tolol bgt", "insult"),
    ("Anjing emang pak lurah", "insult"),
    ("Dasar Yanto penjilat", "insult"),
    ("Pak Herman itu maling uang perjalanan dinas", "accusation"),
    ("Si A pasti korupsi di proyek ini", "accusation"),
    ("Awas kamu, saya tahu rumahmu", "threat"),
])
def test_sara_and_insults(text, code):
    assert code in codes(text)


@pytest.mark.parametrize("text", [
    "Selamat Hari Raya Nyepi bagi umat Hindu 🙏", "Gong Xi Fa Cai untuk saudara Tionghoa", "Selamat Natal!",
    "Islam itu agama damai, bukan teroris", "Aku goblok bgt lupa bawa laporan", "Anjir macet parah",
    "Pak RT pelihara anjing lucu", "Bu Ani, tai lalat di pipimu manis", "Pak, ikan di kulkas udah busuk",
    "Sosialisasi pencegahan korupsi oleh KPK untuk pejabat struktural",
    "Data BPS: stunting turun dari 27% ke 21%. Program PMT perlu diperluas ke desa terpencil",
    "Pemkab kurang cepat tanggap soal banjir, semoga sistem peringatan dini diperbaiki",
])
def test_sara_near_misses(text):
    assert "sara" not in categories(text)


# -- hoax ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("SEBARKAN!!! ATM tutup 3 hari", "chain_message"),
    ("kirim ke 10 grup biar dapat berkah", "chain_message"),
    ("Tonton sblm dihapus!", "chain_message"),
    ("sebarkn!! kabarnya besok razia", "chain_message"),
    ("Bansos Rp 600rb cair, klik link bit.ly/bansos untuk daftar", "money_offer"),
    ("SELAMAT! Anda terpilih mendapatkan saldo DANA", "money_offer"),
    ("CPNS jalur khusus tanpa tes, dijamin lulus", "money_offer"),
    ("Dapat bansos Rp 300rb! Daftar sekarang hanya hari ini!", "money_offer"),
    ("VIRAL!! video pejabat, cek bit.ly/abc123", "shortlink"),
    ("VIRAAAL!!! vaksin mengandung chip", "caps"),
    ("Kabarnya gaji dipotong, terbukti kok", "unverified_claim"),
])
def test_hoax_signals(text, code):
    assert code in codes(text)


@pytest.mark.parametrize("text", [
    "Lagi viral resep es kopi susu ☕", "Cek fakta: kabar ATM tutup itu HOAKS. Jangan ikut menyebarkan",
    "Jangan sebarkan berita yang belum jelas sumbernya ya",
    "Daftar webinar di s.id/WebinarASN, gratis & dapat sertifikat",
    "Kuota terbatas! Pelatihan gratis, daftar lewat digitalent.komdigi.go.id", "Waspada banjir! Awas jalan licin",
    "Alhamdulillah THR cair Rp 3 juta, buat mudik", "Selamat ulang tahun sayang!!! 🎉", "Breaking news: timnas lolos!",
    "Waspada penipuan atas nama instansi kami. Kami tidak pernah memungut biaya apa pun",
])
def test_hoax_near_misses(text):
    assert "hoax" not in categories(text)


# -- wealth and uniforms ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("Unboxing tas Hermes baru", "wealth_display"),
    ("Akhirnya kebeli Rubicon #flexing", "wealth_display"),
    ("Jam tangan baru harganya 80 juta", "wealth_display"),
    ("Koleksi Rolex Daytona", "wealth_display"),
    ("Pake mobil dinas buat mudik", "uniform"),
    ("Selfie pakai seragam dinas di mall", "uniform"),
    ("Konten TikTok joget pake seragam dinas", "uniform"),
    ("Seragam PDH + tas LV, perfect", "uniform"),
])
def test_wealth_and_uniforms(text, code):
    assert code in codes(text)


@pytest.mark.parametrize("text", [
    "Hari ini pakai batik korpri, upacara Hari Kesadaran Nasional", "Besok upacara, pakai PDH dan atribut lengkap",
    "Mobil dinas dilarang dipakai mudik", "Jangan pakai seragam dinas saat liburan", "Laptop baru harganya 9 juta",
    "Harga tiket mudik Rp350rb", "Mobil baru kantor untuk layanan keliling", "Jangan flexing di medsos ya",
])
def test_wealth_near_misses(text):
    assert "wealth" not in categories(text)


# -- term lists ---------------------------------------------------------------------------------------------------

def test_term_lists_are_plain_data_described_for_admins():
    for name, values in DEFAULT_TERMS.items():
        assert isinstance(values, list) and all(isinstance(v, str) and v.strip() for v in values), name
        assert name in LIST_DESCRIPTIONS, name


def test_a_given_list_replaces_its_default_and_unknown_lists_are_ignored():
    assert "hate_term" in codes("dasar kadrun")
    assert "hate_term" not in codes("dasar kadrun", terms={"hate_terms": ["istilahlain"]})
    assert "hate_term" in codes("ini istilahlain", terms={"hate_terms": ["istilahlain"], "no_such_list": ["x"]})
    assert "hate_term" in codes("sebutan kaum-x", terms={"hate_terms": ["kaum x*"]})  # wildcard and separators


# -- highlighting -------------------------------------------------------------------------------------------------

def test_highlight_escapes_everything_and_marks_the_spans():
    text = '<script>alert("x")</script> NIK 3174091203850007 & "tanda kutip"'
    html = highlight(text, check_text(text).flags)
    assert isinstance(html, Markup)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert re.search(r'<mark class="flag flag-personal_data" title="[^"<>]+">3174091203850007</mark>', html)


def test_highlight_merges_overlapping_spans_of_different_categories():
    from portal.check.model import Flag

    text = "abcdefghij"
    flags = [Flag("nik", "tinggi", ((1, 5),)), Flag("caps", "rendah", ((3, 8),))]
    html = str(highlight(text, flags))
    assert html.count("<mark") == 1
    assert '<mark class="flag flag-personal_data flag-hoax"' in html and ">bcdefgh</mark>" in html
    assert html.startswith("a<mark") and html.endswith("</mark>ij")


def test_highlight_escapes_the_reason_in_the_title(app):
    text = 'Coba "RAHASIA" <b>'
    html = str(highlight(text, check_text(text).flags))
    assert html.count("<mark") == 1 and "&lt;b&gt;" in html and 'title="Ada penanda' in html
    assert '\\"' not in html and '(RAHASIA, TERBATAS' in html


# -- the labelled corpus and the targets --------------------------------------------------------------------------

def test_the_corpus_is_large_enough_half_harmless_and_has_a_held_out_part():
    posts = load_corpus()
    heldout = [p for p in posts if p.split == "heldout"]
    harmless = [p for p in posts if not p.labels]
    assert len(posts) >= 150 and len(heldout) >= 40
    assert 0.4 <= len(harmless) / len(posts) <= 0.6
    assert 0.4 <= sum(1 for p in heldout if not p.labels) / len(heldout) <= 0.6
    for category in CATEGORIES:
        assert sum(category in p.labels for p in heldout) >= 4, category


def test_the_targets_hold_on_the_whole_corpus():
    report = evaluate(load_corpus(), "all")
    assert report.failures() == [], format_report(report, show_misses=True)


def test_the_targets_hold_on_the_held_out_part():
    report = evaluate(load_corpus(), "heldout")
    assert report.failures() == [], format_report(report, show_misses=True)


def test_the_evaluation_command_prints_a_table(capsys, tmp_path):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "split: heldout" in out and "split: all" in out and "precision" in out and "false alarms" in out
    bad = tmp_path / "bad.txt"
    bad.write_text("=== x | dev | nonsense\nhalo\n", encoding="utf-8")
    assert main([str(bad)]) == 2
    assert main([str(tmp_path / "missing.txt")]) == 2


def test_the_corpus_parser_rejects_broken_files():
    with pytest.raises(CorpusError):
        parse_corpus("=== a | dev\nteks\n")
    with pytest.raises(CorpusError):
        parse_corpus("=== a | dev | -\n\n=== b | dev | -\nteks\n")
    with pytest.raises(CorpusError):
        parse_corpus("=== a | dev | -\nsatu\n=== a | dev | -\ndua\n")
    [post] = parse_corpus("# komentar\n=== a | dev | hoax,sara\nbaris satu\nbaris dua\n")
    assert post.labels == {"hoax", "sara"} and post.text == "baris satu\nbaris dua"


def test_a_failing_evaluation_is_reported():
    posts = parse_corpus("=== a | dev | hoax\nSelamat pagi semua\n=== b | dev | -\nNIK 3174091203850007\n")
    report = evaluate(posts, "all")
    assert ("recall hoax", 0.0, 0.8) in report.failures()
    assert report.false_alarm_rate == 1.0 and report.precision("personal_data") == 0.0
    assert "targets missed" in format_report(report)
