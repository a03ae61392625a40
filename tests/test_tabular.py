"""The shared reader of tabular files (portal/tabular.py): files as Indonesian offices make them."""

import codecs
import io
import os
import zipfile
from datetime import datetime

import openpyxl
import pytest

from portal import tabular
from portal.accounts.validation import read_nip
from portal.errors import DomainError

COLUMNS = ("nama", "instansi", "peran")


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def read(raw, **kwargs):
    kwargs.setdefault("required", ("nama",))
    kwargs.setdefault("optional", ("instansi", "peran"))
    return tabular.read_table(raw, **kwargs)


def cells(table):
    return [(row.number, row.values) for row in table.rows]


def xlsx(rows, sheet="Data"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- encodings and separators -----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,encoding,delimiter,described", [
    pytest.param("nama;instansi\r\nJosé Ñúñez;Dinas Pariwisata – Café\r\n".encode("cp1252"), "cp1252", ";",
                 "Dibaca sebagai: Windows-1252, pemisah titik koma", id="excel-indonesia-cp1252"),
    pytest.param(codecs.BOM_UTF16_LE + "nama\tinstansi\r\nJosé Ñúñez\tDinas Pariwisata – Café\r\n"
                 .encode("utf-16-le"), "utf-16", "\t", "Dibaca sebagai: UTF-16 (Unicode Text), pemisah tab",
                 id="unicode-text"),
    pytest.param("nama\tinstansi\nJosé Ñúñez\tDinas Pariwisata – Café\n".encode("utf-16-le"), "utf-16-le", "\t",
                 "Dibaca sebagai: UTF-16 (Unicode Text), pemisah tab", id="utf-16-without-bom"),
    pytest.param(codecs.BOM_UTF8 + "nama,instansi\nJosé Ñúñez,Dinas Pariwisata – Café\n".encode(), "utf-8-sig",
                 ",", "Dibaca sebagai: UTF-8 dengan BOM, pemisah koma", id="csv-utf-8"),
    pytest.param("nama,instansi\nJosé Ñúñez,Dinas Pariwisata – Café\n".encode(), "utf-8", ",",
                 "Dibaca sebagai: UTF-8, pemisah koma", id="utf-8"),
    pytest.param("sep=;\nnama;instansi\nJosé Ñúñez;Dinas Pariwisata – Café\n".encode(), "utf-8", ";",
                 "Dibaca sebagai: UTF-8, pemisah titik koma", id="excel-sep-line"),
])
def test_every_encoding_and_separator_excel_writes(raw, encoding, delimiter, described):
    table = read(raw)
    assert (table.encoding, table.delimiter, table.description) == (encoding, delimiter, described)
    assert cells(table) == [(2, {"nama": "José Ñúñez", "instansi": "Dinas Pariwisata – Café", "peran": ""})]


def test_latin_1_bytes_that_windows_1252_lacks():
    table = read("nama;instansi\nJos\x81 \x8d;Dinas\n".encode("latin-1"))
    assert table.encoding == "latin_1" and table.rows[0].values["nama"] == "Jos\x81 \x8d"


def test_the_separator_is_the_one_that_gives_the_expected_columns():
    # commas inside names do not fool it: the header decides
    table = read(b"nama;instansi\nSaputra, S.Kom.;Dinas A, Bidang B\nAyu, M.Si.;Dinas C\n")
    assert table.delimiter == ";" and table.rows[0].values["nama"] == "Saputra, S.Kom."


def test_xlsx_is_read_directly_with_row_numbers_of_the_sheet():
    raw = xlsx([["Nama", "Instansi", "Peran"], ["José Ñúñez", "Dinas\nPariwisata", "humas;trainer"], [None, None],
                ["Ayu", 2024, None]], sheet="Peserta")
    table = read(raw)
    assert table.format == "xlsx" and table.description == "Dibaca sebagai: XLSX, lembar Peserta"
    assert cells(table) == [(2, {"nama": "José Ñúñez", "instansi": "Dinas\nPariwisata", "peran": "humas;trainer"}),
                            (4, {"nama": "Ayu", "instansi": "2024", "peran": ""})]


