"""portal/exports.py: typed XLSX cells, CSV for Indonesian Excel, formulas never evaluated."""

import csv
import io
from datetime import UTC, date, datetime

import openpyxl

from portal import exports

COLS = exports.columns(["nip", "nama", "nilai", "waktu", "tanggal", "telepon"], [22, 30, 8, 18, 12, 16])
ROWS = [["198501012015011001", "=SUM(A1)", 87.5, datetime(2026, 11, 26, 1, 30, tzinfo=UTC), date(2026, 11, 26),
         "+62 811 1234 567"], ["199001012015011002", None, 0, None, None, "@cmd"]]


def test_xlsx_keeps_types_and_never_makes_formulas():
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(COLS, ROWS, "Nilai: kuis/2026?"))).active
    assert sheet.title == "Nilai- kuis-2026-"
    assert [c.value for c in sheet[1]] == ["nip", "nama", "nilai", "waktu", "tanggal", "telepon"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F3"
    assert sheet["A2"].value == "198501012015011001" and sheet["A2"].data_type == "s"  # an 18-digit NIP stays text
    assert sheet["B2"].value == "=SUM(A1)" and sheet["B2"].data_type == "s"
    assert sheet["C2"].value == 87.5
    assert sheet["D2"].value == datetime(2026, 11, 26, 8, 30)  # WIB
    assert sheet["E2"].value == datetime(2026, 11, 26, 0, 0)
    assert sheet["F2"].value == "+62 811 1234 567" and sheet["F3"].value == "@cmd"
    assert sheet["B3"].value is None and sheet["C3"].value == 0


def test_csv_has_a_bom_semicolons_and_guards_formulas():
    text = exports.to_csv(COLS, ROWS).decode("utf-8")
    assert text.startswith("\ufeffnip;nama;")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[1] == ["198501012015011001", "'=SUM(A1)", "87.5", "2026-11-26 08:30", "2026-11-26",
                       "'+62 811 1234 567"]
    assert rows[2][1] == "" and rows[2][5] == "'@cmd"
    assert exports.to_csv(COLS, ROWS, delimiter=",").decode().startswith("\ufeffnip,nama,")


def test_download_sets_type_and_name(app):
    with app.test_request_context():
        csv_response = exports.download(COLS, ROWS, "csv", "laporan")
        xlsx_response = exports.download(COLS, ROWS, "xlsx", "laporan")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.headers["Content-Disposition"] == 'attachment; filename="laporan.csv"'
    assert xlsx_response.mimetype == exports.XLSX_MIMETYPE
