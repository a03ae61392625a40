"""What the platforms' own exports look like and how their cells read, for both kinds of import (a post per line,
portal/content/import_posts.py; an account's days or months, portal/content/import_accounts.py).

The file itself is read by the one shared reader (portal/tabular.py: encoding, separator, XLSX). Here: the column
mapping (a typed mapping first, then the one remembered for the account, then the platform's preset, then the
general list of English and Indonesian headers), the platform a file comes from, the number locale decided from the
file ("1.234" Indonesian or "1,234" English both mean 1234), numbers, dates and permalinks.
"""

import json
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from urllib.parse import urlsplit

from flask_babel import gettext as _

from portal import tabular
from portal.content.common import text_key
from portal.errors import DomainError
from portal.i18n import ngettext
from portal.models import ContentImportMapping, utcnow
from portal.timezone import WIB

MAX_ROWS = 50_000
SUMMARY_WORDS = {"total", "jumlah", "totals", "grand total"}
FAMILY = {"Instagram": "meta", "Facebook": "meta", "Threads": "meta", "X": "x", "YouTube": "youtube",
          "TikTok": "tiktok"}
FAMILY_LABELS = {"meta": "Meta Business Suite (Instagram/Facebook)", "x": "X", "youtube": "YouTube Studio",
                 "tiktok": "TikTok"}
ID_MONTHS = {"jan": "Jan", "feb": "Feb", "mar": "Mar", "apr": "Apr", "mei": "May", "jun": "Jun", "jul": "Jul",
             "agu": "Aug", "agt": "Aug", "sep": "Sep", "okt": "Oct", "nov": "Nov", "des": "Dec"}
MONTH_NUMBERS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "mei": 5, "jun": 6, "jul": 7, "aug": 8, "agu": 8,
                 "agt": 8, "sep": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "des": 12}
INDONESIAN_HEADERS = {"jangkauan", "tayangan", "suka", "komentar", "dibagikan", "disimpan", "waktu publikasi",
                      "tanggal", "pengikut", "pengikut baru", "postingan", "unggahan"}

ID_NUMBER = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$|^\d+,\d{1,2}$")
EN_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+\.\d{1,2}$")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
                "%b %d, %Y %H:%M", "%b %d, %Y", "%d %b %Y %H:%M", "%d %b %Y", "%d %B %Y", "%B %d, %Y")


def read(raw):
    """The file as a tabular.Table with every column (header as written in `labels`); DomainError when it cannot
    be read (empty, binary, damaged, more than MAX_ROWS lines)."""
    return tabular.read_table(raw, all_columns=True, max_rows=MAX_ROWS)


def cells_of(table, row):
    """A row's cells in header order (a tabular Row keeps them by normalised column name)."""
    return [row.values.get(name, "") for name in table.columns]


# --- columns --------------------------------------------------------------------------------------------------------

def detect_mapping(labels, fields, headers, preset=None, remembered=None, override=None):
    """header (as written) -> field for the columns we know, among `fields`: typed mapping first, then the
    account's remembered one, then the platform `preset`, then the general `headers` (field -> synonyms).
    A remembered or typed target that is not one of `fields` (it belongs to the other kind of file) is passed over.
    Unknown columns are left out; each field is taken by its first column."""
    preset = preset or {}
    general = {syn: name for name, synonyms in headers.items() for syn in synonyms}
    sources = [{text_key(k): v for k, v in (source or {}).items()} for source in (override, remembered)]
    mapping, taken = {}, set()
    for column in labels:
        key = text_key(column)
        if not key:
            continue
        target = next((source[key] for source in sources if source.get(key) in fields), None)
        if target is None:
            target = preset[key] if key in preset else general.get(key)
        if target in fields and target not in taken:
            mapping[column] = target
            taken.add(target)
    return mapping


