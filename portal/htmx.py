"""Server-side helpers for htmx: a fragment is a named block of the page template that shows it."""

from flask import Response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx():
    """An htmx request that wants a fragment. Boosted links and history restores (Back after hx-push-url, which
    replaces the whole body) get the full page."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def render(template, block=None, status=200, **context):
    """The whole page, or for an htmx request only `block` of the same template."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return Response(body, status=status, mimetype="text/html")


def hx_redirect(url):
    response = Response("", status=204)
    response.headers["HX-Redirect"] = url
    return response


def redirect_after_post(url):
    """Post-redirect-get for plain forms; htmx follows through HX-Redirect."""
    if is_htmx():
        return hx_redirect(url)
    return redirect(url, code=303)


def add_vary(response):
    response.vary.add("HX-Request")
    return response
