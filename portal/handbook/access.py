"""Row loaders of the handbook: each returns the row or aborts (404, or 403 outside the user's report scope).
The endpoint's permission (portal/permissions.py) decides who reaches a page; these decide which rows. Views never
load rows themselves. Employees reach sections only by slug through the published edition (reading.section_page),
never a draft by id."""

from flask import abort

from portal import db
from portal.accounts.access import get_report_unit_or_403  # noqa: F401  (shared by the reports)
from portal.models import Chapter, Section, SectionRevision


def get_chapter_or_404(chapter_id):
    return db.get_or_404(Chapter, chapter_id)


def get_section_or_404(section_id):
    """A section of the working draft (editors)."""
    return db.get_or_404(Section, section_id)


def get_revision_or_404(section, revision_id):
    """A revision of `section`; a revision of another section is a 404."""
    revision = db.get_or_404(SectionRevision, revision_id)
    if revision.section_id != section.id:
        abort(404)
    return revision


def get_compared_revisions_or_404(section, old_id, new_id):
    """(old, new) revisions of `section` for a comparison; `new` defaults to the head of the draft."""
    old = get_revision_or_404(section, old_id)
    new = get_revision_or_404(section, new_id or section.current_revision_id)
    return old, new


def get_edition_version_or_none(version):
    """An edition version from a query argument, checked for shape only (unknown versions are simply ignored)."""
    from portal.handbook.publishing import VERSION_RE

    return version if version and VERSION_RE.match(version) else None

