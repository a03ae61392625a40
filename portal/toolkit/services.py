"""Toolkit use cases: saving photos, regulations and answer templates, the draft → diajukan → disetujui | ditolak →
diarsipkan workflow, visibility for employees, faceted search, downloads and template use.

Views call these with plain values and bytes; every humas/admin write is audited and committed once. Files are
checked and stored (portal.uploads) before any row is written, and removed again when the use case fails, so a failed
upload leaves neither a half-made record nor a stray file.
"""

import re
import time
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, has_app_context
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import String, and_, cast, delete, func, literal, or_, union_all, update
from sqlalchemy.orm import aliased
from sqlmodel import select

from portal import audit, search, uploads
from portal.errors import DomainError
from portal.models import (
    ToolkitCitation,
    ToolkitItem,
    ToolkitPhoto,
    ToolkitRegulation,
    ToolkitRegulationRelation,
    ToolkitStatusChange,
    ToolkitTag,
    ToolkitTemplate,
    Unit,
    User,
    utcnow,
)
from portal.models.toolkit import (
    CHANNELS,
    CONSENT_CHOICES,
    KINDS,
    LEGAL_STATUSES,
    REGULATION_TYPES,
    STATUSES,
    TEMPLATE_CATEGORIES,
)
from portal.permissions import can, can_approve_toolkit, can_edit_toolkit, is_central_humas
from portal.timezone import today_wib

SEARCH_KIND = "toolkit"
MAX_FILE_BYTES = 20 * 1024 * 1024  # photos, consent documents and regulation PDFs
PAGE_SIZE = 24
MAX_TITLE, MAX_DESCRIPTION, MAX_BODY, MAX_TAGS, MAX_TAG = 300, 5000, 5000, 15, 60
PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
BRACED_RE = re.compile(r"\{([^{}\n]{0,60})\}")
TYPE_NAMES = {
    "UU": "Undang-Undang", "PP": "Peraturan Pemerintah", "Perpres": "Peraturan Presiden",
    "Permen": "Peraturan Menteri", "SE": "Surat Edaran", "SKB": "Surat Keputusan Bersama",
    "Keputusan": "Keputusan", "Inpres": "Instruksi Presiden", "Pedoman internal": "Pedoman Internal",
}
SORTS = ("relevance", "newest", "used", "title")
WARN_DAYS = 30


def today():
    """Today's date in WIB: valid-until and consent dates are calendar days in Jakarta."""
    return today_wib()


def is_editor(user):
    return can(user, "toolkit.edit")


# --- labels -------------------------------------------------------------------------------------------------------

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


# --- validation ---------------------------------------------------------------------------------------------------

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """Text without control characters (PostgreSQL refuses NUL in text; none of them belongs in a title)."""
    return CONTROL_RE.sub("", str(value or ""))


def _line(value, limit, field_name, label, required=False):
    value = " ".join(clean_text(value).split())
    if required and not value:
        raise DomainError(_("%(label)s wajib diisi.", label=label), field=field_name)
    if len(value) > limit:
        raise DomainError(_("%(label)s paling banyak %(n)d karakter.", label=label, n=limit), field=field_name)
    return value


def _text(value, limit, field_name, label, required=False):
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
        statement = statement.where(Unit.path.startswith(actor.unit.path))
    return session.exec(statement).all()


def _check_common(session, actor, values):
    title = _line(values.get("title"), MAX_TITLE, "title", _("Judul"), required=True)
    description = _text(values.get("description"), MAX_DESCRIPTION, "description", _("Deskripsi"))
    tags = parse_tags(values.get("tags"))
    unit = session.get(Unit, values.get("owner_unit_id") or (actor.unit_id if actor else 0) or 0)
    if unit is None:
        raise DomainError(_("Pilih unit pemilik."), field="owner_unit_id")
    if actor is not None and not is_central_humas(actor, session) and not unit.path.startswith(actor.unit.path):
        raise DomainError(_("Anda hanya dapat memilih unit Anda sendiri atau sub-unitnya."), field="owner_unit_id")
    return {"title": title, "description": description, "tags": tags, "owner_unit_id": unit.id,
            "valid_until": _date(values.get("valid_until"))}


def _check_photo(session, values, item):
    consent = values.get("consent") or "tidak_perlu"
    if consent not in CONSENT_CHOICES:
        raise DomainError(_("Pilih status persetujuan orang dalam foto."), field="consent")
    taken_on = _date(values.get("taken_on"))
    if taken_on and taken_on > today():
        raise DomainError(_("Tanggal pengambilan tidak boleh di masa depan."), field="taken_on")
    return {
        "credit": _line(values.get("credit"), 200, "credit", _("Kredit/fotografer")),
        "taken_on": taken_on,
        "place": _line(values.get("place"), 200, "place", _("Tempat")),
        "licence": _line(values.get("licence"), 200, "licence", _("Lisensi")),
        "consent": consent,
        "consent_expires_on": _date(values.get("consent_expires_on")) if consent == "ya" else None,
    }


def _regulation_ids(session, ids, item, field_name):
    wanted = []
    for value in ids or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number not in wanted and (item is None or number != item.id):
            wanted.append(number)
    if not wanted:
        return []
    found = set(session.exec(select(ToolkitItem.id).where(ToolkitItem.id.in_(wanted),
                                                          ToolkitItem.kind == "regulation")).all())
    if set(wanted) - found:
        raise DomainError(_("Peraturan yang dipilih tidak ditemukan."), field=field_name)
    return wanted


def _check_regulation(session, values, item):
    reg_type = values.get("reg_type")
    if reg_type not in REGULATION_TYPES:
        raise DomainError(_("Pilih jenis peraturan."), field="reg_type")
    legal_status = values.get("legal_status") or "berlaku"
    if legal_status not in LEGAL_STATUSES:
        raise DomainError(_("Pilih status peraturan."), field="legal_status")
    try:
        year = int(values.get("year"))
    except (TypeError, ValueError):
        year = 0
    if not 1945 <= year <= today().year + 1:
        raise DomainError(_("Tahun peraturan tidak valid."), field="year")
    number = _line(values.get("number"), 120, "number", _("Nomor")) or None
    short_name = _line(values.get("short_name"), 80, "short_name", _("Sebutan singkat"))
    if number is None and not short_name:
        raise DomainError(_("Isi nomor peraturan, atau sebutan singkat bila peraturan ini tidak bernomor "
                            "(misalnya “SKB 11 K/L”)."), field="number")
    enacted_on = _date(values.get("enacted_on"))
    if enacted_on and enacted_on.year != year:
        raise DomainError(_("Tanggal penetapan harus di tahun peraturan (%(year)d).", year=year), field="enacted_on")
    amends = _regulation_ids(session, values.get("amends"), item, "amends")
    revokes = _regulation_ids(session, values.get("revokes"), item, "revokes")
    return {"reg_type": reg_type, "number": number, "short_name": short_name, "year": year,
            "issuer": _line(values.get("issuer"), 500, "issuer", _("Penerbit")), "enacted_on": enacted_on,
            "legal_status": legal_status, "relations": [("mengubah", i) for i in amends] +
            [("mencabut", i) for i in revokes]}


