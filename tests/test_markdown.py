"""Markdown written by humas is rendered with raw HTML off and sanitised: nothing pasted into a section can run."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from markupsafe import Markup
from sqlmodel import select

from portal.handbook import services
from portal.markdown import render_markdown, slugify
from portal.models import SectionRevision
from tests import factories

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">klik</a>',
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    '<svg onload=alert(1)></svg>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[ref]\n\n[ref]: javascript:alert(1)",
    '<p onclick="alert(1)">klik</p>',
]


# An element whose href/src/action points at a script URL (raw HTML shown as text, like &lt;a href="javascript:..."&gt;,
# is inert and does not count).
JAVASCRIPT_LINK = re.compile(r"<[a-z][^<>]*\b(?:href|src|action)\s*=\s*[\"']?\s*(?:javascript|vbscript|data):", re.I)


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html):
    parser = _Elements()
    parser.feed(str(html))
    parser.close()
    return parser.elements


ACTIVE_TAGS = {"script", "img", "iframe", "svg", "style", "object", "embed", "math", "base", "meta", "link"}


def assert_inert(html, forbidden=ACTIVE_TAGS | {"form", "input", "button", "textarea"}):
    html = str(html)
    assert "<script" not in html.lower()
    assert not JAVASCRIPT_LINK.search(html), html
    for tag, attrs in elements(html):
        assert tag not in forbidden, html
        for name, value in attrs.items():
            assert not name.startswith("on"), html  # no onerror=, onload=, onclick= on any element
            assert name != "style", html
            if name in {"href", "src", "action", "formaction"}:
                assert urlsplit((value or "").strip()).scheme.lower() in {"", "http", "https", "mailto"}, html


@pytest.mark.parametrize("html", [
    '<a href="javascript:alert(1)">x</a>', "<a href='JavaScript:alert(1)'>x</a>", "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">', '<p onclick="x()">x</p>', '<a href="data:text/html,x">x</a>',
])
def test_the_checker_catches_active_html(html):
    with pytest.raises(AssertionError):
        assert_inert(html)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_comes_out_inert(text):
    html = render_markdown(text)
    assert isinstance(html, Markup)
    assert_inert(html)


def test_raw_html_is_shown_as_text():
    html = str(render_markdown("<img src=x onerror=alert(1)> dan <b>tebal</b>"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;tebal&lt;/b&gt;" in html
    assert not any(tag in ("img", "b") for tag, _attrs in elements(html))


def test_javascript_links_are_not_links():
    for text in ("[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "<javascript:alert(1)>",
                 "[x](data:text/html;base64,PHNjcmlwdD4=)"):
        html = str(render_markdown(text))
        assert [tag for tag, _attrs in elements(html) if tag == "a"] == [], html


def test_safe_links_get_rel_noopener():
    html = str(render_markdown("Lapor ke [LAPOR!](https://www.lapor.go.id) atau <https://bkn.go.id>."))
    anchors = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert [a["href"] for a in anchors] == ["https://www.lapor.go.id", "https://bkn.go.id"]
    for a in anchors:
        assert set(a["rel"].split()) == {"noopener", "noreferrer"}


def test_relative_and_mailto_links_survive():
    html = str(render_markdown("[bagian](/handbook/bagian/hoaks) · [surel](mailto:humas@kementerian.go.id)"))
    hrefs = [attrs["href"] for tag, attrs in elements(html) if tag == "a"]
    assert hrefs == ["/handbook/bagian/hoaks", "mailto:humas@kementerian.go.id"]


def test_headings_get_ids_and_start_below_the_page_title():
    html = str(render_markdown("# Judul\n\n### Contoh Baik\n\nteks\n\n### Contoh Baik\n\n#### Rincian"))
    headings = [(tag, attrs.get("id")) for tag, attrs in elements(html) if tag.startswith("h")]
    assert headings == [("h2", "judul"), ("h2", "contoh-baik"), ("h2", "contoh-baik-2"), ("h3", "rincian")]
    assert "<h1" not in html  # the section title is the page's only h1


def test_heading_id_prefix():
    html = str(render_markdown("### Contoh", id_prefix="hoaks-"))
    assert 'id="hoaks-contoh"' in html


def test_tables_lists_and_emphasis_render():
    html = str(render_markdown(
        "| Boleh | Tidak boleh |\n|---|:---:|\n| berbagi tautan resmi | **hoaks** |\n\n"
        "- satu\n- dua\n\n1. langkah\n\n> kutipan\n\n~~lama~~ *miring* `kode`"))
    tags = [tag for tag, _attrs in elements(html)]
    for tag in ("table", "thead", "tbody", "tr", "th", "td", "strong", "ul", "ol", "li", "blockquote", "s", "em",
                "code"):
        assert tag in tags, tag
    assert "<td" in html and "berbagi tautan resmi" in html


def test_images_are_dropped_but_text_stays():
    html = str(render_markdown("Lihat ![diagram alur](https://example.org/a.png) di atas."))
    assert "<img" not in html
    assert "Lihat" in html and "di atas." in html


def test_empty_and_none_render_to_nothing():
    assert str(render_markdown("")) == ""
    assert str(render_markdown(None)) == ""


def test_slugify():
    assert slugify("Netralitas ASN dalam Pemilu 2024!") == "netralitas-asn-dalam-pemilu-2024"
    assert slugify("Ékspresi  —  diri") == "ekspresi-diri"
    assert slugify("!!!") == "bagian"
    assert len(slugify("kata " * 40)) <= 80


def test_revision_stores_rendered_html_at_save_time(session):
    handbook = factories.make_handbook(session, version=None)
    section = handbook.sections["akun-pribadi"]
    body = "### Contoh\n\n<script>alert(1)</script> [x](javascript:alert(1)) **tebal**"
    revision = factories.edit_section(session, handbook.humas, section, body=body)
    stored = session.exec(select(SectionRevision).where(SectionRevision.id == revision.id)).one()
    assert stored.html == str(render_markdown(body))
    assert '<h2 id="contoh">' in stored.html and "<strong>tebal</strong>" in stored.html
    assert_inert(stored.html)


def test_section_page_serves_the_cached_html(app, session, client, login_as):
    """The reader shows the HTML stored with the revision, not a fresh rendering per request."""
    handbook = factories.make_handbook(session)
    section = handbook.sections["hoaks-dan-verifikasi"]
    revision = session.get(SectionRevision, section.current_revision_id)
    revision.html = "<p>TERSIMPAN-SAAT-DISIMPAN</p>"
    session.add(revision)
    session.commit()
    login_as("employee")
    response = client.get("/handbook/bagian/hoaks-dan-verifikasi")
    assert response.status_code == 200
    assert b"TERSIMPAN-SAAT-DISIMPAN" in response.data


def test_pasted_hostile_text_is_inert_on_every_page(session, client, login_as):
    """What humas paste into a section comes out inert for the reader, in print, in search and in the diff."""
    handbook = factories.make_handbook(session, version=None)
    section = handbook.sections["akun-pribadi"]
    hostile = "\n\n".join(HOSTILE) + "\n\nkatakunci"
    factories.edit_section(session, handbook.humas, section, body=hostile)
    factories.publish_edition(session, handbook.humas, "2025.1", material=True)
    login_as("admin")
    revision_ids = [r.id for r, _author in services.section_revisions(session, section)]
    urls = ["/handbook/bagian/akun-pribadi", "/handbook/cetak", "/handbook/cari?q=katakunci",
            f"/handbook/kelola/bagian/{section.id}/beda?dari={revision_ids[-1]}&ke={revision_ids[0]}",
            f"/handbook/kelola/bagian/{section.id}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.data.decode()
        main = page[page.index('<main'):page.index("</main>")]
        assert_inert(main, forbidden=ACTIVE_TAGS)
