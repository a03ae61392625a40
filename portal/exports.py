"""Tables that people open in Excel or LibreOffice: CSV and XLSX from one description, for every pillar.

A table is a list of `Column`s and rows of plain Python values. Values keep their type: numbers stay numbers,
`date`s and `datetime`s become real dates (datetimes in WIB), text stays text. Text can never become a formula:
XLSX cells are written as strings (no apostrophe shows), and in CSV a text that a spreadsheet would evaluate
(`=`, `+`, `-`, `@`, tab, carriage return at the start) gets a leading apostrophe, the usual guard.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response

from portal.timezone import to_wib

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITERS = {"semicolon": ";", "comma": ","}


@dataclass(frozen=True)
class Column:
    header: str  # shown in the first row (a translated string)
    width: int = 16  # XLSX column width, in characters
    number_format: str | None = None  # XLSX format for numbers, e.g. "0.0"


def columns(headers, widths=None):
    """Columns from parallel lists of headers and widths."""
    widths = widths or [16] * len(headers)
    return [Column(str(h), w) for h, w in zip(headers, widths, strict=True)]


def _plain(value):
    """A value as the spreadsheet should hold it: WIB wall time for datetimes, str() for anything unknown."""
    if value is None or isinstance(value, bool | int | float | date):
        if isinstance(value, datetime):
            return to_wib(value).replace(tzinfo=None)
        return value
    return str(value)


def csv_safe(value):
    """Neutralise spreadsheet formulas in text bound for CSV (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_text(value):
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return csv_safe(value)


def to_csv(cols, rows, delimiter=";"):
    """UTF-8 with a BOM (Excel then reads it as UTF-8); `;` by default, as Excel in the Indonesian locale expects."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([c.header for c in cols])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(cols, rows, sheet_title):
    return to_xlsx_sheets([(sheet_title, cols, rows)])


def to_xlsx_sheets(sheets):
    """A workbook of several typed sheets: [(title, cols, rows)]; titles made valid and unique. Written in
    openpyxl's write-only mode: rows stream out as they come (50,000 rows took 5 s as ordinary cells)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used = set()
    for title, cols, rows in sheets:
        name = _sheet_title(title)
        while name.lower() in used:
            name = f"{name[:27]}-{len(used):03d}"
        used.add(name.lower())
        _fill_sheet(book.create_sheet(name), cols, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill_sheet(sheet, cols, rows):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    def typed(value, number_format=None, data_type=None, font=None):
        cell = WriteOnlyCell(sheet, value)
        if data_type:
            cell.data_type = data_type
        if number_format:
            cell.number_format = number_format
        if font:
            cell.font = font
        return cell

    for index, column in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([typed(c.header, data_type="s", font=bold) for c in cols])
    formats = [c.number_format for c in cols]
    count = 0
    for row in rows:
        out = []
        for position, raw in enumerate(row):
            value = _plain(raw)
            if isinstance(value, str):
                # text stays text, even "=1+1" (only a leading "=" would make openpyxl write a formula)
                out.append(typed(value, data_type="s") if value.startswith("=") else value)
            elif isinstance(value, datetime):
                out.append(typed(value, "yyyy-mm-dd hh:mm"))
            elif isinstance(value, date):
                out.append(typed(value, "yyyy-mm-dd"))
            elif formats[position] and isinstance(value, int | float) and not isinstance(value, bool):
                out.append(typed(value, formats[position]))
            else:
                out.append(value)
        sheet.append(out)
        count += 1
    if cols:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{count + 1}"


def _sheet_title(title):
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in str(title)).strip() or "Data"
    return cleaned[:31]


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(cols, rows, fmt, filename, sheet_title="Data", delimiter=";"):
    """A response with the table as an attachment: `fmt` is "csv" or "xlsx"; `filename` has no extension."""
    if fmt == "xlsx":
        body, mimetype = to_xlsx(cols, rows, sheet_title), XLSX_MIMETYPE
    else:
        body, mimetype, fmt = to_csv(cols, rows, delimiter), "text/csv", "csv"
    response = Response(body, mimetype=mimetype)
    if fmt == "csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
