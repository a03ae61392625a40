"""Flask extensions, created once and bound to each app in create_app."""

from functools import partial

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)

_LIMITED_VIEWS = set()  # qualified names of the views declared through `rate_limited`


def rate_limited(limit, **options):
    """`limiter.limit(limit, **options)` for a view, which the limiter then checks; every other request skips it.
    The portal has no default limits, yet Flask-Limiter worked out for every request which limits apply (41 us a
    request, 3% of the dashboard). Declare limits only through this (a test checks)."""

    def decorate(view):
        _LIMITED_VIEWS.add(get_qualified_name(view))
        return limiter.limit(limit, **options)(view)

    return decorate


@limiter.request_filter
def _not_rate_limited():
    view = current_app.view_functions.get(request.endpoint or "")
    return view is None or get_qualified_name(view) not in _LIMITED_VIEWS


def limit_declared_views_only(app):
    """After `limiter.init_app(app)`: Flask-Limiter's three request hooks (the check before the view, the headers
    after it, the reset at teardown) run only for views declared through `rate_limited`. With the request filter
    alone the check still evaluated an empty list of limits and the other two read its context: ~40 µs on every
    request. The filter stays, for a hook that runs anyway."""
    hooks = {"before": app.before_request_funcs.get(None, []), "after": app.after_request_funcs.get(None, []),
             "teardown": app.teardown_request_funcs.get(None, [])}
    wrapped = 0
    for when, functions in hooks.items():
        for index, hook in enumerate(functions):
            owner = getattr(hook, "__self__", None)
            if owner is None and isinstance(hook, partial) and hook.args:
                owner = hook.args[0]
            if owner is limiter:
                functions[index] = _when_declared(hook, when)
                wrapped += 1
    if limiter.enabled and wrapped != 3:  # a Flask-Limiter that registers its hooks differently: look again
        raise RuntimeError(f"expected Flask-Limiter's 3 request hooks, found {wrapped}")


def _when_declared(hook, when):
    if when == "after":
        def after(response):
            return response if _not_rate_limited() else hook(response)
        return after
    if when == "teardown":
        def teardown(error=None):
            if not _not_rate_limited():
                hook(error)
        return teardown

    def before():
        return None if _not_rate_limited() else hook()
    return before
