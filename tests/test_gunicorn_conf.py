"""gunicorn.conf.py: the worker class that spreads connections over the workers, the memory guard
(WORKER_MAX_RSS_MB) that replaces a worker grown past its limit, and the heap freezes that keep the garbage
collector's full passes short."""

import logging
import os
import runpy
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from tests.test_scale_out import _free_port

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "gunicorn.conf.py"


def _conf(monkeypatch, limit, seconds=0):
    monkeypatch.setenv("WORKER_MAX_RSS_MB", str(limit))
    monkeypatch.setenv("WORKER_MAX_RSS_SECONDS", str(seconds))
    return runpy.run_path(str(CONF))


def _worker():
    return types.SimpleNamespace(alive=True, pid=4242, log=logging.getLogger("test.gunicorn"))


def test_gunicorn_takes_the_hook_from_the_file(monkeypatch):
    gunicorn_app = pytest.importorskip("gunicorn.app.wsgiapp")
    monkeypatch.setenv("WORKER_MAX_RSS_MB", "123")
    app = gunicorn_app.WSGIApplication.__new__(gunicorn_app.WSGIApplication)
    app.usage, app.prog, app.callable = None, None, None
    app.load_default_config()
    app.load_config_from_file(str(CONF))
    for hook in (app.cfg.post_request, app.cfg.post_worker_init):
        assert hook.__code__.co_filename == str(CONF)  # not gunicorn's defaults, which do nothing
    assert app.cfg.worker_class.__name__ == "BalancedThreadWorker"
    from gunicorn.workers.gthread import ThreadWorker

    assert issubclass(app.cfg.worker_class, ThreadWorker)


def test_web_workers_get_a_smaller_sqlite_page_cache_unless_one_is_set(monkeypatch):
    monkeypatch.delenv("SQLITE_CACHE_KB", raising=False)
    assert runpy.run_path(str(CONF))["raw_env"] == ["SQLITE_CACHE_KB=512"]
    monkeypatch.setenv("SQLITE_CACHE_KB", "4000")
    assert runpy.run_path(str(CONF))["raw_env"] == []  # the environment's own value reaches the workers


