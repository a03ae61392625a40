"""Paths for notifications, also outside a request (CLI commands such as seed-demo and notify-due, jobs)."""

from flask import current_app, has_request_context, url_for


def path_for(endpoint, **values):
    """`url_for(endpoint, **values)` as a path; inside an app context without a request too."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)
