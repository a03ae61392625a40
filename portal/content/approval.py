"""The workflow of a planned post: ide → draf → diajukan → disetujui → terbit → dievaluasi; rejected back to draf
with a reason. The unit's supervisor or central humas approve; nobody approves their own plan."""

import re

from flask_babel import gettext as _

from portal import audit, events
from portal.content.access import Scope, approval_problem, can_edit_post, reviewer_ids
from portal.content.common import clean_line
from portal.content.plan import _bump, record_change
from portal.errors import DomainError
from portal.models import utcnow

URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


def _transition(session, actor, post, to_status, note="", action=None):
    before = post.status
    record_change(session, post, actor, before, to_status, note)
    post.status = to_status
    post.updated_at = utcnow()
    session.add(post)
    audit.record(session, actor, action or f"content.post.{to_status}", "content_post", post.id,
                 f"{post.topic}: {before} → {to_status}" + (f" ({note})" if note else ""),
                 before={"status": before}, after={"status": to_status})


def _require_planner(session, actor, post):
    if not can_edit_post(session, Scope(session, actor), post):
        raise DomainError(_("Anda tidak mengelola akun pos ini."))


def _post_url(post):
    return events.link("content.post", post_id=post.id)


def submit(session, actor, post, version):
    _require_planner(session, actor, post)
    if post.status not in ("ide", "draf"):
        raise DomainError(_("Hanya ide atau draf yang dapat diajukan (status sekarang: %(status)s).",
                            status=post.status))
    if not post.caption.strip():
        raise DomainError(_("Tulis draf keterangan (caption) sebelum mengajukan."))
    _bump(session, post, version)
    post.submitted_by_id, post.submitted_at = actor.id, utcnow()
    post.decided_by_id = post.decided_at = None
    _transition(session, actor, post, "diajukan")
    events.content_post_submitted.send(session, actor=actor, post=post, url=_post_url(post),
                                       reviewer_ids=reviewer_ids(session, post.unit_id))
    return post


def withdraw(session, actor, post, version):
    _require_planner(session, actor, post)
    if post.status != "diajukan":
        raise DomainError(_("Hanya pos yang diajukan yang dapat ditarik kembali."))
    _bump(session, post, version)
    _transition(session, actor, post, "draf", _("ditarik kembali"), action="content.post.withdraw")
    return post


def approve(session, actor, post, version):
    problem = approval_problem(Scope(session, actor), post)
    if problem:
        raise DomainError(problem)
    _bump(session, post, version)
    post.decided_by_id, post.decided_at, post.rejection_reason = actor.id, utcnow(), ""
    _transition(session, actor, post, "disetujui")
    events.content_post_decided.send(session, actor=actor, post=post, decision="disetujui", note="",
                                     url=_post_url(post))
    return post


def reject(session, actor, post, version, reason):
    problem = approval_problem(Scope(session, actor), post)
    if problem:
        raise DomainError(problem, field="reason")
    reason = clean_line(reason, 1000)
    if not reason:
        raise DomainError(_("Tulis alasan penolakan agar pengelola tahu apa yang harus diperbaiki."), field="reason")
    _bump(session, post, version)
    post.decided_by_id, post.decided_at, post.rejection_reason = actor.id, utcnow(), reason
    _transition(session, actor, post, "draf", reason, action="content.post.reject")
    events.content_post_decided.send(session, actor=actor, post=post, decision="ditolak", note=reason,
                                     url=_post_url(post))
    return post


def publish(session, actor, post, version, url):
    _require_planner(session, actor, post)
    if post.status != "disetujui":
        raise DomainError(_("Hanya pos yang sudah disetujui yang dapat ditandai terbit."), field="url")
    url = clean_line(url, 500)
    if not URL_RE.match(url):
        raise DomainError(_("Tulis tautan unggahan yang terbit, diawali https://."), field="url")
    _bump(session, post, version)
    post.published_url = url
    _transition(session, actor, post, "terbit", url)
    return post


def evaluate(session, actor, post, version, note):
    _require_planner(session, actor, post)
    if post.status != "terbit":
        raise DomainError(_("Hanya pos yang sudah terbit yang dapat dievaluasi."), field="note")
    note = clean_line(note, 1000)
    if not note:
        raise DomainError(_("Tulis catatan evaluasi singkat (apa yang berhasil, apa yang perlu diubah)."),
                          field="note")
    _bump(session, post, version)
    _transition(session, actor, post, "dievaluasi", note)
    return post
