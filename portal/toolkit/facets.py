"""Facet counts and first matches of toolkit searches: counted and ranked in SQL, kept for a short while.

Counting kinds, tags, units and years over a matched set, and ranking it (bm25 / ts_rank_cd over every match), are
the costly parts of a search; the same counts serve every page, order and refinement of one query, and the first
pages of each order are cut from the same first matches (`kept("ranking", ...)`: finder.BEST_CANDIDATES of them per
order and kind). Both are kept for TOOLKIT_FACET_CACHE_SECONDS (default 60): in Redis when REDIS_URL is set,
shared by every process and instance, else in this process.

Every key holds the toolkit's cache generation (`generation`), a counter that every toolkit write moves in its own
transaction (`changed`). A search reads it in the same snapshot as the items, so once a write has committed no
process, with or without Redis, answers from counts or rankings made before it. Facet counts also depend on the
viewer's scope, the filters and the day (validity dates), and are keyed by them; a ranking holds matches only, and
each page keeps those the person may see, checked in SQL. Sets smaller than TOOLKIT_FACET_CACHE_MIN (default 0:
none) are counted afresh.
"""

import hashlib
import json
import logging
import os
import threading
import time

from flask import current_app, has_app_context
from sqlalchemy import String, cast, func, literal, select, union_all

from portal import generations
from portal.models import ToolkitRegulation, ToolkitTag, ToolkitTemplate, Unit
from portal.models.toolkit import CHANNELS, KINDS, LEGAL_STATUSES, REGULATION_TYPES, STATUSES
from portal.toolkit.labels import KIND_LABELS, LEGAL_STATUS_LABELS, REGULATION_TYPE_LABELS, STATUS_LABELS

log = logging.getLogger(__name__)
CACHE_KEY = "toolkit_facet_cache"
REDIS_KEY = "toolkit_facet_redis"
SUBJECT = "toolkit"  # the cache_generation row
MAX_ENTRIES = 500
# The counts' entries name their format: instances of two versions sharing Redis during a deploy never read each
# other's (the four values with `more_than` were three before).
FACETS_FORMAT = "facets.2"
_lock = threading.Lock()


def _seconds():
    if not has_app_context():
        return 0
    return int(current_app.config.get("TOOLKIT_FACET_CACHE_SECONDS", 60) or 0)


def _cache():
    if not _seconds():
        return None
    return current_app.extensions.setdefault(CACHE_KEY, {})


def _redis():
    """The shared Redis client when REDIS_URL is set (None otherwise)."""
    url = current_app.config.get("REDIS_URL")
    if url is None and not current_app.testing:  # tests share one Redis: they opt in through the config
        url = os.environ.get("REDIS_URL")
    if not url or not _seconds():
        return None
    client = current_app.extensions.get(REDIS_KEY)
    if client is None or client[0] != url:
        import redis

        client = (url, redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5))
        current_app.extensions[REDIS_KEY] = client
    return client[1]


def _redis_name(key):
    return f"portal:toolkit:search:{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}"


def generation(session):
    """The toolkit's cache generation as this transaction sees it: part of every key (0 before the first write)."""
    return generations.read(session, SUBJECT)


def changed(session):
    """Called by every toolkit write, inside its transaction: moves the cache generation (committed with the write,
    so all processes stop using what was counted before it) and, once committed, empties this process's cache."""
    generations.move(session, SUBJECT)
    if forget not in [getattr(hook, "func", None) for hook in session.info.get("after_commit", [])]:
        from portal import db

        db.after_commit(session, forget)


def _get(key):
    """The value kept under `key` within the cache time, else None (JSON-decoded when it comes from Redis)."""
    if not _seconds():
        return None
    client = _redis()
    if client is not None:
        try:
            raw = client.get(_redis_name(key))
        except Exception as error:  # noqa: BLE001 - the cache is an optimisation: without it, count afresh
            log.warning("toolkit search cache unavailable: %s", error)
            return None
        return json.loads(raw) if raw else None
    entry = _cache().get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def _put(key, value):
    if not _seconds():
        return
    client = _redis()
    if client is not None:
        try:
            client.set(_redis_name(key), json.dumps(value), ex=_seconds())
        except Exception as error:  # noqa: BLE001 - the cache is an optimisation
            log.warning("toolkit search cache unavailable: %s", error)
        return
    cache = _cache()
    with _lock:
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = (time.monotonic() + _seconds(), value)


