"""Indonesian-aware search (portal/search.py) and the handbook's search page.

Runs on SQLite (FTS5) and, with TEST_DATABASE_URL, on PostgreSQL (GIN tsvector): both must answer the same.
"""

import re

import pytest
from markupsafe import Markup

from portal import search, snippets
from portal.handbook import services
from tests import factories
from tests.conftest import HX

HOSTILE_QUERIES = [
    '"NEAR(*', "*", '"', "(", ")", "-foo", "NEAR", "NEAR/2", "a AND OR NOT b", "foto OR", "^foto", "foto:*",
    "title_terms:foto", "'; DROP TABLE user; --", "x" * 5000, "kata " * 1000, "😀🔥", "yang dan di", "", "   ",
    "naïve café", "straße", "a×b÷c", "\\", "%", "_", "&|!<->", "''", "foto\x00", "١٢٣", "Ёлка", "مرحبا",
]


# --- the text pipeline (unit tests) -------------------------------------------------------------------------------

def test_stem_joins_indonesian_affixes():
    assert {search.stem(w) for w in ("unggah", "mengunggah", "unggahan", "diunggah", "Mengunggah")} == {"unggah"}
    assert search.stem("2024") == "2024"
    assert search.stem("asn") == "asn"


def test_stem_keeps_words_with_other_letters_whole():
    # The stemmer only knows a-z; it must not cut "naïve" into two words (that broke PostgreSQL's tsquery).
    for word in ("naïve", "café", "straße", "àààà", "x2é"):
        stemmed = search.stem(word)
        assert " " not in stemmed and stemmed, word


@pytest.mark.parametrize("query, expected", [
    ('"NEAR(*', ["near"]),
    ("*", []),
    ('"', []),
    ("-foo", ["foo"]),
    ("a AND OR NOT b", ["and", "or", "not", "b"]),
    ("'; DROP TABLE user; --", ["drop", "table", "user"]),
    ("yang dan di", ["yang", "dan", "di"]),  # only stopwords: keep them rather than search for nothing
    ("foto yang diunggah", ["foto", "unggah"]),
    ("mengunggah unggahan diunggah", ["unggah"]),
    ("😀", []),
    ("", []),
    ("a×b c÷d", ["b", "c", "d"]),  # × and ÷ separate words ("a" is a stopword)
])
def test_query_terms_are_plain_words(query, expected):
    assert search.query_terms(query) == expected


def test_query_terms_are_capped():
    words = " ".join(f"kata{i}" for i in range(100))
    terms = search.query_terms(words)
    assert len(terms) == search.MAX_QUERY_TERMS
    assert terms[0] == "kata0"
    assert all(re.fullmatch(r"[a-z0-9]+", t) for t in terms)


def test_terms_for_index_adds_both_forms_of_abbreviations():
    terms = search.terms_for_index("Aparatur Sipil Negara bijak di media sosial").split()
    assert {"asn", "medsos", "aparatur", "sipil", "negara", "media", "sosial"} <= set(terms)
    terms = search.terms_for_index("ASN dan PNS aktif di medsos").split()
    assert {"aparatur", "sipil", "negara", "pegawai", "negeri", "media", "sosial", "asn", "pns", "medsos"} <= set(terms)
    assert "unggah" in search.terms_for_index("foto yang diunggah").split()


def test_terms_for_index_does_not_expand_parts_of_a_phrase():
    assert "medsos" not in search.terms_for_index("media cetak dan jaringan sosial").split()


def test_highlight_marks_matches_and_escapes():
    snippet = snippets.highlight("Foto <b>kegiatan</b> boleh diunggah & dibagikan.", "unggah foto")
    assert isinstance(snippet, Markup)
    assert str(snippet) == ("<mark>Foto</mark> &lt;b&gt;kegiatan&lt;/b&gt; boleh <mark>diunggah</mark> "
                            "&amp; dibagikan.")


def test_highlight_strips_markdown_syntax():
    snippet = str(snippets.highlight("### Contoh\n\n**Jangan** unggah [tautan ini](https://x.example/a_b).", "unggah"))
    assert snippet == "Contoh Jangan <mark>unggah</mark> tautan ini."


def test_highlight_marks_the_other_form_of_an_abbreviation():
    assert "<mark>media</mark> <mark>sosial</mark>" in str(snippets.highlight("Akun media sosial pribadi", "medsos"))
    assert "<mark>medsos</mark>" in str(snippets.highlight("Aktif di medsos", "media sosial"))
    assert "<mark>ASN</mark>" in str(snippets.highlight("Setiap ASN wajib", "aparatur sipil negara"))


def test_highlight_cuts_long_text_around_the_first_match():
    text = "awal " + "isi " * 200 + "hoaks di tengah " + "isi " * 200
    snippet = str(snippets.highlight(text, "hoaks", max_length=120))
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>hoaks</mark>" in snippet
    assert len(snippet) < 160


