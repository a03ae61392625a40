"""The toolkit's part of a person's data (portal/privacy.py): items created, submitted or decided, and status
changes made. Anonymising keeps them (the history stays whole; the account no longer names anyone)."""

from sqlalchemy import or_

from portal.models import ToolkitItem, ToolkitStatusChange
from portal.privacy import rows


def personal_data(session, user):
    items = rows(session, ToolkitItem, or_(ToolkitItem.created_by_id == user.id,
                                          ToolkitItem.submitted_by_id == user.id,
                                          ToolkitItem.decided_by_id == user.id))
    return {
        "Materi": [{k: r.get(k) for k in ("id", "kind", "title", "status", "created_by_id", "submitted_by_id",
                                          "decided_by_id")} for r in items],
        "Perubahan status": rows(session, ToolkitStatusChange, ToolkitStatusChange.actor_id == user.id),
    }
