"""Facet counts of toolkit searches: counted in SQL, kept for a short while.

Counting kinds, tags, units and years over a large matched set is the costliest part of a search, and the same
counts serve every page, sort and refinement of one query. They are kept per process for
TOOLKIT_FACET_CACHE_SECONDS (default 60) under a key of everything that changes them (the viewer's scope, the
query's terms, the filters, the day). Every toolkit write forgets them once it has committed (`forget_after_commit`);
another process's writes show within the cache time. Small sets (below TOOLKIT_FACET_CACHE_MIN) are always counted
afresh: they are cheap and the freshest counts matter most while humas work on a few items.
"""

import threading
import time

from flask import current_app, has_app_context
from sqlalchemy import String, cast, func, literal, select, union_all

from portal.models import ToolkitTag, Unit
from portal.models.toolkit import KINDS, STATUSES
from portal.toolkit.labels import KIND_LABELS, STATUS_LABELS

CACHE_KEY = "toolkit_facet_cache"
MAX_ENTRIES = 500
_lock = threading.Lock()


def _cache():
    if not has_app_context() or not current_app.config.get("TOOLKIT_FACET_CACHE_SECONDS", 60):
        return None
    return current_app.extensions.setdefault(CACHE_KEY, {})


def cached(key):
    """(facets, total) counted for `key` within the cache time, else None."""
    cache = _cache()
    entry = cache.get(key) if cache is not None else None
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def remember(key, value):
    cache = _cache()
    if cache is None or value[1] < current_app.config.get("TOOLKIT_FACET_CACHE_MIN", 1000):
        return
    with _lock:
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = (time.monotonic() + current_app.config.get("TOOLKIT_FACET_CACHE_SECONDS", 60), value)


def forget():
    """This process's facet counts are counted afresh on the next search."""
    cache = _cache()
    if cache:
        with _lock:
            cache.clear()


def forget_after_commit(session):
    """Called by every toolkit write: forget the counts once the write has committed."""
    from portal import db

    if not session.info.get("toolkit_forget_facets"):
        session.info["toolkit_forget_facets"] = True

        def run():
            session.info.pop("toolkit_forget_facets", None)
            forget()

        db.after_commit(session, run)


# --- counting -----------------------------------------------------------------------------------------------------

def branches(filtered, own_filters, editor):
    """SELECTs (facet, value, n) over the materialised filtered set `filtered` (columns id, kind, unit, year,
    status): one per facet, each ignoring its own filter (`own_filters`: facet name -> condition on `filtered`) so
    another kind, unit, year or status can be picked."""

    def branch(name, column, limit=None, by_value=False):
        inner = (select(literal(name).label("facet"), cast(column, String).label("value"),
                        func.count().label("n")).select_from(filtered)
                 .where(*[c for key, c in own_filters.items() if key != name]).group_by(column)
                 .order_by(column.desc() if by_value else func.count().desc(), column))
        if limit:
            inner = inner.limit(limit)
        return select(inner.subquery().c)

    tags = (select(literal("tag").label("facet"), ToolkitTag.tag.label("value"), func.count().label("n"))
            .select_from(filtered).join(ToolkitTag, ToolkitTag.item_id == filtered.c.id)
            .where(*own_filters.values())
            .group_by(ToolkitTag.tag).order_by(func.count().desc(), ToolkitTag.tag).limit(15))
    found = [branch("kind", filtered.c.kind), select(tags.subquery().c), branch("unit", filtered.c.unit, limit=15),
             branch("year", filtered.c.year, limit=20, by_value=True)]
    if editor:
        found.append(branch("status", filtered.c.status))
    return found


def labelled(session, grouped, editor, kind):
    """({facet: [(value, label, count)]}, total) from the counted rows {facet: [(value, n)]}."""
    kinds = dict(grouped.get("kind", []))
    total = kinds.get(kind, 0) if kind else sum(kinds.values())
    facets = {"kind": [(k, str(KIND_LABELS[k]), kinds[k]) for k in KINDS if k in kinds],
              "tag": [(t, t, n) for t, n in grouped.get("tag", [])]}
    units = [(int(u), n) for u, n in grouped.get("unit", [])]
    names = dict(session.exec(select(Unit.id, Unit.name).where(Unit.id.in_([u for u, _n in units])))
                 .all()) if units else {}
    facets["unit"] = [(u, names.get(u, "?"), n) for u, n in units]
    facets["year"] = [(int(y), y, n) for y, n in grouped.get("year", [])]
    if editor:
        counts = dict(grouped.get("status", []))
        facets["status"] = [(s, str(STATUS_LABELS[s]), counts[s]) for s in STATUSES if s in counts]
    return facets, total


def union(parts):
    return union_all(*parts)
