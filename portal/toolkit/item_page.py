"""Everything the item page shows, in one service call: the item with its kind's details, relations, citations,
history, warnings and what the viewer may do with it."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import or_
from sqlmodel import select

from portal.i18n import ngettext
from portal.models import (
    ToolkitCitation,
    ToolkitItem,
    ToolkitPhoto,
    ToolkitRegulation,
    ToolkitRegulationRelation,
    ToolkitStatusChange,
    ToolkitTag,
    ToolkitTemplate,
    User,
)
from portal.toolkit import answer_templates, files
from portal.toolkit.access import (
    approval_problem,
    can_archive_item,
    can_edit_item,
    can_read_consent,
    delete_problem,
    is_editor,
    is_visible,
    visible_clause,
)
from portal.toolkit.labels import (
    RELATION_LABELS_IN,
    RELATION_LABELS_OUT,
    day,
    regulation_citation,
    regulation_short,
    today,
)

WARN_DAYS = 30


@dataclass
class RelatedItem:
    """Another item linked to this one (a regulation it changes or cites, a template citing it)."""

    label: str
    item: ToolkitItem
    short: str
    legal_status: str
    replaced_by: list = field(default_factory=list)  # short labels of the regulations that revoked it


@dataclass
class ItemPage:
    item: ToolkitItem
    unit_name: str
    tags: list
    photo: ToolkitPhoto | None = None
    regulation: ToolkitRegulation | None = None
    template: ToolkitTemplate | None = None
    relations: list = field(default_factory=list)  # RelatedItem, both directions
    citations: list = field(default_factory=list)  # RelatedItem: regulations a template cites
    cited_by: list = field(default_factory=list)  # RelatedItem: templates citing a regulation
    revoked: list = field(default_factory=list)  # RelatedItem: cited regulations now dicabut
    history: list = field(default_factory=list)  # ToolkitStatusChange
    people: dict = field(default_factory=dict)  # user id -> full name
    warnings: list = field(default_factory=list)  # for editors
    renditions: set = field(default_factory=set)  # photo sizes ready to view and download
    body_html: Markup | None = None
    # what the viewer may do
    editor: bool = False
    visible: bool = True
    can_edit: bool = False
    can_archive: bool = False
    can_decide: bool = False
    decide_problem: str | None = None
    delete_problem: str | None = None
    can_read_consent: bool = False

    @property
    def short(self):
        return regulation_short(self.regulation, self.item.year) if self.regulation is not None else ""

    @property
    def citation(self):
        return regulation_citation(self.regulation, self.item.year) if self.regulation is not None else ""

    @property
    def channels(self):
        return [c for c in (self.template.channels.split(",") if self.template else []) if c]

    @property
    def placeholders(self):
        return answer_templates.placeholders(self.template.body) if self.template else []


def _related_regulations(session, editor, ids):
    """{id: (item, regulation)} of regulations the viewer may see."""
    if not ids:
        return {}
    statement = (select(ToolkitItem, ToolkitRegulation)
                 .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitItem.id)
                 .where(ToolkitItem.id.in_(ids)))
    if not editor:
        statement = statement.where(visible_clause())
    return {item.id: (item, regulation) for item, regulation in session.exec(statement).all()}


def _revoked_by(session, regulation_id):
    rows = session.exec(select(ToolkitItem, ToolkitRegulation)
                        .join(ToolkitRegulation, ToolkitRegulation.item_id == ToolkitItem.id)
                        .join(ToolkitRegulationRelation, ToolkitRegulationRelation.source_id == ToolkitItem.id)
                        .where(ToolkitRegulationRelation.target_id == regulation_id,
                               ToolkitRegulationRelation.kind == "mencabut")).all()
    return [regulation_short(regulation, item.year) for item, regulation in rows]


def _regulation_links(session, page, editor):
    item = page.item
    rows = session.exec(select(ToolkitRegulationRelation).where(or_(
        ToolkitRegulationRelation.source_id == item.id, ToolkitRegulationRelation.target_id == item.id))).all()
    others = _related_regulations(session, editor, {r.target_id if r.source_id == item.id else r.source_id
                                                    for r in rows})
    for row in rows:
        outgoing = row.source_id == item.id
        other = others.get(row.target_id if outgoing else row.source_id)
        if other is None:
            continue
        label = (RELATION_LABELS_OUT if outgoing else RELATION_LABELS_IN)[row.kind]
        page.relations.append(RelatedItem(str(label), other[0], regulation_short(other[1], other[0].year),
                                          other[1].legal_status))
    page.relations.sort(key=lambda r: (r.label, r.item.year or 0))
    citing = select(ToolkitItem).join(ToolkitCitation, ToolkitCitation.template_id == ToolkitItem.id).where(
        ToolkitCitation.regulation_id == item.id).order_by(ToolkitItem.title)
    citing = citing.where(ToolkitItem.status != "diarsipkan") if editor else citing.where(visible_clause())
    page.cited_by = [RelatedItem("", t, "", "") for t in session.exec(citing.limit(50)).all()]


def _template_links(session, page, editor):
    cited = session.exec(select(ToolkitCitation.regulation_id)
                         .where(ToolkitCitation.template_id == page.item.id)).all()
    # The warning about a revoked regulation shows to everyone, even when the regulation itself is not visible.
    all_cited = _related_regulations(session, True, set(cited))
    visible = all_cited if editor else _related_regulations(session, False, set(cited))
    for reg_id in cited:
        if reg_id not in all_cited:
            continue
        reg_item, regulation = all_cited[reg_id]
        related = RelatedItem("", reg_item, regulation_short(regulation, reg_item.year), regulation.legal_status)
        if reg_id in visible:
            page.citations.append(related)
        if regulation.legal_status == "dicabut":
            related.replaced_by = _revoked_by(session, reg_id)
            page.revoked.append(related)


def item_page(session, user, item, links=True):
    """The ItemPage of `item` (which the loader has let `user` see). `links=False` skips relations and citations
    (the template-use page needs only the template and the revoked-regulation warning)."""
    from portal.models import Unit

    editor = is_editor(user)
    on = today()
    unit_name = session.exec(select(Unit.name).where(Unit.id == item.owner_unit_id)).first()
    page = ItemPage(item=item, unit_name=unit_name or "", editor=editor, visible=is_visible(item, on),
                    tags=list(session.exec(select(ToolkitTag.tag).where(ToolkitTag.item_id == item.id)
                                           .order_by(ToolkitTag.tag)).all()))
    if item.kind == "photo":
        page.photo = session.get(ToolkitPhoto, item.id)
        page.renditions = files.ready_renditions(page.photo)
    elif item.kind == "regulation":
        page.regulation = session.get(ToolkitRegulation, item.id)
        if links:
            _regulation_links(session, page, editor)
    elif item.kind == "template":
        page.template = session.get(ToolkitTemplate, item.id)
        page.body_html = answer_templates.body_html(page.template.body)
        _template_links(session, page, editor)
    if editor:
        page.can_edit = can_edit_item(user, item, session)
        page.can_archive = can_archive_item(user, item, session)
        page.decide_problem = approval_problem(session, user, item)
        page.can_decide = page.decide_problem is None
        page.delete_problem = delete_problem(session, user, item) if page.can_edit else ""
        page.can_read_consent = can_read_consent(user, item, session)
        page.history = session.exec(select(ToolkitStatusChange).where(ToolkitStatusChange.item_id == item.id)
                                    .order_by(ToolkitStatusChange.at, ToolkitStatusChange.id)).all()
        ids = {h.actor_id for h in page.history} | {item.created_by_id, item.submitted_by_id, item.decided_by_id}
        ids.discard(None)
        if ids:
            page.people = dict(session.exec(select(User.id, User.full_name).where(User.id.in_(ids))).all())
        page.warnings = item_warnings(item, page.photo, on)
    return page


def item_warnings(item, photo, on=None):
    """What humas should act on: expired or soon-expiring consent and validity."""
    on = on or today()
    warnings = []
    if photo is not None and photo.consent == "ya" and photo.consent_expires_on:
        days = (photo.consent_expires_on - on).days
        if days < 0:
            warnings.append(_("Persetujuan orang dalam foto kedaluwarsa sejak %(d)s: foto ini tidak tampil bagi "
                              "pegawai. Perbarui dokumen persetujuan atau arsipkan foto.",
                              d=day(photo.consent_expires_on)))
        elif days <= WARN_DAYS:
            warnings.append(ngettext("Persetujuan orang dalam foto berakhir %(d)s (%(num)s hari lagi).",
                                     "Persetujuan orang dalam foto berakhir %(d)s (%(num)s hari lagi).",
                                     days, d=day(photo.consent_expires_on)))
    if photo is not None and photo.consent == "tidak":
        warnings.append(_("Ada orang yang dapat dikenali tanpa persetujuan: foto ini tidak dapat diajukan."))
    if item.valid_until:
        days = (item.valid_until - on).days
        if days < 0:
            warnings.append(_("Masa berlaku berakhir %(d)s: item ini tidak tampil bagi pegawai.",
                              d=day(item.valid_until)))
        elif days <= WARN_DAYS:
            warnings.append(ngettext("Masa berlaku berakhir %(d)s (%(num)s hari lagi).",
                                     "Masa berlaku berakhir %(d)s (%(num)s hari lagi).", days, d=day(item.valid_until)))
    return warnings