def _check_template(session, values, item):
    body = _text(values.get("body"), MAX_BODY, "body", _("Isi templat"), required=True)
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
            "cites": _regulation_ids(session, values.get("cites"), item, "cites")}


CHECKS = {"photo": _check_photo, "regulation": _check_regulation, "template": _check_template}


# --- files --------------------------------------------------------------------------------------------------------

def file_in_use(session, relative):
    """True when any toolkit row still refers to the stored file (files are shared by content hash)."""
    if not relative:
        return False
    return any(session.exec(statement).first() is not None for statement in (
        select(ToolkitPhoto.item_id).where(ToolkitPhoto.path == relative),
        select(ToolkitPhoto.item_id).where(ToolkitPhoto.consent_path == relative),
        select(ToolkitRegulation.item_id).where(ToolkitRegulation.pdf_path == relative),
    ))


def _remove_unused(session, paths):
    for relative in paths:
        uploads.remove_if_unused(relative, file_in_use(session, relative))


def _store(kind, files, stored):
    """Check and store the uploaded files; `stored` collects what was written, for clean-up on failure."""
    result = {}
    if kind == "photo" and files.get("photo"):
        raw, name = files["photo"]
        try:
            result["photo"] = (uploads.store_image(raw, "toolkit/photos", MAX_FILE_BYTES), name)
        except DomainError as error:
            raise DomainError(error.message, field="photo") from None
        stored.append(result["photo"][0].path)
    if kind == "photo" and files.get("consent"):
        try:
            result["consent"] = uploads.store_document(files["consent"], "toolkit/consent", MAX_FILE_BYTES)
        except DomainError as error:
            raise DomainError(error.message, field="consent_doc") from None
        stored.append(result["consent"].path)
    if kind == "regulation" and files.get("pdf"):
        try:
            result["pdf"] = uploads.store_pdf(files["pdf"], "toolkit/regulations", MAX_FILE_BYTES)
        except DomainError as error:
            raise DomainError(error.message, field="pdf") from None
        stored.append(result["pdf"].path)
    return result


# --- saving -------------------------------------------------------------------------------------------------------

def _commit(session):
    session.commit()
    forget_facets()


def _history(session, actor, item, from_status, to_status, note=""):
    session.add(ToolkitStatusChange(item_id=item.id, from_status=from_status, to_status=to_status,
                                    actor_id=getattr(actor, "id", None), note=(note or "")[:1000]))


def _move(session, actor, item, to_status, note=""):
    from_status = item.status
    item.status = to_status
    item.updated_at = utcnow()
    session.add(item)
    _history(session, actor, item, from_status, to_status, note)


def save_item(session, actor, kind, values, files=None, item=None, commit=True):
    """Create (item=None) or update an item of `kind` from plain `values`; `files` maps "photo" -> (bytes, name),
    "consent" -> bytes, "pdf" -> bytes. Editing an item that is not a draft sends it back to draft: it leaves the
    employees' view until it is submitted and approved again."""
    if kind not in KINDS:
        raise DomainError(_("Jenis item tidak dikenal."))
    files = files or {}
    if item is not None and item.status == "diarsipkan":
        raise DomainError(_("Item yang diarsipkan tidak dapat diubah. Pulihkan dulu sebagai draf."))
    if item is None and kind == "photo" and not files.get("photo"):
        raise DomainError(_("Pilih berkas foto (JPEG, PNG, atau WebP)."), field="photo")
    common = _check_common(session, actor, values)
    details = CHECKS[kind](session, values, item)
    stored, replaced = [], []
    try:
        new_files = _store(kind, files, stored)
        is_new = item is None
        before = None if is_new else audit.snapshot(item, ("title", "status", "owner_unit_id", "valid_until"))
        if is_new:
            item = ToolkitItem(kind=kind, status="draf", created_by_id=getattr(actor, "id", None),
                               title=common["title"], owner_unit_id=common["owner_unit_id"])
        item.title, item.description = common["title"], common["description"]
        item.owner_unit_id, item.valid_until = common["owner_unit_id"], common["valid_until"]
        item.updated_at = utcnow()
        session.add(item)
        session.flush()
        if is_new:
            _history(session, actor, item, None, "draf")
        elif item.status != "draf":
            _move(session, actor, item, "draf",
                  _("Diubah; perlu diajukan dan disetujui lagi sebelum tampil bagi pegawai."))
        consent_expiry = None
        if kind == "photo":
            consent_expiry = _save_photo(session, item, details, new_files, replaced)
            item.year = details["taken_on"].year if details["taken_on"] else None
        elif kind == "regulation":
            _save_regulation(session, item, details, new_files, replaced, remove_pdf=values.get("remove_pdf"))
            item.year = details["year"]
        else:
            _save_template(session, item, details)
            item.year = item.created_at.year if item.created_at else today().year
        item.visible_until = min((d for d in (item.valid_until, consent_expiry) if d), default=None)
        _set_tags(session, item, common["tags"])
        session.flush()
        reindex_item(session, item)
        after = audit.snapshot(item, ("title", "status", "owner_unit_id", "valid_until"))
        audit.record(session, actor, "toolkit.create" if is_new else "toolkit.update", "toolkit_item", item.id,
                     f"{kind}: {item.title}", before=before, after=after)
        if commit:
            _commit(session)
    except Exception:
        session.rollback()
        _remove_unused(session, stored)
        raise
    if commit:
        _remove_unused(session, replaced)
    return item


def _save_photo(session, item, details, new_files, replaced):
    photo = session.get(ToolkitPhoto, item.id)
    if "photo" in new_files:
        stored, name = new_files["photo"]
        if photo is not None and photo.path != stored.path:
            replaced.append(photo.path)
        values = {"sha256": stored.sha256, "path": stored.path, "mime": stored.mime, "size": stored.size,
                  "width": stored.width, "height": stored.height,
                  "original_name": (name or "")[-200:]}
        if photo is None:
            photo = ToolkitPhoto(item_id=item.id, **values)
        else:
            for key, value in values.items():
                setattr(photo, key, value)
    for key in ("credit", "taken_on", "place", "licence", "consent", "consent_expires_on"):
        setattr(photo, key, details[key])
    if "consent" in new_files:
        if photo.consent_path and photo.consent_path != new_files["consent"].path:
            replaced.append(photo.consent_path)
        photo.consent_path, photo.consent_mime = new_files["consent"].path, new_files["consent"].mime
    if photo.consent != "ya" and photo.consent_path:
        replaced.append(photo.consent_path)  # no people to ask: the old form is not kept
        photo.consent_path = photo.consent_mime = None
    session.add(photo)
    return photo.consent_expires_on if photo.consent == "ya" else None


