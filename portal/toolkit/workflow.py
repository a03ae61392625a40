"""The review workflow: draf → diajukan → disetujui | ditolak → diarsipkan (and back to draf), deleting a draft,
and counting downloads.

Each step checks its row rule (portal/toolkit/access.py), records the status history and the audit log, and sends
its domain event (portal/events.py) inside the transaction; nothing here commits.
"""

from flask_babel import gettext as _
from sqlalchemy import delete, or_, update

from portal import audit, events, search
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
from portal.toolkit import facets, files
from portal.toolkit.access import approval_problem, can_archive_item, can_edit_item, delete_problem
from portal.toolkit.editing import move
from portal.toolkit.labels import SEARCH_KIND, day, today
from portal.toolkit.validation import check_reason


def _audit_move(session, actor, action, item, before_status, note=""):
    audit.record(session, actor, action, "toolkit_item", item.id, f"{item.kind}: {item.title}"[:300] +
                 (f" — {note}" if note else ""), before={"status": before_status}, after={"status": item.status})
    facets.changed(session)


def ready_for_review(session, item):
    """A DomainError when the item cannot be shown to employees yet (consent missing or expired, validity past)."""
    if item.kind == "photo":
        photo = session.get(ToolkitPhoto, item.id)
        if photo.consent == "tidak":
            raise DomainError(_("Foto ini memuat orang yang dapat dikenali tanpa persetujuan. Lengkapi persetujuan "
                                "(unggah dokumennya) atau ganti fotonya sebelum diajukan."))
        if photo.consent == "ya" and not photo.consent_path:
            raise DomainError(_("Unggah dokumen persetujuan orang dalam foto sebelum diajukan."))
        if photo.consent == "ya" and photo.consent_expires_on and photo.consent_expires_on < today():
            raise DomainError(_("Persetujuan orang dalam foto sudah kedaluwarsa (%(d)s). Perbarui persetujuannya "
                                "dulu.", d=day(photo.consent_expires_on)))
    if item.valid_until and item.valid_until < today():
        raise DomainError(_("Masa berlaku item ini sudah lewat. Perbarui tanggal berlaku dulu."))


def submit(session, actor, item):
    if not can_edit_item(actor, item, session):
        raise DomainError(_("Anda tidak dapat mengajukan item milik unit lain."))
    if item.status not in ("draf", "ditolak"):
        raise DomainError(_("Hanya draf atau item yang ditolak yang dapat diajukan."))
    ready_for_review(session, item)
    before = item.status
    move(session, actor, item, "diajukan")
    item.submitted_by_id, item.submitted_at = actor.id, utcnow()
    item.decided_by_id = item.decided_at = None
    item.rejection_reason = ""
    _audit_move(session, actor, "toolkit.submit", item, before)
    events.toolkit_item_submitted.send(session, actor=actor, item=item)


def withdraw(session, actor, item):
    if not can_edit_item(actor, item, session):
        raise DomainError(_("Anda tidak dapat menarik item milik unit lain."))
    if item.status != "diajukan":
        raise DomainError(_("Hanya item yang sedang diajukan yang dapat ditarik kembali."))
    move(session, actor, item, "draf", _("Ditarik kembali oleh pengaju."))
    _audit_move(session, actor, "toolkit.withdraw", item, "diajukan")


def approve(session, actor, item):
    problem = approval_problem(session, actor, item)
    if problem:
        raise DomainError(problem)
    ready_for_review(session, item)
    move(session, actor, item, "disetujui")
    item.decided_by_id, item.decided_at = actor.id, utcnow()
    _audit_move(session, actor, "toolkit.approve", item, "diajukan")
    events.toolkit_item_decided.send(session, actor=actor, item=item, decision="approved", note="")


def reject(session, actor, item, reason):
    problem = approval_problem(session, actor, item)
    if problem:
        raise DomainError(problem)
    reason = check_reason(reason)
    move(session, actor, item, "ditolak", reason)
    item.decided_by_id, item.decided_at, item.rejection_reason = actor.id, utcnow(), reason
    _audit_move(session, actor, "toolkit.reject", item, "diajukan", reason)
    events.toolkit_item_decided.send(session, actor=actor, item=item, decision="rejected", note=reason)


def archive(session, actor, item, note=""):
    if not can_archive_item(actor, item, session):
        raise DomainError(_("Anda tidak dapat mengarsipkan item milik unit lain."))
    if item.status == "diarsipkan":
        raise DomainError(_("Item ini sudah diarsipkan."))
    before = item.status
    move(session, actor, item, "diarsipkan", note)
    _audit_move(session, actor, "toolkit.archive", item, before, note)


def restore(session, actor, item):
    if not can_edit_item(actor, item, session):
        raise DomainError(_("Anda tidak dapat memulihkan item milik unit lain."))
    if item.status != "diarsipkan":
        raise DomainError(_("Hanya item yang diarsipkan yang dapat dipulihkan."))
    move(session, actor, item, "draf", _("Dipulihkan dari arsip sebagai draf."))
    _audit_move(session, actor, "toolkit.restore", item, "diarsipkan")


def delete_draft(session, actor, item):
    """Delete a never-approved draft with everything that hangs on it; its files go (after the commit) when nothing
    else uses them."""
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
    facets.changed(session)
    files.remove_after_commit(session, paths)


def count_download(session, item_id):
    session.execute(update(ToolkitItem).where(ToolkitItem.id == item_id).values(
        download_count=ToolkitItem.download_count + 1, usage_count=ToolkitItem.usage_count + 1))
