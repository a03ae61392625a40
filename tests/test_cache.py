"""portal/cache.py: brief per-app caches of values that may be a little late."""

import time

from flask import Flask

from portal import cache


def test_a_value_is_kept_for_its_seconds_then_built_afresh(app, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    built = []

    def build():
        built.append(len(built) + 1)
        return built[-1]

    with app.app_context():
        assert cache.remembered("counts", "a", 60, build) == 1
        now[0] += 59
        assert cache.remembered("counts", "a", 60, build) == 1  # still fresh
        assert cache.remembered("counts", "b", 60, build) == 2  # another key
        assert cache.remembered("other", "a", 60, build) == 3  # another cache
        now[0] += 2
        assert cache.remembered("counts", "a", 60, build) == 4  # 61 s old: counted again
        assert cache.remembered("counts", "a", 0, build) == 5  # 0 s: never kept
        cache.forget("counts")
        assert cache.remembered("counts", "a", 60, build) == 6


def test_each_app_has_its_own_values_and_a_bounded_number_of_keys(app, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    other = Flask("other")  # tests make an app each, often over the same database URL
    with app.app_context():
        assert cache.remembered("counts", "a", 60, lambda: "first app") == "first app"
    with other.app_context():
        assert cache.remembered("counts", "a", 60, lambda: "second app") == "second app"
        for key in range(5):
            cache.remembered("counts", key, 60, lambda: "x")
        assert len(other.extensions["brief_caches"]["counts"]) <= 3
    with app.app_context():
        assert cache.remembered("counts", "a", 60, lambda: "again") == "first app"


def test_one_thread_builds_a_missing_entry_while_the_others_wait_for_it(app):
    import threading

    calls, results = [], []
    building = threading.Event()

    def build():
        calls.append(threading.get_ident())
        building.set()
        time.sleep(0.3)
        return "counted once"

    def ask():
        with app.app_context():
            results.append(cache.remembered("flight", "popular", 60, build))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    threads[0].start()
    assert building.wait(5)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == ["counted once"] * 4 and len(calls) == 1


def test_when_the_builder_fails_the_waiting_threads_build_for_themselves(app):
    import threading

    building, results, errors = threading.Event(), [], []

    def failing():
        building.set()
        time.sleep(0.2)
        raise RuntimeError("the database went away")

    def first():
        with app.app_context():
            try:
                cache.remembered("flight", "k", 60, failing)
            except RuntimeError as error:
                errors.append(error)

    def second():
        with app.app_context():
            results.append(cache.remembered("flight", "k", 60, lambda: "built here"))

    one = threading.Thread(target=first)
    one.start()
    assert building.wait(5)
    two = threading.Thread(target=second)
    two.start()
    one.join(10)
    two.join(10)
    assert len(errors) == 1 and results == ["built here"]
    with app.app_context():  # nothing is left marked as being built
        assert cache.remembered("flight", "k", 60, lambda: "afresh") == "afresh"
