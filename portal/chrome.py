"""The signed-in page header (brand, search box, bell, name, sign-out, language switch, main navigation).

It is the same for everyone with the same roles in the same language, so it is rendered once per process, language
and set of roles (`templates/_header.html`, with markers where this request's values go) and kept; each page then
only puts in the person's name, the CSRF token, the search box's value, the language switch's return path, the bell
and the navigation with the current item marked. Rendering it in full cost about a third of a small page's time
(a dozen translations, URL builds and permission checks on every request).
"""

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from portal import cache
from portal.permissions import can

KEEP_SECONDS = 3600  # the header changes only with the code and the catalogs, i.e. with a restart
MARKS = {name: f"@@chrome-{name}@@" for name in ("q", "bell", "name", "csrf", "next", "nav")}


def _nav(user):
    """[(endpoint, blueprint, url, label)] of the pillars `user` may open, in the navigation's order."""
    from flask import url_for

    items = []
    for pillar in current_app.extensions["pillars"]:
        if pillar.nav is not None and can(user, pillar.nav[2]):
            endpoint, label, _perm = pillar.nav
            items.append((endpoint, endpoint.split(".")[0], str(escape(url_for(endpoint))), str(escape(label))))
    return tuple(items)


def _kept(user, locale):
    def build():
        html = render_template("_header.html", mark=MARKS, locale=locale, can_search=can(user, "search.use"))
        return html, _nav(user), can(user, "notifications.view")

    return cache.remembered("chrome.header", (locale, tuple(sorted(user.roles))), KEEP_SECONDS, build)


def _bell(locale, unread):
    return cache.remembered("chrome.bell", (locale, unread), KEEP_SECONDS,
                            lambda: render_template("notifications/_bell.html", unread=unread))


def _nav_html(items):
    endpoint, blueprint = request.endpoint, request.blueprint
    rows = []
    for item_endpoint, section, url, label in items:
        if endpoint == item_endpoint:
            current = ' aria-current="page"'
        elif section == blueprint and section != "accounts":
            current = ' aria-current="true"'
        else:
            current = ""
        rows.append(f'<li><a href="{url}"{current}>{label}</a></li>')
    return "\n      ".join(rows)


def site_header(user, unread_count):
    """The header's HTML for this request. `unread_count()` gives the bell's number (asked only when the bell is
    shown)."""
    locale = str(get_locale() or "id")
    html, nav, shows_bell = _kept(user, locale)
    values = {
        "q": str(escape(request.args.get("q", ""))) if request.endpoint == "search_all.index" else "",
        "bell": _bell(locale, unread_count()) if shows_bell else "",
        "name": str(escape(user.full_name)),
        "csrf": str(escape(generate_csrf())),
        "next": str(escape(request.full_path.rstrip("?"))),
        "nav": _nav_html(nav),
    }
    for name, mark in MARKS.items():
        html = html.replace(mark, values[name])
    return Markup(html)  # noqa: S704  # nosec B704  # rendered by Jinja; every value put in is escaped above