def _save_regulation(session, item, details, new_files, replaced, remove_pdf=False):
    regulation = session.get(ToolkitRegulation, item.id) or ToolkitRegulation(item_id=item.id, reg_type="UU")
    for key in ("reg_type", "number", "short_name", "issuer", "enacted_on", "legal_status"):
        setattr(regulation, key, details[key])
    if "pdf" in new_files:
        if regulation.pdf_path and regulation.pdf_path != new_files["pdf"].path:
            replaced.append(regulation.pdf_path)
        regulation.pdf_path, regulation.pdf_size = new_files["pdf"].path, new_files["pdf"].size
    elif remove_pdf and regulation.pdf_path:
        replaced.append(regulation.pdf_path)
        regulation.pdf_path = regulation.pdf_size = None
    session.add(regulation)
    session.execute(delete(ToolkitRegulationRelation).where(ToolkitRegulationRelation.source_id == item.id))
    for kind, target in details["relations"]:
        session.add(ToolkitRegulationRelation(source_id=item.id, target_id=target, kind=kind))


def _save_template(session, item, details):
    template = session.get(ToolkitTemplate, item.id) or ToolkitTemplate(item_id=item.id, body="", category="")
    template.body, template.category, template.channels = details["body"], details["category"], details["channels"]
    session.add(template)
    session.execute(delete(ToolkitCitation).where(ToolkitCitation.template_id == item.id))
    for regulation_id in details["cites"]:
        session.add(ToolkitCitation(template_id=item.id, regulation_id=regulation_id))


def _set_tags(session, item, tags):
    session.execute(delete(ToolkitTag).where(ToolkitTag.item_id == item.id))
    for tag in tags:
        session.add(ToolkitTag(item_id=item.id, tag=tag))


# --- search index -------------------------------------------------------------------------------------------------

def index_texts(item, tags, regulation=None, template=None, photo=None):
    """(title, body, extra) of an item for portal.search: titles, descriptions, tags, template bodies and every
    written form of a regulation's number."""
    title, body, extra = item.title, item.description, list(tags)
    if regulation is not None:
        title = f"{regulation_short(regulation, item.year)} {item.title}"
        extra += [regulation_search_forms(regulation, item.year), regulation.issuer, regulation.legal_status]
    if template is not None:
        body = f"{item.description}\n{template.body}"
        extra += [template.category, template.channels.replace(",", " ")]
    if photo is not None:
        extra += [photo.place, photo.credit, "foto"]
    return title, body, "\n".join(e for e in extra if e)


def reindex_item(session, item):
    tags = session.exec(select(ToolkitTag.tag).where(ToolkitTag.item_id == item.id)).all()
    details = {"regulation": session.get(ToolkitRegulation, item.id) if item.kind == "regulation" else None,
               "template": session.get(ToolkitTemplate, item.id) if item.kind == "template" else None,
               "photo": session.get(ToolkitPhoto, item.id) if item.kind == "photo" else None}
    title, body, extra = index_texts(item, tags, **details)
    search.index_document(session, SEARCH_KIND, item.id, title, body, extra=extra)


# --- workflow -----------------------------------------------------------------------------------------------------

def _audit_move(session, actor, action, item, before_status, note=""):
    audit.record(session, actor, action, "toolkit_item", item.id, f"{item.kind}: {item.title}"[:300] +
                 (f" — {note}" if note else ""), before={"status": before_status}, after={"status": item.status})


def _ready_for_review(session, item):
    if item.kind == "photo":
        photo = session.get(ToolkitPhoto, item.id)
        if photo.consent == "tidak":
            raise DomainError(_("Foto ini memuat orang yang dapat dikenali tanpa persetujuan. Lengkapi persetujuan "
                                "(unggah dokumennya) atau ganti fotonya sebelum diajukan."))
        if photo.consent == "ya" and not photo.consent_path:
            raise DomainError(_("Unggah dokumen persetujuan orang dalam foto sebelum diajukan."))
        if photo.consent == "ya" and photo.consent_expires_on and photo.consent_expires_on < today():
            raise DomainError(_("Persetujuan orang dalam foto sudah kedaluwarsa (%(d)s). Perbarui persetujuannya "
                                "dulu.", d=_day(photo.consent_expires_on)))
    if item.valid_until and item.valid_until < today():
        raise DomainError(_("Masa berlaku item ini sudah lewat. Perbarui tanggal berlaku dulu."))


def submit(session, actor, item):
    if not can_edit_toolkit(actor, item, session):
        raise DomainError(_("Anda tidak dapat mengajukan item milik unit lain."))
    if item.status not in ("draf", "ditolak"):
        raise DomainError(_("Hanya draf atau item yang ditolak yang dapat diajukan."))
    _ready_for_review(session, item)
    before = item.status
    _move(session, actor, item, "diajukan")
    item.submitted_by_id, item.submitted_at = actor.id, utcnow()
    item.decided_by_id = item.decided_at = None
    item.rejection_reason = ""
    _audit_move(session, actor, "toolkit.submit", item, before)
    _commit(session)


def withdraw(session, actor, item):
    if not can_edit_toolkit(actor, item, session):
        raise DomainError(_("Anda tidak dapat menarik item milik unit lain."))
    if item.status != "diajukan":
        raise DomainError(_("Hanya item yang sedang diajukan yang dapat ditarik kembali."))
    _move(session, actor, item, "draf", _("Ditarik kembali oleh pengaju."))
    _audit_move(session, actor, "toolkit.withdraw", item, "diajukan")
    _commit(session)


def approval_problem(session, actor, item):
    """Why `actor` may not decide on `item` now (a translated message), or None."""
    if item.status != "diajukan":
        return _("Hanya item yang sedang diajukan yang dapat disetujui atau ditolak.")
    if not is_central_humas(actor, session):
        return _("Persetujuan hanya oleh admin atau humas Biro Hubungan Masyarakat.")
    if not can_approve_toolkit(actor, item, session):
        return _("Anda tidak dapat menyetujui atau menolak item yang Anda buat atau ajukan sendiri.")
    return None


def approve(session, actor, item):
    problem = approval_problem(session, actor, item)
    if problem:
        raise DomainError(problem)
    _ready_for_review(session, item)
    _move(session, actor, item, "disetujui")
    item.decided_by_id, item.decided_at = actor.id, utcnow()
    _audit_move(session, actor, "toolkit.approve", item, "diajukan")
    _commit(session)


def reject(session, actor, item, reason):
    problem = approval_problem(session, actor, item)
    if problem:
        raise DomainError(problem)
    reason = _text(reason, 1000, "reason", _("Alasan penolakan"))
    if len(reason) < 5:
        raise DomainError(_("Tuliskan alasan penolakan agar pengaju tahu apa yang perlu diperbaiki."), field="reason")
    _move(session, actor, item, "ditolak", reason)
    item.decided_by_id, item.decided_at, item.rejection_reason = actor.id, utcnow(), reason
    _audit_move(session, actor, "toolkit.reject", item, "diajukan", reason)
    _commit(session)


