"""The one reader of tabular files for every importer: CSV in whatever encoding and separator Excel or LibreOffice
wrote it, or XLSX directly.

    table = tabular.read_table(raw, filename, required=("nama",), optional=("nip", "email"))
    for row in table.rows:  # row.number is the row as the spreadsheet shows it (the header is row 1)
        row.values["nama"]
    preview.notes.append(table.description)  # "Dibaca sebagai: Windows-1252, pemisah titik koma"

- Encoding: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode Text", tab separated) or without, and
  otherwise the 8-bit code page charset-normalizer settles on among Windows-1252 and Latin-1 (Excel in the Indonesian
  locale saves plain "CSV" as Windows-1252).
- Separator: comma, semicolon or tab, whichever makes the header carry the expected columns (and the rows agree);
  an Excel `sep=;` first line is honoured.
- XLSX: the first sheet, through openpyxl in read-only mode, after a check of the archive's unpacked size.
- Row numbers count records, not physical lines: a newline inside a quoted cell does not shift them, blank rows do
  count (as in the spreadsheet). Newlines inside cells become "\\n"; values are stripped.
- A row with more cells than the header: when the last column is multi-valued (`multi`, e.g. roles written
  `employee;supervisor` unquoted in a semicolon file) the extra cells join it; otherwise the row is reported in
  `table.problems` (the importer adds those to its errors).
- Anything unreadable (empty, binary, an old .xls, too large, too many rows, missing columns) raises DomainError with
  an Indonesian message.
"""

import codecs
import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.errors import DomainError
from portal.i18n import ngettext

MAX_ROWS = 50_000
MAX_BYTES = 30 * 1024 * 1024
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a zip bomb stops here, long before openpyxl sees it
DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_ROWS = 10  # how far down a header may sit under title rows
MULTI_SEPARATORS = re.compile(r"[,;|]")

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": _l("UTF-8 dengan BOM"),
    "utf-16": _l("UTF-16 (Unicode Text)"),
    "utf-16-le": _l("UTF-16 (Unicode Text)"),
    "utf-16-be": _l("UTF-16 (Unicode Text)"),
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1 (ISO-8859-1)",
}
DELIMITER_NAMES = {",": _l("pemisah koma"), ";": _l("pemisah titik koma"), "\t": _l("pemisah tab")}

_SIGNATURES = (  # files people pick by mistake, named so the message can say what they picked
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
)


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it: the header is row 1, the first data row usually 2
    values: dict  # column name → text ("" when absent)


@dataclass
class Table:
    rows: list = field(default_factory=list)
    columns: list = field(default_factory=list)  # the header as found (normalised names)
    labels: list = field(default_factory=list)  # the same header as written in the file (for messages and mappings)
    format: str = "csv"  # "csv" or "xlsx"
    encoding: str | None = None  # a Python codec name for CSV
    delimiter: str | None = None
    sheet: str | None = None  # XLSX: the sheet that was read
    problems: list = field(default_factory=list)  # (row number, message): rows the reader could not take as they are

    @property
    def description(self):
        """How the file was read, for the preview: "Dibaca sebagai: Windows-1252, pemisah titik koma"."""
        if self.format == "xlsx":
            return _("Dibaca sebagai: XLSX, lembar %(sheet)s", sheet=self.sheet or "1")
        return _("Dibaca sebagai: %(encoding)s, %(delimiter)s",
                 encoding=str(ENCODING_NAMES.get(self.encoding, self.encoding)),
                 delimiter=str(DELIMITER_NAMES.get(self.delimiter, self.delimiter)))


def normalise_header(name):
    """"Unit Kode", " unit-kode ", "UNIT_KODE*" → "unit_kode"."""
    name = str(name or "").replace("\ufeff", "").strip().lower().rstrip("*").strip()
    return re.sub(r"[\s\-]+", "_", name)


def split_multi(value):
    """The items of a multi-valued cell, separated by `,` `;` or `|`: "humas; trainer|admin" → 3 items."""
    return [item.strip() for item in MULTI_SEPARATORS.split(value or "") if item.strip()]


def clean_cell(value):
    """A cell's text: newlines as "\\n", no surrounding blanks, no non-breaking spaces."""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").strip()


def one_line(value):
    """Text meant to be one line (a name, an agency): every run of blanks and newlines becomes one space."""
    return " ".join((value or "").split())


# --- the one entry point ---------------------------------------------------------------------------------------------

