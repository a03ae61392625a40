"""Checks for identity data of ASN."""

import re
from datetime import date

from flask_babel import gettext as _

NIP_RE = re.compile(r"^\d{18}$")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12


def nip_problem(nip):
    """None when `nip` is a plausible NIP, else a reason.

    A NIP has 18 digits: birth date (YYYYMMDD), appointment year and month (YYYYMM), gender (1 or 2), sequence (3).
    """
    if not NIP_RE.match(nip):
        return _("NIP harus terdiri dari 18 angka.")
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return _("Tanggal lahir dalam NIP tidak valid.")
    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12 or year < born.year + 15 or year > date.today().year + 1:
        return _("Tahun atau bulan pengangkatan dalam NIP tidak valid.")
    if nip[14] not in "12":
        return _("Digit jenis kelamin dalam NIP harus 1 atau 2.")
    return None


def email_problem(email):
    if len(email) > 254 or not EMAIL_RE.match(email):
        return _("Alamat email tidak valid.")
    return None


def password_problem(password):
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Kata sandi minimal %(n)d karakter.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 256:
        return _("Kata sandi terlalu panjang.")
    return None


SCIENTIFIC_RE = re.compile(r"^\d[.,]\d*[eE]\+?\d+$")


def read_nip(value):
    """(nip, problem) for a NIP as it comes out of a spreadsheet. Accepted as typed: the official spaced form
    ("19850101 201501 1 001") and Excel's text apostrophe ("'198501012015011001")."""
    nip = (value or "").strip().lstrip("'`\u2019").replace("\xa0", "").replace(" ", "")
    if re.fullmatch(r"\d{18}[.,]0+", nip):  # a number cell written with decimals
        nip = nip[:18]
    return nip, excel_nip_problem(nip) or nip_problem(nip)


def excel_nip_problem(nip):
    """What Excel did to a NIP stored as a number, and how to undo it; None when it does not look like that.
    Scientific notation ("1,98501E+17") and a number that kept only Excel's 15 significant digits
    ("198501012015011000": no NIP has the sequence number 000) have both lost the last digits."""
    if SCIENTIFIC_RE.match(nip):
        return _("Excel mengubah NIP menjadi angka ilmiah (%(value)s) sehingga digit aslinya hilang. Format "
                 "kolom NIP sebagai Teks, ketik ulang NIP-nya, lalu simpan lagi.", value=nip)
    if NIP_RE.match(nip) and nip.endswith("000"):
        return _("NIP berakhir 000: Excel menyimpan NIP sebagai angka dan hanya menjaga 15 digit pertama. Format "
                 "kolom NIP sebagai Teks, ketik ulang NIP-nya, lalu simpan lagi.")
    return None
