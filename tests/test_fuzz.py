"""Hostile input never makes a 5xx, and rejected input changes nothing (issue 11, item 3).

Property-based (hypothesis) over every endpoint of `app.url_map`, as each role: the query arguments of every GET and
the form fields of every POST get hostile values (integers past any database's range, 400 digits, ids of rows that do
not exist or belong to others, markup, NUL, dates that do not exist, files of random bytes), mixed with the values the
page itself offers (its select options and current values) so that the deeper code paths are reached too.

Which fields an endpoint takes is found, not listed: every page the role may open is crawled and its forms read
(action → endpoint, with field names, types and options); GET endpoints also get every query argument that the code
reads (`request.args.get("x")`, `int_arg("x")`). New endpoints and fields are therefore covered without touching
this file; endpoints with URL arguments reuse the builders of tests/test_permissions.py.

"No change on rejected input": after any response of 400 or more, the database must be as it was before the request
(checked cheaply: SQLite's `PRAGMA data_version` tells whether anything was committed at all, and only then are the
tables compared). FUZZ_EXAMPLES (default 6) sets the examples per endpoint and role; FUZZ_EXAMPLES=200 for a deep run.
"""

import hashlib
import io
import os
import re
import sqlite3
import traceback
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import SQLModel

from tests.conftest import TEST_DATABASE_URL
from tests.test_permissions import ROLES, role_allows, rules_for, signed_in, url_for_rule  # noqa: F401

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the change check reads the SQLite file")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ROOT = Path(__file__).resolve().parent.parent

# Endpoints that end the signed-in session (the rest of the run would only see the login page): covered by the
# accounts tests. Everything else is sent hostile input.
NOT_FUZZED = {"accounts.logout", "static"}
# Tables that a rejected request may still write: the session's last-seen time and a failed sign-in's audit entry.
VOLATILE = {"user_session"}
AUDITED_REJECTIONS = {"accounts.login", "accounts.password"}


def query_argument_names():
    """Every query argument the code reads by name."""
    names = set()
    pattern = re.compile(r"""(?:args\.get(?:list)?|int_arg)\(\s*["'](\w+)["']""")
    for path in (ROOT / "portal").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


QUERY_ARGS = query_argument_names()

HOSTILE = (
    "", " ", "0", "-1", "1", "2", "7", "2147483648", "9223372036854775807", "9223372036854775808",
    str(2**70), "9" * 400, "-" + "9" * 40, "1e309", "NaN", "inf", "-0", "1.5", "0x1f", "١٢",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "' OR '1'='1' --",
    "a\x00b", "a" * 5000, "%", "_", "*", '"', "NEAR(", "(((", "-- ", "2025-02-30", "2025-13-01", "9999-12-31",
    "0001-01-01", "9999-12-31T23:59", "2025-W99", "2025-00", "10000-01", "25:61", "../../etc/passwd", "{{7*7}}",
    "\u202eevil", "y", "on", "true", "id", "en", "xx", "csv", "xlsx", "pdf",
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
NUMBERS = st.integers(-(2**80), 2**80).map(str)


def value_strategy(known):
    """A value for a field: hostile, random, or one the page offered (so valid paths are taken too)."""
    choices = [st.sampled_from(HOSTILE), TEXT, NUMBERS]
    if known:
        choices += [st.sampled_from(sorted(known))] * 3
    return st.one_of(choices)


# --- the crawler ------------------------------------------------------------------------------------------------------

class FormReader(HTMLParser):
    """The forms of a page: [(method, action, {name: {"type": ..., "values": set()}})]."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = (attrs.get("method", "get").lower(), attrs.get("action") or "", {})
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag in ("input", "textarea", "select", "button") and attrs.get("name"):
            field = self.current[2].setdefault(attrs["name"], {"type": attrs.get("type", tag), "values": set()})
            if attrs.get("value") is not None:
                field["values"].add(attrs["value"])
            self.select = field if tag == "select" else None
        elif tag == "option" and self.select is not None and attrs.get("value") is not None:
            self.select["values"].add(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


def crawl(app, client, role, ctx):
    """Every GET page the role may open; returns {(method, endpoint): {"urls": set, "fields": {...}}}."""
    found = {}
    adapter = app.url_map.bind("localhost")
    for rule in rules_for(app, "GET"):
        if rule.endpoint in NOT_FUZZED or not role_allows(role, rule.endpoint, app):
            continue
        url = url_for_rule(app, rule, ctx)
        entry = found.setdefault(("get", rule.endpoint), {"urls": set(), "fields": {}})
        entry["urls"].add(url)
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        reader = FormReader()
        reader.feed(response.get_data(as_text=True))
        for method, action, fields in reader.forms:
            target = urlsplit(action or url)
            if target.netloc:
                continue
            try:
                endpoint, _args = adapter.match(target.path, method=method.upper())
            except Exception:  # noqa: S112 - a form aimed at a URL this app does not route (none expected)
                continue
            form_entry = found.setdefault((method, endpoint), {"urls": set(), "fields": {}})
            form_entry["urls"].add(target.path)
            for name, spec in fields.items():
                merged = form_entry["fields"].setdefault(name, {"type": spec["type"], "values": set()})
                merged["values"] |= spec["values"]
    return found


# --- the change check -------------------------------------------------------------------------------------------------

class ChangeWatch:
    """Tells whether a request committed anything, and what, on the test's SQLite database."""

    def __init__(self, app):
        self.engine = app.extensions["db_engine"]
        self.raw = sqlite3.connect(self.engine.url.database)
        self.version, self.print = None, None

    def data_version(self):
        return self.raw.execute("PRAGMA data_version").fetchone()[0]

    def fingerprint(self, skip=()):
        digests = {}
        with self.engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                if table.name in VOLATILE or table.name in skip:
                    continue
                rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()  # noqa: S608 - our own names
                digests[table.name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
        return digests

    def before(self):
        version = self.data_version()
        if version != self.version:
            self.version, self.print = version, self.fingerprint()

    def changed_tables(self, skip=()):
        if self.data_version() == self.version:
            return []
        after = self.fingerprint(skip)
        return sorted(name for name, digest in after.items() if self.print.get(name) != digest)


# --- the property -----------------------------------------------------------------------------------------------------

def request_strategy(method, entry):
    """(url, data, htmx) for one request to an endpoint."""
    fields = entry["fields"]
    names = sorted(set(fields) | (set(QUERY_ARGS) if method == "get" else set()))
    names = [n for n in names if n != "csrf_token"]

    @st.composite
    def build(draw):
        url = urlsplit(draw(st.sampled_from(sorted(entry["urls"]))))
        data = dict(parse_qsl(url.query))
        url = url.path
        for name in names:
            spec = fields.get(name, {"type": "text", "values": set()})
            if not draw(st.integers(0, 2)):  # each field present two times in three
                continue
            if spec["type"] == "file":
                content = draw(st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"%PDF-1.4\n%%EOF",
                                                                                  b"\x89PNG\r\n\x1a\n"])))
                filename = draw(st.sampled_from(["a.csv", "a.png", "a.pdf", "a.gift", "../x.txt", "", "a"]))
                data[name] = (io.BytesIO(content), filename)
            elif draw(st.integers(0, 5)) == 0:  # sometimes several values
                data[name] = draw(st.lists(value_strategy(spec["values"]), min_size=2, max_size=3))
            else:
                data[name] = draw(value_strategy(spec["values"]))
        if draw(st.integers(0, 9)) == 0:
            data[draw(st.sampled_from(["id", "x", "count-1", "match-1", "count-" + "9" * 30]))] = draw(
                value_strategy(set()))
        return url, data, draw(st.booleans())

    return build()


