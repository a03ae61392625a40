"""Brief caches: values that are costly to count and may be a little late (a dashboard card's counts, the search's
vocabulary), kept for some seconds in the process that counted them.

Each named cache lives on the app (`app.extensions`), so an app never sees another app's values (tests make one
app each, often over the same database URL), holds at most MAX_ENTRIES keys (then starts afresh) and answers an
entry only until its time is up. Nothing is invalidated: use it only where a value up to `seconds` old is acceptable
and say so where the value is shown; a value that must be exact after a write does not belong here.
"""

import threading
import time

from flask import current_app, has_app_context

MAX_ENTRIES = 2048
BUILD_WAIT_SECONDS = 5  # how long a thread waits for another one building the same entry, then builds it itself
_lock = threading.Lock()
_building = {}  # (cache name, app id, key) -> Event set when the thread building that entry is done


def _cache_and_seconds(name, seconds):
    """(the app's named cache, seconds as a number), or (None, 0) when nothing is to be kept: no app, or seconds
    (a number or the name of the app setting holding it) <= 0."""
    if not has_app_context():
        return None, 0
    if isinstance(seconds, str):
        seconds = current_app.config[seconds]
    if seconds <= 0:
        return None, 0
    return current_app.extensions.setdefault("brief_caches", {}).setdefault(name, {}), seconds


def remembered(name, key, seconds, build, max_entries=None):
    """`build()`, or the value it gave for (name, key) less than `seconds` ago in this process. `seconds`: a number
    or the name of the app setting that holds it; <= 0, or no app (a service called from a script): always built
    afresh. `max_entries`: fewer than MAX_ENTRIES for large values (rendered HTML)."""
    cache, seconds = _cache_and_seconds(name, seconds)
    if cache is None:
        return build()
    entry = cache.get(key)
    now = time.monotonic()
    if entry is not None and entry[0] > now:
        return entry[1]
    # One thread builds a missing entry; the others asking for it meanwhile wait for that value instead of building
    # it too (when a popular search's entry expires under load, eight threads would otherwise count it at once).
    flight = (name, id(current_app._get_current_object()), key)
    with _lock:
        done = _building.get(flight)
        if done is None:
            done = _building[flight] = threading.Event()
            builder = True
        else:
            builder = False
    if not builder:
        done.wait(BUILD_WAIT_SECONDS)
        entry = cache.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return build()  # the builder failed or is slow: build it here, without keeping it
    try:
        value = build()
        with _lock:
            if len(cache) >= (max_entries or MAX_ENTRIES):
                cache.clear()
            cache[key] = (now + seconds, value)
        return value
    finally:
        with _lock:
            _building.pop(flight, None)
        done.set()


def remembered_many(name, keys, seconds, build_many, max_entries=None):
    """{key: value} for `keys`: those kept less than `seconds` ago in this process, the others from one
    `build_many(missing keys) -> {key: value}` (a key it leaves out is not kept). Same rules as `remembered`."""
    keys = list(dict.fromkeys(keys))
    cache, seconds = _cache_and_seconds(name, seconds)
    if cache is None:
        return build_many(keys)
    now = time.monotonic()
    found, missing = {}, []
    for key in keys:
        entry = cache.get(key)
        if entry is not None and entry[0] > now:
            found[key] = entry[1]
        else:
            missing.append(key)
    if missing:
        built = build_many(missing)
        with _lock:
            if len(cache) + len(built) > (max_entries or MAX_ENTRIES):
                cache.clear()
            for key, value in built.items():
                cache[key] = (now + seconds, value)
        found.update(built)
    return found


def forget(name):
    """Drop every entry of a named cache (in this process)."""
    with _lock:
        current_app.extensions.get("brief_caches", {}).pop(name, None)
