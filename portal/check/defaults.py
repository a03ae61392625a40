"""Default term lists of the pre-post checker: plain data that admins will edit (a database table later).

`check_text(text, terms=...)` takes a mapping list-name -> list of strings; a list given there replaces the default of
the same name, lists not given keep their defaults, unknown names are ignored. A DB-backed editor therefore only has
to produce `{name: [strings]}` for the lists it stores.

How a term is matched (see portal/check/lexicon.py):

- case-insensitively, on text normalised the same way as the post: accents and fancy fonts folded, moderate leetspeak
  undone ("g4k" -> "gak"), repeated letters collapsed ("viraaal" -> "viral"), common slang expanded ("yg" -> "yang",
  "jgn" -> "jangan", "sblm" -> "sebelum", "sebarkn" -> "sebarkan");
- as whole words: "rahasia" does not match inside "kerahasiaan";
- the words of a phrase may be separated by spaces, punctuation or nothing ("salam dua jari", "salam-dua-jari",
  "#salamduajari");
- a trailing "*" matches any word ending: "disebar*" matches "disebarkan" and "disebarluaskan".

LIST_DESCRIPTIONS says what each list is for (for the admin screen).
"""

LIST_DESCRIPTIONS = {
    "kk_cues": "Kata yang menandai nomor Kartu Keluarga di dekatnya",
    "plate_cues": "Kata yang menandai nomor pelat kendaraan (pelat ditulis huruf kecil dikenali bila ada kata ini)",
    "nik_cues": "Kata yang menandai NIK atau KTP di dekatnya",
    "nip_cues": "Kata yang menandai NIP di dekatnya",
    "bank_cues": "Nama bank dan kata yang menandai nomor rekening di dekatnya",
    "official_phone_cues": "Kata yang menandai nomor layanan resmi (nomor sesudahnya tidak ditandai)",
    "institutional_mailboxes": "Nama kotak surel resmi (bagian sebelum @) yang tidak dianggap data pribadi",
    "official_domains": "Domain resmi: tautan ke sini tidak dianggap mencurigakan",
    "url_shorteners": "Layanan tautan pendek",
    "secret_markers": "Penanda klasifikasi dokumen",
    "document_words": "Jenis dokumen dinas",
    "draft_words": "Kata yang menandai draf atau konsep",
    "public_consultation_cues": "Konsultasi atau uji publik: draf yang memang dibuka untuk umum",
    "unpublished_cues": "Frasa yang menandai dokumen belum resmi",
    "leak_words": "Kata yang menandai bocoran",
    "internal_subjects": "Pokok bahasan internal kepegawaian dan kedinasan",
    "internal_markers": "Frasa 'hanya untuk internal' / 'jangan disebarluaskan'",
    "internal_words": "Kata 'internal' dan sejenisnya",
    "internal_objects": "Dokumen atau informasi yang disebut internal (notulen internal, data internal)",
    "waiting_cues": "Frasa 'belum terbit' / 'belum keluar' (dihitung bila dokumennya ikut dibagikan)",
    "share_cues": "Tanda bahwa dokumen ikut dibagikan (terlampir, fotonya, tangkapan layar)",
    "exam_words": "Soal, kisi-kisi, kunci jawaban",
    "exam_contexts": "Jenis ujian dan seleksi",
    "exam_leak_cues": "Kata yang menandai soal ujian bocor atau diperjualbelikan",
    "election_words": "Kata seputar pemilu dan pilkada",
    "support_cues": "Kata yang menandai dukungan",
    "candidate_names": "Nama calon pada periode pemilu yang sedang berjalan",
    "party_names": "Nama partai politik yang tidak bermakna ganda",
    "party_names_ambiguous": "Singkatan atau nama partai yang juga kata biasa (dihitung hanya bila ada konteks pemilu)",
    "office_titles": "Jabatan resmi: nama calon setelah jabatan ini dianggap penyebutan dalam tugas",
    "candidate_words": "Kata yang menunjuk calon (pak, bu, calon, paslon) setelah ajakan memilih",
    "finger_poses": "Salam dan pose jari nomor urut",
    "campaign_groups": "Ajakan bergabung dengan relawan atau tim kampanye",
    "campaign_hashtags": "Tagar kampanye (tanpa #)",
    "neutral_hashtags": "Tagar resmi atau netral seputar pemilu (tanpa #)",
    "hate_terms": "Istilah yang merendahkan SARA",
    "group_terms": "Nama suku, agama, ras, dan golongan",
    "hostile_terms": "Kata bermusuhan (dihitung bila dekat dengan nama golongan)",
    "insult_terms": "Kata kasar dan hinaan",
    "animal_insults": "Nama hewan yang dipakai sebagai makian (dihitung hanya bila langsung mengenai orang)",
    "accusation_terms": "Tuduhan perbuatan tercela (dihitung bila mengenai orang tertentu)",
    "threat_phrases": "Ancaman kepada orang lain",
    "person_targets": "Sasaran hinaan atau tuduhan: sapaan, jabatan, kata ganti orang",
    "institution_targets": "Instansi sebagai sasaran hinaan",
    "self_words": "Kata ganti orang pertama (hinaan kepada diri sendiri tidak ditandai)",
    "chain_phrases": "Ajakan menyebarkan berantai",
    "negations": "Kata ingkar ('jangan sebarkan' bukan ajakan menyebarkan)",
    "prohibitions": "Kata larangan (seragam dinas yang 'dilarang' dipakai mudik tidak ditandai)",
    "negation_exceptions": "Frasa yang bukan ingkar ('jangan lupa coblos' tetap ajakan)",
    "debunk_words": "Kata yang menandai klarifikasi hoaks",
    "hoax_alarm_cues": "Tanda hoaks lemah: seruan bahaya (ditandai hanya bila ada tanda lain)",
    "hoax_rumour_cues": "Tanda hoaks lemah: kabar tanpa sumber",
    "hoax_proof_cues": "Tanda hoaks lemah: klaim pembuktian",
    "hoax_secret_cues": "Tanda hoaks lemah: klaim ada yang ditutupi",
    "hoax_viral_cues": "Tanda hoaks lemah: viral",
    "hoax_urgency_cues": "Tanda hoaks lemah: desakan",
    "hoax_link_cues": "Tanda hoaks lemah: ajakan membuka tautan",
    "money_terms": "Uang, bantuan, hadiah",
    "offer_cues": "Kata ajakan mendapatkan sesuatu",
    "scam_phrases": "Frasa khas penipuan",
    "urgency_cues": "Desakan waktu (hanya hari ini, buruan)",
    "luxury_brands": "Merek barang mewah",
    "wealth_phrases": "Frasa pamer kemewahan",
    "luxury_items": "Barang yang dihitung mewah bila disebut bersama harga puluhan juta",
    "uniform_terms": "Seragam, kendaraan, dan atribut dinas",
    "personal_contexts": "Konteks pribadi (liburan, swafoto, konten, jualan)",
}

