"""Delivering, listing and reading notifications; per-person e-mail settings.

`deliver` is the one way a notice is made. It runs in the caller's transaction: the notices and their outbox
e-mails commit (or roll back) with the event that caused them.
"""

import functools
import json
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import bindparam, func, update
from sqlalchemy import select as sa_select
from sqlmodel import select

from portal import cache, db, generations
from portal.models import EmailOutbox, Notification, NotificationSetting, User, utcnow
from portal.notifications.kinds import KINDS, body_of, title_of

generations.follow_people(Notification)  # the bell's count is kept per person (`unread_count`)

PAGE_SIZE = 25
INLINE_LIMIT = 200  # more recipients than this are notified by a job (see receivers.fan_out)
BATCH = 500


def deliver(session, user_ids, kind, params=None, url="", key=None):
    """Notify each active person in `user_ids` once per `key` (or every time when `key` is None); queue e-mail for
    those who want this kind by e-mail. Returns the number of notices added."""
    if kind not in KINDS:
        raise KeyError(f"unknown notification kind {kind!r}")
    ids = sorted({int(i) for i in user_ids if i is not None})
    params_json = json.dumps(params or {}, ensure_ascii=False, sort_keys=True, default=str)
    added = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        if key is not None:
            already = set(session.exec(select(Notification.user_id).where(
                Notification.key == key, Notification.user_id.in_(batch))).all())
            batch = [i for i in batch if i not in already]
        if not batch:
            continue
        people = session.exec(select(User.id, User.email, User.preferred_language)
                              .where(User.id.in_(batch), User.active)).all()
        rows = [Notification(user_id=p.id, kind=kind, params=params_json, url=url[:500], key=key) for p in people]
        session.add_all(rows)
        session.flush()
        wanted = email_wanted(session, [p.id for p in people], kind)
        by_id = {row.user_id: row for row in rows}
        for person in people:
            if person.id in wanted and person.email:
                session.add(_email(person, kind, params or {}, url, by_id[person.id].id))
        added += len(rows)
    if added:
        session.flush()
        db.after_commit(session, _outbox_committed)
    return added


def email_wanted(session, user_ids, kind):
    """The ids among `user_ids` who get `kind` by e-mail (their setting, else the kind's default)."""
    chosen = dict(session.exec(select(NotificationSetting.user_id, NotificationSetting.email).where(
        NotificationSetting.kind == kind, NotificationSetting.user_id.in_(user_ids))).all())
    default = KINDS[kind].email
    return {i for i in user_ids if chosen.get(i, default)}


def absolute_url(url):
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") if has_app_context() else ""
    return f"{base}{url}" if url.startswith("/") else url


def _email(person, kind, params, url, notification_id):
    language = person.preferred_language if person.preferred_language in ("id", "en") else "id"
    with force_locale(language):
        from flask_babel import gettext as _

        subject = " ".join(title_of(kind, params).split())  # one line: a header never carries a line break
        lines = [subject, ""]
        body = body_of(kind, params)
        if body:
            lines += [body, ""]
        if url:
            lines += [_("Buka: %(url)s", url=absolute_url(url)), ""]
        lines += ["--", _("Portal Bijak Bermedia Sosial. Atur notifikasi surel di halaman Notifikasi › Pengaturan.")]
    return EmailOutbox(recipient=person.email, subject=subject[:300], body="\n".join(lines),
                       notification_id=notification_id)


def _outbox_committed():
    """After a commit that queued e-mail: let the job worker send it when configured (else cron runs send-email)."""
    from portal.notifications import mail

    mail.wake_worker()


# --- reading ------------------------------------------------------------------------------------------------------

@dataclass
class Shown:
    """A notification as the list shows it, worded in the reader's language."""

    row: Notification

    @property
    def params(self):
        try:
            return json.loads(self.row.params or "{}")
        except ValueError:
            return {}

    @property
    def title(self):
        return title_of(self.row.kind, self.params)

    @property
    def body(self):
        return body_of(self.row.kind, self.params)

    @property
    def unread(self):
        return self.row.read_at is None


@functools.cache
def _unread_statement():
    """Every signed-in page asks it (the bell): a Core statement built once, run on the session's connection
    without the ORM's per-statement work."""
    table = Notification.__table__
    return sa_select(func.count()).select_from(table).where(table.c.user_id == bindparam("user_id"),
                                                            table.c.read_at.is_(None))


def unread_count(session, user):
    """The bell's number, kept per process and person under the person's counter (read with their session record:
    no statement when kept), which every notice delivered to them and every one they read moves."""
    return cache.remembered(
        "notifications.unread", (user.id, generations.read_person(session, user.id)), "DASHBOARD_CACHE_SECONDS",
        lambda: session.connection().execute(_unread_statement(), {"user_id": user.id}).scalar_one())


def page_of(session, user, page=1, unread_only=False):
    """(shown, total, pages) newest first."""
    conditions = [Notification.user_id == user.id]
    if unread_only:
        conditions.append(Notification.read_at.is_(None))
    total = session.exec(select(func.count()).select_from(Notification).where(*conditions)).one()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = session.exec(select(Notification).where(*conditions)
                        .order_by(Notification.created_at.desc(), Notification.id.desc())
                        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return [Shown(r) for r in rows], total, pages, page


def latest(session, user, limit=5):
    rows = session.exec(select(Notification).where(Notification.user_id == user.id)
                        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    return [Shown(r) for r in rows]


def mark_read(session, notification):
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.add(notification)
        session.flush()


def mark_all_read(session, user):
    return session.execute(update(Notification).where(Notification.user_id == user.id,
                                                      Notification.read_at.is_(None))
                           .values(read_at=utcnow())).rowcount


def purge_old(session, days=365):
    """Read notices older than `days` are deleted (run by notify-due)."""
    from sqlalchemy import delete

    cutoff = utcnow() - timedelta(days=days)
    return session.execute(delete(Notification).where(Notification.read_at.is_not(None),
                                                      Notification.created_at < cutoff)).rowcount


# --- settings -----------------------------------------------------------------------------------------------------

def settings_of(session, user):
    """[(kind, label, email?)] for every kind."""
    chosen = dict(session.exec(select(NotificationSetting.kind, NotificationSetting.email)
                               .where(NotificationSetting.user_id == user.id)).all())
    return [(kind, spec.label, chosen.get(kind, spec.email)) for kind, spec in KINDS.items()]


def save_settings(session, user, email_kinds):
    """Store the person's choice for every kind (checked kinds go by e-mail)."""
    email_kinds = set(email_kinds) & set(KINDS)
    existing = {row.kind: row for row in session.exec(select(NotificationSetting)
                                                      .where(NotificationSetting.user_id == user.id)).all()}
    for kind in KINDS:
        row = existing.get(kind) or NotificationSetting(user_id=user.id, kind=kind)
        row.email = kind in email_kinds
        session.add(row)
    session.flush()


def settle_demo(session):
    """Demo seeding (`flask seed-demo`): the other pillars' demo activity has sent many notices (every content plan
    decided, ...); keep each person's newest three unread, so the bell of a demo account shows a few, not dozens."""
    ranked = select(Notification.id, func.row_number().over(
        partition_by=Notification.user_id, order_by=Notification.id.desc()).label("n")).subquery()
    older = select(ranked.c.id).where(ranked.c.n > 3)
    settled = session.execute(update(Notification).where(Notification.id.in_(older), Notification.read_at.is_(None))
                              .values(read_at=utcnow())).rowcount
    return f"notifications: {settled} older demo notices marked read" if settled else None