def test_highlight_marks_affixed_words_whose_stem_changes_its_first_letter():
    snippet = str(snippets.highlight("Pegawai menulis, mengirim dan menyapu; tulisan dikirim.", "tulis kirim sapu"))
    assert snippet.count("<mark>") == 5


def test_the_quick_word_check_never_drops_a_match():
    """`_matches` rules words out by a substring test before stemming; it must answer as the full check does, for
    every word of the demo handbook against terms of everyday queries."""
    from pathlib import Path

    import portal.demo
    def full_check(word, terms):
        word = word.lower()
        stemmed = search.stem(word)
        return stemmed in terms or word in terms or any(
            len(t) >= 3 and (word.startswith(t) or stemmed.startswith(t)) for t in terms)

    text = " ".join(p.read_text() for p in (Path(portal.demo.__file__).parent / "handbook").glob("*.md"))
    words = set(search.TOKEN_RE.findall(text))
    assert len(words) > 1000
    for query in ("unggah", "tulis kirim sapu", "netralitas pemilu", "data pribadi anak", "medsos", "pukul",
                  "ajar", "hoaks", "rahasia jabatan", "foto", "ASN", "kampanye", "pilih", "laku"):
        terms = snippets.highlight_terms(query)
        for word in words:
            assert snippets._matches(word, terms) == full_check(word, terms), (query, word)
        for chunk in (text[i:i + 3000] for i in range(0, len(text), 3000)):
            naive = next((m.start() for m in search.TOKEN_RE.finditer(chunk) if full_check(m.group(0), terms)), None)
            found = snippets._first_match(chunk, terms)
            assert (found.start() if found else None) == naive, query


def test_highlight_without_a_match_starts_at_the_beginning():
    assert str(snippets.highlight("Teks <pendek>", "zzz")) == "Teks &lt;pendek&gt;"
    assert str(snippets.highlight("", "apa saja")) == ""
    assert str(snippets.highlight(None, '"NEAR(*')) == ""


def test_search_function_never_raises(session):
    factories.make_handbook(session)
    for query in HOSTILE_QUERIES:  # one database for all of them (a loop, not parametrize: setup is the slow part)
        for prefix_last in (True, False):
            hits, total = search.search(session, services.SEARCH_KIND, query, prefix_last=prefix_last)
            assert total >= len(hits) >= 0, query


# --- the handbook search page -------------------------------------------------------------------------------------

@pytest.fixture
def handbook(session):
    return factories.make_handbook(session)


def slugs_found(client, query, **params):
    response = client.get("/handbook/cari", query_string={"q": query, **params})
    assert response.status_code == 200, query
    return re.findall(r'<a href="/handbook/bagian/([a-z0-9-]+)">', response.data.decode().split('id="results"')[1])


def test_stemming_finds_the_same_sections(handbook, client, login_as):
    login_as("employee")
    found = {q: set(slugs_found(client, q)) for q in ("unggah", "mengunggah", "unggahan", "diunggah")}
    assert found["unggah"] == {"foto-kegiatan", "netralitas-politik"}
    assert len({frozenset(v) for v in found.values()}) == 1, found


@pytest.mark.parametrize("query, expected", [
    ("medsos", {"akun-pribadi", "netralitas-politik"}),
    ("media sosial", {"akun-pribadi", "netralitas-politik"}),
    ("MEDSOS", {"akun-pribadi", "netralitas-politik"}),
    ("ASN", {"akun-pribadi", "hoaks-dan-verifikasi"}),
    ("aparatur sipil negara", {"akun-pribadi", "hoaks-dan-verifikasi"}),
    ("PNS", {"netralitas-politik"}),
    ("pegawai negeri sipil", {"netralitas-politik"}),
])
def test_abbreviations_find_each_other(handbook, client, login_as, query, expected):
    login_as("employee")
    assert set(slugs_found(client, query)) == expected


def test_a_title_match_ranks_above_a_body_only_match(session, client, login_as):
    factories.make_handbook(session, chapters=[("Bab Uji", "", [
        ("hanya-isi", "Panduan umum",
         "Lakukan verifikasi. Verifikasi sumber, verifikasi gambar, verifikasi tanggal, lalu verifikasi lagi."),
        ("di-judul", "Verifikasi informasi", "Periksa sumber sebelum membagikan apa pun."),
        ("tidak-cocok", "Lain", "Tidak ada hubungannya."),
    ])])
    login_as("employee")
    assert slugs_found(client, "verifikasi") == ["di-judul", "hanya-isi"]
    assert slugs_found(client, "memverifikasi") == ["di-judul", "hanya-isi"]


