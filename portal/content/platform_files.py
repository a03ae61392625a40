"""Reading the platforms' own exports (CSV or XLSX): the one function that turns a file into header and rows.

Kept small and separate so that the shared CSV/XLSX reader (encoding and delimiter detection) can replace it.
"""

import csv
import io
import zipfile

from flask_babel import gettext as _

from portal.errors import DomainError

MAX_ROWS = 20_000


def read_table(raw):
    """(header, [(line number, [cells])], notes) from CSV (UTF-8 with or without BOM, UTF-16, Windows-1252; comma,
    semicolon or tab) or XLSX (the first sheet). Cells are strings, or numbers and datetimes from XLSX."""
    if not raw or not raw.strip():
        raise DomainError(_("Berkas kosong: tidak ada baris untuk diimpor."))
    if raw[:2] == b"PK":
        return _read_xlsx(raw)
    return _read_csv(raw)


def _decode(raw):
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "Windows-1252"


def _read_csv(raw):
    text, encoding = _decode(raw)
    sample = "\n".join(text.splitlines()[:5])
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    header = None
    for index, cells in enumerate(reader, start=1):
        if header is None:
            if any(c.strip() for c in cells):
                header = [c.strip() for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        rows.append((index, cells))
        if len(rows) > MAX_ROWS:
            raise DomainError(_("Berkas terlalu besar: lebih dari %(n)s baris. Ekspor per bulan, lalu impor satu "
                                "per satu.", n=f"{MAX_ROWS:,}".replace(",", ".")))
    if header is None:
        raise DomainError(_("Berkas kosong: tidak ada baris untuk diimpor."))
    names = {",": _("koma"), ";": _("titik koma"), "\t": _("tab")}
    return header, rows, [_("Dibaca sebagai CSV %(enc)s, dipisah %(sep)s.", enc=encoding, sep=names[delimiter])]


def _read_xlsx(raw):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise DomainError(_("Berkas tidak dapat dibaca sebagai XLSX maupun CSV.")) from None
    sheet = book.worksheets[0]
    header, rows = None, []
    for index, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = ["" if v is None else v for v in values]
        if header is None:
            if any(str(c).strip() for c in cells):
                header = [str(c).strip() for c in cells]
            continue
        if not any(str(c).strip() for c in cells):
            continue
        rows.append((index, cells))
        if len(rows) > MAX_ROWS:
            book.close()
            raise DomainError(_("Berkas terlalu besar: lebih dari %(n)s baris. Ekspor per bulan, lalu impor satu "
                                "per satu.", n=f"{MAX_ROWS:,}".replace(",", ".")))
    book.close()
    if header is None:
        raise DomainError(_("Berkas kosong: tidak ada baris untuk diimpor."))
    return header, rows, [_("Dibaca sebagai XLSX (lembar pertama: %(s)s).", s=sheet.title)]
