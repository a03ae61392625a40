"""What a toolkit search that finds nothing suggests instead (finder.search_items keeps it like the counts)."""

from sqlalchemy import and_, func
from sqlmodel import select

from portal import search
from portal.models import ToolkitItem, ToolkitTag
from portal.toolkit.access import seen_clause
from portal.toolkit.labels import SEARCH_KIND


def empty_result_hints(session, user, request, on):
    """For an empty result: single words of the query that do find something, tags starting with a word of the
    query, and tags of recent items. Cheap queries only (an empty result is common while typing)."""
    seen_items = seen_clause(user, session, on)
    base = [and_(seen_items, ToolkitItem.status != "diarsipkan") if seen_items is not None
            else ToolkitItem.status != "diarsipkan"]
    words, asked = [], []
    for word in search.tokens(request.q):
        if word in search.STOPWORDS or word in asked or len(asked) >= 4:
            continue
        asked.append(word)
        match = search.matching(session, SEARCH_KIND, word, scored=False)
        if match is None:
            continue
        n = session.exec(select(func.count()).select_from(ToolkitItem)
                         .join(match, match.c.ref_id == ToolkitItem.id).where(*base)).one()
        if n and word != request.q.strip().lower():
            words.append((word, n))
    tags = []
    for word in asked:
        if len(word) < 3:
            continue
        # A range on the tag index (tags are stored lowercase), then one visible item per tag.
        for tag in session.exec(select(ToolkitTag.tag).distinct()
                                .where(ToolkitTag.tag >= word, ToolkitTag.tag < word + "\uffff").limit(10)).all():
            visible = session.exec(select(ToolkitItem.id).join(ToolkitTag, ToolkitTag.item_id == ToolkitItem.id)
                                   .where(ToolkitTag.tag == tag, *base).limit(1)).first()
            if visible is not None and tag not in tags:
                tags.append(tag)
    if len(tags) < 6:
        recent = select(ToolkitItem.id).where(*base).order_by(ToolkitItem.created_at.desc()).limit(2000)
        rows = session.exec(select(ToolkitTag.tag, func.count()).where(ToolkitTag.item_id.in_(recent))
                            .group_by(ToolkitTag.tag).order_by(func.count().desc(), ToolkitTag.tag).limit(8)).all()
        tags += [t for t, _n in rows if t not in tags and t not in request.tags]
    return {"words": words, "tags": tags[:8]}
