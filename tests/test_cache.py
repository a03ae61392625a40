"""portal/cache.py: brief per-app caches of values that may be a little late."""

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