def test_xlsx_numbers_that_were_nips_keep_excels_scientific_look():
    raw = xlsx([["nama", "instansi"], ["Agus", 198501012015011001], ["Budi", 1.98501012015011e17]])
    values = [row.values["instansi"] for row in read(raw).rows]
    assert all("E+17" in v for v in values), values
    assert all(read_nip(v)[1].startswith("Excel mengubah NIP menjadi angka ilmiah") for v in values)


# --- rows as a spreadsheet counts them ---------------------------------------------------------------------------

def test_a_quoted_newline_does_not_shift_row_numbers_and_is_kept_as_one_newline():
    raw = b'nama;instansi\r\n"Agus\r\nSaputra";"Dinas\r\nKominfo"\r\nBudi;A\r\n\r\nCici;B\r\n'
    assert cells(read(raw)) == [(2, {"nama": "Agus\nSaputra", "instansi": "Dinas\nKominfo", "peran": ""}),
                                (3, {"nama": "Budi", "instansi": "A", "peran": ""}),
                                (5, {"nama": "Cici", "instansi": "B", "peran": ""})]  # a blank row 4 still counts


def test_multi_valued_last_column_takes_unquoted_extra_cells():
    raw = b"nama;instansi;peran\nAgus;A;employee;supervisor\nBudi;B;humas|trainer\nCici;C;admin;;\n"
    table = read(raw, multi=("peran",))
    assert [row.values["peran"] for row in table.rows] == ["employee;supervisor", "humas|trainer", "admin"]
    assert table.problems == []
    assert tabular.split_multi("employee;supervisor") == ["employee", "supervisor"]
    assert tabular.split_multi(" humas , trainer|admin ;") == ["humas", "trainer", "admin"]


def test_extra_cells_elsewhere_are_reported_not_dropped():
    table = read(b"nama;instansi\nAgus;Dinas A;Bidang B\n")
    assert table.problems == [(2, "Baris ini berisi 3 kolom, padahal judulnya 2. Apit nilai yang memuat pemisah "
                                  "dengan tanda kutip.")]


def test_headers_are_matched_loosely():
    table = read(b"\xef\xbb\xbf NAMA * ; Instansi \n Agus ; A \n")
    assert table.rows[0].values == {"nama": "Agus", "instansi": "A", "peran": ""}


# --- files that cannot be read -------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,message", [
    pytest.param(b"", "Berkas kosong.", id="empty"),
    pytest.param(b" \r\n\t\n", "Berkas kosong.", id="blank"),
    pytest.param(b"nama;instansi\n", "Berkas tidak berisi baris data.", id="header-only"),
    pytest.param(b"nama;instansi\n;\n ; \n", "Berkas tidak berisi baris data.", id="empty-rows"),
    pytest.param(b"name,agency\nAgus,A\n", "Kolom wajib tidak ada: nama", id="wrong-header"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "melainkan PDF", id="pdf"),
    pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", "melainkan JPEG", id="jpeg"),
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel lama (.xls)", id="xls"),
    pytest.param(b"PK\x03\x04" + bytes(60), "XLSX rusak", id="broken-zip"),
    pytest.param(os.urandom(200_000), "bukan CSV teks atau XLSX", id="random-bytes"),
    pytest.param(bytes(range(1, 32)) * 100, "bukan CSV teks atau XLSX", id="control-characters"),
    pytest.param(b"nama\n" + b"x\n" * 50_001, "paling banyak 50000 baris", id="too-many-rows"),
])
def test_unreadable_files_get_a_clear_message(raw, message):
    with pytest.raises(DomainError) as error:
        read(raw)
    assert message in str(error.value.message)


def test_too_large_a_file_is_refused_before_reading():
    with pytest.raises(DomainError, match="paling besar 1 MB"):
        read(b"nama\n" + b"x" * (1024 * 1024), max_bytes=1024 * 1024)


def test_other_zip_files_and_zip_bombs_are_refused(monkeypatch):
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(DomainError, match=r"OpenDocument \(.ods\)"):
        read(ods.getvalue())
    monkeypatch.setattr(tabular, "MAX_XLSX_UNPACKED", 1000)
    with pytest.raises(DomainError, match="terlalu besar setelah dibuka"):
        read(xlsx([["nama"], ["x" * 5000]]))


def test_fifty_thousand_rows_are_read():
    raw = b"nama;instansi\n" + b"".join(b"Pegawai %d;Dinas\n" % i for i in range(50_000))
    table = read(raw)
    assert len(table.rows) == 50_000 and table.rows[-1].number == 50_001