def cached(key):
    """(facets, total, sample, more_than) counted for `key` (the generation first) within the cache time, else
    None."""
    value = _get((FACETS_FORMAT, *key))
    if value is None:
        return None
    counts, total, sample, more_than = value
    if total < current_app.config.get("TOOLKIT_FACET_CACHE_MIN", 0):
        return None
    return {name: [tuple(row) for row in rows] for name, rows in counts.items()}, total, sample, more_than


def remember(key, value):
    if _seconds() and value[1] >= current_app.config.get("TOOLKIT_FACET_CACHE_MIN", 0):
        _put((FACETS_FORMAT, *key), value)


def kept(name, key):
    """Another value of a search kept under (`name`, `key`) within the cache time, else None: "ranking", the
    first matching item ids of a query in one order (key: the generation, the order, TOOLKIT_RANK_POOL, the kind,
    the query's terms; they do not depend on who asks), "newest_edges", where a query's relevance order starts
    ranking and whether it has more than TOOLKIT_FACET_EXACT_MAX matches (key: the generation, TOOLKIT_RANK_POOL,
    TOOLKIT_FACET_EXACT_MAX, the kind, the terms), or "suggestions" for an empty result (key: as the counts')."""
    return _get((name, *key))


def keep(name, key, value):
    _put((name, *key), value)


def forget():
    """Empty this process's cache (entries of an older generation are never used again; this frees them)."""
    cache = current_app.extensions.get(CACHE_KEY) if has_app_context() else None
    if cache:
        with _lock:
            cache.clear()


# --- counting -----------------------------------------------------------------------------------------------------

def has_channel(channels, channel):
    """A template's comma-separated `channels` include `channel` (whole names only: "X" is not in "TikTok")."""
    pattern = f"%,{channel},%" if isinstance(channel, str) else literal("%,") + channel + literal(",%")
    return (literal(",") + channels + literal(",")).like(pattern)


def branches(filtered, own_filters, editor):
    """SELECTs (facet, value, n) over the materialised filtered set `filtered` (columns id, kind, unit, year,
    status): one per facet, each ignoring its own filter (`own_filters`: facet name -> condition on `filtered`) so
    another kind, unit, year, status, regulation type, legal status or channel can be picked.

    The tag join compares with `filtered.c.id + 0`: that keeps the filtered set the outer loop,
    probing the tag primary key. Without it SQLite, which knows nothing of the materialised set's
    size, walks the whole tag index (374,000 rows at 100,000 items, for its GROUP BY order) and looks each row up
    in the set: 25 ms instead of 5 ms for a set of 500 items, 45 instead of 20 ms for 2,000."""

    def branch(name, column, limit=None, by_value=False):
        inner = (select(literal(name).label("facet"), cast(column, String).label("value"),
                        func.count().label("n")).select_from(filtered)
                 .where(*[c for key, c in own_filters.items() if key != name]).group_by(column)
                 .order_by(column.desc() if by_value else func.count().desc(), column))
        if limit:
            inner = inner.limit(limit)
        return select(inner.subquery().c)

    tags = (select(literal("tag").label("facet"), ToolkitTag.tag.label("value"), func.count().label("n"))
            .select_from(filtered).join(ToolkitTag, ToolkitTag.item_id == filtered.c.id + 0)
            .where(*own_filters.values())
            .group_by(ToolkitTag.tag).order_by(func.count().desc(), ToolkitTag.tag).limit(15))
    found = [branch("kind", filtered.c.kind), select(tags.subquery().c), branch("unit", filtered.c.unit, limit=15),
             branch("year", filtered.c.year, limit=20, by_value=True)]
    # What regulations and templates add: read from their tables for the filtered ids, so the filtered set (and the
    # index-only browse behind it) stays the same for searches that do not ask for them.
    # Each filtered item's value is looked up by its key (a correlated subquery): as a join, PostgreSQL hashed all
    # 33,000 regulations for a few hundred filtered items (9-10 ms a facet instead of ~0.5).
    for name, column in (("reg_type", ToolkitRegulation.reg_type), ("legal_status", ToolkitRegulation.legal_status)):
        value = select(column).where(ToolkitRegulation.item_id == filtered.c.id).scalar_subquery()
        per_item = (select(value.label("value")).select_from(filtered)
                    .where(*[c for key, c in own_filters.items() if key != name]).subquery())
        found.append(select(literal(name).label("facet"), per_item.c.value, func.count().label("n"))
                     .where(per_item.c.value.is_not(None)).group_by(per_item.c.value))
    names = union_all(*[select(literal(c).label("name")) for c in CHANNELS]).subquery("channel_names")
    found.append(select(literal("channel").label("facet"), names.c.name.label("value"), func.count().label("n"))
                 .select_from(filtered).join(ToolkitTemplate, ToolkitTemplate.item_id == filtered.c.id)
                 .join(names, has_channel(ToolkitTemplate.channels, names.c.name))
                 .where(*[c for key, c in own_filters.items() if key != "channel"]).group_by(names.c.name))
    if editor:
        found.append(branch("status", filtered.c.status))
    return found


