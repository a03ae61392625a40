"""gunicorn.conf.py: the memory guard (WORKER_MAX_RSS_MB) that replaces a worker grown past its limit, and the heap
freezes that keep the garbage collector's full passes short."""

import logging
import runpy
import types
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


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
    assert app.cfg.worker_class_str == "gthread"


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
