"""How the toolkit names things: kinds, statuses, a regulation's short and formal citation, placeholders, dates."""

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from portal.timezone import today_wib

SEARCH_KIND = "toolkit"  # the toolkit's documents in portal.search
KIND_LABELS = {"photo": _l("Foto"), "regulation": _l("Peraturan"), "template": _l("Templat jawaban")}
STATUS_LABELS = {"draf": _l("Draf"), "diajukan": _l("Diajukan"), "disetujui": _l("Disetujui"),
                 "ditolak": _l("Ditolak"), "diarsipkan": _l("Diarsipkan")}
LEGAL_STATUS_LABELS = {"berlaku": _l("Berlaku"), "diubah": _l("Diubah"), "dicabut": _l("Dicabut")}
# Official abbreviations stay as they are in both languages; the two plain words are translated.
REGULATION_TYPE_LABELS = {"Keputusan": _l("Keputusan"), "Pedoman internal": _l("Pedoman internal")}
RELATION_LABELS_OUT = {"mengubah": _l("Mengubah"), "mencabut": _l("Mencabut")}
RELATION_LABELS_IN = {"mengubah": _l("Diubah oleh"), "mencabut": _l("Dicabut oleh")}
TYPE_NAMES = {
    "UU": "Undang-Undang", "PP": "Peraturan Pemerintah", "Perpres": "Peraturan Presiden",
    "Permen": "Peraturan Menteri", "SE": "Surat Edaran", "SKB": "Surat Keputusan Bersama",
    "Keputusan": "Keputusan", "Inpres": "Instruksi Presiden", "Pedoman internal": "Pedoman Internal",
}


def today():
    """Today's date in WIB: valid-until and consent dates are calendar days in Jakarta."""
    return today_wib()


def day(value):
    return format_date(value, "d MMMM yyyy")


def regulation_short(regulation, year):
    """"PP 94/2021"; for a number that is not a plain number (or none), its short name, else the formal citation."""
    number = (regulation.number or "").strip()
    if number.isdigit():
        return f"{regulation.reg_type} {number}/{year}"
    if regulation.short_name:
        return regulation.short_name
    return regulation_citation(regulation, year)


def regulation_citation(regulation, year):
    """"PP Nomor 94 Tahun 2021", "SKB 11 K/L Tahun 2019" (no number), "SE Nomor SE-16/MK.01/2018"."""
    number = (regulation.number or "").strip()
    if not number:
        return f"{regulation.short_name or regulation.reg_type} Tahun {year}"
    if "tahun" in number.lower() or number.endswith(str(year)):
        return f"{regulation.reg_type} Nomor {number}"
    return f"{regulation.reg_type} Nomor {number} Tahun {year}"


def regulation_search_forms(regulation, year):
    """Ways people write a regulation's number, so `PP 94/2021`, `PP 94 2021`, `94/2021`, `pp94` and `942021` all
    find it through portal.search (whose abbreviation table adds "peraturan pemerintah" for "pp")."""
    forms = [regulation.reg_type, TYPE_NAMES.get(regulation.reg_type, ""), str(year), regulation.short_name]
    number = (regulation.number or "").strip()
    if number:
        compact_type = regulation.reg_type.lower().replace(" ", "")
        forms += [f"{regulation.reg_type} {number} {year}", f"{number}/{year}",
                  regulation_citation(regulation, year), f"No. {number}"]
        if number.isdigit():
            forms += [f"{compact_type}{number}", f"{number}{year}", f"{compact_type}{number}{year}"]
    return " ".join(f for f in forms if f)


def placeholder_label(name):
    label = name.replace("_", " ")
    return label[:1].upper() + label[1:]
