"""Domain events: what one pillar tells the others, as blinker signals.

A service sends an event inside its transaction, after its own writes and before the commit:

    events.edition_published.send(session, actor=user, edition=edition)

The sender is always the database session, so a receiver writes in the same transaction (audit log,
notifications) or registers work for after the commit with `db.after_commit(session, ...)` (e-mail, jobs, cache).
Receivers must not commit, and must be cheap: heavy work goes to the job queue. Every event carries `actor` (the
user who caused it, or None for the system) and the rows it is about, as keyword arguments listed below.
"""

from blinker import Namespace
from flask import current_app, has_request_context, url_for

_signals = Namespace()


def link(endpoint, **values):
    """The path of a page an event points to (e.g. a notification's link), also outside a request: events are
    sent from CLI commands and jobs too."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


# handbook: edition (Edition), material (bool)
edition_published = _signals.signal("edition-published")
# toolkit: item (ToolkitItem)
toolkit_item_submitted = _signals.signal("toolkit-item-submitted")
# toolkit: item (ToolkitItem), decision ("approved" | "rejected"), note (str)
toolkit_item_decided = _signals.signal("toolkit-item-decided")
# quiz: attempt (Attempt), passed (bool)
attempt_finished = _signals.signal("attempt-finished")
# workshops: participant (WorkshopParticipant), workshop (Workshop)
waitlist_promoted = _signals.signal("waitlist-promoted")
# workshops (sent by the time-based `notify-due` command): workshop_session (WorkshopSession), participants (list)
workshop_session_soon = _signals.signal("workshop-session-soon")
# any pillar: user_ids (list of int), text (str, shown as written), url (str), key (str | None: one notice per key)
reminder_requested = _signals.signal("reminder-requested")
# content: post (with id, title or topic, and submitted_by_id or created_by_id), reviewer_ids (list: who may decide;
# without it nobody is told), url (default /content/). Decisions: "approved"/"disetujui"/"diterima", else returned.
content_post_submitted = _signals.signal("content-post-submitted")
# content: post, decision ("approved" | "returned"), note (str), url
content_post_decided = _signals.signal("content-post-decided")
# content: report (with id, title, and submitted_by_id or created_by_id), reviewer_ids (list), url
content_report_submitted = _signals.signal("content-report-submitted")
# content: report, decision ("approved" | "returned"), note (str), url
content_report_decided = _signals.signal("content-report-decided")
