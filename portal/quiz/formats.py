"""The text formats of a question (its stem, options and feedback share one): Markdown, plain text or HTML, as GIFT's
`[markdown]`, `[plain]` (and Moodle's unmarked auto-format) and `[html]` markers say. Each becomes safe HTML once, when
a version is saved: Markdown through portal/markdown.py (raw HTML off, then nh3), plain text escaped with its line
breaks kept, HTML sanitised by nh3 (formatting and links kept; scripts, styles, handlers and foreign URLs dropped).
"""

import html
import re

import nh3
from markupsafe import escape

from portal.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, render_markdown

HTML_TAGS = ALLOWED_TAGS | {"b", "i", "u", "sub", "sup", "span", "div", "small", "mark", "dl", "dt", "dd",
                            "caption", "colgroup", "col", "tfoot"}
HTML_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "td": {"align", "colspan", "rowspan"}, "th": {"align", "colspan", "rowspan",
                                                                                       "scope"}}
BLANK = "_____"  # where the answer of a missing-word question goes (as Moodle writes it)


def sanitize_html(text):
    """Untrusted HTML -> the HTML we keep: formatting, lists, tables and links survive; everything else goes."""
    return nh3.clean(text or "", tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", clean_content_tags={"script", "style"})


def _unwrap_paragraph(html_text):
    html_text = html_text.strip()
    if html_text.startswith("<p>") and html_text.endswith("</p>") and html_text.count("<p>") == 1:
        return html_text[3:-4]
    return html_text


def to_html(text, text_format, inline=False):
    """Stored text -> safe HTML. `inline` (an option's text inside a label): a lone paragraph loses its <p>."""
    if not text:
        return ""
    if text_format == "html":
        out = sanitize_html(text)
    elif text_format == "plain":
        out = str(escape(text)).replace("\n", "<br>\n")
        return out if inline else f"<p>{out}</p>"
    else:
        out = str(render_markdown(text))
    return _unwrap_paragraph(out) if inline else out


def html_to_text(text):
    """HTML -> plain text (for names and search): tags dropped, line breaks of blocks kept, entities decoded."""
    text = re.sub(r"(?i)<br\s*/?>", "\n", text or "")
    text = re.sub(r"(?i)</(p|div|h[1-6]|li|tr|table|ul|ol)\s*>", "\n", text)
    text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()


def markdown_escape(text):
    """Plain text -> Markdown that shows it literally."""
    text = re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)
    return re.sub(r"(?m)^(\s*)([#>+-]|\d+\.)(?=\s|$)", r"\1\\\2", text)


def convert(text, source, target):
    """A text written in `source` format, rewritten for `target` (a GIFT answer may name its own format)."""
    if source == target or not text:
        return text
    if source == "html":
        text = html_to_text(text)
        return markdown_escape(text) if target == "markdown" else text
    if target == "html":
        return to_html(text, source)
    return markdown_escape(text) if target == "markdown" else text  # plain -> markdown; markdown -> plain as written


def plain_text(text, text_format):
    """The words of a text, without markup (for automatic names)."""
    if text_format == "html":
        return html_to_text(text)
    if text_format == "markdown":
        return re.sub(r"[\\`*_#>\[\]()]", " ", text)
    return text