def read_table(raw, filename="", *, required=(), optional=(), multi=(), max_rows=MAX_ROWS, max_bytes=MAX_BYTES,
               all_columns=False):
    """Read `raw` (bytes of a CSV or XLSX file; `filename` only helps the messages) into a Table whose rows carry
    the `required` and `optional` columns, or with `all_columns` every column the header names (for files whose
    columns are known only once read, such as the platforms' exports). Raises DomainError when the file cannot be
    read at all."""
    if not raw or not raw.strip():
        raise DomainError(_("Berkas kosong."))
    if len(raw) > max_bytes:
        raise DomainError(_("Berkas terlalu besar: paling besar %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    wanted = tuple(required) + tuple(c for c in optional if c not in required)
    if raw[:4] == b"PK\x03\x04":
        records, table = _xlsx_records(raw, filename)
    else:
        records, table = _csv_records(raw, filename, wanted)
    return _build(records, table, required, wanted, multi, max_rows, all_columns)


def count_rows(raw):
    """About how many data rows a readable file has (0 when it cannot be read): decides whether an import runs as a
    job. An XLSX sheet's own dimension answers without parsing every row."""
    if raw[:4] == b"PK\x03\x04":
        try:
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            rows = book.worksheets[0].max_row
            book.close()
            if rows:
                return max(rows - 1, 0)
        except Exception:  # noqa: S110 - a damaged workbook: the full read below says what is wrong
            pass
    try:
        return len(read_table(raw).rows)
    except DomainError:
        return 0


def estimate_rows(raw):
    """A quick upper estimate of the data rows (no parsing): an XLSX sheet's dimension, else the number of line
    breaks (a quoted line break counts too). Decides whether a file is checked in the request or by a job."""
    if raw[:4] == b"PK\x03\x04":
        return count_rows(raw)
    return raw.count(b"\n")


def _build(records, table, required, wanted, multi, max_rows, all_columns=False):
    """Header, then the data rows: (row number, cells) pairs in, Rows out."""
    # The header is the first non-empty row, unless a title row or two sit above it ("Daftar Peserta", a date):
    # then the first of the next few rows that holds every required column.
    records = iter(records)
    head = []  # (row number, cells, normalised names) of the first non-empty rows
    for number, cells in records:
        if any(str(c).strip() for c in cells):
            head.append((number, cells, [normalise_header(c) for c in cells]))
            if len(head) == HEADER_SEARCH_ROWS or all(c in head[-1][2] for c in required):
                break
    if not head:
        raise DomainError(_("Berkas kosong."))
    found = next((i for i, (_n, _c, names) in enumerate(head) if required and all(c in names for c in required)), 0)
    header = head[found][2]
    labels = [clean_cell(c) for c in head[found][1]]
    records = itertools.chain(((number, cells) for number, cells, _names in head[found + 1:]), records)
    while header and not header[-1]:
        header.pop()
    table.columns = header
    table.labels = labels[:len(header)]
    if all_columns:
        wanted = tuple(dict.fromkeys(name for name in header if name))
    missing = [c for c in required if c not in header]
    if missing:
        raise DomainError(_("Kolom wajib tidak ada: %(missing)s. Baris pertama harus berisi judul kolom: "
                            "%(expected)s.", missing=", ".join(missing), expected=", ".join(wanted)))
    index = {name: header.index(name) for name in wanted if name in header}
    spill = header[-1] if header and header[-1] in multi else None
    width = len(header)
    for number, cells in records:
        cells = [clean_cell(c) for c in cells]
        if not any(cells):
            continue
        if len(table.rows) >= max_rows:
            raise DomainError(_("Berkas terlalu besar: paling banyak %(n)d baris.", n=max_rows))
        extra = [c for c in cells[width:] if c]
        if extra:
            if spill:
                cells = cells[:width - 1] + [";".join(c for c in cells[width - 1:] if c)]
            else:
                table.problems.append((number, ngettext(
                    "Baris ini berisi %(num)s kolom, padahal judulnya %(m)d. Apit nilai yang memuat pemisah "
                    "dengan tanda kutip.",
                    "Baris ini berisi %(num)s kolom, padahal judulnya %(m)d. Apit nilai yang memuat pemisah "
                    "dengan tanda kutip.", width + len(extra), m=width)))
        table.rows.append(Row(number, {name: (cells[i] if i < len(cells) else "") for name, i in index.items()}
                              | {name: "" for name in wanted if name not in index}))
    if not table.rows:
        raise DomainError(_("Berkas tidak berisi baris data."))
    return table


# --- CSV ----------------------------------------------------------------------------------------------------------

def _csv_records(raw, filename, wanted):
    text, encoding = decode(raw, filename)
    table = Table(format="csv", encoding=encoding)
    if match := re.match(r"sep=(.)\r?\n", text[:8], re.IGNORECASE):  # Excel's "sep=;" line: Excel hides it
        table.delimiter, text = match.group(1), text[match.end():]
    else:
        table.delimiter = sniff_delimiter(text, wanted, default="\t" if encoding.startswith("utf-16") else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter)

    def records():
        number = 0
        try:
            for cells in reader:
                number += 1
                yield number, cells
        except csv.Error as error:
            raise DomainError(_("CSV rusak di baris %(line)d: %(error)s", line=number + 1, error=str(error))) from None

    return records(), table


def decode(raw, filename=""):
    """(text, codec name) of a text file; DomainError for binary data."""
    _refuse_known_binary(raw, filename)
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = _utf16_without_bom(raw)
    if encoding is None:
        if b"\x00" in raw[:65536]:
            raise _binary()
        try:
            raw.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as error:
            if error.start >= len(raw) - 3 and error.reason == "unexpected end of data":
                encoding = "utf-8"  # only the file's last character was cut: keep the rest
            else:
                encoding = _eight_bit(raw)
    try:
        text = raw.decode(encoding, errors="strict" if encoding != "utf-8" else "replace")
    except UnicodeDecodeError:
        raise _binary() from None
    if "\x00" in text or _mostly_control(text[:65536]):
        raise _binary()
    return text, encoding


def _binary():
    return DomainError(_("Berkas ini bukan CSV teks atau XLSX (berisi data biner). Simpan dari Excel sebagai "
                         "\"CSV\", \"CSV UTF-8\", \"Unicode Text\" atau \"Excel Workbook (.xlsx)\"."))


def _refuse_known_binary(raw, filename):
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError(_("Ini berkas Excel lama (.xls). Simpan ulang sebagai \"Excel Workbook (.xlsx)\" atau CSV."))
    for signature, kind in _SIGNATURES:
        if raw.startswith(signature):
            raise DomainError(_("Berkas ini bukan CSV teks atau XLSX, melainkan %(kind)s.", kind=kind))


def _utf16_without_bom(raw):
    """UTF-16 text without a BOM shows as NULs in every other byte (our columns are mostly ASCII)."""
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _eight_bit(raw):
    """Windows-1252 (what Excel writes in Indonesia) when charset-normalizer finds it reads as text; otherwise
    Latin-1, which decodes any byte (binary data is refused afterwards by its share of control characters)."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:1_000_000], cp_isolation=["cp1252", "latin_1"], threshold=0.5).best()
    return "cp1252" if best is not None and best.encoding == "cp1252" else "latin_1"


def _mostly_control(text):
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    return control > max(8, len(text) // 100)


def sniff_delimiter(text, wanted=(), default=","):
    """Comma, semicolon or tab: the one whose header holds the most expected columns, then whose rows agree in
    width with the header, then the widest header."""
    sample = text[:64 * 1024]
    best, best_score = default, None
    for delimiter in DELIMITERS:
        if delimiter not in sample:
            continue
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            rows = [r for _i, r in zip(range(30), reader, strict=False) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not rows:
            continue
        header = [normalise_header(c) for c in rows[0]]
        matches = max(sum(1 for c in wanted if normalise_header(c) in {normalise_header(v) for v in r})
                      for r in rows[:HEADER_SEARCH_ROWS])
        agree = sum(1 for r in rows[1:] if len(r) == len(rows[0]))
        score = (matches, len(header) > 1, agree, len(header))
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


# --- XLSX ---------------------------------------------------------------------------------------------------------

def _xlsx_records(raw, filename):
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = archive.namelist()
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DomainError(_("Berkas XLSX rusak atau tidak lengkap.")) from None
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise DomainError(_("Ini berkas OpenDocument (.ods). Simpan ulang sebagai .xlsx atau CSV."))
        raise DomainError(_("Berkas ini bukan CSV teks atau XLSX (berkas ZIP lain)."))
    if unpacked > MAX_XLSX_UNPACKED or len(names) > 10_000:
        raise DomainError(_("Berkas XLSX terlalu besar setelah dibuka."))
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many kinds (KeyError, XML errors, ...) for a damaged workbook
        raise DomainError(_("Berkas XLSX rusak atau tidak bisa dibaca.")) from None
    table = Table(format="xlsx", sheet=sheet.title)

    def records():
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [xlsx_text(v) for v in cells]
        except DomainError:
            raise
        except Exception:
            raise DomainError(_("Berkas XLSX rusak atau tidak bisa dibaca.")) from None
        finally:
            book.close()

    return records(), table


def xlsx_text(value):
    """A cell's value as the text a person sees in it. Big numbers (an 18-digit NIP typed into a number cell) keep
    Excel's scientific look, so the importer can say what happened instead of importing wrong digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**15 else f"{value:.14E}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if abs(value) >= 1e15:
            return f"{value:.14E}"
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute, value.second) != (0, 0, 0) \
            else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# --- templates ------------------------------------------------------------------------------------------------------

def template(columns, fmt, help_rows=(), sheet_title="Data"):
    """An empty file to fill in: the header of `columns`, and for XLSX every column formatted as text (so Excel
    keeps NIPs and phone numbers as typed) and a second sheet "Petunjuk" with `help_rows` ((column, meaning))."""
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(columns)
        return buffer.getvalue().encode("utf-8")
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(list(columns))
    for index, _name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 24
        sheet.column_dimensions[letter].number_format = "@"
        sheet.cell(row=1, column=index).font = Font(bold=True)
        for row in range(2, 502):  # column styles alone do not reach every spreadsheet program: format the cells
            sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    if help_rows:
        notes = book.create_sheet(str(_("Petunjuk"))[:31])
        notes.append([str(_("Kolom")), str(_("Isi"))])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        for name, meaning in help_rows:
            notes.append([name, str(meaning)])
        notes.column_dimensions["A"].width = 18
        notes.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(body, filename, fmt):
    """A template (or any file made here) as an attachment; `filename` has no extension."""
    from flask import Response

    from portal.exports import XLSX_MIMETYPE

    response = Response(body, mimetype=XLSX_MIMETYPE if fmt == "xlsx" else "text/csv")
    if fmt != "xlsx":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
