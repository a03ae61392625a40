"""gunicorn settings for `make run` and production (see README, "Deployment").

gthread (BalancedThreadWorker, which spreads new connections over the workers): a few threads per worker keep slow
clients and waits on the database from blocking a whole process, and the memory cost stays one Python process per
CPU core. Override with WEB_CONCURRENCY / GUNICORN_THREADS.
"""

import gc
import os
import time

from gunicorn.workers.gthread import ThreadWorker


def _setting(name, default, kind=int, minimum=0):
    """A numeric setting from the environment; a bad value stops gunicorn with a message naming it (not a traceback)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name} must be a {'whole ' if kind is int else ''}number, "
                         f"not {raw[:40]!r}") from None
    if value < minimum:
        raise SystemExit(f"gunicorn.conf.py: {name} must be at least {minimum}, not {raw}")
    return value


class BalancedThreadWorker(ThreadWorker):
    """gthread that leaves new connections to a worker with spare threads.

    gthread's workers share the listening socket, and each one accepts every connection it is woken for, however
    many requests it already holds. A burst of connections (a load test starting, nginx opening its upstream
    keep-alive pool) then lands mostly on whichever worker was idle at that moment while the other was still finishing
    earlier requests: 64 keep-alive connections of the benchmark's quiz split 16/48, 45/19, 63/1 and 64/0 across the
    two workers, each kept them for good, and the busier worker's clients waited twice as long (quiz p95 290-390 ms
    against 190-220 ms when they split evenly; 64/0 left one core idle). A worker with 2 x threads requests in flight
    (all threads busy, as many waiting) here accepts a further connection only after it has finished a request, one
    per request finished: the other workers take the rest, in proportion to how fast they serve. Below that a worker
    accepts as gthread does, so a quiet worker answers at once and short connections (nginx without upstream
    keep-alive, one request each) are not held back. SO_REUSEPORT (gunicorn's `reuse_port`) also splits
    connections, by a hash of the address, but a worker that stops resets the connections waiting on its own
    socket: with workers replaced every 300 requests, short connections met 4,876 socket errors beside 19,774
    answers, and none without it.

    Written against gunicorn 27's gthread (pyproject pins the major version): `enqueue_req` and `finish_request`
    run on the worker's main thread, `set_accept_enabled` (un)registers the listeners with its poller, and the main
    loop calls it again on every turn, which is where accepting resumes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.in_flight = 0  # requests handed to the thread pool and not finished
        self.accept_credit = False  # a request finished since the last accept

    def saturated(self):
        return self.in_flight >= 2 * self.cfg.threads

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and (self.accept_credit or not self.saturated()))

    def accept(self, listener):
        self.accept_credit = False
        super().accept(listener)

    def enqueue_req(self, conn):
        self.in_flight += 1
        super().enqueue_req(conn)
        if self.saturated() and not self.accept_credit:
            super().set_accept_enabled(False)

    def finish_request(self, conn, fs):
        self.in_flight -= 1
        self.accept_credit = True
        super().finish_request(conn, fs)


