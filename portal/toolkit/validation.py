"""Checking an item's values before anything is written: text limits, tags, the owner unit, and each kind's fields.

Every check raises a DomainError that names its form field, so the view shows it under that field. The limits are
the forms' limits (portal/toolkit/forms.py reads them from here), checked again because services are also called by
the demo seeding, the benchmark generator and tests.
"""

import re
from datetime import date

from flask_babel import gettext as _
from sqlmodel import select

from portal.errors import DomainError
from portal.models import ToolkitItem, Unit
from portal.models.toolkit import CHANNELS, CONSENT_CHOICES, LEGAL_STATUSES, REGULATION_TYPES, TEMPLATE_CATEGORIES
from portal.toolkit.access import is_central_humas, unit_path
from portal.toolkit.labels import today

MAX_TITLE, MAX_DESCRIPTION, MAX_BODY, MAX_TAGS, MAX_TAG = 300, 5000, 5000, 15, 60
MAX_REASON = 1000
PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
BRACED_RE = re.compile(r"\{([^{}\n]{0,60})\}")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """Text without control characters (PostgreSQL refuses NUL in text; none of them belongs in a title)."""
    return CONTROL_RE.sub("", str(value or ""))


def one_line(value, limit, field_name, label, required=False):
    value = " ".join(clean_text(value).split())
    if required and not value:
        raise DomainError(_("%(label)s wajib diisi.", label=label), field=field_name)
    if len(value) > limit:
        raise DomainError(_("%(label)s paling banyak %(n)d karakter.", label=label, n=limit), field=field_name)
    return value


def long_text(value, limit, field_name, label, required=False):
    value = clean_text(str(value or "").replace("\r\n", "\n")).strip()
    if required and not value:
        raise DomainError(_("%(label)s wajib diisi.", label=label), field=field_name)
    if len(value) > limit:
        raise DomainError(_("%(label)s paling banyak %(n)d karakter.", label=label, n=limit), field=field_name)
    return value