def archive(session, actor, item, note=""):
    if not (can_edit_toolkit(actor, item, session) or is_central_humas(actor, session)):
        raise DomainError(_("Anda tidak dapat mengarsipkan item milik unit lain."))
    if item.status == "diarsipkan":
        raise DomainError(_("Item ini sudah diarsipkan."))
    before = item.status
    _move(session, actor, item, "diarsipkan", note)
    _audit_move(session, actor, "toolkit.archive", item, before, note)
    _commit(session)


def restore(session, actor, item):
    if not can_edit_toolkit(actor, item, session):
        raise DomainError(_("Anda tidak dapat memulihkan item milik unit lain."))
    if item.status != "diarsipkan":
        raise DomainError(_("Hanya item yang diarsipkan yang dapat dipulihkan."))
    _move(session, actor, item, "draf", _("Dipulihkan dari arsip sebagai draf."))
    _audit_move(session, actor, "toolkit.restore", item, "diarsipkan")
    _commit(session)


def was_ever_approved(session, item):
    return session.exec(select(ToolkitStatusChange.id).where(ToolkitStatusChange.item_id == item.id,
                                                             ToolkitStatusChange.to_status == "disetujui")).first() \
        is not None


def delete_problem(session, actor, item):
    if item.status != "draf":
        return _("Hanya draf yang dapat dihapus; item lain diarsipkan.")
    if actor is None or item.created_by_id != actor.id:
        return _("Hanya pembuat draf yang dapat menghapusnya.")
    if was_ever_approved(session, item):
        return _("Item ini pernah disetujui dan tampil bagi pegawai; arsipkan, jangan dihapus.")
    return None


def delete_draft(session, actor, item):
    """Delete a never-approved draft with everything that hangs on it; its files go when nothing else uses them."""
    problem = delete_problem(session, actor, item)
    if problem:
        raise DomainError(problem)
    paths = []
    photo = session.get(ToolkitPhoto, item.id)
    if photo is not None:
        paths += [photo.path, photo.consent_path]
    regulation = session.get(ToolkitRegulation, item.id)
    if regulation is not None:
        paths.append(regulation.pdf_path)
    item_id, summary = item.id, f"{item.kind}: {item.title}"
    search.remove_document(session, SEARCH_KIND, item_id)
    for statement in (
        delete(ToolkitTag).where(ToolkitTag.item_id == item_id),
        delete(ToolkitStatusChange).where(ToolkitStatusChange.item_id == item_id),
        delete(ToolkitPhoto).where(ToolkitPhoto.item_id == item_id),
        delete(ToolkitRegulationRelation).where(or_(ToolkitRegulationRelation.source_id == item_id,
                                                    ToolkitRegulationRelation.target_id == item_id)),
        delete(ToolkitCitation).where(or_(ToolkitCitation.template_id == item_id,
                                          ToolkitCitation.regulation_id == item_id)),
        delete(ToolkitRegulation).where(ToolkitRegulation.item_id == item_id),
        delete(ToolkitTemplate).where(ToolkitTemplate.item_id == item_id),
    ):
        session.execute(statement)
    session.delete(item)
    audit.record(session, actor, "toolkit.delete", "toolkit_item", item_id, summary)
    _commit(session)
    _remove_unused(session, [p for p in paths if p])


# --- visibility, counters -----------------------------------------------------------------------------------------

def visible_clause(on=None):
    """What employees see: approved, and neither past its valid-until date nor past its photo consent."""
    on = on or today()
    return and_(ToolkitItem.status == "disetujui",
                or_(ToolkitItem.visible_until.is_(None), ToolkitItem.visible_until >= on))


def is_visible(item, on=None):
    on = on or today()
    return item.status == "disetujui" and (item.visible_until is None or item.visible_until >= on)


def viewable_item(session, user, item_id):
    """The item if `user` may see it (editors: any; employees: visible ones), else None."""
    item = session.get(ToolkitItem, item_id)
    if item is None:
        return None
    if is_editor(user) or is_visible(item):
        return item
    return None


def count_download(session, item_id):
    session.execute(update(ToolkitItem).where(ToolkitItem.id == item_id).values(
        download_count=ToolkitItem.download_count + 1, usage_count=ToolkitItem.usage_count + 1))
    session.commit()


def count_use(session, item_id):
    session.execute(update(ToolkitItem).where(ToolkitItem.id == item_id).values(
        use_count=ToolkitItem.use_count + 1, usage_count=ToolkitItem.usage_count + 1))
    session.commit()


# --- files of an item ---------------------------------------------------------------------------------------------

PHOTO_VARIANTS = ("asli", "thumb", "web", "square", "landscape")
FILE_VARIANTS = PHOTO_VARIANTS + ("pdf", "persetujuan")


@dataclass
class ItemFile:
    path: str
    mime: str
    download_name: str


def _slug(value, limit=60):
    slug = re.sub(r"[^a-z0-9]+", "-", (value or "").lower()).strip("-")
    return slug[:limit].strip("-") or "berkas"


def item_file(session, user, item, variant):
    """The stored file for `variant` of a visible item (renditions made on first use), or None.

    The consent document is for editors only: it carries the personal data of the people in the photo.
    """
    if variant not in FILE_VARIANTS:
        return None
    name = _slug(item.title)
    if item.kind == "photo" and variant in PHOTO_VARIANTS:
        photo = session.get(ToolkitPhoto, item.id)
        if photo is None:
            return None
        if variant == "asli":
            extension = photo.path.rsplit(".", 1)[-1]
            return ItemFile(photo.path, photo.mime, f"{name}.{extension}")
        return ItemFile(uploads.rendition(photo.path, variant), "image/jpeg", f"{name}-{variant}.jpg")
    # A consent document (personal data of the people in the photo): the owning unit's humas, central humas, admins.
    if item.kind == "photo" and variant == "persetujuan" and can_edit_toolkit(user, item, session):
        photo = session.get(ToolkitPhoto, item.id)
        if photo is None or not photo.consent_path:
            return None
        extension = photo.consent_path.rsplit(".", 1)[-1]
        return ItemFile(photo.consent_path, photo.consent_mime, f"persetujuan-{name}.{extension}")
    if item.kind == "regulation" and variant == "pdf":
        regulation = session.get(ToolkitRegulation, item.id)
        if regulation is None or not regulation.pdf_path:
            return None
        return ItemFile(regulation.pdf_path, "application/pdf",
                        f"{_slug(regulation_short(regulation, item.year), 40)}-{name}.pdf")
    return None


# --- answer templates: fill the placeholders ----------------------------------------------------------------------

def placeholders(body):
    """Placeholder names in the order they first appear."""
    names = []
    for name in PLACEHOLDER_RE.findall(body or ""):
        if name not in names:
            names.append(name)
    return names


