"""The English catalog covers every user-facing string in the code, and every translation can stand in for its msgid.

The strings are extracted straight from the work tree the way `make extract-messages` does it (babel.cfg plus the
Makefile's `-k` keywords), so a new `_("…")` without English fails here with the msgid and where it is used. To fix:
run `make extract-messages`, translate the new entries in portal/translations/en/LC_MESSAGES/messages.po (and
remove any "#, fuzzy"), then `make translations`.
"""

import re
from functools import cache
from pathlib import Path

from babel.messages import frontend
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG_PATH = "portal/translations/en/LC_MESSAGES/messages.po"
CATALOG = ROOT / CATALOG_PATH
MAKEFILE_KEYWORDS = ["_l", "lazy_gettext"]  # the -k options of `make extract-messages`
# A printf-style conversion as Python's % operator reads it: %(name)s, %(n)d, %%, %s, ...
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


@cache
def extracted():
    """[(msgid or (singular, plural), context, "file:line")] for every message in the code."""
    parse_mapping = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping(f)
    keywords = {**DEFAULT_KEYWORDS, **frontend.parse_keywords(MAKEFILE_KEYWORDS)}
    return [(message, context, f"{filename}:{lineno}")
            for filename, lineno, message, _comments, context
            in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)]


@cache
def catalog():
    with CATALOG.open("rb") as f:
        return read_po(f, locale="en")


def translations(message):
    """(msgid, msgstr) pairs of a catalog entry: one for a singular, one per plural form for a plural."""
    if isinstance(message.id, tuple | list):
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        return [(message.id[0] if i == 0 else message.id[1], s) for i, s in enumerate(strings)]
    return [(message.id, message.string)]


class Anything(dict):
    """A mapping with a value for every name, to %-format a string the way gettext(..., **variables) does."""

    def __missing__(self, key):
        return 1


def test_extraction_finds_python_and_template_strings():
    places = {where.split(":")[0] for _message, _context, where in extracted()}
    assert any(p.startswith("portal/") and p.endswith(".py") for p in places), "nothing extracted from portal/**.py"
    assert any(p.startswith("templates/") and p.endswith(".html") for p in places), "nothing from templates/**.html"
    assert "Masuk ke portal" in {message for message, _context, _where in extracted()}


def test_every_message_has_an_english_translation():
    missing = {}
    for message, context, where in extracted():
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog().get(msgid, context=context)
        plural_ok = entry is not None and isinstance(entry.id, tuple | list) == isinstance(message, tuple)
        if entry is None or entry.fuzzy or not plural_ok or not all(s for _id, s in translations(entry)):
            missing.setdefault((context, message), []).append(where)
    assert not missing, (
        f"{len(missing)} msgid(s) without a (non-fuzzy) English translation in "
        f"{CATALOG_PATH}. Run `make extract-messages`, translate these, remove '#, fuzzy':\n"
        + "\n".join(f"  {message!r}" + (f" [context {context!r}]" if context else "") + f"  ({', '.join(where[:3])})"
                    for (context, message), where in missing.items()))


def test_translations_keep_the_placeholders_of_their_msgid():
    problems = []
    for entry in catalog():
        if not entry.id:
            continue
        for i, (msgid, msgstr) in enumerate(translations(entry)):
            if not msgstr:
                continue
            wanted, got = sorted(PLACEHOLDER.findall(msgid)), sorted(PLACEHOLDER.findall(msgstr))
            plural_singular = isinstance(entry.id, tuple | list) and i == 0  # "one file" may drop its %(n)d
            if "python-format" in entry.flags and wanted != got and not plural_singular:
                problems.append(f"{msgid!r} -> {msgstr!r}: placeholders {wanted} became {got}")
                continue
            # Templates %-format every string (Flask-Babel's newstyle gettext): wherever the msgid formats, the
            # translation must too (a lone % in it would break the page only in English).
            try:
                msgid % Anything()
            except (ValueError, TypeError, KeyError):
                continue
            try:
                msgstr % Anything()
            except (ValueError, TypeError, KeyError) as error:
                problems.append(f"{msgid!r} -> {msgstr!r}: cannot be %-formatted ({error})")
    assert not problems, "\n".join(problems)


def test_translations_keep_answer_template_braces():
    """{nama}-style placeholders of the PR toolkit's answer templates are syntax, not words: they stay as they are."""
    braces = re.compile(r"\{[^{}\s]*\}")
    problems = [f"{msgid!r} -> {msgstr!r}"
                for entry in catalog() if entry.id
                for msgid, msgstr in translations(entry)
                if msgstr and sorted(braces.findall(msgid)) != sorted(braces.findall(msgstr))]
    assert not problems, "\n".join(problems)


