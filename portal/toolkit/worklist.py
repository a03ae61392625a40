"""The humas work list: what waits for approval, drafts, rejected items and what needs attention; and the
dashboard card that points to it. A regional humas sees the items of their own subtree (and approved ones)."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, or_
from sqlmodel import select

from portal.models import ToolkitItem, ToolkitPhoto, User
from portal.toolkit.access import approval_problem, is_editor, seen_clause
from portal.toolkit.finder import revoked_citing
from portal.toolkit.item_page import WARN_DAYS, item_warnings
from portal.toolkit.labels import today


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
    seen = seen_clause(user, session, on)
    scope = [seen] if seen is not None else []
    counts = dict(session.exec(select(ToolkitItem.status, func.count()).where(*scope)
                               .group_by(ToolkitItem.status)).all())
    waiting_items = session.exec(select(ToolkitItem).where(ToolkitItem.status == "diajukan", *scope)
                                 .order_by(ToolkitItem.submitted_at, ToolkitItem.id).limit(limit)).all()
    submitters = {i.submitted_by_id for i in waiting_items if i.submitted_by_id}
    names = dict(session.exec(select(User.id, User.full_name).where(User.id.in_(submitters))).all()) \
        if submitters else {}
    waiting = [(item, approval_problem(session, user, item) is None, names.get(item.submitted_by_id, ""))
               for item in waiting_items]
    drafts = session.exec(select(ToolkitItem).where(ToolkitItem.status == "draf", *scope)
                          .order_by(ToolkitItem.updated_at.desc()).limit(limit)).all()
    rejected = session.exec(select(ToolkitItem).where(ToolkitItem.status == "ditolak", *scope)
                            .order_by(ToolkitItem.decided_at.desc()).limit(limit)).all()
    soon = date.fromordinal(on.toordinal() + WARN_DAYS)
    attention = []
    rows = session.exec(select(ToolkitItem, ToolkitPhoto).join(ToolkitPhoto, ToolkitPhoto.item_id == ToolkitItem.id,
                                                               isouter=True)
                        .where(ToolkitItem.status.in_(("disetujui", "diajukan")), *scope, or_(
                            ToolkitItem.valid_until <= soon,
                            and_(ToolkitPhoto.consent == "ya", ToolkitPhoto.consent_expires_on <= soon)))
                        .order_by(ToolkitItem.visible_until).limit(limit)).all()
    for item, photo in rows:
        warnings = item_warnings(item, photo, on)
        if warnings:
            attention.append((item, warnings))
    revoked_ids = revoked_citing(session)
    revoked_templates = session.exec(select(ToolkitItem).where(ToolkitItem.id.in_(revoked_ids), *scope,
                                                               ToolkitItem.status != "diarsipkan")
                                     .order_by(ToolkitItem.title)).all() if revoked_ids else []
    return Worklist(counts=counts, waiting=waiting, drafts=drafts, rejected=rejected, attention=attention,
                    revoked_templates=revoked_templates)


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
        parts.append(ngettext("%(num)d item menunggu persetujuan Anda.", "%(num)d item menunggu persetujuan Anda.",
                              to_approve))
    if rejected:
        parts.append(ngettext("%(num)d item Anda ditolak dan perlu diperbaiki.",
                              "%(num)d item Anda ditolak dan perlu diperbaiki.", rejected))
    if warnings:
        parts.append(ngettext("%(num)d item perlu perhatian (masa berlaku, izin foto, atau peraturan yang dicabut).",
                              "%(num)d item perlu perhatian (masa berlaku, izin foto, atau peraturan yang dicabut).",
                              warnings))
    return [{"title": _("Perangkat humas"), "body": " ".join(parts), "progress": None,
             "url": url_for("toolkit.manage"), "action": _("Buka daftar kerja"), "tone": "warn"}]