def parse_mapping_text(text, labels):
    """ "Jangkauan = reach" lines -> {header: field}; `labels` maps each field to its name in the interface
    language, which may be typed instead of the field. A line naming an unknown field is a DomainError."""
    mapping = {}
    by_label = {str(label).lower(): name for name, label in labels.items()}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise DomainError(_("Pemetaan baris %(n)d: tulis \"Judul kolom = nama isian\".", n=number))
        column, target = (part.strip() for part in line.split("=", 1))
        target = by_label.get(target.lower(), target.lower())
        if target not in labels:
            raise DomainError(_("Pemetaan baris %(n)d: isian \"%(f)s\" tidak dikenal. Pilih salah satu: %(all)s.",
                                n=number, f=target[:40], all=", ".join(labels)))
        mapping[column] = target
    return mapping


def remembered_mapping(session, account_id):
    row = session.get(ContentImportMapping, account_id)
    try:
        return json.loads(row.mapping) if row else {}
    except ValueError:
        return {}


def remember_mapping(session, account_id, mapping):
    """Keep the columns an import used for the next file of the account (both kinds of file share one record:
    a column's remembered target only counts for the kind it belongs to)."""
    stored = session.get(ContentImportMapping, account_id) or ContentImportMapping(account_id=account_id)
    merged = {**remembered_mapping(session, account_id), **mapping}
    stored.mapping, stored.updated_at = json.dumps(merged, ensure_ascii=False), utcnow()
    session.add(stored)


def family_of(labels, signatures):
    """The platform family whose own headers the file carries ("meta", "x", ...), or None when it does not say:
    at least `signatures[family][1]` of its distinctive headers, and more than any other family."""
    keys = {text_key(c) for c in labels}
    scores = {family: len(keys & heads) for family, (heads, _minimum) in signatures.items()}
    best = max(scores, key=scores.get)
    ahead = all(score < scores[best] for family, score in scores.items() if family != best)
    return best if scores[best] >= signatures[best][1] and ahead else None


def refuse_other_platform(labels, account, signatures):
    found = family_of(labels, signatures)
    expected = FAMILY.get(account.platform)
    if found and expected and found != expected:
        raise DomainError(_("Berkas ini tampaknya ekspor %(found)s, bukan %(platform)s. Pilih akun yang sesuai atau "
                            "unggah ekspor %(platform)s.", found=FAMILY_LABELS[found], platform=account.platform))


def is_summary(cells, *texts):
    first = str(cells[0]).strip().lower() if cells else ""
    return first in SUMMARY_WORDS or any(len(str(t)) <= 20 and text_key(str(t)) in SUMMARY_WORDS for t in texts)


# --- numbers --------------------------------------------------------------------------------------------------------

def decide_locale(cells, labels):
    """'id' or 'en', and why, from the numbers in the metric columns; the header language when they do not say."""
    id_seen = en_seen = 0
    for value in cells:
        if not isinstance(value, str):
            continue
        value = value.strip().replace("\u00a0", "").replace(" ", "")
        if ID_NUMBER.match(value):
            id_seen += 1
        elif EN_NUMBER.match(value):
            en_seen += 1
    if id_seen and en_seen:
        raise DomainError(_("Angka di berkas ini memakai dua format sekaligus (1.234 dan 1,234). Ekspor ulang dengan "
                            "satu pengaturan bahasa."))
    if id_seen:
        return "id", _("Angka dibaca dengan format Indonesia: titik pemisah ribuan (1.234 = seribu dua ratus tiga "
                       "puluh empat).")
    if en_seen:
        return "en", _("Angka dibaca dengan format Inggris: koma pemisah ribuan (1,234 = seribu dua ratus tiga puluh "
                       "empat).")
    indonesian = any(text_key(c) in INDONESIAN_HEADERS for c in labels)
    return ("id" if indonesian else "en"), _("Angka di berkas ini tanpa pemisah ribuan; tidak ada yang perlu "
                                            "ditafsirkan.")