def parse_tags(value):
    """Comma-separated (or a list) -> normalised tags: lowercase, single spaces, no leading '#', no duplicates."""
    parts = value if isinstance(value, list | tuple) else re.split(r"[,;\n]", str(value or ""))
    tags = []
    for part in parts:
        tag = " ".join(clean_text(part).replace("#", " ").lower().split())
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise DomainError(_("Tag paling banyak %(n)d karakter: “%(tag)s”.", n=MAX_TAG, tag=tag[:MAX_TAG] + "…"),
                              field="tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise DomainError(_("Paling banyak %(n)d tag.", n=MAX_TAGS), field="tags")
    return tags


def normalise_tag(value):
    return " ".join(clean_text(value).replace("#", " ").lower().split())[:MAX_TAG]


def _date(value):
    return value if isinstance(value, date) or value is None else None


def units_for_owner(session, actor):
    """Units an actor may set as owner of an item: every unit for central humas and admins, else their subtree."""
    statement = select(Unit).order_by(Unit.path)
    if actor is not None and not is_central_humas(actor, session):
        statement = statement.where(Unit.path.startswith(unit_path(session, actor.unit_id) or "/-"))
    return session.exec(statement).all()


def check_common(session, actor, values):
    """Title, description, tags, owner unit and validity of any kind of item."""
    title = one_line(values.get("title"), MAX_TITLE, "title", _("Judul"), required=True)
    description = long_text(values.get("description"), MAX_DESCRIPTION, "description", _("Deskripsi"))
    tags = parse_tags(values.get("tags"))
    unit_id = values.get("owner_unit_id") or (actor.unit_id if actor else 0) or 0
    path = unit_path(session, unit_id) if isinstance(unit_id, int) and 0 < unit_id < 2**31 else None
    if path is None:
        raise DomainError(_("Pilih unit pemilik."), field="owner_unit_id")
    if actor is not None and not is_central_humas(actor, session) and \
            not path.startswith(unit_path(session, actor.unit_id) or "/-"):
        raise DomainError(_("Anda hanya dapat memilih unit Anda sendiri atau sub-unitnya."), field="owner_unit_id")
    return {"title": title, "description": description, "tags": tags, "owner_unit_id": unit_id,
            "valid_until": _date(values.get("valid_until"))}


def check_photo(session, values, item):
    consent = values.get("consent") or "tidak_perlu"
    if consent not in CONSENT_CHOICES:
        raise DomainError(_("Pilih status persetujuan orang dalam foto."), field="consent")
    taken_on = _date(values.get("taken_on"))
    if taken_on and taken_on > today():
        raise DomainError(_("Tanggal pengambilan tidak boleh di masa depan."), field="taken_on")
    return {
        "credit": one_line(values.get("credit"), 200, "credit", _("Kredit/fotografer")),
        "taken_on": taken_on,
        "place": one_line(values.get("place"), 200, "place", _("Tempat")),
        "licence": one_line(values.get("licence"), 200, "licence", _("Lisensi")),
        "consent": consent,
        "consent_expires_on": _date(values.get("consent_expires_on")) if consent == "ya" else None,
    }


def regulation_ids(session, ids, item, field_name):
    """The chosen regulations' ids (without the item itself); a DomainError when one is not a regulation."""
    wanted = []
    for value in ids or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**31 and number not in wanted and (item is None or number != item.id):
            wanted.append(number)
    if not wanted:
        return []
    found = set(session.exec(select(ToolkitItem.id).where(ToolkitItem.id.in_(wanted),
                                                          ToolkitItem.kind == "regulation")).all())
    if set(wanted) - found:
        raise DomainError(_("Peraturan yang dipilih tidak ditemukan."), field=field_name)
    return wanted


def check_regulation(session, values, item):
    reg_type = values.get("reg_type")
    if reg_type not in REGULATION_TYPES:
        raise DomainError(_("Pilih jenis peraturan."), field="reg_type")
    legal_status = values.get("legal_status") or "berlaku"
    if legal_status not in LEGAL_STATUSES:
        raise DomainError(_("Pilih status peraturan."), field="legal_status")
    try:
        year = int(values.get("year"))
    except (TypeError, ValueError, OverflowError):
        year = 0
    if not 1945 <= year <= today().year + 1:
        raise DomainError(_("Tahun peraturan tidak valid."), field="year")
    number = one_line(values.get("number"), 120, "number", _("Nomor")) or None
    short_name = one_line(values.get("short_name"), 80, "short_name", _("Sebutan singkat"))
    if number is None and not short_name:
        raise DomainError(_("Isi nomor peraturan, atau sebutan singkat bila peraturan ini tidak bernomor "
                            "(misalnya “SKB 11 K/L”)."), field="number")
    enacted_on = _date(values.get("enacted_on"))
    if enacted_on and enacted_on.year != year:
        raise DomainError(_("Tanggal penetapan harus di tahun peraturan (%(year)d).", year=year), field="enacted_on")
    amends = regulation_ids(session, values.get("amends"), item, "amends")
    revokes = regulation_ids(session, values.get("revokes"), item, "revokes")
    return {"reg_type": reg_type, "number": number, "short_name": short_name, "year": year,
            "issuer": one_line(values.get("issuer"), 500, "issuer", _("Penerbit")), "enacted_on": enacted_on,
            "legal_status": legal_status, "relations": [("mengubah", i) for i in amends] +
            [("mencabut", i) for i in revokes]}


def check_template(session, values, item):
    body = long_text(values.get("body"), MAX_BODY, "body", _("Isi templat"), required=True)
    for inner in BRACED_RE.findall(body):
        if not PLACEHOLDER_RE.fullmatch("{" + inner + "}"):
            raise DomainError(_("Penanda “{%(name)s}” tidak valid: gunakan huruf kecil, angka, dan garis bawah, "
                                "diawali huruf, misalnya {nama} atau {nomor_tiket}.", name=inner), field="body")
    category = values.get("category")
    if category not in TEMPLATE_CATEGORIES:
        raise DomainError(_("Pilih kategori templat."), field="category")
    channels = [c for c in CHANNELS if c in (values.get("channels") or ())]
    if not channels:
        raise DomainError(_("Pilih minimal satu kanal."), field="channels")
    return {"body": body, "category": category, "channels": ",".join(channels),
            "cites": regulation_ids(session, values.get("cites"), item, "cites")}


CHECKS = {"photo": check_photo, "regulation": check_regulation, "template": check_template}


def check_reason(reason):
    """A rejection reason the submitter can act on."""
    reason = long_text(reason, MAX_REASON, "reason", _("Alasan penolakan"))
    if len(reason) < 5:
        raise DomainError(_("Tuliskan alasan penolakan agar pengaju tahu apa yang perlu diperbaiki."), field="reason")
    return reason