def fill_template(body, values):
    """(plain text, Markup with the filled values marked): every piece is escaped, values never become markup."""
    text_parts, html_parts, last = [], [], 0
    for match in PLACEHOLDER_RE.finditer(body):
        text_parts.append(body[last:match.start()])
        html_parts.append(escape(body[last:match.start()]))
        value = " ".join(str(values.get(match.group(1), "")).split())
        text_parts.append(value)
        html_parts.append(Markup("<mark>{}</mark>").format(value))
        last = match.end()
    text_parts.append(body[last:])
    html_parts.append(escape(body[last:]))
    return "".join(text_parts), Markup("").join(html_parts)


def body_html(body):
    """The template body, escaped, with its placeholders marked."""
    parts, last = [], 0
    for match in PLACEHOLDER_RE.finditer(body or ""):
        parts.append(escape(body[last:match.start()]))
        parts.append(Markup('<span class="placeholder">{}</span>').format(match.group(0)))
        last = match.end()
    parts.append(escape((body or "")[last:]))
    return Markup("").join(parts)


def use_template(session, item, values):
    """Fill the template and count one use."""
    template = session.get(ToolkitTemplate, item.id)
    missing = [name for name in placeholders(template.body) if not " ".join(str(values.get(name, "")).split())]
    if missing:
        raise DomainError(_("Isi semua penanda: %(names)s.", names=", ".join(placeholder_label(n) for n in missing)))
    filled = fill_template(template.body, values)
    count_use(session, item.id)
    return filled


# --- one item with everything around it ---------------------------------------------------------------------------

@dataclass
class Related:
    label: str
    item: ToolkitItem
    short: str
    legal_status: str
    replaced_by: list = field(default_factory=list)  # short labels of the regulations that revoked it


@dataclass
class Detail:
    item: ToolkitItem
    unit: Unit | None
    tags: list
    photo: ToolkitPhoto | None = None
    regulation: ToolkitRegulation | None = None
    template: ToolkitTemplate | None = None
    relations: list = field(default_factory=list)  # Related, both directions
    citations: list = field(default_factory=list)  # Related: regulations a template cites
    cited_by: list = field(default_factory=list)  # Related: templates citing a regulation
    revoked: list = field(default_factory=list)  # Related: cited regulations now dicabut
    history: list = field(default_factory=list)  # (ToolkitStatusChange, actor name)
    people: dict = field(default_factory=dict)  # user id -> full name
    warnings: list = field(default_factory=list)  # for editors

    @property
    def short(self):
        if self.regulation is not None:
            return regulation_short(self.regulation, self.item.year)
        return ""

    @property
    def citation(self):
        if self.regulation is not None:
            return regulation_citation(self.regulation, self.item.year)
        return ""

    @property
    def channels(self):
        return [c for c in (self.template.channels.split(",") if self.template else []) if c]

    @property
    def placeholders(self):
        return placeholders(self.template.body) if self.template else []


RELATION_LABELS_OUT = {"mengubah": _l("Mengubah"), "mencabut": _l("Mencabut")}
RELATION_LABELS_IN = {"mengubah": _l("Diubah oleh"), "mencabut": _l("Dicabut oleh")}


def _related_regulations(session, editor, ids):
    """{id: (item, regulation)} of regulations the viewer may see."""
    if not ids:
        return {}
    statement = (select(ToolkitItem, ToolkitRegulation)
                 .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitItem.id)
                 .where(ToolkitItem.id.in_(ids)))
    if not editor:
        statement = statement.where(visible_clause())
    return {item.id: (item, regulation) for item, regulation in session.exec(statement).all()}


def _revoked_by(session, regulation_id):
    rows = session.exec(select(ToolkitItem, ToolkitRegulation)
                        .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitItem.id)
                        .join(ToolkitRegulationRelation, ToolkitRegulationRelation.source_id == ToolkitItem.id)
                        .where(ToolkitRegulationRelation.target_id == regulation_id,
                               ToolkitRegulationRelation.kind == "mencabut")).all()
    return [regulation_short(regulation, item.year) for item, regulation in rows]


def item_detail(session, user, item):
    editor = is_editor(user)
    detail = Detail(item=item, unit=session.get(Unit, item.owner_unit_id),
                    tags=list(session.exec(select(ToolkitTag.tag).where(ToolkitTag.item_id == item.id)
                                           .order_by(ToolkitTag.tag)).all()))
    on = today()
    if item.kind == "photo":
        detail.photo = session.get(ToolkitPhoto, item.id)
    elif item.kind == "regulation":
        detail.regulation = session.get(ToolkitRegulation, item.id)
        rows = session.exec(select(ToolkitRegulationRelation).where(or_(
            ToolkitRegulationRelation.source_id == item.id, ToolkitRegulationRelation.target_id == item.id))).all()
        others = _related_regulations(session, editor, {r.target_id if r.source_id == item.id else r.source_id
                                                        for r in rows})
        for row in rows:
            outgoing = row.source_id == item.id
            other = others.get(row.target_id if outgoing else row.source_id)
            if other is None:
                continue
            label = (RELATION_LABELS_OUT if outgoing else RELATION_LABELS_IN)[row.kind]
            detail.relations.append(Related(str(label), other[0], regulation_short(other[1], other[0].year),
                                            other[1].legal_status))
        detail.relations.sort(key=lambda r: (r.label, r.item.year or 0))
        citing = select(ToolkitItem).join(ToolkitCitation, ToolkitCitation.template_id == ToolkitItem.id).where(
            ToolkitCitation.regulation_id == item.id).order_by(ToolkitItem.title)
        if not editor:
            citing = citing.where(visible_clause())
        else:
            citing = citing.where(ToolkitItem.status != "diarsipkan")
        detail.cited_by = [Related("", t, "", "") for t in session.exec(citing.limit(50)).all()]
    elif item.kind == "template":
        detail.template = session.get(ToolkitTemplate, item.id)
        cited = session.exec(select(ToolkitCitation.regulation_id)
                             .where(ToolkitCitation.template_id == item.id)).all()
        # The warning about a revoked regulation shows to everyone, even when the regulation itself is not visible.
        all_cited = _related_regulations(session, True, set(cited))
        visible = _related_regulations(session, editor, set(cited)) if not editor else all_cited
        for reg_id in cited:
            if reg_id not in all_cited:
                continue
            reg_item, regulation = all_cited[reg_id]
            related = Related("", reg_item, regulation_short(regulation, reg_item.year), regulation.legal_status)
            if reg_id in visible:
                detail.citations.append(related)
            if regulation.legal_status == "dicabut":
                related.replaced_by = _revoked_by(session, reg_id)
                detail.revoked.append(related)
    if editor:
        detail.history = session.exec(select(ToolkitStatusChange).where(ToolkitStatusChange.item_id == item.id)
                                      .order_by(ToolkitStatusChange.at, ToolkitStatusChange.id)).all()
        ids = {h.actor_id for h in detail.history} | {item.created_by_id, item.submitted_by_id, item.decided_by_id}
        ids.discard(None)
        if ids:
            detail.people = dict(session.exec(select(User.id, User.full_name).where(User.id.in_(ids))).all())
        detail.warnings = item_warnings(item, detail.photo, on)
    return detail


def _day(value):
    return format_date(value, "d MMMM yyyy")


