"""The humas work list: what waits for approval, drafts, rejected items and what needs attention; and the
dashboard card that points to it. A regional humas sees the items of their own subtree (and approved ones)."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, union_all
from sqlmodel import select

from portal import cache
from portal.i18n import ngettext
from portal.models import ToolkitItem, ToolkitPhoto, User
from portal.toolkit.access import approval_problem, editor_unit_path, is_editor, seen_clause
from portal.toolkit.facets import generation
from portal.toolkit.finder import revoked_citing
from portal.toolkit.item_page import WARN_DAYS, item_warnings
from portal.toolkit.labels import today

SHOWN = 10  # items per list on the work list (each list is counted in full; its whole list is a link away)
ATTENTION_ALL = 50  # what needs attention, when asked to show it all (?perhatian=semua)


@dataclass
class Worklist:
    counts: dict  # status -> items in the viewer's scope
    waiting: list  # (item, can decide, submitter name)
    drafts: list
    rejected: list
    attention: list  # (item, [warnings])
    revoked_templates: list
    more_attention: bool = False  # attention or revoked templates were cut at the limit


def status_counts(session, user, on=None, scope=None):
    """{status: items in the viewer's scope}, kept per toolkit generation, scope and day: counting 100,000 items
    by status took 3 ms a page, and every toolkit write moves the generation. `scope`: the caller's conditions
    from `seen_clause` for `user` on day `on`, when it has them."""
    on = on or today()
    if scope is None:
        seen = seen_clause(user, session, on)
        scope = [seen] if seen is not None else []
    key = (generation(session), editor_unit_path(user, session), on)
    return cache.remembered("toolkit.status_counts", key, 3600, lambda: dict(session.exec(
        select(ToolkitItem.status, func.count()).where(*scope).group_by(ToolkitItem.status)).all()))


def worklist(session, user, limit=SHOWN, attention_limit=None):
    """The first `limit` of each list (what needs attention: `attention_limit`, default the same) and the counts."""
    on = today()
    seen = seen_clause(user, session, on)
    scope = [seen] if seen is not None else []
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
    attention_limit = attention_limit or limit
    attention = _attention(session, scope, on, attention_limit + 1)
    revoked = _revoked_templates(session, scope, attention_limit + 1)
    return Worklist(counts=status_counts(session, user, on, scope), waiting=waiting, drafts=drafts, rejected=rejected,
                    attention=attention[:attention_limit], revoked_templates=revoked[:attention_limit],
                    more_attention=len(attention) > attention_limit or len(revoked) > attention_limit)


def _attention(session, scope, on, limit):
    """(item, [warnings]) of approved or submitted items whose validity or photo consent ends within WARN_DAYS."""
    soon = date.fromordinal(on.toordinal() + WARN_DAYS)
    # `visible_until` is the earlier of the two dates, kept on every save: each status's first `limit` are read in
    # the order of its (status, visible_until) index and merged, so nothing long expired is read or sorted beyond them
    firsts = [select(ToolkitItem.id).where(ToolkitItem.status == status, ToolkitItem.visible_until <= soon, *scope)
              .order_by(ToolkitItem.visible_until).limit(limit).subquery()
              for status in ("disetujui", "diajukan")]
    ending = union_all(*(select(first.c.id) for first in firsts))
    rows = session.exec(select(ToolkitItem, ToolkitPhoto).join(ToolkitPhoto, ToolkitPhoto.item_id == ToolkitItem.id,
                                                               isouter=True)
                        .where(ToolkitItem.id.in_(ending))
                        .order_by(ToolkitItem.visible_until, ToolkitItem.id).limit(limit)).all()
    attention = []
    for item, photo in rows:
        warnings = item_warnings(item, photo, on)
        if warnings:
            attention.append((item, warnings))
    return attention


def _revoked_templates(session, scope, limit=None):
    revoked_ids = revoked_citing(session)
    query = (select(ToolkitItem).where(ToolkitItem.id.in_(revoked_ids), *scope, ToolkitItem.status != "diarsipkan")
             .order_by(ToolkitItem.title))
    return session.exec(query.limit(limit) if limit else query).all() if revoked_ids else []


def _warning_count(session, user, limit=50):
    on = today()
    seen = seen_clause(user, session, on)
    scope = [seen] if seen is not None else []
    return len(_attention(session, scope, on, limit)) + len(_revoked_templates(session, scope))


def dashboard_cards(session, user):
    """For humas and admins: what waits for them in the toolkit (approvals, own rejected items, warnings)."""
    if not is_editor(user):
        return []
    from flask import current_app, url_for

    on = today()
    seen = seen_clause(user, session, on)
    scope = [seen] if seen is not None else []
    waiting = session.exec(select(ToolkitItem).where(ToolkitItem.status == "diajukan", *scope)
                           .order_by(ToolkitItem.submitted_at, ToolkitItem.id).limit(50)).all()
    to_approve = sum(1 for item in waiting if approval_problem(session, user, item) is None)
    rejected = session.exec(select(func.count()).select_from(ToolkitItem).where(
        ToolkitItem.status == "ditolak", ToolkitItem.created_by_id == user.id, *scope)).one()
    # Expiring items and templates citing revoked regulations scan the whole collection: counted once a while.
    warnings = cache.remembered("toolkit.dashboard_warnings", (user.id, on),
                                current_app.config["DASHBOARD_CACHE_SECONDS"], lambda: _warning_count(session, user))
    if not (to_approve or rejected or warnings):
        return []
    parts = []
    if to_approve:
        parts.append(ngettext("%(num)s item menunggu persetujuan Anda.", "%(num)s item menunggu persetujuan Anda.",
                              to_approve))
    if rejected:
        parts.append(ngettext("%(num)s item Anda ditolak dan perlu diperbaiki.",
                              "%(num)s item Anda ditolak dan perlu diperbaiki.", rejected))
    if warnings:
        parts.append(ngettext("%(num)s item perlu perhatian (masa berlaku, izin foto, atau peraturan yang dicabut).",
                              "%(num)s item perlu perhatian (masa berlaku, izin foto, atau peraturan yang dicabut).",
                              warnings))
    return [{"title": _("Perangkat humas"), "body": " ".join(parts), "progress": None,
             "url": url_for("toolkit.manage"), "action": _("Buka daftar kerja"), "tone": "warn"}]