wsgi_app = "wsgi:app"
worker_class = BalancedThreadWorker
# The web workers' SQLite connections keep a smaller page cache than SQLite's 2 MB (portal.db.make_engine): 10 MB
# less per worker after the benchmark's new toolkit searches, at no measurable CPU. An explicit setting wins.
raw_env = [] if os.environ.get("SQLITE_CACHE_KB") else ["SQLITE_CACHE_KB=512"]
workers = _setting("WEB_CONCURRENCY", 2, minimum=1)
threads = _setting("GUNICORN_THREADS", 4, minimum=1)
timeout = 60
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (bounds slow memory growth). Not too often: what a process keeps (the header chrome,
# tables of contents, kept search results) is lost with it; at 5,000 a busy worker restarted every 20-90 s.
max_requests = 50_000
max_requests_jitter = 5_000
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# A worker whose resident memory stayed above WORKER_MAX_RSS_MB for WORKER_MAX_RSS_SECONDS (its caches filled, the
# allocator kept what a large request freed) finishes the requests it holds and is replaced, as after max_requests.
# Not at the first reading above it: a sign-in's password hash holds 32 MB for a tenth of a second, and a request
# ending meanwhile would see it. 0: never.
MAX_RSS_MB = _setting("WORKER_MAX_RSS_MB", 150)
MAX_RSS_SECONDS = _setting("WORKER_MAX_RSS_SECONDS", 5.0, kind=float)
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_over_since = []  # [monotonic time of the first reading above the limit] while readings stay above it


def resident_mb():
    """This process's resident memory in MB (Linux; None elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE_BYTES / 2**20
    except (OSError, ValueError, IndexError):
        return None


# The cyclic garbage collector's full passes walk every object the process holds: the loaded code, catalogs and
# search dictionaries, and the per-process caches once they are filled. Freezing what is there after start-up and
# again once the caches have filled (GC_FREEZE_AFTER requests) moves it out of those passes, which had cost the
# dashboard 1.2 ms a page in-process (8% of its CPU; nearly all of it one full pass every ~150 pages). Objects freed
# by reference counting (an evicted cache entry) are still freed. GC_FREEZE_AFTER=0: no second freeze.
GC_FREEZE_AFTER = _setting("GC_FREEZE_AFTER", 2000)
_freezes = {"requests": 0, "after_requests_done": False}  # this worker's count, and whether the second freeze ran


def _freeze_heap():
    gc.collect()
    gc.freeze()


# A full pass also runs every threshold1 x threshold2 young collections, i.e. every 70,000 container objects a
# request leaves alive with Python's (700, 10, 10), and walks whatever the caches gathered since the last freeze:
# after the benchmark's new toolkit queries, 34 passes of up to 72 ms in 40 s (every thread of the worker waits),
# with (50000, 10, 10) 6 passes and 99 ms in all, for 5-8 MB more per worker. GC_THRESHOLD="700,10,10": Python's.
GC_THRESHOLD = tuple(int(n) for n in os.environ.get("GC_THRESHOLD", "50000,10,10").split(","))


def post_worker_init(worker):
    gc.set_threshold(*GC_THRESHOLD)
    _freeze_heap()


def post_request(worker, req, environ, resp):
    _freezes["requests"] += 1
    if GC_FREEZE_AFTER and not _freezes["after_requests_done"] and _freezes["requests"] >= GC_FREEZE_AFTER:
        _freezes["after_requests_done"] = True
        _freeze_heap()
    _replace_if_too_large(worker)


# glibc's allocator keeps what a large request freed (a toolkit search's rows, a rendered report) inside its arenas,
# one per thread that allocated: a worker's RSS crept up 30 MB over the benchmark's new toolkit searches, of which
# malloc_trim(0) gives back a good part (6 MB of 11 in one thread, in ~1 ms). It runs after a request once the RSS
# has grown TRIM_AFTER_MB since the last trim, and at most every TRIM_EVERY_SECONDS. Not on other C libraries.
TRIM_AFTER_MB = 8
TRIM_EVERY_SECONDS = 10.0
_trimmed = {"rss": None, "at": 0.0}  # the RSS after the last trim (or the first reading) and when it ran


def _malloc_trim():
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def _trimmed_rss(rss):
    """`rss`, or the RSS after giving freed memory back when it has grown enough since the last time."""
    if _MALLOC_TRIM is None or rss is None:
        return rss
    now = time.monotonic()
    if _trimmed["rss"] is None or rss < _trimmed["rss"]:
        _trimmed["rss"] = rss
    elif rss - _trimmed["rss"] >= TRIM_AFTER_MB and now - _trimmed["at"] >= TRIM_EVERY_SECONDS:
        _MALLOC_TRIM(0)
        rss = resident_mb() or rss
        _trimmed.update(rss=rss, at=now)
    return rss


def _replace_if_too_large(worker):
    rss = _trimmed_rss(resident_mb())
    if not MAX_RSS_MB or not worker.alive:
        return
    if rss is None or rss <= MAX_RSS_MB:
        _over_since.clear()
        return
    now = time.monotonic()
    if not _over_since:
        _over_since.append(now)
    elif now - _over_since[0] >= MAX_RSS_SECONDS:
        worker.log.warning("Worker %s uses %.0f MB (WORKER_MAX_RSS_MB=%d for %.0f s): replacing it", worker.pid, rss,
                           MAX_RSS_MB, now - _over_since[0])
        worker.alive = False
