"""The content plan's posts in the full-text index, and their group in the header search ("Rencana konten").

Indexed: planned posts, as portal/content/plan.py creates, changes or copies them (a copy is created through
`create_post`): the topic as the title, the caption as the body, tags and audience as extra words. Not indexed: the
unplanned posts a metrics import writes in bulk (portal/content/import_posts.py, `planned=False`): they are the
platform's record of what an account published, not plans, and they have no caption of ours to find.

A status change (submitted, approved, rejected, published) needs no re-index: who may see a post is read from
content_post inside the search statement, at query time, by the rule of `access.can_see_post`.
"""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_
from sqlmodel import select

from portal import generations, search, snippets
from portal.content.access import Scope
from portal.formatting import fmt_date
from portal.models import ContentPost, ContentPostAccount, Unit
from portal.models.content import SHARED_STATUSES
from portal.permissions import can
from portal.timezone import to_wib

SEARCH_KIND = "content_post"  # planned posts in the full-text index (an index of their own, see KIND_TABLES)


GENERATION = "content_posts"  # the header search keeps its content group under it (portal/search_all `kept_group`)


def changed(session):
    """Moves the generation the header search's kept content groups are keyed by, in the write's transaction. Every
    write that changes what the group shows of a post or who may see it (text, status, day, accounts) passes here:
    a new post through `index_post`, every change through `plan._bump` (each bumps the post's version), the metrics
    import's status change (it bumps the version itself)."""
    generations.move(session, GENERATION)


def index_post(session, post):
    """Put a planned post's topic, caption, tags and audience in the full-text index (in the caller's
    transaction). Unplanned posts (from a metrics import) are left out."""
    changed(session)
    if not post.planned:
        return
    search.index_document(session, SEARCH_KIND, post.id, post.topic, post.caption or "",
                          extra=f"{(post.tags or '').replace(',', ' ')}\n{post.audience or ''}")


def visible_conditions(session, user, user_scope=None):
    """SQL conditions on ContentPost (to correlate with the searched post) for the posts `user` may see, the rule
    of `access.can_see_post`: every post whose status is shared; drafts and ideas only to central humas (all), to
    a humas or a supervisor whose unit's path prefixes the post's unit's path, and to the pengelola of one of the
    post's accounts. Each check is an index lookup (the unit's primary key, the post-account primary key)."""
    user_scope = user_scope or Scope(session, user)
    if user_scope.central:
        return []
    drafts = [exists().where(Unit.id == ContentPost.unit_id, Unit.path.startswith(path))
              for path in sorted({user_scope.humas_path, user_scope.supervisor_path} - {None, ""})]
    if user_scope.managed_account_ids:
        drafts.append(exists().where(ContentPostAccount.post_id == ContentPost.id,
                                     ContentPostAccount.account_id.in_(sorted(user_scope.managed_account_ids))))
    return [or_(ContentPost.status.in_(SHARED_STATUSES), *drafts)]


def header_matches(session, user, q, limit=5, user_scope=None):
    """A search.Top of the planned posts `user` may see, checked per match inside the full-text statement, and
    {post id: (status, scheduled_at)} of its hits."""
    conditions = visible_conditions(session, user, user_scope)
    found = search.top(session, SEARCH_KIND, q, limit=limit,
                       visible=lambda ref: [exists().where(ContentPost.id == ref, *conditions)])
    ids = [hit.ref_id for hit in found.hits]
    facts = {row.id: (row.status, row.scheduled_at) for row in session.exec(
        select(ContentPost.id, ContentPost.status, ContentPost.scheduled_at).where(ContentPost.id.in_(ids))).all()} \
        if ids else {}
    return found, facts


def header_group(session, user, q, limit):
    """The content pillar's group in the header search (its Pillar's `search`): topic highlighted, a snippet of
    the caption, the status and the planned day (WIB); the group links to the shared calendar."""
    from portal.content.forms import POST_STATUS_LABELS
    from portal.search_all import SearchGroup, SearchResult, kept_group

    if not can(user, "content.view"):
        return None
    user_scope = Scope(session, user)

    def build():
        found, facts = header_matches(session, user, q, limit=limit, user_scope=user_scope)
        results = []
        for hit in found.hits:
            if hit.ref_id not in facts:
                continue
            status, scheduled_at = facts[hit.ref_id]
            meta = f"{POST_STATUS_LABELS.get(status, status)} · {fmt_date(to_wib(scheduled_at).date(), 'weekday')}"
            results.append(SearchResult(snippets.highlight(hit.title, q, 200),
                                        url_for("content.post", post_id=hit.ref_id), snippets.highlight(hit.body, q),
                                        meta))
        return SearchGroup("content", _l("Rencana konten"), results, found.total, url_for("content.month"),
                           found.more)

    # Who sees what: shared posts everyone; drafts by the scope's paths and managed accounts (visible_conditions).
    scope_key = (generations.read(session, GENERATION), user_scope.central, user_scope.humas_path,
                 user_scope.supervisor_path, tuple(sorted(user_scope.managed_account_ids)))
    return kept_group("content", scope_key, q, limit, build)
