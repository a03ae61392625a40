"""Word-level differences between two texts: on the source (editors) and on the formatted text (everyone).

`rendered_diff` compares the sanitised HTML of both revisions word by word and keeps the new revision's structure
(headings, lists, bold): deleted words appear in <del> where they were, inserted words in <ins>, so a reader sees
formatted text, not `**…**` or `### …`. The result is sanitised again before it is shown.
"""

import difflib
import html
import re

import nh3
from markupsafe import Markup

from portal.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, render_markdown

WORD_RE = re.compile(r"\s+|[^\s]+")
# An HTML tag, a run of whitespace, an entity-or-word (punctuation stays attached to its word).
HTML_TOKEN_RE = re.compile(r"<[^>]*>|\s+|[^<\s]+")
DIFF_TAGS = ALLOWED_TAGS | {"ins", "del"}


def word_diff(old, new):
    """Escaped HTML of `new` against `old`, word by word, with <del> and <ins> (for Markdown source)."""
    a, b = WORD_RE.findall(old or ""), WORD_RE.findall(new or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(out))  # noqa: S704  # nosec B704  # every piece escaped above


def _is_tag(token):
    return token.startswith("<")


def _wrap(tokens, mark, keep_tags):
    """Wrap runs of words in <mark>; tags are kept in place (inserted text) or dropped (deleted text)."""
    out, run = [], []

    def close():
        if any(not t.isspace() for t in run):
            out.append(f"<{mark}>{''.join(run)}</{mark}>")
        elif run:
            out.append("".join(run))
        run.clear()

    for token in tokens:
        if _is_tag(token) and keep_tags:
            close()
            out.append(token)
        elif _is_tag(token):
            if token.lower().startswith(("<br", "</p", "</li", "</h", "</blockquote")):
                run.append(" ")  # a deleted block boundary: keep its words apart
        else:
            run.append(token)
    close()
    return "".join(out)


def html_diff(old_html, new_html):
    """The new HTML with word-level changes against the old one marked (<ins>/<del>), sanitised."""
    a, b = HTML_TOKEN_RE.findall(str(old_html or "")), HTML_TOKEN_RE.findall(str(new_html or ""))
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append("".join(b[j1:j2]))
            continue
        if op in ("delete", "replace"):
            out.append(_wrap(a[i1:i2], "del", keep_tags=False))
        if op in ("insert", "replace"):
            out.append(_wrap(b[j1:j2], "ins", keep_tags=True))
    clean = nh3.clean("".join(out), tags=DIFF_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer")
    return Markup(clean)  # noqa: S704  # nosec B704  # sanitised by nh3 just above


def rendered_diff(old_body, new_body, id_prefix=""):
    """Markdown of two revisions -> the formatted new text with the changes marked."""
    return html_diff(render_markdown(old_body, id_prefix=id_prefix), render_markdown(new_body, id_prefix=id_prefix))
