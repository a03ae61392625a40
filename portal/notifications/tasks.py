"""Huey tasks of the notifications: the outbox is drained by the job worker when MAIL_VIA_WORKER is set."""

from huey import crontab

from portal.jobs import _app, huey


@huey.task()
def send_outbox():
    from portal.notifications import mail

    with _app().app_context():
        mail.send_pending()


@huey.periodic_task(crontab(minute="*"))
def send_outbox_every_minute():
    from portal.notifications import mail

    with _app().app_context():
        cfg = mail.settings()
        if cfg.server and cfg.via_worker:
            mail.send_pending()