DEFAULT_TERMS = {
    # -- personal data cues ---------------------------------------------------------------------------------------
    "kk_cues": ["kk", "no kk", "nomor kk", "nkk", "kartu keluarga", "kartu kk"],
    "plate_cues": ["plat", "pelat", "plat nomor", "nopol", "no pol", "nomor polisi", "nomor kendaraan", "tnkb"],
    "nik_cues": ["nik", "ktp", "e ktp", "ektp", "no ktp", "nomor induk kependudukan"],
    "nip_cues": ["nip", "nip baru", "nomor induk pegawai"],
    "bank_cues": [
        "bca", "bri", "bni", "mandiri", "bsi", "btn", "cimb", "cimb niaga", "danamon", "permata", "ocbc", "maybank",
        "bank mega", "bjb", "bank jatim", "bank jateng", "bank dki", "bank nagari", "bank sumut", "bpd", "panin",
        "muamalat", "bank jago", "seabank", "blu", "jenius", "btpn", "rek", "rekening", "norek", "no rek",
        "nomor rekening", "no rekening", "atas nama", "a n", "an",
    ],
    "official_phone_cues": [
        "call center", "contact center", "wa center", "whatsapp center", "hotline", "pusat layanan", "nomor resmi",
        "wa resmi", "whatsapp resmi", "kanal resmi", "layanan pengaduan", "pusat panggilan", "sms center",
    ],
    "institutional_mailboxes": [
        "humas", "info", "informasi", "pengaduan", "ppid", "layanan", "admin", "cs", "helpdesk", "kontak", "halo",
        "sekretariat", "redaksi", "media", "persuratan", "tu", "umum", "dumas", "lapor", "support",
    ],
    "official_domains": [
        "go.id", "mil.id", "ac.id", "sch.id", "desa.id", "aduankonten.id", "turnbackhoax.id", "cekfakta.com",
        "lapor.go.id",
    ],
    "url_shorteners": [
        "bit.ly", "bitly.com", "s.id", "tinyurl.com", "cutt.ly", "rb.gy", "shorturl.at", "is.gd", "v.gd", "ow.ly",
        "t.ly", "tiny.cc", "goo.gl", "lnkd.in", "t.co", "shorte.st", "adf.ly", "bit.do", "rebrand.ly", "short.link",
        "bitly.id", "linkr.it", "tautan.id",
    ],
    # -- classification and drafts ----------------------------------------------------------------------------
    # Upper-case RAHASIA / TERBATAS / SANGAT RAHASIA are recognised by the engine itself; these are matched in any case.
    "secret_markers": [
        "sangat rahasia", "rahasia negara", "dokumen rahasia", "surat rahasia", "bersifat rahasia", "sifat rahasia",
        "klasifikasi rahasia", "dokumen terbatas", "bersifat terbatas", "sifat terbatas", "klasifikasi terbatas",
        "confidential", "top secret", "konfidensial", "strictly confidential",
    ],
    "document_words": [
        "sk", "surat keputusan", "nota dinas", "nodin", "memo", "memo internal", "surat edaran", "se", "peraturan",
        "permen", "permenpan", "perpres", "pp", "perda", "raperda", "pergub", "perbup", "perwal", "kepmen",
        "keputusan", "kepdirjen", "juknis", "juklak", "sop", "kontrak", "laporan", "notulen", "notula", "disposisi",
        "telaahan staf", "surat", "dokumen", "anggaran", "rab", "hasil audit", "audit", "lhp",
        "daftar nama",
    ],
    "draft_words": ["draf", "draft", "drafting", "konsep", "rancangan", "ranc", "rapermen", "raperpres"],
    "public_consultation_cues": [
        "konsultasi publik", "uji publik", "masukan publik", "partisipasi publik", "public hearing",
        "meminta masukan masyarakat", "sampaikan masukan", "dengar pendapat",
    ],
    "unpublished_cues": [
        "belum ditandatangani", "belum diteken", "belum disahkan", "belum diumumkan", "belum dirilis",
        "belum dipublikasikan", "belum final", "belum resmi", "belum ditetapkan", "belum diundangkan",
        "sebelum diumumkan", "sebelum resmi", "sebelum dirilis", "sebelum ditandatangani",
    ],
    "leak_words": [
        "bocoran", "bocor", "dibocorkan", "membocorkan", "bocorin", "dapat duluan", "dapet duluan", "udah dapat duluan",
        "dari orang dalam", "info orang dalam",
    ],
    "internal_subjects": [
        "sk", "mutasi", "rotasi", "promosi", "pelantikan", "seleksi", "jpt", "lelang jabatan", "soal", "jawaban",
        "hasil", "daftar nama", "nama", "daftar", "dokumen", "data", "anggaran", "rapat", "kebijakan", "tunjangan",
        "tpp", "tukin", "gaji", "formasi", "nilai", "pimpinan", "pejabat", "eselon", "kabid", "kabiro", "pemecatan",
        "dilantik", "dimutasi", "dirotasi", "dipromosikan", "pindah", "pensiun dini",
        "dipecat", "demosi", "audit", "pemeriksaan", "penyidikan", "nota dinas", "memo", "surat", "rancangan",
    ],
    "internal_markers": [
        "jangan disebar*", "jangan di sebar*", "jangan dishare", "jangan di share", "jangan dibagikan",
        "jangan diteruskan", "jangan diforward", "mohon tidak diteruskan", "mohon tidak disebar*",
        "tidak untuk disebar*", "tidak untuk dipublikasikan", "jangan sampai keluar", "jangan sampai bocor",
        "jangan bocor", "hanya untuk kalangan internal", "untuk kalangan internal", "kalangan sendiri",
        "untuk internal", "internal only", "for internal use", "not for distribution", "off the record",
        "rapat tertutup", "chat grup pimpinan", "grup pimpinan", "memo internal", "dokumen internal", "chat internal",
    ],
    "internal_words": ["internal", "intern", "internal only"],
    "internal_objects": [
        "notulen", "notula", "memo", "dokumen", "data", "info", "informasi", "chat", "grup", "percakapan", "surat",
        "laporan", "bahan", "hasil rapat", "rapat pimpinan", "nota dinas", "edaran", "arahan", "rekaman",
    ],
    "waiting_cues": ["belum terbit", "belum keluar", "belum dikeluarkan", "belum beredar", "belum diterbitkan"],
    "share_cues": [
        "terlampir", "lampiran", "berikut", "fotonya", "aku fotoin", "saya fotoin", "difoto", "screenshot",
        "tangkapan layar", "upload", "unggah", "bocor*", "dapat duluan", "dapat dari", "dari orang dalam",
        "nama nama", "namanya", "isinya", "scan",
    ],
    "exam_words": ["soal", "kunci jawaban", "kisi", "kisi kisi", "jawaban"],
    "exam_contexts": [
        "cpns", "pppk", "p3k", "skd", "skb", "twk", "tiu", "tkp", "ujian", "ujian dinas", "tes", "seleksi", "ukom",
        "uji kompetensi", "ujian kenaikan pangkat", "ukp", "ujian penyesuaian", "latsar", "asesmen", "cat",
    ],
    "exam_leak_cues": [
        "bocor*", "dibocorkan", "orang dalam", "dari dalam", "soal asli", "dapat duluan", "pasti keluar",
        "dijamin keluar",
    ],
    # -- political neutrality ----------------------------------------------------------------------------------
    "election_words": [
        "pemilu", "pilkada", "pilpres", "pileg", "pilgub", "pilbup", "pilwalkot", "capres", "cawapres", "caleg",
        "cagub", "cawagub", "cabup", "cawabup", "cawalkot", "paslon", "kampanye", "timses", "tim sukses",
        "tim pemenangan", "relawan", "dapil", "coblos", "nyoblos", "dicoblos", "mencoblos", "partai", "koalisi",
        "surat suara", "bilik suara", "calon gubernur", "calon bupati", "calon wali kota", "calon presiden",
        "calon legislatif", "satu putaran",
    ],
    "support_cues": [
        "dukung", "dukungan", "mendukung", "pilih", "pilihlah", "menang", "menangkan", "memenangkan", "lanjutkan",
        "jadikan", "dua periode", "2 periode", "satu putaran", "idola", "presidenku", "gubernurku", "bupatiku",
        "pemimpinku", "pasti bisa", "kawal", "gabung", "relawan", "kampanye", "foto bareng", "foto bersama", "salam",
        "coblos", "nyoblos", "kami di belakangmu", "all in", "harga mati", "pasti menang", "jagoan", "jagoanku",
    ],
    # The 2024 election period (presidential, and governor elections in Jakarta, Jawa Barat, Jawa Tengah, Jawa Timur).
    # Admins replace this list at each election period.
    "candidate_names": [
        "anies", "anies baswedan", "muhaimin", "muhaimin iskandar", "cak imin", "gus imin", "prabowo",
        "prabowo subianto", "gibran", "gibran rakabuming", "ganjar", "ganjar pranowo", "mahfud md", "mahfud",
        "ridwan kamil", "suswono", "dharma pongrekun", "kun wardana", "pramono anung", "rano karno", "dedi mulyadi",
        "erwan setiawan", "ahmad syaikhu", "ilham habibie", "jeje wiradinata", "ronal surapradja", "acep adang",
        "andika perkasa", "hendrar prihadi", "ahmad luthfi", "taj yasin", "khofifah", "emil dardak",
        "tri rismaharini", "luluk nur hamidah",
    ],
    "party_names": [
        "gerindra", "pdip", "pdi p", "pdi perjuangan", "golkar", "nasdem", "pks", "hanura", "perindo", "ppp",
        "partai buruh", "partai gelora", "partai garuda", "partai ummat", "partai demokrat", "demokrat",
        "partai kebangkitan bangsa", "partai amanat nasional", "partai bulan bintang", "partai solidaritas indonesia",
        "partai persatuan pembangunan", "partai keadilan sejahtera", "partai gerakan indonesia raya",
        "partai golongan karya", "partai nasdem", "partai kebangkitan nusantara", "partai hati nurani rakyat",
        "partai persatuan indonesia",
    ],
    "party_names_ambiguous": ["pkb", "pan", "pbb", "psi", "pkn", "garuda", "buruh", "gelora", "banteng"],
    "office_titles": [
        "presiden", "wakil presiden", "wapres", "menteri", "menko", "gubernur", "wakil gubernur", "wagub", "bupati",
        "wakil bupati", "wali kota", "walikota", "ketua", "ketua umum", "ketum", "jenderal", "bapak presiden",
        "pak presiden", "ibu gubernur", "pak gubernur", "mendagri", "menhan", "menkopolhukam", "presiden terpilih",
        "wakil presiden terpilih", "gubernur terpilih", "bupati terpilih", "wali kota terpilih", "presiden ri",
        "presiden republik indonesia", "wakil presiden ri", "menteri pertahanan",
    ],
    "candidate_words": [
        "pak", "bu", "bapak", "ibu", "mas", "mbak", "bang", "kak", "calon", "paslon", "caleg", "cagub", "cabup",
        "capres", "cawalkot", "kandidat", "jagoan", "partai",
    ],
    "finger_poses": [
        "salam satu jari", "salam dua jari", "salam tiga jari", "salam empat jari", "salam 1 jari", "salam 2 jari",
        "salam 3 jari", "salam 4 jari", "pose satu jari", "pose dua jari", "pose tiga jari", "pose empat jari",
        "pose 1 jari", "pose 2 jari", "pose 3 jari", "pose 4 jari", "acung* satu jari", "acung* dua jari",
        "acung* tiga jari", "acung* 1 jari", "acung* 2 jari", "acung* 3 jari", "pose jari", "salam jari",
        "angkat satu jari", "angkat dua jari", "angkat tiga jari", "angkat empat jari", "angkat 1 jari",
        "angkat 2 jari", "angkat 3 jari", "angkat 4 jari",
    ],
    "campaign_groups": [
        "grup relawan", "grup wa relawan", "gabung relawan", "gabung tim sukses", "gabung timses", "jadi relawan",
        "relawan pemenangan", "posko pemenangan", "grup kampanye", "tim pemenangan", "ikut kampanye",
        "hadir kampanye", "kampanye akbar",
    ],
    "campaign_hashtags": [
        "aminajadulu", "amin2024", "prabowogibran*", "ganjarmahfud*", "aniesmuhaimin*", "gantipresiden*",
        "2019gantipresiden", "2024gantipresiden", "kawanprabowo", "ganjarpresiden*", "aniespresiden*",
        "prabowopresiden*", "rksuswono", "rido", "pramonorano", "satuputaran", "lanjutkan2periode",
        "tetapbersamaamin", "pdiperjuangan", "salam4jari", "coblos*", "pilih*nomor*",
    ],
    "neutral_hashtags": [
        "pemiludamai", "pemilu2024", "pemilu2029", "pilkada2024", "pilkadadamai", "pilkadaserentak*", "ayomemilih",
        "asnnetral", "netralitasasn", "asnnetralitas", "kpumelayani", "bawaslu*", "tolakpolitikuang",
        "pemilujurdil", "temanpemilih", "ayokawalpemilu", "cekfakta", "lawanhoaks",
    ],
    # -- SARA, hate speech, insults ------------------------------------------------------------------------------
    # Kept short and factual: terms that are widely used in Indonesia to demean a group.
    "hate_terms": [
        "aseng", "asing aseng", "antek aseng", "antek asing", "cokin", "sipit", "kadrun", "kadal gurun", "cebong",
        "cebongers", "kafir", "halal darahnya", "antek pki", "keturunan pki", "anak pki", "negro", "ganyang cina",
        "cina babi",
        "pribumi asli",
    ],
    "group_terms": [
        "cina", "china", "tionghoa", "chindo", "cindo", "yahudi", "kristen", "nasrani", "katolik", "protestan", "islam",
        "muslim", "non muslim", "nonmuslim", "hindu", "buddha", "budha", "konghucu", "syiah", "ahmadiyah", "wahabi",
        "jawa", "sunda", "batak", "madura", "bugis", "papua", "ambon", "arab", "pribumi", "non pribumi", "nonpribumi",
        "keturunan", "minang", "dayak", "betawi", "aceh", "nias", "timor", "flores", "beda agama", "agama lain",
        "kaum", "umat", "etnis", "suku", "ras", "lgbt",
    ],
    "hostile_terms": [
        "usir", "usir aja", "bantai", "basmi", "ganyang", "musnah*", "bakar", "bunuh", "habisi", "penjajah", "antek",
        "sesat", "monyet", "kera", "korup", "maling", "penipu", "pelit", "licik",
        "kasar", "biadab", "pengkhianat", "benci", "jangan terima", "jangan pilih", "jangan beli", "jangan belanja",
        "jangan mau dipimpin", "tidak bisa diatur", "perusak", "penyakit", "sampah", "teroris", "kotor", "bodoh",
        "malas", "pemalas", "tidak tahu diri", "jahat", "bejat", "biang kerok", "biang masalah", "pembuat onar",
        "perusuh", "bikin rusuh", "barbar", "bar bar", "primitif", "terbelakang", "kampungan", "tidak beradab", "hama",
        "parasit", "munafik", "menyesatkan", "radikal", "tidak pantas", "tidak layak", "harus diusir", "enyah",
        "pulang ke negara*", "balik ke negara*", "bukan orang indonesia", "pendatang", "tidak tahu sopan santun",
        "tidak tahu sopan", "jangan diterima", "tidak boleh jadi", "licik",
    ],
    "insult_terms": [
        "goblok", "goblog", "tolol", "bodoh", "bego", "dungu", "idiot", "bajingan", "bangsat", "brengsek", "keparat",
        "biadab", "kampret", "sialan", "taik", "asu", "jancok", "jancuk", "kontol", "ngentot", "bangke",
        "otak udang", "otaknya di dengkul", "otak di dengkul", "otaknya dimana", "tidak becus", "nenek sihir",
        "sampah masyarakat", "muka tembok", "kurang ajar", "lonte", "pelacur", "banci", "otak busuk", "hati busuk",
        "pejabat busuk", "cacat otak",
        "tidak punya otak", "otak kosong", "songong", "kampungan", "penjilat", "tidak tahu malu", "tidak punya malu",
        "tidak ada otak", "muka badak", "pemalas", "tukang bohong", "pecundang", "bodat", "cari muka",
    ],
    "animal_insults": ["anjing", "babi", "monyet", "kunyuk", "kerbau", "cebong", "kadal"],
    "accusation_terms": [
        "maling", "koruptor", "tukang korupsi", "penipu", "pembohong", "tukang tipu", "tilep", "nilep", "ditilep",
        "makan uang", "nyolong", "garong", "rampok", "perampok", "penjahat", "mafia", "tukang palak", "pungli",
        "korup", "selingkuh", "mark up", "pasti korupsi", "suka korupsi", "sering korupsi", "doyan korupsi",
        "hobi korupsi", "korupsi terus", "tukang selingkuh",
    ],
    "threat_phrases": [
        "awas kamu", "awas lu", "awas kau", "awas kalian", "tahu rumahmu", "tahu rumah kamu", "tahu rumah lu",
        "tahu rumahnya", "tunggu pembalasan*", "tunggu saja pembalasan*", "kubunuh", "bunuh kamu", "bunuh lu",
        "habisi kamu", "habisi lu", "cari mati", "mau mati", "siap siap mati", "kuhabisi", "akan kuhajar",
        "hajar kamu", "gebukin", "sebar aibmu", "sebar foto kamu",
    ],
    "person_targets": [
        "pak", "bu", "bapak", "ibu", "mas", "mbak", "mba", "bang", "abang", "kak", "om", "tante", "sdr", "saudara",
        "si", "orangnya", "orang itu", "kepala", "kadis", "kabid", "kabag", "kasubag", "kasubbag", "kasi", "kasie",
        "kasat", "kabiro", "direktur",
        "dirut", "dirjen", "sekjen", "irjen", "menteri", "menko", "wamen", "bupati", "walikota", "wali kota",
        "gubernur", "wagub", "camat", "lurah", "kades", "pejabat", "pejabatnya", "atasan", "bos", "boss", "admin",
        "mimin", "presiden", "wapres", "petugas", "lu", "lo", "loe", "elo", "elu", "lau", "kau", "kamu", "situ",
        "anda", "dia", "mereka", "kalian",
    ],
    "institution_targets": [
        "pemerintah", "pemkab", "pemkot", "pemprov", "pemda", "dinas", "kementerian", "kemen*", "instansi", "dpr",
        "dprd", "polisi", "polri", "satpol", "kpu", "bawaslu", "kantor", "lembaga", "badan", "direktorat",
    ],
    "self_words": ["aku", "saya", "gue", "gua", "gw", "ak", "aq", "diriku", "kami", "kita"],
    # -- hoax signals --------------------------------------------------------------------------------------------
    "chain_phrases": [
        "sebarkan", "sebarluaskan", "viralkan", "tolong viralkan", "bantu viralkan", "share sebanyak*",
        "bagikan sebanyak*", "sebar sebanyak*", "teruskan ke semua", "teruskan ke grup*", "teruskan pesan ini",
        "forward ke grup*", "forward ke semua", "forward ke teman*", "kirim pesan ini", "bagikan pesan ini",
        "sebelum dihapus", "sebelum di hapus", "sebelum di take down", "sebelum ditakedown", "sebelum di takedown",
        "sebentar lagi dihapus", "keburu dihapus", "jangan berhenti di kamu", "jangan berhenti di anda",
        "jangan berhenti di sini", "jangan putus di*", "kalau diputus", "jika diputus", "copas dari grup sebelah",
        "dari grup sebelah", "info grup sebelah", "ketik amin", "share ke grup*", "share ke semua", "bagikan ke grup*",
        "bagikan ke semua", "sebar ke grup*", "sebar ke semua", "broadcast ke", "wajib share", "wajib sebar*",
    ],
    "negations": ["jangan", "tidak", "bukan", "stop", "berhenti", "tanpa", "dilarang", "hindari"],
    "prohibitions": [
        "dilarang", "jangan", "tidak boleh", "hindari", "larangan", "tidak diperbolehkan", "tidak dibenarkan",
        "tidak pantas", "bukan untuk",
    ],
    "negation_exceptions": ["jangan lupa", "tidak lupa", "jangan ragu", "tidak ragu", "jangan sampai tidak"],
    "debunk_words": [
        "hoaks", "hoax", "hoaxs", "tidak benar", "cek fakta", "klarifikasi", "disinformasi", "misinformasi",
        "bukan fakta", "sudah dibantah", "dibantah", "turnbackhoax",
    ],
    "hoax_alarm_cues": ["breaking news", "breaking", "info penting", "waspada", "awas", "darurat", "gawat"],
    "hoax_rumour_cues": ["kabarnya", "katanya", "konon", "info a1", "orang dalam", "dengar dengar", "beredar kabar"],
    "hoax_proof_cues": ["terbukti", "100 persen", "dijamin", "ilmuwan", "dokter tidak*", "fakta mengejutkan"],
    "hoax_secret_cues": [
        "ditutupi", "dirahasiakan", "tidak diberitakan", "media tidak*", "tidak mau kasih tahu",
        "tidak akan kasih tahu", "tidak mau memberi tahu", "tidak akan memberi tahu", "tidak ada yang tahu",
        "mengandung chip", "konspirasi", "azab", "elite global",
    ],
    "hoax_viral_cues": ["viral"],
    "hoax_urgency_cues": ["sampai habis", "sebelum terlambat", "hari ini juga", "secepatnya"],
    "hoax_link_cues": ["klik link", "cek link", "link di bawah", "buka link"],
    "money_terms": [
        "bansos", "blt", "bantuan", "subsidi", "hadiah", "saldo", "uang tunai", "uang", "pulsa", "kuota", "voucher",
        "cashback", "undian", "pinjaman", "dana bantuan", "dana hibah", "insentif", "bonus", "saldo dana",
        "saldo gopay", "saldo ovo", "thr", "gaji ke 13", "tunjangan", "gaji", "honor", "rapel",
    ],
    "offer_cues": [
        "gratis", "klik", "klaim", "daftar*", "dapat", "dapatkan", "mendapatkan", "cair", "cairkan", "pencairan",
        "isi data*", "kirim data*", "buruan", "hanya hari ini", "terpilih", "pemenang", "hangus", "transfer",
        "ambil", "raih",
    ],
    "scam_phrases": [
        "selamat anda*", "anda terpilih", "anda beruntung", "tanpa tes", "dijamin lulus", "jalur khusus",
        "jalur belakang", "biaya admin*", "klaim sekarang", "klaim hadiah", "klaim saldo", "isi data diri",
        "kirim data diri", "kirim foto ktp", "sebelum hangus", "pinjaman tanpa jaminan", "modal kecil untung besar",
        "klik link ini untuk", "klik link untuk", "klik tautan untuk", "kirim ke 10 grup",
    ],
    "urgency_cues": [
        "hanya hari ini", "hari ini saja", "buruan", "segera daftar", "daftar sekarang", "sekarang juga",
        "kuota terbatas", "terbatas", "sebelum hangus", "batas akhir hari ini", "jangan sampai kehabisan",
    ],
    # -- wealth and official attributes --------------------------------------------------------------------------
    "luxury_brands": [
        "hermes", "birkin", "louis vuitton", "tas lv", "gucci", "chanel", "prada", "dior", "balenciaga", "fendi",
        "versace", "bottega veneta", "celine", "goyard", "rolex", "patek philippe", "audemars piguet", "jam ap",
        "richard mille", "jam omega", "cartier", "bvlgari", "tiffany", "porsche", "ferrari", "lamborghini", "bentley",
        "rolls royce", "maserati", "mclaren", "alphard", "vellfire", "rubicon", "jeep rubicon", "land cruiser",
        "range rover", "harley", "harley davidson", "moge", "mercy", "mercedes benz", "lexus", "yacht", "jet pribadi",
        "private jet",
    ],
    "wealth_phrases": [
        "flexing", "pamer harta", "pamer kekayaan", "pamer mobil", "pamer tas", "tas branded", "barang branded",
        "sepatu branded", "tas mahal", "jam tangan mahal", "jam mahal", "mobil mewah", "rumah mewah", "motor gede",
        "first class", "kelas satu pesawat", "crazy rich", "orang kaya baru", "borong", "saldo rekening",
        "tembus m", "saldo m", "berlian", "perhiasan mahal", "koleksi tas", "koleksi jam", "koleksi mobil",
        "liburan mewah", "hidup mewah", "gaya hidup mewah", "sultan mah bebas",
    ],
    "luxury_items": [
        "tas", "jam tangan", "arloji", "jam", "sepatu", "cincin", "kalung", "gelang", "perhiasan", "berlian", "mobil",
        "motor", "parfum", "kacamata", "dompet", "sneakers",
    ],
    "uniform_terms": [
        "seragam dinas", "seragam kantor", "baju dinas", "pakaian dinas", "pakaian dinas harian", "pdh", "pdl", "psh",
        "seragam pns", "seragam asn", "baju pns", "baju asn", "seragam pemda", "seragam khaki", "baju khaki",
        "seragam coklat", "seragam cokelat",
        "pdu", "batik korpri", "seragam korpri", "baju korpri", "atribut dinas", "atribut kantor", "atribut asn",
        "id card kantor", "idcard kantor", "name tag", "tanda pengenal", "mobil dinas", "kendaraan dinas",
        "motor dinas", "plat merah", "pelat merah", "lencana korpri", "pin korpri",
    ],
    "personal_contexts": [
        "selfie", "swafoto", "ootd", "liburan", "libur", "healing", "jalan jalan", "mudik", "pulang kampung",
        "nongkrong", "mall", "mal", "endorse", "endorsement", "promo", "jualan", "jual", "giveaway", "kondangan",
        "pacaran", "tiktok", "joget", "konten", "fyp", "reels", "weekend", "akhir pekan", "pribadi", "nikahan",
        "arisan", "karaoke", "dugem", "belanja", "shopping", "kafe", "cafe", "pantai", "wisata", "touring",
        "staycation", "nonton konser", "konser", "dance", "ngonten", "live", "hadiah", "kado",
    ],
}


def resolve(terms=None):
    """The default lists, with the lists given in `terms` replacing those of the same name (unknown names ignored)."""
    merged = dict(DEFAULT_TERMS)
    for name, values in (terms or {}).items():
        if name in merged:
            merged[name] = [str(v) for v in values if str(v).strip()]
    return merged