def item_warnings(item, photo, on=None):
    """What humas should act on: expired or soon-expiring consent and validity."""
    on = on or today()
    warnings = []
    if photo is not None and photo.consent == "ya" and photo.consent_expires_on:
        days = (photo.consent_expires_on - on).days
        if days < 0:
            warnings.append(_("Persetujuan orang dalam foto kedaluwarsa sejak %(d)s: foto ini tidak tampil bagi "
                              "pegawai. Perbarui dokumen persetujuan atau arsipkan foto.",
                              d=_day(photo.consent_expires_on)))
        elif days <= WARN_DAYS:
            warnings.append(_("Persetujuan orang dalam foto berakhir %(d)s (%(n)d hari lagi).",
                              d=_day(photo.consent_expires_on), n=days))
    if photo is not None and photo.consent == "tidak":
        warnings.append(_("Ada orang yang dapat dikenali tanpa persetujuan: foto ini tidak dapat diajukan."))
    if item.valid_until:
        days = (item.valid_until - on).days
        if days < 0:
            warnings.append(_("Masa berlaku berakhir %(d)s: item ini tidak tampil bagi pegawai.",
                              d=_day(item.valid_until)))
        elif days <= WARN_DAYS:
            warnings.append(_("Masa berlaku berakhir %(d)s (%(n)d hari lagi).",
                              d=_day(item.valid_until), n=days))
    return warnings


def regulation_choices(session, exclude_id=None):
    """(id, label) of every regulation not archived, for relation and citation pickers."""
    rows = session.exec(select(ToolkitItem, ToolkitRegulation)
                        .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitItem.id)
                        .where(ToolkitItem.status != "diarsipkan")
                        .order_by(ToolkitRegulation.reg_type, ToolkitItem.year.desc(), ToolkitItem.id)).all()
    return [(item.id, f"{regulation_short(reg, item.year)} — {item.title}"
             + (f" ({reg.legal_status})" if reg.legal_status != "berlaku" else ""))
            for item, reg in rows if item.id != exclude_id]


def form_values(session, item):
    """The stored values of an item in the shape `save_item` takes (for the edit form)."""
    values = {"title": item.title, "description": item.description, "owner_unit_id": item.owner_unit_id,
              "valid_until": item.valid_until,
              "tags": ", ".join(session.exec(select(ToolkitTag.tag).where(ToolkitTag.item_id == item.id)
                                             .order_by(ToolkitTag.tag)).all())}
    if item.kind == "photo":
        photo = session.get(ToolkitPhoto, item.id)
        values.update({k: getattr(photo, k) for k in ("credit", "taken_on", "place", "licence", "consent",
                                                      "consent_expires_on")})
    elif item.kind == "regulation":
        regulation = session.get(ToolkitRegulation, item.id)
        values.update({k: getattr(regulation, k) or "" for k in ("reg_type", "number", "short_name", "issuer",
                                                                "legal_status")})
        values.update({"year": item.year, "enacted_on": regulation.enacted_on})
        relations = session.exec(select(ToolkitRegulationRelation)
                                 .where(ToolkitRegulationRelation.source_id == item.id)).all()
        values["amends"] = [r.target_id for r in relations if r.kind == "mengubah"]
        values["revokes"] = [r.target_id for r in relations if r.kind == "mencabut"]
    else:
        template = session.get(ToolkitTemplate, item.id)
        values.update({"body": template.body, "category": template.category,
                       "channels": [c for c in template.channels.split(",") if c],
                       "cites": list(session.exec(select(ToolkitCitation.regulation_id)
                                                  .where(ToolkitCitation.template_id == item.id)).all())})
    return values


# --- search with facets -------------------------------------------------------------------------------------------

@dataclass
class Query:
    q: str = ""
    kind: str | None = None
    tags: tuple = ()
    unit_id: int | None = None
    year: int | None = None
    status: str | None = None  # editors only
    sort: str = ""
    page: int = 1
    facets: bool = True

    def args(self, **changes):
        """The URL arguments of this query, with `changes` (None removes an argument)."""
        values = {"q": self.q or None, "kind": self.kind, "tag": list(self.tags) or None, "unit": self.unit_id,
                  "year": self.year, "status": self.status, "sort": self.sort or None}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", [])}

    def toggle_tag(self, tag):
        tags = [t for t in self.tags if t != tag] if tag in self.tags else [*self.tags, tag]
        return self.args(tag=tags or None)

    @property
    def filtered(self):
        return bool(self.kind or self.tags or self.unit_id or self.year or self.status)


@dataclass
class Result:
    item: ToolkitItem
    unit_name: str
    tags: list
    title_html: Markup
    snippet: Markup
    photo: ToolkitPhoto | None = None
    regulation: ToolkitRegulation | None = None
    template: ToolkitTemplate | None = None
    revoked: bool = False
    visible: bool = True

    @property
    def short(self):
        return regulation_short(self.regulation, self.item.year) if self.regulation else ""


@dataclass
class Found:
    results: list
    total: int
    pages: int
    facets: dict = field(default_factory=dict)  # name -> [(value, label, count)]
    suggestions: dict = field(default_factory=dict)  # "words" -> [(word, count)], "tags" -> [tag]
    searched: bool = False  # the query had searchable words


KIND_LABELS = {"photo": _l("Foto"), "regulation": _l("Peraturan"), "template": _l("Templat jawaban")}
STATUS_LABELS = {"draf": _l("Draf"), "diajukan": _l("Diajukan"), "disetujui": _l("Disetujui"),
                 "ditolak": _l("Ditolak"), "diarsipkan": _l("Diarsipkan")}


