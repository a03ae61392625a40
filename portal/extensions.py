"""Flask extensions, created once and bound to each app in create_app."""

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
