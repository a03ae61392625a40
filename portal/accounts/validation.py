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
