"""Personal data: NIK, KK, NIP, phone numbers, bank accounts, e-mail addresses and vehicle plates.

These work on the original text (digits and upper-case letters matter), with the cue words ("NIK", "KK", "BCA",
"rek") found through the lexicon. Numbers are read as "phrases": runs of digit groups separated by spaces, dots,
dashes or parentheses ("0812-3456-7890", "+62 (812) 3456 7890", "19800101 200501 1 002"); every run of consecutive
groups of a phrase is tried, so a NIK written next to another number is still found.
"""

import calendar
import re
from datetime import date

# Province codes (the first two digits of NIK and KK), including the Papua provinces created in 2022.
PROVINCES = {
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72, 73, 74,
    75, 76, 81, 82, 91, 92, 93, 94, 95, 96,
}
# Registration areas of Indonesian vehicle plates.
PLATE_REGIONS = {
    "A", "B", "D", "E", "F", "G", "H", "K", "L", "M", "N", "P", "R", "S", "T", "W", "Z", "AA", "AB", "AD", "AE", "AG",
    "BA", "BB", "BD", "BE", "BG", "BH", "BK", "BL", "BM", "BN", "BP", "DA", "DB", "DC", "DD", "DE", "DG", "DH", "DK",
    "DL", "DM", "DN", "DP", "DR", "DS", "DT", "EA", "EB", "ED", "KB", "KH", "KT", "KU", "PA", "PB", "BJ", "CD", "CC",
}
PLATE_EXCEPTIONS = {"G 30 S"}  # G30S, the 1965 movement, written with spaces

MAX_GROUPS = 6  # "0123-01-045678-53-1" has five; a longer run of small groups is a list, not one number
_DIGITS = re.compile(r"\d+")
_GAP = re.compile(r"[ .\-()+/]{1,3}")
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PLATE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}) ?([1-9]\d{0,3}) ?([A-Z]{1,3})(?![A-Za-z0-9])")
_PLATE_ANY_CASE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}) ?([1-9]\d{0,3}) ?([A-Za-z]{1,3})(?![A-Za-z0-9])")
_MOBILE_PREFIX = "08"
_MOBILE_THIRD = set("1235789")  # 081x Telkomsel, 082x, 083x Axis, 085x Indosat, 087x XL, 088x Smartfren, 089x Tri


def _valid_date(year, month, day):
    if not 1 <= month <= 12:
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


def plausible_nik(digits, women_offset=True):
    """16 digits: province, regency, district, DDMMYY of birth (women: day + 40), a non-zero sequence."""
    if len(digits) != 16 or not digits.isdigit():
        return False
    if int(digits[:2]) not in PROVINCES or digits[2:4] == "00" or digits[4:6] == "00":
        return False
    day, month, year = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    if women_offset and day > 40:
        day -= 40
    return _valid_date(2000 + year, month, day) and digits[12:] != "0000"


def plausible_kk(digits):
    """A KK number has the same layout as a NIK, with the date of issue (no +40) in place of the birth date."""
    return plausible_nik(digits, women_offset=False)


def plausible_nip(digits, today=None):
    """18 digits: birth date YYYYMMDD, appointment YYYYMM, sex 1 or 2, a sequence 001-999."""
    if len(digits) != 18 or not digits.isdigit():
        return False
    this_year = (today or date.today()).year
    born_y, born_m, born_d = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    tmt_y, tmt_m = int(digits[8:12]), int(digits[12:14])
    if not (1940 <= born_y <= this_year - 17 and _valid_date(born_y, born_m, born_d)):
        return False
    if not (born_y + 17 <= tmt_y <= this_year + 1 and 1 <= tmt_m <= 12):
        return False
    return digits[14] in "12" and digits[15:] != "000"


def mobile_number(digits):
    """The number as 08.. if the digits are an Indonesian mobile number (+62 / 62 / 0 prefix), else None."""
    if digits.startswith("620"):
        local = digits[2:]
    elif digits.startswith("62"):
        local = "0" + digits[2:]
    else:
        local = digits
    if local.startswith(_MOBILE_PREFIX) and 10 <= len(local) <= 13 and local[2] in _MOBILE_THIRD:
        return local
    return None


