"""Small helpers shared by the content services: ISO weeks and months from the URL, text keys, tags."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from portal.errors import DomainError
from portal.timezone import today_wib

WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_CAPTION = 5000


@dataclass(frozen=True)
class Week:
    monday: date

    @property
    def days(self):
        return [self.monday + timedelta(days=n) for n in range(7)]

    @property
    def sunday(self):
        return self.monday + timedelta(days=6)

    @property
    def code(self):
        year, week, _day = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def previous(self):
        return Week(self.monday - timedelta(days=7))

    @property
    def next(self):
        return Week(self.monday + timedelta(days=7))


def week_of(day):
    return Week(day - timedelta(days=day.weekday()))


def parse_week(raw, today):
    """`?minggu=2026-W48` -> Week; empty -> the week of `today`; anything else -> DomainError with a clear message."""
    if raw is None or not raw.strip():
        return week_of(today)
    match = WEEK_RE.match(raw)
    if match:
        year, number = int(match.group(1)), int(match.group(2))
        if MIN_YEAR <= year <= MAX_YEAR:
            try:
                return Week(date.fromisocalendar(year, number, 1))
            except ValueError:
                raise DomainError(_("Tahun %(year)d tidak punya minggu ke-%(week)d. Pilih minggu 1 sampai %(last)d.",
                                    year=year, week=number,
                                    last=date(year, 12, 28).isocalendar()[1])) from None
    raise DomainError(_("Minggu \"%(raw)s\" tidak dikenal. Tulis minggu ISO seperti %(example)s (tahun, W, nomor "
                        "minggu) antara tahun %(low)d dan %(high)d.", raw=raw.strip()[:20],
                        example=week_of(today).code, low=MIN_YEAR, high=MAX_YEAR))


def parse_month(raw, default):
    """`?bulan=2026-11` -> the first day of that month; empty -> `default`; else DomainError."""
    if raw is None or not raw.strip():
        return default
    match = MONTH_RE.match(raw)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12:
            return date(year, month, 1)
    example = default or today_wib()  # the import form's optional month has no default: this month as the example
    raise DomainError(_("Bulan \"%(raw)s\" tidak dikenal. Tulis bulan seperti %(example)s.", raw=raw.strip()[:20],
                        example=example.strftime("%Y-%m")))


def month_end(first):
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def add_months(first, n):
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def text_key(value):
    """Lower case, accents folded, punctuation and repeated spaces removed: "Hari Guru!" == "hari  guru"."""
    value = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", value.lower()).split())[:200]


def parse_tags(raw):
    """ "#HariGuru, layanan publik" -> "hariguru,layanan publik" (normalised, unique, at most 10)."""
    tags = []
    for part in re.split(r"[,;\n]", raw or ""):
        tag = text_key(part.replace("#", ""))[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return ",".join(tags[:10])


def tag_list(stored):
    return [t for t in (stored or "").split(",") if t]


def clean_line(value, limit):
    """One line of user text: control characters removed, spaces collapsed, cut to `limit`."""
    value = "".join(ch for ch in (value or "") if ch.isprintable())
    return " ".join(value.split())[:limit]


def clean_text(value):
    """Multi-line user text: control characters except newlines and tabs removed, line ends normalised."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()