# A request of HOLD_APP waits until the file HOLD_FLAG exists, so a test can keep a worker's threads busy.
HOLD_APP = """
import os, time

def app(environ, start_response):
    deadline = time.monotonic() + 20
    while not os.path.exists(os.environ["HOLD_FLAG"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def _socket_count(pid):
    fds = Path(f"/proc/{pid}/fd")
    return sum(1 for fd in fds.iterdir() if os.readlink(fd).startswith("socket:"))


def _workers(master, count, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        if len(children) == count:
            return [int(pid) for pid in children]
        assert master.poll() is None, "gunicorn stopped"
        time.sleep(0.1)
    pytest.fail("gunicorn's workers did not start")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the workers' sockets from /proc (Linux)")
def test_a_worker_with_every_thread_busy_leaves_new_connections_to_the_others(tmp_path):
    """24 connections at once, each with a request that waits: plain gthread lets whichever worker wakes first accept
    as many as it is woken for (at least 12 of 24 on one of two workers), where they wait behind its busy threads.
    Here a worker with 2 x threads requests in flight accepts no more until it finishes one; the rest wait to be
    accepted. When the requests are let go, every one is answered."""
    (tmp_path / "hold_app.py").write_text(HOLD_APP)
    flag = tmp_path / "go"
    port = _free_port()
    env = {**os.environ, "HOLD_FLAG": str(flag), "PYTHONPATH": str(tmp_path), "WEB_CONCURRENCY": "2",
           "GUNICORN_THREADS": "2", "WORKER_MAX_RSS_MB": "0"}
    log = (tmp_path / "gunicorn.log").open("wb")
    master = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", str(CONF), "--no-control-socket",
                               "--bind", f"127.0.0.1:{port}", "hold_app:app"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=log)
    clients = []
    try:
        workers = _workers(master, 2)
        time.sleep(1.0)  # both in their main loop (a connection made earlier waits until one of them is)
        before = {pid: _socket_count(pid) for pid in workers}
        for _ in range(24):
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            clients.append(client)
        time.sleep(1.0)  # every accept that will happen while the requests wait has happened
        accepted = sorted(_socket_count(pid) - before[pid] for pid in workers)
        assert accepted == [4, 4], accepted  # 2 x 2 threads each; the other 16 wait to be accepted
        flag.write_text("go")
        answered = {}
        for client in clients:
            pid = int(_response_body(client))
            answered[pid] = answered.get(pid, 0) + 1
        assert sum(answered.values()) == 24 and set(answered) == set(workers), answered
    finally:
        for client in clients:
            client.close()
        master.terminate()
        master.wait(timeout=30)
        log.close()


def _response_body(client):
    """The body of the one response on `client` (a 200 with a Content-Length)."""
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = client.recv(4096)
        assert chunk, "a connection was closed unanswered"
        response += chunk
    head, body = response.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200"), head
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(
        b"content-length:")))
    while len(body) < length:
        chunk = client.recv(4096)
        assert chunk, "a response was cut short"
        body += chunk
    return body


def test_a_worker_that_stays_over_the_limit_is_replaced_after_a_request(monkeypatch, caplog):
    conf = _conf(monkeypatch, 1)  # any Python process is past 1 MB
    worker = _worker()
    conf["post_request"](worker, None, {}, None)
    assert worker.alive is True  # one reading over the limit may be a sign-in's hash in another thread
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        conf["post_request"](worker, None, {}, None)
    assert worker.alive is False
    assert "WORKER_MAX_RSS_MB=1" in caplog.text


def test_a_moment_over_the_limit_is_forgiven(monkeypatch):
    conf = _conf(monkeypatch, 1, seconds=3600)
    worker = _worker()
    for _ in range(3):
        conf["post_request"](worker, None, {}, None)
    assert worker.alive is True and conf["_over_since"]
    conf["post_request"].__globals__["MAX_RSS_MB"] = 100_000  # a reading under the limit: the count starts again
    conf["post_request"](worker, None, {}, None)
    assert worker.alive is True and not conf["_over_since"]


def test_a_worker_under_the_limit_or_with_the_guard_off_stays(monkeypatch):
    for limit in (100_000, 0):
        conf = _conf(monkeypatch, limit)
        worker = _worker()
        for _ in range(2):
            conf["post_request"](worker, None, {}, None)
        assert worker.alive is True
    assert 5 < conf["resident_mb"]() < 100_000


def test_the_worker_gives_freed_memory_back_once_it_has_grown(monkeypatch):
    """malloc_trim(0) after a request once the RSS grew TRIM_AFTER_MB (8) since the last trim or the lowest reading,
    at most every TRIM_EVERY_SECONDS; the guard judges the RSS after it."""
    conf = _conf(monkeypatch, 150, seconds=0)
    assert conf["_MALLOC_TRIM"] is not None  # glibc (Debian)
    hooks = conf["post_request"].__globals__
    readings, trims, clock = [], [], [1000.0]
    hooks["resident_mb"] = lambda: readings.pop(0)
    hooks["_MALLOC_TRIM"] = lambda pad: trims.append(pad) or readings.insert(0, readings.pop(0) - 20)
    monkeypatch.setattr(hooks["time"], "monotonic", lambda: clock[0])
    worker = _worker()

    def request(rss):
        readings[:] = [rss, rss]  # the reading after a request, and the one after a trim
        conf["post_request"](worker, None, {}, None)

    request(100)
    request(107)
    assert trims == []  # grown less than 8 MB
    request(95)  # the lowest reading is the new base
    request(104)
    assert trims == [0]
    request(100)
    assert trims == [0]  # 10 s have not passed
    clock[0] += 11
    request(160)  # trimmed to 140: under the limit, kept
    assert trims == [0, 0] and worker.alive is True and not conf["_over_since"]
    request(200)  # within 10 s of the last trim: over the limit, and replaced (WORKER_MAX_RSS_SECONDS=0) next time
    request(200)
    assert worker.alive is False and trims == [0, 0]


def test_the_worker_freezes_its_heap_after_start_and_once_its_caches_filled(monkeypatch):
    import gc

    monkeypatch.setenv("GC_FREEZE_AFTER", "3")
    conf = _conf(monkeypatch, 0)
    worker = _worker()
    threshold = gc.get_threshold()
    try:
        gc.unfreeze()
        conf["post_worker_init"](worker)
        after_start = gc.get_freeze_count()
        assert after_start > 0
        conf["post_request"](worker, None, {}, None)
        conf["post_request"](worker, None, {}, None)
        # Frozen objects may still be freed (the count then drops), and other threads allocate meanwhile: the
        # checks allow 1,000 either way around the 5,000 objects that tell a freeze.
        kept = [[] for _ in range(5000)]  # what the first requests filled the caches with (tracked objects)
        assert gc.get_freeze_count() < after_start + 1000  # not frozen yet
        conf["post_request"](worker, None, {}, None)
        assert gc.get_freeze_count() >= after_start + len(kept) - 1000
        frozen = gc.get_freeze_count()
        more = [[] for _ in range(5000)]
        conf["post_request"](worker, None, {}, None)
        assert gc.get_freeze_count() < frozen + 1000, len(more)  # once only
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_worker_runs_full_collections_less_often(monkeypatch):
    import gc

    before = gc.get_threshold()
    try:
        monkeypatch.delenv("GC_THRESHOLD", raising=False)
        conf = _conf(monkeypatch, 0)
        conf["post_worker_init"](_worker())
        assert gc.get_threshold() == (50000, 10, 10)
        monkeypatch.setenv("GC_THRESHOLD", "700,10,10")
        conf = _conf(monkeypatch, 0)
        conf["post_worker_init"](_worker())
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("WORKER_MAX_RSS_MB", "lots", "WORKER_MAX_RSS_MB must be a whole number, not 'lots'"),
    ("GUNICORN_THREADS", "0", "GUNICORN_THREADS must be at least 1, not 0"),
    ("WORKER_MAX_RSS_SECONDS", "soon", "WORKER_MAX_RSS_SECONDS must be a number, not 'soon'"),
])
def test_a_bad_number_stops_gunicorn_with_a_message_naming_it(monkeypatch, name, value, message):
    """(WEB_CONCURRENCY is read by gunicorn itself before this file: a bad one fails there, with its traceback.)"""
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=message):
        runpy.run_path(str(CONF))