def labelled(session, grouped, editor, kind, sample=0, more_than=0):
    """({facet: [(value, label, count)]}, total, sample, more_than) from the counted rows {facet: [(value, n)]}.
    `sample`: 0 when every facet was counted over the whole result, else how many of its best matches the facets
    other than kind and status were counted over (see finder._count_large). `more_than`: 0 when the result was
    counted, else the number it was counted up to: the total is one more, and kinds and statuses have no count
    (None), each offered as a filter."""
    kinds = dict(grouped.get("kind", []))
    if more_than:
        total = more_than + 1
        kind_facet = [(k, str(KIND_LABELS[k]), None) for k in KINDS]
    else:
        total = kinds.get(kind, 0) if kind else sum(kinds.values())
        kind_facet = [(k, str(KIND_LABELS[k]), kinds[k]) for k in KINDS if k in kinds]
    facets = {"kind": kind_facet, "tag": [(t, t, n) for t, n in grouped.get("tag", [])]}
    units = [(int(u), n) for u, n in grouped.get("unit", [])]
    names = dict(session.exec(select(Unit.id, Unit.name).where(Unit.id.in_([u for u, _n in units])))
                 .all()) if units else {}
    facets["unit"] = [(u, names.get(u, "?"), n) for u, n in units]
    facets["year"] = [(int(y), y, n) for y, n in grouped.get("year", [])]
    reg_types = dict(grouped.get("reg_type", []))
    known = [t for t in REGULATION_TYPES if t in reg_types] + sorted(t for t in reg_types if t not in REGULATION_TYPES)
    facets["reg_type"] = [(t, str(REGULATION_TYPE_LABELS.get(t, t)), reg_types[t]) for t in known]
    legal = dict(grouped.get("legal_status", []))
    facets["legal_status"] = [(s, str(LEGAL_STATUS_LABELS[s]), legal[s]) for s in LEGAL_STATUSES if s in legal]
    channels = dict(grouped.get("channel", []))
    facets["channel"] = [(c, c, channels[c]) for c in CHANNELS if c in channels]
    if editor and more_than:
        facets["status"] = [(s, str(STATUS_LABELS[s]), None) for s in STATUSES]
    elif editor:
        counts = dict(grouped.get("status", []))
        facets["status"] = [(s, str(STATUS_LABELS[s]), counts[s]) for s in STATUSES if s in counts]
    return facets, total, sample, more_than


def union(parts):
    return union_all(*parts)
