"""The e-mail outbox, drained over SMTP after commit and outside any request.

`send_pending()` claims due rows one by one (a compare-and-set, so two senders never send the same row), sends
them over one SMTP connection and records the outcome; a failure is retried later with a growing wait, at most
MAX_ATTEMPTS times. Settings come from the app config or the environment: MAIL_SERVER (no server: nothing is sent,
rows wait), MAIL_PORT (25), MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL, MAIL_FROM,
MAIL_VIA_WORKER (the job worker sends every minute and right after a commit that queued e-mail).
"""

import contextlib
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import or_, update
from sqlmodel import select

from portal import db
from portal.models import EmailOutbox, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
CLAIM_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool
    sender: str
    via_worker: bool


def _setting(name, default=""):
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name, default)
    return value


def _flag(name):
    value = _setting(name, "")
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


def settings():
    return MailSettings(server=str(_setting("MAIL_SERVER", "") or ""), port=int(_setting("MAIL_PORT", 25) or 25),
                        username=str(_setting("MAIL_USERNAME", "") or ""),
                        password=str(_setting("MAIL_PASSWORD", "") or ""),
                        use_tls=_flag("MAIL_USE_TLS"), use_ssl=_flag("MAIL_USE_SSL"),
                        sender=str(_setting("MAIL_FROM", "") or "portal@localhost"),
                        via_worker=_flag("MAIL_VIA_WORKER"))


def pending_count():
    with db.unit_of_work(write=False) as session:
        from sqlalchemy import func

        return session.exec(select(func.count()).select_from(EmailOutbox).where(
            EmailOutbox.sent_at.is_(None), EmailOutbox.attempts < MAX_ATTEMPTS)).one()


def _claim(now, limit):
    """Ids of due rows this sender now holds (for CLAIM_FOR)."""
    with db.unit_of_work() as session:
        candidates = session.exec(select(EmailOutbox.id).where(
            EmailOutbox.sent_at.is_(None), EmailOutbox.attempts < MAX_ATTEMPTS, EmailOutbox.next_try_at <= now,
            or_(EmailOutbox.claimed_until.is_(None), EmailOutbox.claimed_until < now))
            .order_by(EmailOutbox.id).limit(limit)).all()
        claimed = []
        for row_id in candidates:
            taken = session.execute(update(EmailOutbox).where(
                EmailOutbox.id == row_id, EmailOutbox.sent_at.is_(None),
                or_(EmailOutbox.claimed_until.is_(None), EmailOutbox.claimed_until < now))
                .values(claimed_until=now + CLAIM_FOR)).rowcount
            if taken:
                claimed.append(row_id)
    return claimed


def _connect(cfg):
    if cfg.use_ssl:
        smtp = smtplib.SMTP_SSL(cfg.server, cfg.port, timeout=30, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(cfg.server, cfg.port, timeout=30)
        if cfg.use_tls:
            smtp.starttls(context=ssl.create_default_context())
    if cfg.username:
        smtp.login(cfg.username, cfg.password)
    return smtp


def _message(cfg, row):
    message = EmailMessage()
    message["From"] = cfg.sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain=cfg.sender.rpartition("@")[2] or "localhost")
    message.set_content(row.body)
    return message


def send_pending(limit=200, now=None):
    """Send due e-mail; returns (sent, failed, waiting). Nothing happens without MAIL_SERVER."""
    cfg = settings()
    if not cfg.server:
        return 0, 0, pending_count()
    now = now or utcnow()
    ids = _claim(now, limit)
    sent = failed = 0
    smtp = None
    try:
        for row_id in ids:
            with db.unit_of_work(write=False) as session:
                row = session.get(EmailOutbox, row_id)
                attempts = row.attempts
                try:
                    message = _message(cfg, row)
                except (ValueError, TypeError) as error:  # an address or header no SMTP server would take
                    failed += 1
                    _record(row_id, attempts=MAX_ATTEMPTS, last_error=f"invalid message: {error}"[:500],
                            claimed_until=None)
                    continue
            try:
                if smtp is None:
                    smtp = _connect(cfg)
                smtp.send_message(message)
            except (smtplib.SMTPException, OSError) as error:
                failed += 1
                log.warning("e-mail %s not sent: %s", row_id, error)
                wait = timedelta(minutes=5 * 2 ** attempts)
                _record(row_id, attempts=attempts + 1, last_error=str(error)[:500], next_try_at=now + wait,
                        claimed_until=None)
                if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                    smtp = None
                continue
            sent += 1
            _record(row_id, sent_at=utcnow(), attempts=attempts + 1, last_error="", claimed_until=None)
    finally:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    return sent, failed, pending_count()


def _record(row_id, **values):
    with db.unit_of_work() as session:
        session.execute(update(EmailOutbox).where(EmailOutbox.id == row_id).values(**values))


def wake_worker():
    """After a commit that queued e-mail: with MAIL_VIA_WORKER, the job worker sends it now."""
    cfg = settings()
    if cfg.server and cfg.via_worker:
        from portal import jobs
        from portal.notifications import tasks

        jobs.send(tasks.send_outbox)
