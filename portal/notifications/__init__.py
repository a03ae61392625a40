"""Notifications inside the portal, fed by the domain events (portal/events.py).

- `services.deliver(session, user_ids, kind, params, url, key)` adds one notice per active person (once per `key`)
  and, for those whose settings say so, an e-mail to the outbox, in the caller's transaction: an e-mail exists exactly
  when its notification was committed, and nothing is sent inside a request.
- `receivers.py` turns each event into notices for the right people; large audiences (a new edition for everyone)
  are fanned out by a job.
- `mail.py` drains the outbox over SMTP (`flask --app portal send-email`, from cron or a systemd timer; or the job
  worker every minute when MAIL_VIA_WORKER is set).
- `due.py` makes the time-based notices (`flask --app portal notify-due`): passes and certificates expiring within
  30 days, workshop sessions within a day. Keys make every run after the first add nothing.
"""
