"""One set of date, time and number formats for every page and message, in the interface language.

Indonesian writes times with a dot and decimals with a comma ("15.18 WIB", "46,7"); English with a colon and a point
("15:18 WIB", "46.7"). Templates use the filters registered from `FILTERS`; Python code that builds a message uses
the same functions, so no page formats a date or number its own way.
"""

import functools

from babel.dates import format_time
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from markupsafe import Markup, escape

from portal.timezone import to_wib

TIME = {"id": "HH.mm", "en": "HH:mm"}
DATE = {"long": "d MMMM yyyy", "medium": "d MMM yyyy", "short": "d MMM", "weekday": "EEEE, d MMMM yyyy"}
EMPTY = "–"


def _language():
    locale = get_locale()
    return locale.language if locale is not None else "id"


def time_pattern(locale=None):
    """HH.mm or HH:mm for `locale` (default: the interface's)."""
    language = locale.language if locale is not None else _language()
    return TIME.get(language, TIME["en"])


def fmt_date(value, style="long"):
    """A date (or the date of a datetime, in WIB): style long, medium, short or weekday."""
    if value is None:
        return EMPTY
    if hasattr(value, "hour"):
        value = to_wib(value)
    return _date_text(value, style, get_locale())


def _date_text(day, style, locale):
    """`day` in one of the DATE styles, written out from `locale`'s month and day names (Babel's pattern formatter,
    with Flask-Babel's time zone and locale lookups, cost ~35 µs a call, and the handbook's editing page prints 500
    dates); another pattern goes to Babel."""
    names = _date_names(str(locale)) if locale is not None and style in DATE else None
    if names is None:
        return format_date(day, DATE.get(style, style))
    months, short_months, weekdays = names
    if style == "short":
        return f"{day.day} {short_months[day.month]}"
    if style == "medium":
        return f"{day.day} {short_months[day.month]} {day.year:04d}"
    text = f"{day.day} {months[day.month]} {day.year:04d}"
    return f"{weekdays[day.weekday()]}, {text}" if style == "weekday" else text


@functools.cache
def _date_names(locale_name):
    """(month names, abbreviated month names, weekday names from Monday) of `locale_name`, as Babel's patterns
    write them (MMMM, MMM, EEEE)."""
    from babel import Locale

    locale = Locale.parse(locale_name)
    return (locale.months["format"]["wide"], locale.months["format"]["abbreviated"],
            [locale.days["format"]["wide"][n] for n in range(7)])


def fmt_time(value):
    """The time of a UTC datetime (naive ones are UTC) in WIB, without the zone: "15.18" / "15:18". Written out from
    the hour and minute rather than through Babel's pattern formatter, which cost ~70 µs a call: a roster of 50 rows
    shows one per row."""
    if value is None:
        return EMPTY
    local = to_wib(value)  # the interface's zone (portal/__init__.py: timezone_selector), without Babel's lookups
    return f"{local.hour:02d}{time_pattern()[2]}{local.minute:02d}"  # the pattern is HH<separator>mm


def fmt_clock(value):
    """The time of a datetime or time that is already in WIB (a wall-clock time, e.g. a planned post), unconverted."""
    if value is None:
        return EMPTY
    clock = value.time() if hasattr(value, "time") else value
    return format_time(clock, time_pattern(), locale=get_locale())


def fmt_datetime(value, style="medium", zone=True):
    """A UTC datetime in WIB: "26 Nov 2026, 15.18 WIB" (style long, medium, short or weekday for the date part)."""
    if value is None:
        return EMPTY
    locale = get_locale()
    clock = time_pattern(locale)
    if style not in DATE:
        text = format_datetime(value, f"{style}, {clock}")
    else:
        local = to_wib(value)
        text = f"{_date_text(local, style, locale)}, {local.hour:02d}{clock[2]}{local.minute:02d}"
    return f"{text} WIB" if zone else text


def fmt_number(value, digits=0, fixed=False):
    """A number with up to `digits` decimals (exactly `digits` when fixed), grouped for the locale: 1.234,5 /
    1,234.5."""
    if value is None:
        return EMPTY
    if type(value) is int:  # a count: grouped by Python, in the locale's symbols (Babel's formatter ~40 µs a call)
        locale = get_locale()
        symbols = _integer_symbols(str(locale)) if locale is not None else None
        if symbols is not None:
            return f"{value:,}".translate(symbols)
    if value and not round(value, digits):
        value = 0  # -0.001 at two decimals is "0", not "-0"
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * digits if digits else "")
    return format_decimal(value, format=pattern)


@functools.cache
def _integer_symbols(locale_name):
    """str.translate's table from Python's grouped integer ("-1,234") to `locale_name`'s, or None when the locale
    groups otherwise (Babel formats those)."""
    from babel.numbers import format_decimal as babel_format_decimal
    from babel.numbers import get_group_symbol, get_minus_sign_symbol

    table = {ord(","): get_group_symbol(locale_name), ord("-"): get_minus_sign_symbol(locale_name)}
    probes = (-1234567, 0, 999, 1000, 123456789012)
    same = all(f"{n:,}".translate(table) == babel_format_decimal(n, format="#,##0", locale=locale_name)
               for n in probes)
    return table if same else None


def fmt_percent(value, digits=0):
    """A percentage given as 0–100: "46,7%" / "46.7%"."""
    if value is None:
        return EMPTY
    return fmt_number(value, digits) + "%"


def options(choices, selected=None):
    """<option> elements for [(value, label)], the one equal to `selected` (or those in it, a set) marked: joined in
    Python, because a Jinja loop over a few hundred units cost more than the rest of the admin user search's page;
    the escaped pieces are kept per list of choices (escaping 300 units' values and labels was 1 ms a page)."""
    pieces = _escaped_options(tuple(choices))
    marked = (lambda value: value in selected) if isinstance(selected, set | frozenset) else \
        (lambda value: value == selected)
    return Markup("".join(  # noqa: S704  # nosec B704  # every value and label escaped in _escaped_options
        f'{head}{" selected" if marked(value) else ""}{tail}' for value, head, tail in pieces))


@functools.lru_cache(maxsize=32)
def _escaped_options(choices):
    return tuple((value, f'<option value="{escape(value)}"', f">{escape(label)}</option>") for value, label in choices)


FILTERS = {
    "date": fmt_date,
    "time": fmt_time,
    "clock": fmt_clock,
    "datetime": fmt_datetime,
    "number": fmt_number,
    "percent": fmt_percent,
    "options": options,
}
