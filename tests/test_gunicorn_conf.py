"""gunicorn.conf.py: the memory guard (WORKER_MAX_RSS_MB) that replaces a worker grown past its limit."""

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
    assert app.cfg.post_request.__code__.co_filename == str(CONF)  # not gunicorn's default, which does nothing
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