def _phrases(text):
    """Lists of digit groups [(start, end, digits)] that belong together."""
    phrases, current = [], []
    for m in _DIGITS.finditer(text):
        group = (m.start(), m.end(), m.group())
        if current and _GAP.fullmatch(text[current[-1][1]:m.start()]):
            current.append(group)
            continue
        if current:
            phrases.append(current)
        current = [group]
    if current:
        phrases.append(current)
    return phrases


def _is_amount(text, groups):
    """Rp 1.500.000 or 15.000: a money amount, not an account number."""
    start = groups[0][0]
    before = text[max(0, start - 4):start].lower()
    if "rp" in before or "idr" in before or "$" in before:
        return True
    joined = text[groups[0][0]:groups[-1][1]]
    return bool(re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", joined))


def _bounded(text, start, end):
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def _cue_near(cues, start, end, text, before=40, after=25):
    for a, b in cues:
        if b <= start and start - b <= before and "\n" not in text[b:start]:
            return True
        if a >= end and a - end <= after and "\n" not in text[end:a]:
            return True
    return False


def detect(doc, hits):
    """Append (code, span, severity) hits for personal data in doc.text."""
    text = doc.text
    lexicon = doc.lexicon
    cues = {name: [m.span for m in doc.find(name)]
            for name in ("kk_cues", "nik_cues", "nip_cues", "bank_cues", "official_phone_cues")}
    taken = []

    emails = []
    for m in _EMAIL.finditer(text):
        emails.append(m.span())
        local, _, domain = m.group().lower().partition("@")
        official = any(domain == d or domain.endswith("." + d) for d in lexicon.raw.get("official_domains", ()))
        mailbox = re.split(r"[._+-]", local)[0]
        if official and mailbox in lexicon.raw.get("institutional_mailboxes", ()):
            continue
        hits.append(("email", m.span(), None))
    taken.extend(emails)

    for groups in _phrases(text):
        i = 0
        while i < len(groups):
            found = None
            digits = ""
            for j in range(i, min(len(groups), i + MAX_GROUPS)):
                digits += groups[j][2]
                if len(digits) > 18:
                    break
                if len(digits) < 8:  # shorter than any account, phone or ID number
                    continue
                start, end = groups[i][0], groups[j][1]
                if any(a < end and start < b for a, b in taken) or not _bounded_digits(text, start, end):
                    continue
                code = _classify(digits, start, end, text, cues, groups[i:j + 1])
                if code:
                    found = (code, j, start, end)  # keep looking for a longer reading
            if found:
                code, j, start, end = found
                taken.append((start, end))
                while start > 0 and (text[start - 1] == "+" or (text[start - 1] == "(" and ")" in text[start:end])):
                    start -= 1
                hits.append((code, (start, end), None))
                i = j + 1
            else:
                i += 1

    plate_cues = [m.span for m in doc.find("plate_cues")]
    plates = list(_PLATE.finditer(text))
    plates += [m for m in _PLATE_ANY_CASE.finditer(text)
               if not m.group().isupper() and _cue_near(plate_cues, m.start(), m.end(), text, before=15, after=0)]
    for m in plates:
        region, number, suffix = (g.upper() for g in m.groups())
        if region not in PLATE_REGIONS or f"{region} {number} {suffix}" in PLATE_EXCEPTIONS:
            continue
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        hits.append(("plate", m.span(), None))
    return emails


def _bounded_digits(text, start, end):
    """The digits are not glued to letters ("B1234", "covid19"); a leading + or ( is part of the number."""
    while start > 0 and text[start - 1] in "+(":
        start -= 1
    if end < len(text) and text[end] == ")":
        end += 1
    return _bounded(text, start, end)


def _classify(digits, start, end, text, cues, groups):
    n = len(digits)
    if n == 18 and (plausible_nip(digits) or _cue_near(cues["nip_cues"], start, end, text)):
        return "nip"
    if n == 16:
        if _cue_near(cues["kk_cues"], start, end, text) and int(digits[:2]) in PROVINCES:
            return "kk"
        if plausible_nik(digits) or _cue_near(cues["nik_cues"], start, end, text):
            return "nik"
    if mobile_number(digits):
        # An institution's service number ("WA Center 0811-...") is public, not personal data.
        return None if _cue_near(cues["official_phone_cues"], start, end, text, before=30, after=0) else "phone"
    if 8 <= n <= 16 and _cue_near(cues["bank_cues"], start, end, text, before=35, after=20) \
            and not _is_amount(text, groups):
        return "bank_account"
    return None