def test_results_are_highlighted_and_escaped(session, client, login_as):
    factories.make_handbook(session, chapters=[("Bab Uji", "", [
        ("penanda-html", "Penanda tebal", "Tulis penanda <b>tebal</b> dengan Markdown, bukan HTML <script>x</script>."),
    ])])
    login_as("employee")
    response = client.get("/handbook/cari?q=penanda")
    page = response.data.decode()
    results = page.split('id="results"')[1]
    assert "<mark>penanda</mark>" in results
    assert "<mark>Penanda</mark> tebal" in results  # the title is highlighted too
    assert "&lt;b&gt;tebal&lt;/b&gt;" in results
    assert "<b>" not in results and "<script>" not in results


def test_employee_sees_result_count_and_chapter(handbook, client, login_as):
    login_as("employee")
    page = client.get("/handbook/cari?q=hoaks").data.decode()
    assert "1 bagian cocok dengan “hoaks”" in page
    assert "Netralitas dan Informasi" in page


def test_hostile_input_returns_a_page(handbook, client, login_as):
    login_as("employee")
    for query in HOSTILE_QUERIES:
        response = client.get("/handbook/cari", query_string={"q": query})
        assert response.status_code == 200, query
        assert b"<html" in response.data, query
        htmx = client.get("/handbook/cari", query_string={"q": query}, headers=HX)
        assert htmx.status_code == 200, query
        assert b"<html" not in htmx.data, query


def test_hostile_input_is_plain_text(session, client, login_as):
    """Search syntax characters are ignored: the words around them are searched as plain words."""
    factories.make_handbook(session, chapters=[("Bab Uji", "", [
        ("near", "Dekat", "Kata NEAR dan OR ditulis sebagai teks biasa."),
        ("lain", "Lain", "Bagian lain."),
    ])])
    login_as("employee")
    assert slugs_found(client, '"NEAR(*') == ["near"]
    assert slugs_found(client, "NEAR -OR") == ["near"]  # "-" is not a NOT operator
    assert slugs_found(client, "NEAR NOT") == []  # "NOT" is a word like any other; no section has it


def test_query_is_echoed_escaped(handbook, client, login_as):
    login_as("employee")
    page = client.get("/handbook/cari", query_string={"q": '<script>alert(1)</script>'}).data.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_empty_query_shows_the_form_without_results(handbook, client, login_as):
    login_as("employee")
    response = client.get("/handbook/cari")
    assert response.status_code == 200
    assert b'name="q"' in response.data
    assert b"bagian cocok" not in response.data


def test_htmx_search_returns_only_the_results_fragment(handbook, client, login_as):
    login_as("employee")
    response = client.get("/handbook/cari?q=foto", headers=HX)
    assert response.status_code == 200
    assert b"<html" not in response.data
    assert b'name="q"' not in response.data  # not the search box again
    assert b"/handbook/bagian/foto-kegiatan" in response.data
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/handbook/cari?q=foto")
    assert b"<html" in full.data
    assert "HX-Request" in full.headers["Vary"]


def test_pagination(session, client, login_as, monkeypatch):
    monkeypatch.setattr("portal.handbook.views.SEARCH_PAGE_SIZE", 2)
    factories.make_handbook(session, chapters=[("Bab Uji", "", [
        (f"bagian-{i}", f"Bagian {i}", f"Isi tentang pedoman nomor {i}.") for i in range(1, 6)
    ])])
    login_as("employee")
    pages = [slugs_found(client, "pedoman", page=p) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == [f"bagian-{i}" for i in range(1, 6)]
    page_one = client.get("/handbook/cari?q=pedoman").data.decode()
    assert "5 bagian cocok" in page_one
    assert "/handbook/cari?q=pedoman&amp;page=2" in page_one
    fragment = client.get("/handbook/cari?q=pedoman&page=2", headers=HX).data.decode()
    assert 'hx-get="/handbook/cari?q=pedoman&amp;page=3"' in fragment
    for page in ("0", "-1", "abc", "999", "99999999999999999999999999"):
        response = client.get("/handbook/cari", query_string={"q": "pedoman", "page": page})
        assert response.status_code == 200, page
    assert slugs_found(client, "pedoman", page="abc") == pages[0]
    assert slugs_found(client, "pedoman", page="999") == []


def test_search_before_any_edition(session, client, login_as):
    factories.make_handbook(session, version=None)
    login_as("employee")
    assert slugs_found(client, "foto") == []


def test_reindexing_replaces_the_previous_edition(handbook, session, client, login_as):
    section = handbook.sections["foto-kegiatan"]
    factories.edit_section(session, handbook.humas, section, body="Dokumentasi acara dibagikan lewat humas.")
    factories.publish_edition(session, handbook.humas, "2025.2")
    login_as("employee")
    assert slugs_found(client, "dokumentasi") == ["foto-kegiatan"]
    assert slugs_found(client, "latar") == []  # words of the old text are gone from the index
    assert slugs_found(client, "mengunggah") == ["foto-kegiatan", "netralitas-politik"]  # still in the title