def parse_number(value, locale):
    """A count >= 0, None for an empty cell; DomainError otherwise."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "-", "–")):
        return None
    if isinstance(value, bool):
        raise DomainError(_("bukan angka"))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if locale == "id":
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise DomainError(_("\"%(v)s\" bukan angka", v=str(value)[:30])) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DomainError(_("bukan angka"))
    if number < 0:
        raise DomainError(_("angka negatif (%(v)s) tidak mungkin untuk metrik", v=str(value)[:30]))
    if number > 2_000_000_000:
        raise DomainError(_("angka terlalu besar (%(v)s)", v=str(value)[:30]))
    return int(round(number))


# --- dates and links ------------------------------------------------------------------------------------------------

def parse_when(value, locale):
    """A moment as aware WIB (a date alone is its midnight); DomainError when it cannot be read."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=WIB) if value.tzinfo is None else value.astimezone(WIB)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=WIB)
    text = " ".join(str(value or "").split())
    if not text:
        raise DomainError(_("waktu publikasi kosong"))
    zone = WIB
    offset = re.search(r"\s*(?:([+-])(\d{2}):?(\d{2})|Z|UTC)$", text)
    if offset:
        if offset.group(1):
            minutes = int(offset.group(2)) * 60 + int(offset.group(3))
            zone = timezone(timedelta(minutes=minutes if offset.group(1) == "+" else -minutes))
        else:
            zone = UTC
        text = text[:offset.start()].strip()
    words = text.split(" ")
    words = [ID_MONTHS.get(w.lower().rstrip(".")[:3], w) if w[:1].isalpha() else w for w in words]
    text = " ".join(words)
    slash = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:,?\s+(\d{1,2})[:.](\d{2}))?", text)
    try:
        if slash:
            a, b, year = int(slash.group(1)), int(slash.group(2)), int(slash.group(3))
            month, day = (a, b) if locale == "en" and a <= 12 else (b, a)
            if a > 12:
                day, month = a, b
            hour, minute = int(slash.group(4) or 0), int(slash.group(5) or 0)
            return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(WIB)
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=zone).astimezone(WIB)
            except ValueError:
                continue
    except ValueError:
        pass
    raise DomainError(_("waktu publikasi \"%(v)s\" tidak dapat dibaca", v=str(value)[:40]))


def parse_day(value, locale):
    """(date, whole month?) of an account export's date cell: a day ("2026-10-05", "05/10/2026", "5 Okt 2026")
    or a whole month ("2026-10", "10/2026", "Oktober 2026", "Oct 2026", then the 1st). DomainError otherwise."""
    text = " ".join(str(value or "").split()).rstrip(".")
    if not text:
        raise DomainError(_("tanggal kosong"))
    numeric = re.fullmatch(r"(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4})", text)
    named = re.fullmatch(r"([A-Za-z]+)\.?,?\s+(\d{4})", text)
    try:
        if numeric:
            year, month = (numeric.group(1), numeric.group(2)) if numeric.group(1) else (numeric.group(4),
                                                                                         numeric.group(3))
            return date(int(year), int(month), 1), True
        if named and named.group(1).lower()[:3] in MONTH_NUMBERS:
            return date(int(named.group(2)), MONTH_NUMBERS[named.group(1).lower()[:3]], 1), True
        return parse_when(text, locale).date(), False
    except (ValueError, DomainError):
        raise DomainError(_("tanggal \"%(v)s\" tidak dapat dibaca", v=str(value)[:40])) from None


def normal_url(url):
    """Permalinks compare without scheme, query, fragment, "www." and trailing slash, case-insensitively."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    return f"{host}{parts.path.rstrip('/')}".lower()[:500]


def refuse_unless_ok(preview):
    """An import writes nothing when any line is bad: a DomainError that says how many."""
    if not preview.ok:
        raise DomainError(ngettext("Berkas berisi %(num)s baris bermasalah; tidak ada yang disimpan.",
                                   "Berkas berisi %(num)s baris bermasalah; tidak ada yang disimpan.",
                                   len(preview.errors)))
