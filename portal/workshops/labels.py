"""Words for the workshop codes, in the interface language (pages, forms and exports share them)."""

from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

STATUS_LABELS = {"draft": _l("draf"), "open": _l("dibuka"), "closed": _l("ditutup"), "finished": _l("selesai")}
ATTENDANCE_LABELS = {"hadir": _l("hadir"), "terlambat": _l("terlambat"), "izin": _l("izin"), "sakit": _l("sakit"),
                     "tidak_hadir": _l("tidak hadir")}
PARTICIPANT_STATUS_LABELS = {"registered": _l("terdaftar"), "waitlisted": _l("daftar tunggu"),
                             "cancelled": _l("dibatalkan")}
CHECKIN_METHOD_LABELS = {"manual": _l("oleh pelatih"), "bulk": _l("semua hadir"), "qr": _l("kode QR"),
                         "code": _l("tautan pribadi")}


def in_language(labels):
    """`labels` (code -> lazy label) as code -> text in this request's language, made once per request and language:
    a roster of 50 rows shows each of its five attendance labels on every row (250 lazy translations a page)."""
    kept = g.setdefault("_labels_in_language", {})
    key = (id(labels), get_locale())
    if key not in kept:
        kept[key] = {code: str(label) for code, label in labels.items()}
    return kept[key]
