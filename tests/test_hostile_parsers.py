"""Hostile input to the parsers (issue 11, item 3), property-based: the Markdown renderer lets no script through, the
search query never reaches FTS or SQL syntax, the GIFT parser and the CSV importers never crash; every row they accept
round-trips and every row they reject has a line number and a reason."""

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from portal import db, search
from portal.accounts import imports
from portal.errors import DomainError
from portal.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown
from portal.models import Unit, User
from portal.quiz import gift
from tests import factories

FAST = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Pieces that attackers and careless authors put in Markdown, mixed with ordinary text and Markdown syntax.
MARKUP = st.sampled_from([
    "<script>alert(1)</script>", "<SCRIPT SRC=//x>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>", "<a href=\"javascript:alert(1)\">x</a>", "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox)", "![i](javascript:alert(1))", "<div style=\"background:url(javascript:x)\">",
    "<a href='x' onclick='y'>", "&lt;script&gt;", "&#106;avascript:", "<!-- x -->", "<style>*{}</style>",
    "[ref]: javascript:alert(1)\n\n[ref]", "<https://contoh.go.id>", "<javascript:alert(1)>", "`<script>`",
    "```html\n<script>x</script>\n```", "# Judul", "## Sub", "> kutipan", "- butir", "1. satu", "|a|b|\n|-|-|\n|1|2|",
    "**tebal**", "_miring_", "\n\n", "\n", " ", "<", ">", "\"", "'", "=", "[", "]", "(", ")", "{", "}",
])
MARKDOWN = st.lists(st.one_of(MARKUP, st.text(max_size=8)), max_size=12).map("".join)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@FAST
@given(MARKDOWN)
@example("<script>alert(1)</script>[x](javascript:alert(1))<img src=x onerror=alert(1)>")
def test_no_script_survives_markdown(text):
    html = str(render_markdown(text))
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, attrs, html)
        href = (attrs.get("href") or "").strip().lower()
        if href:
            scheme = re.match(r"^([a-z][a-z0-9+.-]*):", href)
            assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), (href, html)
    assert "<script" not in html.lower()


@FAST
@given(st.text(max_size=200))
@example('" OR 1=1 -- NEAR( * ^ ) AND NOT "')
@example("'; DROP TABLE user; --")
def test_query_terms_are_plain_words(query):
    terms = search.query_terms(query)
    assert len(terms) <= search.MAX_QUERY_TERMS
    for term in terms:
        assert term and all(ch.isalnum() for ch in term), term


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "a AND", "-x", "^", "'", "\\", "a:b", "((", "x" * 500,
                                   "NOT", "OR OR", "\x00", "%_", "a" * 50 + " b" * 50])
def test_search_survives_fts_syntax(app, session, query):
    factories.make_handbook(session)
    with app.test_request_context():
        hits, total = search.search(db.session(), "section", query)
        assert total >= 0 and isinstance(hits, list)


@FAST
@given(st.text(max_size=60))
def test_search_never_raises(app, session, query):
    with app.test_request_context():
        search.search(db.session(), "section", query)


# --- GIFT -------------------------------------------------------------------------------------------------------------

GIFT_PIECES = st.sampled_from([
    "::Nama::", "::", "Soal?", " {", "{", "}", "=", "~", "#", "####", "%50%", "%-100%", "%200%", "%abc%", "->",
    "TRUE", "FALSE", "T", "F", "{#", "1..2", "3:0.5", "1e309", "\\{", "\\=", "\\n", "\n", "\n\n", "// [tag:x]",
    "// [id:1]", "// [bagian:akun-pribadi]", "$CATEGORY: $course$/top/A//B", "[markdown]", "[html]", "[plain]",
    "<script>x</script>", "\t", " ", "_____",
])
GIFT_TEXT = st.lists(st.one_of(GIFT_PIECES, st.text(max_size=6)), max_size=25).map("".join)


@FAST
@given(GIFT_TEXT)
@example("::A:: Soal? {=benar ~salah}\n\n::B:: {")
@example("{#1e309..1e309}")
@example("::x::{=a -> b =c -> d =e -> f}")
def test_gift_parser_never_crashes_and_explains_every_skip(text):
    result = gift.parse(text)
    lines = text.count("\n") + 1
    for skip in result.skipped:
        assert 1 <= skip.line <= lines and skip.reason.strip(), skip
    for line, message in result.warnings:
        assert 0 <= line <= lines and str(message).strip()
    for question in result.questions:
        again = gift.parse(gift.write([question])).questions
        assert len(again) == 1, (question, gift.write([question]))
        assert again[0] == question, gift.write([question])


@FAST
@given(st.binary(max_size=200))
def test_gift_bytes_are_decoded_or_refused_with_a_message(raw):
    try:
        gift.parse_bytes(raw)
    except gift.GiftError as error:
        assert error.message


# --- CSV importers ----------------------------------------------------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(["", " ", "=1+1", "@SUM(A1)", "\"", ";", ",", "\n", "x" * 300, "<b>", "9" * 30, "ADMIN",
                     "admin;humas", "pegawai", "a@b", "a@b.go.id", "bukan email", "U1", "u1", "ZZ"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)


def _user_row(draw, n):
    if draw(st.booleans()):  # a row that should be accepted
        return [factories.valid_nip(n), f"Pegawai {n}", f"p{n}@contoh.go.id", "U1", draw(st.sampled_from(
            ["", "humas", "supervisor;trainer"]))]
    return [draw(st.one_of(CELL, st.just(factories.valid_nip(n)))), draw(CELL), draw(CELL),
            draw(st.one_of(CELL, st.just("U1"))), draw(CELL)]


@st.composite
def user_csv(draw):
    delimiter = draw(st.sampled_from([";", ","]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(imports.USER_COLUMNS)
    rows = [_user_row(draw, n) for n in range(1, draw(st.integers(1, 6)) + 1)]
    writer.writerows(rows)
    return ("\ufeff" if draw(st.booleans()) else "") + buffer.getvalue()


@FAST
@given(user_csv())
def test_user_import_round_trips_accepted_rows_and_explains_rejected_ones(app, session, text):
    if not session.exec(select(Unit).where(Unit.code == "U1")).first():
        factories.make_unit(session, code="U1")
    admin = session.exec(select(User).where(User.username == "importer")).first() or factories.make_user(
        session, username="importer", roles=("admin",))
    raw = text.encode()
    with app.test_request_context():
        s = db.session()
        try:
            preview = imports.preview_users(s, raw)
        except DomainError as error:
            assert error.message
            return
        last_line = text.count("\n") + 1
        for line, message in preview.errors:
            assert 2 <= line <= last_line and message, (line, message)
        if not preview.ok:
            return
        result = imports.apply_users(s, admin, raw)
        assert result.ok, result.errors
        s.flush()
        for row in result.rows:  # each accepted row is now exactly what the file said
            user = s.exec(select(User).where(User.nip == row["nip"])).one()
            assert (user.full_name, user.email, user.unit.code) == (row["full_name"], row["email"], "U1")
            assert user.roles == row["roles"]
        s.rollback()


@FAST
@given(st.binary(max_size=300))
def test_importers_refuse_any_bytes_with_a_message(app, session, raw):
    with app.test_request_context():
        for preview in (imports.preview_users, imports.preview_units):
            try:
                result = preview(db.session(), raw)
            except DomainError as error:
                assert error.message
                continue
            for line, message in result.errors:
                assert line >= 1 and message