def search_items(session, user, query):
    """Results, total, facets and, for an empty result, suggestions. Employees only ever see visible items; editors
    see every status (archived ones when asked for).

    Facets are counted in SQL with GROUP BY over the filtered set, each facet ignoring its own filter (so another
    kind, unit, year or status can be picked), all in one statement over one full-text match."""
    editor = is_editor(user)
    on = today()
    # Filters that narrow the set for every facet: what the viewer may see, the words, the tags.
    base_conditions = [visible_clause(on)] if not editor else []
    for tag in query.tags:
        tagged = aliased(ToolkitTag)
        base_conditions.append(ToolkitItem.id.in_(select(tagged.item_id).where(tagged.tag == tag)))
    # Facet filters: each facet is counted without its own.
    facet_conditions = {}
    if editor:
        facet_conditions["status"] = (ToolkitItem.status == query.status if query.status
                                      else ToolkitItem.status != "diarsipkan")
    if query.kind:
        facet_conditions["kind"] = ToolkitItem.kind == query.kind
    if query.unit_id:
        facet_conditions["unit"] = ToolkitItem.owner_unit_id == query.unit_id
    if query.year:
        facet_conditions["year"] = ToolkitItem.year == query.year
    match = search.matching(session, SEARCH_KIND, query.q) if query.q else None
    unscored = search.matching(session, SEARCH_KIND, query.q, scored=False) if query.q else None

    found = Found(results=[], total=0, pages=1, searched=match is not None)
    if query.facets:
        key = (editor, tuple(search.query_terms(query.q)), query.kind, query.tags, query.unit_id, query.year,
               query.status, on)
        cached = _cached_facets(key)
        if cached is None:
            cached = _facets(session, editor, query, unscored, base_conditions, facet_conditions)
            _cache_facets(key, cached)
        found.facets, found.total = cached
    else:
        statement = select(func.count()).select_from(ToolkitItem)
        if unscored is not None:
            statement = statement.join(unscored, unscored.c.ref_id == ToolkitItem.id)
        found.total = session.exec(statement.where(*base_conditions, *facet_conditions.values())).one()
    found.pages = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    if found.total:
        sort = query.sort if query.sort in SORTS else ("relevance" if match is not None else "newest")
        if sort == "relevance" and match is not None:
            order = (match.c.score.desc(), ToolkitItem.id.desc())
        elif sort == "used":
            order = (ToolkitItem.usage_count.desc(), ToolkitItem.id.desc())
        elif sort == "title":
            order = (ToolkitItem.title, ToolkitItem.id)
        else:
            order = (ToolkitItem.created_at.desc(), ToolkitItem.id.desc())
        page = min(max(query.page, 1), found.pages)
        statement = select(ToolkitItem)
        if match is not None:
            statement = statement.join(match, match.c.ref_id == ToolkitItem.id)
        items = session.exec(statement.where(*base_conditions, *facet_conditions.values()).order_by(*order)
                             .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        found.results = _results(session, items, query.q, on)
    else:
        found.suggestions = _suggestions(session, editor, query, on)
    return found


# Facet counts of large sets are kept for a short while (per process): counting tags over 100,000 items is the
# costliest part of a search. Every toolkit write in this process forgets them at once; another process's writes
# show within TOOLKIT_FACET_CACHE_SECONDS. Small sets (below TOOLKIT_FACET_CACHE_MIN) are always counted afresh.
FACET_CACHE_KEY = "toolkit_facet_cache"


def _facet_cache():
    if not has_app_context() or not current_app.config.get("TOOLKIT_FACET_CACHE_SECONDS", 60):
        return None
    return current_app.extensions.setdefault(FACET_CACHE_KEY, {})


def _cached_facets(key):
    cache = _facet_cache()
    entry = cache.get(key) if cache is not None else None
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def _cache_facets(key, value):
    cache = _facet_cache()
    if cache is None or value[1] < current_app.config.get("TOOLKIT_FACET_CACHE_MIN", 1000):
        return
    if len(cache) >= 500:
        cache.clear()
    cache[key] = (time.monotonic() + current_app.config.get("TOOLKIT_FACET_CACHE_SECONDS", 60), value)


def forget_facets():
    """Called after every toolkit write: this process's facet counts are recomputed on the next search."""
    cache = _facet_cache()
    if cache:
        cache.clear()


def _facets(session, editor, query, match, base_conditions, facet_conditions):
    """({facet: [(value, label, count)]}, total) in one statement: the filtered set is materialised once, then
    grouped by kind, tag, unit, year (and status for editors), each branch ignoring its own filter."""
    columns = [ToolkitItem.id.label("id"), ToolkitItem.kind.label("kind"), ToolkitItem.owner_unit_id.label("unit"),
               ToolkitItem.year.label("year"), ToolkitItem.status.label("status")]
    base = select(*columns)
    if match is not None:
        base = base.join(match, match.c.ref_id == ToolkitItem.id)
    base = base.where(*base_conditions).cte("toolkit_filtered").prefix_with("MATERIALIZED")
    # The facet filters again, on the materialised set's columns.
    on_base = {}
    for name in facet_conditions:
        column = {"status": base.c.status, "kind": base.c.kind, "unit": base.c.unit, "year": base.c.year}[name]
        value = {"status": query.status, "kind": query.kind, "unit": query.unit_id, "year": query.year}[name]
        on_base[name] = column == value if value is not None else column != "diarsipkan"

    def branch(name, column, limit=None, by_value=False):
        inner = (select(literal(name).label("facet"), cast(column, String).label("value"),
                        func.count().label("n")).select_from(base)
                 .where(*[c for key, c in on_base.items() if key != name]).group_by(column)
                 .order_by(column.desc() if by_value else func.count().desc(), column))
        if limit:
            inner = inner.limit(limit)
        return select(inner.subquery().c)

    tags = (select(literal("tag").label("facet"), ToolkitTag.tag.label("value"), func.count().label("n"))
            .select_from(base).join(ToolkitTag, ToolkitTag.item_id == base.c.id).where(*on_base.values())
            .group_by(ToolkitTag.tag).order_by(func.count().desc(), ToolkitTag.tag).limit(15))
    branches = [branch("kind", base.c.kind), select(tags.subquery().c), branch("unit", base.c.unit, limit=15),
                branch("year", base.c.year, limit=20, by_value=True)]
    if editor:
        branches.append(branch("status", base.c.status))
    grouped = {}
    for facet, value, n in session.execute(union_all(*branches)).all():
        if value is not None:
            grouped.setdefault(facet, []).append((value, n))
    kinds = dict(grouped.get("kind", []))
    total = kinds.get(query.kind, 0) if query.kind else sum(kinds.values())
    facets = {"kind": [(k, str(KIND_LABELS[k]), kinds[k]) for k in KINDS if k in kinds],
              "tag": [(t, t, n) for t, n in grouped.get("tag", [])]}
    units = [(int(u), n) for u, n in grouped.get("unit", [])]
    names = dict(session.exec(select(Unit.id, Unit.name).where(Unit.id.in_([u for u, _n in units])))
                 .all()) if units else {}
    facets["unit"] = [(u, names.get(u, "?"), n) for u, n in units]
    facets["year"] = [(int(y), y, n) for y, n in grouped.get("year", [])]
    if editor:
        counts = dict(grouped.get("status", []))
        facets["status"] = [(s, str(STATUS_LABELS[s]), counts[s]) for s in STATUSES if s in counts]
    return facets, total


def _results(session, items, q, on):
    if not items:
        return []
    ids = [item.id for item in items]
    tags = {}
    for item_id, tag in session.exec(select(ToolkitTag.item_id, ToolkitTag.tag).where(ToolkitTag.item_id.in_(ids))
                                     .order_by(ToolkitTag.tag)).all():
        tags.setdefault(item_id, []).append(tag)
    units = dict(session.exec(select(Unit.id, Unit.name)
                              .where(Unit.id.in_({item.owner_unit_id for item in items}))).all())
    photos = {p.item_id: p for p in session.exec(select(ToolkitPhoto).where(ToolkitPhoto.item_id.in_(ids))).all()}
    regulations = {r.item_id: r for r in session.exec(select(ToolkitRegulation)
                                                      .where(ToolkitRegulation.item_id.in_(ids))).all()}
    templates = {t.item_id: t for t in session.exec(select(ToolkitTemplate)
                                                    .where(ToolkitTemplate.item_id.in_(ids))).all()}
    revoked = revoked_citing(session, ids)
    results = []
    for item in items:
        regulation, template = regulations.get(item.id), templates.get(item.id)
        title = f"{regulation_short(regulation, item.year)} — {item.title}" if regulation else item.title
        text = item.description or (template.body if template else "")
        if q:
            title_html = search.highlight(title, q, max_length=300)
            snippet = search.highlight(f"{text} {template.body}" if template and item.description else text, q,
                                       max_length=220)
        else:
            title_html = escape(title)
            snippet = escape(text[:220] + ("…" if len(text) > 220 else ""))
        results.append(Result(item=item, unit_name=units.get(item.owner_unit_id, ""), tags=tags.get(item.id, []),
                              title_html=title_html, snippet=snippet, photo=photos.get(item.id),
                              regulation=regulation, template=template, revoked=item.id in revoked,
                              visible=is_visible(item, on)))
    return results


def revoked_citing(session, template_ids=None):
    """Ids of templates (among `template_ids`, or all not archived) citing a regulation whose status is dicabut."""
    statement = (select(ToolkitCitation.template_id).distinct()
                 .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitCitation.regulation_id)
                 .where(ToolkitRegulation.legal_status == "dicabut"))
    if template_ids is not None:
        statement = statement.where(ToolkitCitation.template_id.in_(template_ids))
    return set(session.exec(statement).all())


