"""Saving photos, regulations and answer templates (create and edit), their tags, relations and search index.

`save_item` checks everything (portal/toolkit/validation.py, then the uploaded files) before it writes a row, and
writes the files only after the commit (portal/toolkit/files.py); it flushes and never commits: the request (or
`db.unit_of_work`) commits once.
"""

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlmodel import select

from portal import audit, search
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
    utcnow,
)
from portal.models.toolkit import KINDS
from portal.toolkit import facets
from portal.toolkit import files as item_files
from portal.toolkit.access import can_edit_item
from portal.toolkit.labels import SEARCH_KIND, regulation_search_forms, regulation_short, today
from portal.toolkit.validation import CHECKS, check_common

AUDITED = ("title", "status", "owner_unit_id", "valid_until")


def record_status(session, actor, item, from_status, to_status, note=""):
    session.add(ToolkitStatusChange(item_id=item.id, from_status=from_status, to_status=to_status,
                                    actor_id=getattr(actor, "id", None), note=(note or "")[:1000]))


def move(session, actor, item, to_status, note=""):
    """Change an item's status and keep the history."""
    from_status = item.status
    item.status = to_status
    item.updated_at = utcnow()
    session.add(item)
    record_status(session, actor, item, from_status, to_status, note)


def save_item(session, actor, kind, values, files=None, item=None):
    """Create (item=None) or update an item of `kind` from plain `values`; `files` maps "photo" -> (bytes, name),
    "consent" -> bytes, "pdf" -> bytes. Editing an item that is not a draft sends it back to draft: it leaves the
    employees' view until it is submitted and approved again."""
    if kind not in KINDS:
        raise DomainError(_("Jenis item tidak dikenal."))
    files = files or {}
    if item is not None and item.status == "diarsipkan":
        raise DomainError(_("Item yang diarsipkan tidak dapat diubah. Pulihkan dulu sebagai draf."))
    if item is not None and actor is not None and not can_edit_item(actor, item, session):
        raise DomainError(_("Anda tidak dapat mengubah item milik unit lain."))
    if item is None and kind == "photo" and not files.get("photo"):
        raise DomainError(_("Pilih berkas foto (JPEG, PNG, atau WebP)."), field="photo")
    common = check_common(session, actor, values)
    details = CHECKS[kind](session, values, item)
    checked = item_files.check_uploads(kind, files)
    is_new = item is None
    before = None if is_new else audit.snapshot(item, AUDITED)
    if is_new:
        item = ToolkitItem(kind=kind, status="draf", created_by_id=getattr(actor, "id", None),
                           title=common["title"], owner_unit_id=common["owner_unit_id"])
    item.title, item.description = common["title"], common["description"]
    item.owner_unit_id, item.valid_until = common["owner_unit_id"], common["valid_until"]
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    if is_new:
        record_status(session, actor, item, None, "draf")
    elif item.status != "draf":
        move(session, actor, item, "draf", _("Diubah; perlu diajukan dan disetujui lagi sebelum tampil bagi pegawai."))
    replaced = []
    consent_expiry = None
    if kind == "photo":
        photo = _save_photo(session, actor, item, details, checked, replaced)
        consent_expiry = photo.consent_expires_on if photo.consent == "ya" else None
        item.year = details["taken_on"].year if details["taken_on"] else None
    elif kind == "regulation":
        _save_regulation(session, item, details, checked, replaced, remove_pdf=values.get("remove_pdf"))
        item.year = details["year"]
    else:
        _save_template(session, item, details)
        item.year = item.created_at.year if item.created_at else today().year
    item.visible_until = min((d for d in (item.valid_until, consent_expiry) if d), default=None)
    _set_tags(session, item, common["tags"])
    session.flush()
    reindex_item(session, item, common["tags"])
    audit.record(session, actor, "toolkit.create" if is_new else "toolkit.update", "toolkit_item", item.id,
                 f"{kind}: {item.title}", before=before, after=audit.snapshot(item, AUDITED))
    item_files.remove_after_commit(session, replaced)
    facets.changed(session)
    return item


def _save_photo(session, actor, item, details, checked, replaced):
    photo = session.get(ToolkitPhoto, item.id)
    if "photo" in checked:
        pending, name = checked["photo"]
        stored = pending.stored
        if photo is not None and photo.path != stored.path:
            replaced.append(photo.path)
        values = {"sha256": stored.sha256, "path": stored.path, "mime": stored.mime, "size": stored.size,
                  "width": stored.width, "height": stored.height, "original_name": (name or "")[-200:]}
        if photo is None:
            photo = ToolkitPhoto(item_id=item.id, **values)
        else:
            for key, value in values.items():
                setattr(photo, key, value)
        item_files.place_photo(session, actor, pending)
    for key in ("credit", "taken_on", "place", "licence", "consent", "consent_expires_on"):
        setattr(photo, key, details[key])
    if "consent" in checked:
        document = checked["consent"]
        if photo.consent_path and photo.consent_path != document.stored.path:
            replaced.append(photo.consent_path)
        photo.consent_path, photo.consent_mime = document.stored.path, document.stored.mime
        from portal import uploads

        uploads.place_after_commit(session, document)
    if photo.consent != "ya" and photo.consent_path:
        replaced.append(photo.consent_path)  # no people to ask: the old form is not kept
        photo.consent_path = photo.consent_mime = None
    session.add(photo)
    return photo


def _save_regulation(session, item, details, checked, replaced, remove_pdf=False):
    from portal import uploads

    regulation = session.get(ToolkitRegulation, item.id) or ToolkitRegulation(item_id=item.id, reg_type="UU")
    for key in ("reg_type", "number", "short_name", "issuer", "enacted_on", "legal_status"):
        setattr(regulation, key, details[key])
    if "pdf" in checked:
        stored = checked["pdf"].stored
        if regulation.pdf_path and regulation.pdf_path != stored.path:
            replaced.append(regulation.pdf_path)
        regulation.pdf_path, regulation.pdf_size, regulation.pdf_checked = stored.path, stored.size, True
        uploads.place_after_commit(session, checked["pdf"])
    elif remove_pdf and regulation.pdf_path:
        replaced.append(regulation.pdf_path)
        regulation.pdf_path = regulation.pdf_size = None
        regulation.pdf_checked = False
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


def reindex_item(session, item, tags=None):
    if tags is None:
        tags = session.exec(select(ToolkitTag.tag).where(ToolkitTag.item_id == item.id)).all()
    details = {"regulation": session.get(ToolkitRegulation, item.id) if item.kind == "regulation" else None,
               "template": session.get(ToolkitTemplate, item.id) if item.kind == "template" else None,
               "photo": session.get(ToolkitPhoto, item.id) if item.kind == "photo" else None}
    title, body, extra = index_texts(item, tags, **details)
    search.index_document(session, SEARCH_KIND, item.id, title, body, extra=extra)


# --- the edit form ------------------------------------------------------------------------------------------------

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
