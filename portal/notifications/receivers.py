"""Domain events -> notices for the right people. Connected once, when this module is imported (by the blueprint).

Each receiver runs inside the sender's transaction (the sender is the session) and only adds rows; an audience
larger than INLINE_LIMIT (a material edition reaches everyone) is handed to the `notifications.fan_out` job.
"""

import functools
import logging

from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import events, jobs
from portal.models import Quiz, User, UserRole, Workshop
from portal.notifications import services
from portal.permissions import central_humas_ids

log = logging.getLogger(__name__)


def receiver(signal):
    """Connect a receiver that only acts inside an application (requests, CLI commands, jobs): a service called
    bare, e.g. by a test factory without an app context, sends its event and nobody is notified."""
    def connect(fn):
        @functools.wraps(fn)
        def guarded(session, **kwargs):
            if not has_app_context():
                log.debug("%s outside an application: no notification", fn.__name__)
                return None
            return fn(session, **kwargs)
        signal.connect(guarded, weak=False)
        return guarded
    return connect


_url = events.link


def _owner(obj):
    for name in ("submitted_by_id", "created_by_id", "author_id", "user_id"):
        value = getattr(obj, name, None)
        if value:
            return value
    return None


def _except_actor(ids, actor):
    actor_id = getattr(actor, "id", None)
    return [i for i in ids if i != actor_id]


# --- handbook -----------------------------------------------------------------------------------------------------

@receiver(events.edition_published)
def on_edition_published(session, actor=None, edition=None, material=False, **_kw):
    """A material edition asks everyone to acknowledge it again: everyone gets a notice (by a job)."""
    if edition is None or not material:
        return
    jobs.enqueue(session, "notifications.fan_out", actor, notice="edition",
                 params={"version": edition.version}, url=_url("handbook.changes"), key=f"edition:{edition.id}")


@jobs.job("notifications.fan_out", title=_l("Mengirim notifikasi"))
def fan_out(ctx, notice, params, url, key, user_ids=None):
    """Notify every active person (or `user_ids`) in batches; the key makes a rerun add nothing."""
    if user_ids is None:
        user_ids = ctx.session.exec(select(User.id).where(User.active).order_by(User.id)).all()
    added = 0
    for start in range(0, len(user_ids), services.BATCH):
        added += services.deliver(ctx.session, user_ids[start:start + services.BATCH], notice, params, url, key)
        ctx.step(min(start + services.BATCH, len(user_ids)), len(user_ids), "")
    return {"added": added}


def deliver_or_fan_out(session, actor, user_ids, kind, params, url, key):
    if len(user_ids) > services.INLINE_LIMIT:
        jobs.enqueue(session, "notifications.fan_out", actor, notice=kind, params=params, url=url, key=key,
                     user_ids=sorted(set(user_ids)))
        return
    services.deliver(session, user_ids, kind, params, url, key)


# --- toolkit ------------------------------------------------------------------------------------------------------

def toolkit_approver_ids(session):
    """Admins and the humas of the Biro Hubungan Masyarakat (and its sub-units): who may approve toolkit items."""
    admins = set(session.exec(select(UserRole.user_id).where(UserRole.role == "admin")).all())
    return admins | central_humas_ids(session)


@receiver(events.toolkit_item_submitted)
def on_toolkit_item_submitted(session, actor=None, item=None, **_kw):
    if item is None:
        return
    excluded = {item.created_by_id, item.submitted_by_id, getattr(actor, "id", None)}
    approvers = [i for i in toolkit_approver_ids(session) if i not in excluded]
    deliver_or_fan_out(session, actor, approvers, "toolkit_review", {"title": item.title},
                       _url("toolkit.item", item_id=item.id), None)


@receiver(events.toolkit_item_decided)
def on_toolkit_item_decided(session, actor=None, item=None, decision="", note="", **_kw):
    if item is None:
        return
    owners = _except_actor({item.submitted_by_id or item.created_by_id}, actor)
    services.deliver(session, owners, "toolkit_decided",
                     {"title": item.title, "decision": decision, "note": note or ""},
                     _url("toolkit.item", item_id=item.id))


# --- quiz ---------------------------------------------------------------------------------------------------------

@receiver(events.attempt_finished)
def on_attempt_finished(session, actor=None, attempt=None, passed=False, **_kw):
    if attempt is None or not passed:
        return
    quiz = session.get(Quiz, attempt.quiz_id)
    services.deliver(session, [attempt.user_id], "quiz_passed",
                     {"quiz": quiz.title if quiz else "",
                      "valid_until": attempt.valid_until.isoformat() if attempt.valid_until else None},
                     _url("quiz.result", attempt_id=attempt.id), key=f"quiz-passed:{attempt.id}")


# --- workshops ----------------------------------------------------------------------------------------------------

@receiver(events.waitlist_promoted)
def on_waitlist_promoted(session, actor=None, participant=None, workshop=None, **_kw):
    if participant is None or not participant.user_id:
        return  # a guest has no account to notify
    workshop = workshop or session.get(Workshop, participant.workshop_id)
    services.deliver(session, [participant.user_id], "waitlist", {"workshop": workshop.title},
                     _url("workshops.detail", workshop_id=workshop.id),
                     key=f"waitlist:{participant.id}:{participant.promoted_at or ''}")


@receiver(events.workshop_session_soon)
def on_workshop_session_soon(session, actor=None, workshop_session=None, participants=(), workshop=None, **_kw):
    if workshop_session is None:
        return
    workshop = workshop or session.get(Workshop, workshop_session.workshop_id)
    user_ids = [p.user_id for p in participants if getattr(p, "user_id", None)]
    deliver_or_fan_out(session, actor, user_ids, "session_soon",
                       {"workshop": workshop.title if workshop else "", "topic": workshop_session.topic,
                        "starts_at": workshop_session.starts_at.isoformat()},
                       _url("workshops.detail", workshop_id=workshop_session.workshop_id),
                       f"session-soon:{workshop_session.id}")


# --- reminders and the content pillar -------------------------------------------------------------------------------

@receiver(events.reminder_requested)
def on_reminder_requested(session, actor=None, user_ids=(), text="", url="", key=None, **_kw):
    deliver_or_fan_out(session, actor, list(user_ids), "reminder", {"text": text[:300]}, url or "", key)


def _title(obj):
    for name in ("title", "topic", "name"):
        value = getattr(obj, name, None)
        if value:
            return str(value)
    return ""


def _review(kind):
    def on_submitted(session, actor=None, reviewer_ids=(), url="", **kw):
        obj = kw.get("post") or kw.get("report")
        if obj is None:
            return
        services.deliver(session, _except_actor(set(reviewer_ids), actor), kind,
                         {"title": _title(obj)}, url or "/content/")
    return on_submitted


def _decision(kind):
    def on_decided(session, actor=None, decision="", note="", url="", **kw):
        obj = kw.get("post") or kw.get("report")
        if obj is None:
            return
        services.deliver(session, _except_actor({_owner(obj)}, actor), kind,
                         {"title": _title(obj), "decision": decision, "note": note or ""}, url or "/content/")
    return on_decided


for _signal, _receiver in ((events.content_post_submitted, _review("content_review")),
                           (events.content_post_decided, _decision("content_decided")),
                           (events.content_report_submitted, _review("report_review")),
                           (events.content_report_decided, _decision("report_decided"))):
    receiver(_signal)(_receiver)
