"""A toolkit result page's items as the list shows them: their tags, unit, kind's details and highlighted words."""

from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlmodel import select

from portal import snippets
from portal.models import (
    ToolkitCitation,
    ToolkitItem,
    ToolkitPhoto,
    ToolkitRegulation,
    ToolkitTag,
    ToolkitTemplate,
    Unit,
)
from portal.toolkit.access import is_visible
from portal.toolkit.labels import regulation_short


@dataclass
class SearchHit:
    """One item on a result page, with what the list shows of it."""

    item: ToolkitItem
    unit_name: str
    tags: list
    title_html: Markup
    snippet: Markup
    photo: ToolkitPhoto | None = None
    regulation: ToolkitRegulation | None = None
    template: ToolkitTemplate | None = None
    revoked: bool = False
    visible: bool = True

    @property
    def short(self):
        return regulation_short(self.regulation, self.item.year) if self.regulation else ""



def hits(session, items, q, on):
    """The SearchHits of a result page's items (in their order), with what the list shows of each."""
    if not items:
        return []
    ids = [item.id for item in items]
    tags = {}
    for item_id, tag in session.exec(select(ToolkitTag.item_id, ToolkitTag.tag).where(ToolkitTag.item_id.in_(ids))
                                     .order_by(ToolkitTag.tag)).all():
        tags.setdefault(item_id, []).append(tag)
    units = dict(session.exec(select(Unit.id, Unit.name)
                              .where(Unit.id.in_({item.owner_unit_id for item in items}))).all())
    photos = {p.item_id: p for p in session.exec(select(ToolkitPhoto).where(ToolkitPhoto.item_id.in_(ids))).all()}
    regulations = {r.item_id: r for r in session.exec(select(ToolkitRegulation)
                                                      .where(ToolkitRegulation.item_id.in_(ids))).all()}
    templates = {t.item_id: t for t in session.exec(select(ToolkitTemplate)
                                                    .where(ToolkitTemplate.item_id.in_(ids))).all()}
    revoked = revoked_citing(session, ids)
    hits = []
    for item in items:
        regulation, template = regulations.get(item.id), templates.get(item.id)
        title = f"{regulation_short(regulation, item.year)} — {item.title}" if regulation else item.title
        text = item.description or (template.body if template else "")
        if q:
            title_html = snippets.highlight(title, q, max_length=300)
            snippet = snippets.highlight(f"{text} {template.body}" if template and item.description else text, q,
                                       max_length=220)
        else:
            title_html = escape(title)
            snippet = escape(text[:220] + ("…" if len(text) > 220 else ""))
        hits.append(SearchHit(item=item, unit_name=units.get(item.owner_unit_id, ""), tags=tags.get(item.id, []),
                              title_html=title_html, snippet=snippet, photo=photos.get(item.id),
                              regulation=regulation, template=template, revoked=item.id in revoked,
                              visible=is_visible(item, on)))
    return hits


def revoked_citing(session, template_ids=None):
    """Ids of templates (among `template_ids`, or all) citing a regulation whose status is dicabut."""
    statement = (select(ToolkitCitation.template_id).distinct()
                 .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitCitation.regulation_id)
                 .where(ToolkitRegulation.legal_status == "dicabut"))
    if template_ids is not None:
        statement = statement.where(ToolkitCitation.template_id.in_(template_ids))
    return set(session.exec(statement).all())
