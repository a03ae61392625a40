"""The handbook's part of a person's data (portal/privacy.py): sections read, editions acknowledged, revisions
written. Anonymising keeps all of it: acknowledgement rates count these rows, and the account no longer names anyone."""

from portal.models import Acknowledgement, SectionRead, SectionRevision
from portal.privacy import rows


def personal_data(session, user):
    revisions = [{k: r[k] for k in ("id", "section_id", "number", "title", "summary", "created_at")}
                 for r in rows(session, SectionRevision, SectionRevision.author_id == user.id)]
    return {
        "Bagian dibaca": rows(session, SectionRead, SectionRead.user_id == user.id),
        "Pengakuan edisi": rows(session, Acknowledgement, Acknowledgement.user_id == user.id),
        "Revisi ditulis": revisions,
    }
