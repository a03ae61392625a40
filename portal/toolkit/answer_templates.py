"""Answer templates: their placeholders ({nama}, {nomor_tiket}), filling them in, and counting a use."""

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import update

from portal.errors import DomainError
from portal.models import ToolkitItem, ToolkitTemplate
from portal.toolkit.labels import placeholder_label
from portal.toolkit.validation import PLACEHOLDER_RE


def placeholders(body):
    """Placeholder names in the order they first appear."""
    names = []
    for name in PLACEHOLDER_RE.findall(body or ""):
        if name not in names:
            names.append(name)
    return names


def fill_template(body, values):
    """(plain text, Markup with the filled values marked): every piece is escaped, values never become markup."""
    text_parts, html_parts, last = [], [], 0
    for match in PLACEHOLDER_RE.finditer(body):
        text_parts.append(body[last:match.start()])
        html_parts.append(escape(body[last:match.start()]))
        value = " ".join(str(values.get(match.group(1), "")).split())
        text_parts.append(value)
        html_parts.append(Markup("<mark>{}</mark>").format(value))
        last = match.end()
    text_parts.append(body[last:])
    html_parts.append(escape(body[last:]))
    return "".join(text_parts), Markup("").join(html_parts)


def body_html(body):
    """The template body, escaped, with its placeholders marked."""
    parts, last = [], 0
    for match in PLACEHOLDER_RE.finditer(body or ""):
        parts.append(escape(body[last:match.start()]))
        parts.append(Markup('<span class="placeholder">{}</span>').format(match.group(0)))
        last = match.end()
    parts.append(escape((body or "")[last:]))
    return Markup("").join(parts)


def count_use(session, item_id):
    session.execute(update(ToolkitItem).where(ToolkitItem.id == item_id).values(
        use_count=ToolkitItem.use_count + 1, usage_count=ToolkitItem.usage_count + 1))


def use_template(session, item, values):
    """Fill the template and count one use: (plain text, Markup)."""
    template = session.get(ToolkitTemplate, item.id)
    missing = [name for name in placeholders(template.body) if not " ".join(str(values.get(name, "")).split())]
    if missing:
        raise DomainError(_("Isi semua penanda: %(names)s.", names=", ".join(placeholder_label(n) for n in missing)))
    filled = fill_template(template.body, values)
    count_use(session, item.id)
    return filled
