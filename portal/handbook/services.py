"""The handbook's use cases, one module per topic; this module names them all for callers outside the pillar
(tests, benchmarks, other pillars), so they need not know how the pillar is split:

- `editions`: published editions and their cached tables of contents, changes between editions;
- `reading`: reading, the acknowledgement rule, acknowledging, the reader's pages and dashboard cards;
- `drafts`: the working draft (chapters, sections, revisions) that humas edit;
- `publishing`: publishing an edition, the search re-index job, searching;
- `reports`: unit reports, per-person progress, exports, the supervisor's follow-up and reminders;
- `diffs`: word-level differences, on the source and on the formatted text.
"""

from portal.errors import DomainError
from portal.handbook.diffs import html_diff, rendered_diff, word_diff
from portal.handbook.drafts import (
    MAX_BODY,
    MAX_TITLE,
    DraftSection,
    EditConflict,
    create_chapter,
    create_section,
    draft_toc,
    preview_html,
    restore_revision,
    save_section,
    section_revisions,
    set_section_archived,
    update_chapter,
)
from portal.handbook.editions import (
    Change,
    TocChapter,
    TocSection,
    changes_between,
    edition_toc,
    editions,
    flat_sections,
    latest_edition,
    published_revisions,
    published_section,
    required_edition,
    revisions_by_id,
)
from portal.handbook.publishing import (
    SEARCH_KIND,
    VERSION_RE,
    publish,
    publish_edition,
    reindex_edition,
    search_published,
)
from portal.handbook.reading import (
    ack_scope,
    acknowledge,
    acknowledged_edition,
    dashboard_cards,
    has_acknowledged,
    mark_read,
    read_section_ids,
    reading_progress,
    set_ack_rule,
    unread_for_acknowledgement,
)
from portal.handbook.reports import (
    UnitRow,
    ack_report,
    ack_table,
    people_progress,
    send_reminders,
    team_follow_up,
)

__all__ = [
    "DomainError", "MAX_BODY", "MAX_TITLE", "SEARCH_KIND", "VERSION_RE", "Change", "DraftSection", "EditConflict",
    "TocChapter", "TocSection", "UnitRow", "ack_report", "ack_scope", "ack_table", "acknowledge",
    "acknowledged_edition",
    "changes_between", "create_chapter", "create_section", "dashboard_cards", "draft_toc", "edition_toc", "editions",
    "flat_sections", "has_acknowledged", "html_diff", "latest_edition", "mark_read",
    "people_progress", "preview_html", "publish", "publish_edition", "published_revisions", "published_section",
    "read_section_ids", "reading_progress", "reindex_edition", "rendered_diff", "required_edition",
    "restore_revision", "revisions_by_id", "save_section", "search_published", "section_revisions",
    "send_reminders", "set_ack_rule", "set_section_archived", "team_follow_up", "unread_for_acknowledgement",
    "update_chapter", "word_diff",
]