def test_login_page_in_english(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in to the portal" in page  # "Masuk ke portal"
    assert ">Sign in<" in page  # the button, "Masuk"
    assert "Masuk ke portal" not in page


# A number followed by an English plural noun ("%(n)d items", "%(num)d planned posts", "in %(n)d days") or a "(s)"
# hedge: such a sentence reads "1 items" for one, so it must be an ngettext entry. Limits ("at most %(n)d characters")
# are constants, never one, and may stay singular entries.
COUNTED_NOUN = re.compile(
    r"(?<![Aa]t most )(?<![Aa]t least )(?<![Mm]ore than )(?<![Uu]p to )"
    r"%\((?P<name>\w+)\)d(?: [a-z-]+)? (?!(?:is|was|has|does|as|plus|this|its)\b)(?P<noun>[a-z]+s)\b"
    r"|\w\(s\)")


def counted_nouns(text):
    return [match.group(0) for match in COUNTED_NOUN.finditer(text)]


def test_counted_nouns_are_found():
    assert counted_nouns("%(n)d items match “%(q)s”") == ["%(n)d items"]
    assert counted_nouns("%(n)d planned posts are waiting for your approval.") == ["%(n)d planned posts"]
    assert counted_nouns("%(n)d of %(c)d seats taken.") == ["%(c)d seats"]
    assert counted_nouns("You have completed %(n)d workshop(s).") == ["p(s)"]
    assert counted_nouns("The title can have at most %(n)d characters. At most %(m)d tags.") == []
    assert counted_nouns("Line %(n)d is too long; year %(y)d has no week %(w)d.") == []
    assert counted_nouns("Question %(n)d of %(t)d; %(c)d new, %(u)d updated; a %(h)d-hour wait") == []


def test_counts_before_a_noun_are_plural_entries():
    """ "1 items", "1 sections match", "in 1 days": every English count that agrees with its noun goes through ngettext
    (templates: ngettext(...) or {% trans num=n %}…{% pluralize %}…{% endtrans %}) with both forms translated."""
    problems = []
    for entry in catalog():
        if not entry.id:
            continue
        if isinstance(entry.id, tuple | list):
            singular, plural = (tuple(entry.string) + ("", ""))[:2]
            if singular and plural and singular == plural and counted_nouns(plural):
                problems.append(f"{entry.id[0]!r}: the singular translation is the plural {singular!r}")
            continue
        found = counted_nouns(entry.string)
        if found:
            problems.append(f"{entry.id!r} -> {entry.string!r}: {found} needs ngettext (%(num)d)")
    assert not problems, (f"{len(problems)} count(s) formatted into a sentence without a plural form:\n"
                          + "\n".join(problems))


def test_english_plural_forms_are_used(app):
    """The compiled English catalog picks the singular for one and the plural otherwise."""
    from flask import render_template_string
    from flask_babel import force_locale

    source = ("{{ ngettext('%(num)s item cocok dengan “%(q)s”', '%(num)s item cocok dengan “%(q)s”', n, q='foto',"
              " num=n|number) }}")
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(source, n=1) == "1 item matches “foto”"
        assert render_template_string(source, n=3) == "3 items match “foto”"
        assert render_template_string(source, n=30029) == "30,029 items match “foto”"  # grouped for the locale
    with app.test_request_context("/"), force_locale("id"):
        assert render_template_string(source, n=1) == "1 item cocok dengan “foto”"
        assert render_template_string(source, n=30029) == "30.029 item cocok dengan “foto”"


def test_counts_in_messages_are_grouped_for_the_language(app):
    """ngettext (templates and Python) prints its count as the interface language groups it: "30.029 orang" /
    "30,029 people", where `%(num)d` printed "30029". Every message takes its count as `%(num)s`, so a new one cannot
    print it ungrouped."""
    from flask import render_template_string
    from flask_babel import force_locale

    from portal.i18n import ngettext

    message = "%(num)s orang belum menyetujui pedoman"
    source = "{{ ngettext('" + message + "', '" + message + "', n) }}"
    with app.test_request_context("/"):
        with force_locale("id"):
            assert render_template_string(source, n=30029) == "30.029 orang belum menyetujui pedoman"
            assert ngettext(message, message, 1234567) == "1.234.567 orang belum menyetujui pedoman"
            assert ngettext(message, message, 7) == "7 orang belum menyetujui pedoman"
        with force_locale("en"):
            assert render_template_string(source, n=30029) == "30,029 people have not acknowledged the handbook"
            assert render_template_string(source, n=1) == "1 person has not acknowledged the handbook"
            assert ngettext(message, message, 1234) == "1,234 people have not acknowledged the handbook"
            assert ngettext(message, message, 1234, num="many") == "many people have not acknowledged the handbook"
    ungrouped = [entry.id for entry in catalog() if "%(num)d" in str(entry.id)]
    assert not ungrouped, f"counts printed without grouping (use %(num)s): {ungrouped}"


def test_templates_look_up_the_catalog_once_per_request_and_follow_a_language_switch(client, login_as, monkeypatch):
    """The templates' gettext keeps this request's translations beside Flask-Babel's locale (a list page called
    Flask-Babel's lookup 180 times); switching the language, or forcing another one, still translates anew."""
    from flask_babel import force_locale

    from portal import i18n

    calls = []
    original = i18n.get_translations
    monkeypatch.setattr(i18n, "get_translations", lambda: calls.append(1) or original())
    login_as("admin")
    client.get("/admin/users")
    calls.clear()
    html = client.get("/admin/users").text
    assert len(calls) == 1 and "Pengguna" in html
    html = client.get("/admin/users?lang=en").text
    assert "Users" in html and "Pengguna" not in html
    with client.application.test_request_context("/?lang=id"):
        template = client.application.jinja_env.from_string('{{ _("Pengguna") }}')
        assert template.render() == "Pengguna"
        with force_locale("en"):
            assert template.render() == "Users"
        assert template.render() == "Pengguna"


def test_template_gettext_escapes_formats_and_reads_percent_signs_as_jinja_does(app):
    """`_()` keeps translated texts per catalog (portal.i18n.template_gettext): the same output as Jinja's newstyle
    gettext, with and without variables, asked again, in an autoescaped template and in a plain one."""
    from flask_babel import force_locale

    env = app.jinja_env
    escaped = env.from_string('{{ _("Catatan untuk %(n)s", n=name) }}|{{ _("100%% aman") }}|{{ _("Pengguna") }}'
                              '|{{ _("%(message)s %(context)s", message=1, context=2) }}')  # any variable name
    plain = env.overlay(autoescape=False).from_string('{{ _("Catatan untuk %(n)s", n=name) }}|{{ _("Pengguna") }}')
    with app.test_request_context("/"), force_locale("id"):
        for _ in range(2):  # the second render answers from what the first kept
            assert escaped.render(name="<b>Ani</b>") == "Catatan untuk &lt;b&gt;Ani&lt;/b&gt;|100% aman|Pengguna|1 2"
            assert plain.render(name="<b>Ani</b>") == "Catatan untuk <b>Ani</b>|Pengguna"
        with force_locale("en"):
            assert escaped.render(name="Ani").endswith("|Users|1 2")
            assert plain.render(name="<b>Ani</b>") == "Note for <b>Ani</b>|Users"


def test_macros_imported_by_templates_follow_the_language_of_each_request(app):
    """Jinja keeps a macro module imported by a template across renders: its texts must still be translated in the
    language of the render that calls it (a first version of template_gettext kept the catalog per render and
    showed the first request's language in every later page's pagination)."""
    from flask import render_template_string
    from flask_babel import force_locale

    source = '{% from "_macros.html" import pagination %}{{ pagination(1, 3, "admin.users", {}) }}'
    with app.test_request_context("/"):
        with force_locale("id"):
            assert "Berikutnya" in render_template_string(source)
        with force_locale("en"):
            html = render_template_string(source)
            assert "Next" in html and "Berikutnya" not in html
        with force_locale("id"):
            assert "Berikutnya" in render_template_string(source)


def test_texts_kept_per_catalog_are_bounded(app, monkeypatch):
    """A template translating a variable (`_(title)`) must not grow what template_gettext keeps without end."""
    from flask_babel import force_locale

    from portal import i18n

    monkeypatch.setattr(i18n, "_MEMO_MAX", 50)
    template = app.jinja_env.from_string("{% for n in range(200) %}{{ _('teks %d' % n) }}|{% endfor %}")
    with app.test_request_context("/"), force_locale("id"):
        # the catalog is shared by every test of this process: start its kept texts empty (restored afterwards)
        monkeypatch.setattr(i18n._translations(), i18n._MEMO, {}, raising=False)
        assert template.render().startswith("teks 0|teks 1|")
        assert template.render().count("|") == 200  # every text still translated, kept or not
        assert len(getattr(i18n._translations(), i18n._MEMO)) <= 50
