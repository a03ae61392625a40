"""Server-side helpers for htmx: a fragment is a named block of the page template that shows it."""

import functools

from flask import Response, current_app, redirect, render_template, request
from jinja2 import nodes
from jinja2_fragments.flask import render_block

from portal import db


def is_htmx():
    """An htmx request that wants a fragment. Boosted links and history restores (Back after hx-push-url, which
    replaces the whole body) get the full page."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


@functools.cache
def _top_level_imports(env, template_name):
    """The `{% from x import y %}` / `{% import x as y %}` at the top of a template, as (source, names, alias).
    A block rendered alone does not run them, so `render` runs them for it."""
    source = env.loader.get_source(env, template_name)[0]
    found = []
    for node in env.parse(source).body:
        if isinstance(node, nodes.FromImport) and isinstance(node.template, nodes.Const):
            found.append((node.template.value, tuple(node.names), None))
        elif isinstance(node, nodes.Import) and isinstance(node.template, nodes.Const):
            found.append((node.template.value, (), node.target))
    return tuple(found)


def _imported_names(template_name):
    env = current_app.jinja_env
    names = {}
    for source, imported, alias in _top_level_imports(env, template_name):
        module = env.get_template(source).make_module()
        if alias:
            names[alias] = module
        for item in imported:
            name, as_name = item if isinstance(item, tuple) else (item, item)
            names[as_name] = getattr(module, name)
    return names


def render(template, block=None, status=200, **context):
    """The whole page, or for an htmx request only `block` of the same template (with the template's top-level
    imports, which a block rendered alone would not see). A write request's transaction ends first (db.settle):
    rendering never holds the write lock."""
    db.settle(status)
    if block and is_htmx():
        body = render_block(template, block, **{**_imported_names(template), **context})
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