# --- NIPs as Excel leaves them -----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed,nip,problem", [
    ("198501012015011001", "198501012015011001", None),
    ("19850101 201501 1 001", "198501012015011001", None),  # the official spaced form
    ("'198501012015011001", "198501012015011001", None),  # Excel's text apostrophe
    ("198501012015011001.0", "198501012015011001", None),
    ("1,98501E+17", "1,98501E+17", "Excel mengubah NIP menjadi angka ilmiah (1,98501E+17)"),
    ("1.98501012015011E+17", "1.98501012015011E+17", "Format kolom NIP sebagai Teks"),
    ("198501012015011000", "198501012015011000", "NIP berakhir 000: Excel menyimpan NIP sebagai angka"),
    ("12345", "12345", "NIP harus terdiri dari 18 angka."),
])
def test_nips_as_excel_mangles_them(typed, nip, problem):
    read_as, message = read_nip(typed)
    assert read_as == nip
    assert (message is None) if problem is None else (problem in message)


# --- templates ------------------------------------------------------------------------------------------------------

def test_templates_read_back_and_keep_nips_as_text():
    raw = tabular.template(("nip", "nama"), "xlsx", (("nip", "NIP"), ("nama", "Nama")))
    book = openpyxl.load_workbook(io.BytesIO(raw))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["nip", "nama"] and sheet["A2"].number_format == "@"
    assert book.sheetnames[1] == "Petunjuk"
    csv_raw = tabular.template(("nip", "nama"), "csv")
    assert csv_raw.startswith(codecs.BOM_UTF8) and csv_raw.endswith(b"nip;nama\r\n")
    for body in (raw, csv_raw):
        with pytest.raises(DomainError, match="tidak berisi baris data"):
            tabular.read_table(body, required=("nip", "nama"))


def test_title_rows_above_the_header_are_skipped():
    raw = xlsx([["Daftar Peserta Pelatihan Humas"], ["26 November 2026"], [], ["No", "Nama", "Instansi"],
                [1, "Agus", "Dinas A"], [2, "Budi", "Dinas B"]])
    assert cells(read(raw)) == [(5, {"nama": "Agus", "instansi": "Dinas A", "peran": ""}),
                                (6, {"nama": "Budi", "instansi": "Dinas B", "peran": ""})]
    csv_raw = "Daftar Peserta;;\r\nNo;Nama;Instansi\r\n1;Agus;Dinas A\r\n".encode("cp1252")
    table = read(csv_raw)
    assert table.delimiter == ";" and cells(table) == [(3, {"nama": "Agus", "instansi": "Dinas A", "peran": ""})]


def test_a_header_of_nothing_but_markers_is_a_clear_error():
    with pytest.raises(DomainError, match="Kolom wajib tidak ada: nama"):
        read(b"*;*\nAgus;A\n")
    assert tabular.count_rows(b"*;*\nAgus;A\n") == 1
    assert tabular.count_rows(b"\x89PNG\r\n\x1a\n\x00") == 0


def test_every_column_can_be_kept_with_the_header_as_written():
    raw = b"Waktu publikasi;Tautan permanen;Jangkauan;\n02/10/2026 10:00;https://x.test/p/1;1.234;\n"
    table = tabular.read_table(raw, all_columns=True)
    assert table.labels == ["Waktu publikasi", "Tautan permanen", "Jangkauan"]
    assert table.columns == ["waktu_publikasi", "tautan_permanen", "jangkauan"]
    assert table.rows[0].values == {"waktu_publikasi": "02/10/2026 10:00", "tautan_permanen": "https://x.test/p/1",
                                    "jangkauan": "1.234"}
    book = openpyxl.Workbook()
    book.active.append(["Date", "Followers"])
    book.active.append([datetime(2026, 10, 1), 1500])
    buffer = io.BytesIO()
    book.save(buffer)
    table = tabular.read_table(buffer.getvalue(), all_columns=True)
    assert table.labels == ["Date", "Followers"] and table.rows[0].values == {"date": "2026-10-01",
                                                                              "followers": "1500"}
    assert tabular.read_table(raw).rows[0].values == {}  # without it, only the columns asked for
