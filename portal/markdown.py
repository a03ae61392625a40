"""Markdown for user-written text: markdown-it with raw HTML off, then nh3 as a second line of defence.

Headings get stable ids (slugs of their text) so they can be deep-linked; the caller caches the result per revision.
"""

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
                      "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def slugify(text, max_length=80):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_length].rstrip("-") or "bagian"


def _heading_ids(tokens, used):
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            # The section title is the page's h1, so the body's headings (### in our content) start at h2.
            level = min(max(int(token.tag[1]) - 1, 2), 6)
            token.tag = f"h{level}"
            tokens[index + 2].tag = f"h{level}"
            base = slugify(tokens[index + 1].content)
            anchor, n = base, 2
            while anchor in used:
                anchor, n = f"{base}-{n}", n + 1
            used.add(anchor)
            token.attrSet("id", anchor)


def render_markdown(text, id_prefix=""):
    """Markdown -> safe HTML (Markup). `id_prefix` keeps heading ids unique when several sections share a page."""
    tokens = _md.parse(text or "")
    used = set()
    _heading_ids(tokens, used)
    if id_prefix:
        for token in tokens:
            if token.type == "heading_open":
                token.attrSet("id", f"{id_prefix}{token.attrGet('id')}")
    html = _md.renderer.render(tokens, _md.options, {})
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer")
    return Markup(clean)  # noqa: S704  # nosec B704  # sanitised by nh3 just above