def _suggestions(session, editor, query, on):
    """For an empty result: single words of the query that do find something, tags starting with a word of the
    query, and tags of recent items. Cheap queries only (an empty result is common while typing)."""
    base = [visible_clause(on)] if not editor else [ToolkitItem.status != "diarsipkan"]
    words, seen = [], []
    for word in search.tokens(query.q):
        if word in search.STOPWORDS or word in seen or len(seen) >= 4:
            continue
        seen.append(word)
        match = search.matching(session, SEARCH_KIND, word, scored=False)
        if match is None:
            continue
        n = session.exec(select(func.count()).select_from(ToolkitItem)
                         .join(match, match.c.ref_id == ToolkitItem.id).where(*base)).one()
        if n and word != query.q.strip().lower():
            words.append((word, n))
    tags = []
    for word in seen:
        if len(word) < 3:
            continue
        # A range on the tag index (tags are stored lowercase), then one visible item per tag.
        for tag in session.exec(select(ToolkitTag.tag).distinct()
                                .where(ToolkitTag.tag >= word, ToolkitTag.tag < word + "\uffff").limit(10)).all():
            visible = session.exec(select(ToolkitItem.id).join(ToolkitTag, ToolkitTag.item_id == ToolkitItem.id)
                                   .where(ToolkitTag.tag == tag, *base).limit(1)).first()
            if visible is not None and tag not in tags:
                tags.append(tag)
    if len(tags) < 6:
        recent = select(ToolkitItem.id).where(*base).order_by(ToolkitItem.created_at.desc()).limit(2000)
        rows = session.exec(select(ToolkitTag.tag, func.count()).where(ToolkitTag.item_id.in_(recent))
                            .group_by(ToolkitTag.tag).order_by(func.count().desc(), ToolkitTag.tag).limit(8)).all()
        tags += [t for t, _n in rows if t not in tags and t not in query.tags]
    return {"words": words, "tags": tags[:8]}


# --- the humas work list ------------------------------------------------------------------------------------------

@dataclass
class Worklist:
    counts: dict
    waiting: list  # (item, can decide, submitter name)
    drafts: list
    rejected: list
    attention: list  # (item, [warnings])
    revoked_templates: list


def worklist(session, user, limit=50):
    on = today()
    counts = dict(session.exec(select(ToolkitItem.status, func.count()).group_by(ToolkitItem.status)).all())
    names = {}

    def name_of(user_id):
        if user_id and user_id not in names:
            person = session.get(User, user_id)
            names[user_id] = person.full_name if person else "?"
        return names.get(user_id, "")

    waiting = [(item, approval_problem(session, user, item) is None, name_of(item.submitted_by_id))
               for item in session.exec(select(ToolkitItem).where(ToolkitItem.status == "diajukan")
                                        .order_by(ToolkitItem.submitted_at, ToolkitItem.id).limit(limit)).all()]
    drafts = session.exec(select(ToolkitItem).where(ToolkitItem.status == "draf")
                          .order_by(ToolkitItem.updated_at.desc()).limit(limit)).all()
    rejected = session.exec(select(ToolkitItem).where(ToolkitItem.status == "ditolak")
                            .order_by(ToolkitItem.decided_at.desc()).limit(limit)).all()
    soon = date.fromordinal(on.toordinal() + WARN_DAYS)
    attention = []
    rows = session.exec(select(ToolkitItem, ToolkitPhoto).join(ToolkitPhoto, ToolkitPhoto.item_id == ToolkitItem.id,
                                                               isouter=True)
                        .where(ToolkitItem.status.in_(("disetujui", "diajukan")), or_(
                            ToolkitItem.valid_until <= soon,
                            and_(ToolkitPhoto.consent == "ya", ToolkitPhoto.consent_expires_on <= soon)))
                        .order_by(ToolkitItem.visible_until).limit(limit)).all()
    for item, photo in rows:
        warnings = item_warnings(item, photo, on)
        if warnings:
            attention.append((item, warnings))
    revoked_ids = revoked_citing(session)
    revoked_templates = session.exec(select(ToolkitItem).where(ToolkitItem.id.in_(revoked_ids),
                                                               ToolkitItem.status != "diarsipkan")
                                     .order_by(ToolkitItem.title)).all() if revoked_ids else []
    return Worklist(counts=counts, waiting=waiting, drafts=drafts, rejected=rejected, attention=attention,
                    revoked_templates=revoked_templates)


# --- dashboard ----------------------------------------------------------------------------------------------------

def dashboard_cards(session, user):
    """For humas and admins: what waits for them in the toolkit (approvals, own rejected items, warnings)."""
    if not is_editor(user):
        return []
    from flask import url_for

    work = worklist(session, user)
    to_approve = sum(1 for _item, may_approve, _submitter in work.waiting if may_approve)
    rejected = sum(1 for item in work.rejected if item.created_by_id == user.id)
    warnings = len(work.attention) + len(work.revoked_templates)
    if not (to_approve or rejected or warnings):
        return []
    parts = []
    if to_approve:
        parts.append(_("%(n)d item menunggu persetujuan Anda.", n=to_approve))
    if rejected:
        parts.append(_("%(n)d item Anda ditolak dan perlu diperbaiki.", n=rejected))
    if warnings:
        parts.append(_("%(n)d item perlu perhatian (masa berlaku, izin foto, atau peraturan yang dicabut).",
                       n=warnings))
    return [{"title": _("Perangkat humas"), "body": " ".join(parts), "progress": None,
             "url": url_for("toolkit.manage"), "action": _("Buka daftar kerja"), "tone": "warn"}]
