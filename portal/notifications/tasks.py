"""Huey tasks of the notifications: the outbox is drained by the job worker when MAIL_VIA_WORKER is set."""

from portal import jobs


@jobs.task
def send_outbox():
    from portal.notifications import mail

    mail.send_pending()


@jobs.every_minute
def send_outbox_every_minute():
    from portal.notifications import mail

    cfg = mail.settings()
    if cfg.server and cfg.via_worker:
        mail.send_pending()