def fuzz_endpoint(client, watch, method, endpoint, entry):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(request_strategy(method, entry))
    def property_(case):
        url, data, htmx = case
        headers = {"HX-Request": "true"} if htmx else {}
        watch.before()
        if method == "get":
            response = client.get(url, query_string=data, headers=headers)
        else:
            response = client.post(url, data=data, headers=headers, content_type="multipart/form-data")
        assert response.status_code < 500, f"{method.upper()} {url} {data!r}: {response.status_code}"
        if response.status_code >= 400:
            skip = {"audit_log"} if endpoint in AUDITED_REJECTIONS else set()
            changed = watch.changed_tables(skip)
            assert not changed, f"{method.upper()} {url} {data!r}: {response.status_code} but changed {changed}"

    property_()


@pytest.mark.parametrize("role", ROLES)
def test_hostile_input_never_500s_and_rejected_input_changes_nothing(app, client, signed_in, login, role):  # noqa: F811
    ctx = signed_in(role)
    endpoints = crawl(app, client, role, ctx)
    for rule in rules_for(app, "POST"):  # POSTs that no crawled page shows a form for: fuzzed with no known fields
        if rule.endpoint not in NOT_FUZZED and ("post", rule.endpoint) not in endpoints:
            endpoints[("post", rule.endpoint)] = {"urls": {url_for_rule(app, rule, ctx)}, "fields": {}}
    watch = ChangeWatch(app)
    failures = []
    for (method, endpoint), entry in sorted(endpoints.items()):
        if endpoint in NOT_FUZZED:
            continue
        try:
            fuzz_endpoint(client, watch, method, endpoint, entry)
        except Exception as error:  # collect them all: one run shows every endpoint that breaks
            frames = [f"{Path(f.filename).name}:{f.lineno}" for f in traceback.extract_tb(error.__traceback__)
                      if "/portal/" in f.filename or "wtforms" in f.filename]
            failures.append(f"{method.upper()} {endpoint}: {type(error).__name__}: {str(error)[:600]} "
                            f"at {' < '.join(reversed(frames[-4:]))}")
        if role != "anonymous" and client.get("/").status_code != 200:
            # The endpoint ended the session (an admin deactivating or resetting their own account, a password
            # change): go on as a new user with the same role.
            ctx.user = signed_in(role).user
    assert not failures, f"{len(failures)} endpoints broke as {role}:\n" + "\n".join(failures)
