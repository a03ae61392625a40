"""Reading the published edition and acknowledging it.

Acknowledging means having read. Which sections must have been opened is a rule set by admins
(AcknowledgementRule): for a first acknowledgement every section of the edition, or only the core set; after a
material edition, every section that changed since the person's last acknowledgement, opened after it changed.
"""

import functools
import re
from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import select

from portal import audit, cache, generations
from portal.errors import DomainError
from portal.handbook import diffs
from portal.handbook.editions import (
    changed_since,
    changes_between,
    current_editions,
    edition_toc,
    editions,
    kept_diffs,
    latest_edition,
    published_revisions,
    published_section,
    required_edition,
    revisions_by_id,
)
from portal.i18n import ngettext
from portal.models import (
    Acknowledgement,
    AcknowledgementRule,
    Edition,
    EditionSection,
    Section,
    SectionRead,
    utcnow,
)
from portal.models.handbook import ACK_SCOPES

# --- the rule -----------------------------------------------------------------------------------------------------


# The acknowledgement rule's cache generation: moved by every flush that writes the rule or a section (its core flag).
RULE_GENERATION = "handbook_rule"
generations.follow(RULE_GENERATION, AcknowledgementRule, Section)
generations.follow_people(SectionRead, Acknowledgement)  # the reader's dashboard card


def ack_scope(session):
    """"all" (every section must have been opened before a first acknowledgement) or "core"."""
    rule = session.exec(select(AcknowledgementRule).order_by(AcknowledgementRule.id)).first()
    return rule.scope if rule is not None and rule.scope in ACK_SCOPES else "all"


def first_acknowledgement_needs(session):
    """None (every section must have been opened before a first acknowledgement) or the frozenset of core section
    ids; what every unacknowledged reader's dashboard asks, so kept per process under the rule's generation."""
    def build():
        if ack_scope(session) != "core":
            return None
        return frozenset(session.exec(select(Section.id).where(Section.core)).all())

    return cache.remembered("handbook.ack_rule", generations.read(session, RULE_GENERATION),
                            "DASHBOARD_CACHE_SECONDS", build)


def rule_page(session):
    """The rule and the sections of the latest edition with their core flag, for the admin's form."""
    edition = latest_edition(session)
    toc = edition_toc(session, edition)
    core = set(session.exec(select(Section.id).where(Section.core)).all())
    return {"scope": ack_scope(session), "toc": toc, "core_ids": core, "edition": edition}


def set_ack_rule(session, actor, scope, core_ids):
    """Admins: the acknowledgement scope and the core set (section ids of the latest edition)."""
    if scope not in ACK_SCOPES:
        raise DomainError(_("Pilih aturan persetujuan yang tersedia."), field="scope")
    edition = latest_edition(session)
    in_edition = {s.section_id for s in edition_toc(session, edition).flat}
    core_ids = {int(i) for i in core_ids} & in_edition
    if scope == "core" and not core_ids:
        raise DomainError(_("Pilih sedikitnya satu bagian inti, atau wajibkan semua bagian."), field="scope")
    rule = session.exec(select(AcknowledgementRule).order_by(AcknowledgementRule.id)).first()
    before = {"scope": rule.scope if rule else "all",
              "core": sorted(session.exec(select(Section.id).where(Section.core)).all())}
    rule = rule or AcknowledgementRule()
    rule.scope, rule.updated_at, rule.updated_by_id = scope, utcnow(), getattr(actor, "id", None)
    session.add(rule)
    for section in session.exec(select(Section).where(Section.id.in_(in_edition))).all():
        if section.core != (section.id in core_ids):
            section.core = section.id in core_ids
            session.add(section)
    audit.record(session, actor, "handbook.ack_rule", "handbook_rule", None, scope, before=before,
                 after={"scope": scope, "core": sorted(core_ids)})
    session.flush()
    return rule


# --- reading progress ---------------------------------------------------------------------------------------------

def read_section_ids(session, user):
    return set(session.exec(select(SectionRead.section_id).where(SectionRead.user_id == user.id)).all())


def mark_read(session, user, section_id):
    """Record that the user opened the section. A later visit after a newer edition was published renews the time,
    so that reading a changed section again counts."""
    row = session.get(SectionRead, (user.id, section_id))
    if row is None:
        session.add(SectionRead(user_id=user.id, section_id=section_id))
        session.flush()
        return
    edition = latest_edition(session)
    if edition is not None and _aware(row.read_at) < _aware(edition.published_at):
        row.read_at = utcnow()
        session.add(row)
        session.flush()


def mark_read_by_slug(session, user, slug):
    """mark_read for a section of the current edition given by slug; its TocSection, or None when not in it."""
    found = edition_toc(session, latest_edition(session)).find(slug)
    if found is None:
        return None
    mark_read(session, user, found[1].section_id)
    return found[1]


def _aware(moment):
    from portal.timezone import as_utc

    return as_utc(moment)


def reading_progress(session, user, edition):
    """(sections read, sections in the edition)."""
    if edition is None:
        return 0, 0
    total = len(edition_toc(session, edition).flat)
    done = session.exec(
        select(func.count()).select_from(EditionSection)
        .join(SectionRead, and_(SectionRead.section_id == EditionSection.section_id, SectionRead.user_id == user.id))
        .where(EditionSection.edition_id == edition.id)
    ).one()
    return done, total


def acknowledged_edition(session, user):
    """The newest edition this user acknowledged, or None."""
    return session.exec(
        select(Edition).join(Acknowledgement, Acknowledgement.edition_id == Edition.id)
        .where(Acknowledgement.user_id == user.id).order_by(Edition.published_at.desc(), Edition.id.desc())
    ).first()


def _is_current(done, required):
    return done is not None and (done.published_at, done.id) >= (required.published_at, required.id)


def has_acknowledged(session, user):
    """True when the user acknowledged the required edition or one published after it."""
    required = required_edition(session)
    return required is None or _is_current(acknowledged_edition(session, user), required)


def _reads(session, user):
    """{section id: when the user last opened it}."""
    return dict(session.exec(select(SectionRead.section_id, SectionRead.read_at)
                             .where(SectionRead.user_id == user.id)).all())


_ASK = object()  # "not given: look it up" (None is a real value: nothing acknowledged yet)


def unread_for_acknowledgement(session, user, edition, previous=_ASK, reads=None):
    """The sections (TocSection) the user must still open before acknowledging `edition`, in reading order.
    `previous`: the edition they acknowledged last (None: none), `reads`: their `_reads` (each looked up when not
    given)."""
    if edition is None:
        return []
    toc = edition_toc(session, edition)
    previous = acknowledged_edition(session, user) if previous is _ASK else previous
    if previous is not None and previous.id == edition.id:
        return []
    reads = reads if reads is not None else _reads(session, user)
    if previous is None:
        core = first_acknowledgement_needs(session)
        wanted = list(toc.flat) if core is None else [s for s in toc.flat if s.section_id in core]
        return [s for s in wanted if s.section_id not in reads]
    changed_at = changed_since(session, previous, edition)
    unread = []
    for item in toc.flat:
        if item.section_id not in changed_at:
            continue
        read_at = reads.get(item.section_id)
        if read_at is None or _aware(read_at) < _aware(changed_at[item.section_id]):
            unread.append(item)
    return unread


def acknowledge(session, user, edition):
    if edition is None:
        raise DomainError(_("Belum ada edisi pedoman yang terbit."))
    if session.get(Acknowledgement, (user.id, edition.id)) is not None:
        return  # the same person, twice (a double click): recorded either way
    unread = unread_for_acknowledgement(session, user, edition)
    if unread:
        raise DomainError(_("Buka dulu bagian yang belum Anda baca (%(n)d bagian), lalu nyatakan persetujuan.",
                            n=len(unread)), field="confirm")
    session.add(Acknowledgement(user_id=user.id, edition_id=edition.id))
    session.flush()


def acknowledge_latest(session, user):
    """Acknowledge the current edition (refused while required sections are unread)."""
    return acknowledge(session, user, latest_edition(session))


# --- pages --------------------------------------------------------------------------------------------------------

def index_page(session, user):
    """Everything the handbook's first page shows, for `user`."""
    edition, required = current_editions(session)
    acknowledged = acknowledged_edition(session, user)
    current = required is None or _is_current(acknowledged, required)
    reads = _reads(session, user)
    read_ids = set(reads)
    toc = edition_toc(session, edition)
    done = sum(1 for s in toc.flat if s.section_id in read_ids)
    unread = [] if current else unread_for_acknowledgement(session, user, edition, acknowledged, reads)
    return {"edition": edition, "toc": toc, "read_ids": read_ids, "done": done, "total": len(toc.flat),
            "acknowledged": acknowledged, "has_acknowledged": current, "unread": unread}


@functools.cache
def _read_mark_statement():
    """Every section page asks it: a Core statement built once, run on the session's connection (as the bell's)."""
    table = SectionRead.__table__
    return sa_select(table.c.section_id).where(table.c.user_id == bindparam("user_id"),
                                               table.c.section_id == bindparam("section_id"))


def section_page(session, user, slug):
    """What the section page shows, or None when the slug is not in the current edition."""
    edition = current_editions(session)[0]
    found = published_section(session, edition, slug)
    if found is None:
        return None
    toc, chapter, item, revision, previous, following = found
    already_read = session.connection().execute(_read_mark_statement(), {
        "user_id": user.id, "section_id": item.section_id}).first() is not None
    return {"edition": edition, "toc": toc, "chapter": chapter, "item": item, "revision": revision,
            "previous": previous, "following": following, "already_read": already_read}


HEADING_RE = re.compile(r"<(/?)h([2-6])((?: id=\"([^\"]*)\")?)>")


def print_html(html, slug):
    """A revision's HTML for the print view, where chapters are h2 and sections h3: its own headings (h2 and
    below, as on the section page) move two levels down, to h4-h6, and their ids get the section's slug in front,
    so that every id is unique in the whole book."""
    def shift(match):
        closing, level, _attr, anchor = match.groups()
        new_level = min(int(level) + 2, 6)
        if closing:
            return f"</h{new_level}>"
        return f'<h{new_level} id="{slug}--{anchor}">' if anchor else f"<h{new_level}>"

    return Markup(HEADING_RE.sub(shift, str(html)))  # noqa: S704  # nosec B704  # stored, sanitised HTML


def print_page(session):
    edition = latest_edition(session)
    toc, revisions = published_revisions(session, edition)
    bodies = {s.revision_id: print_html(revisions[s.revision_id].html, s.slug) for s in toc.flat}
    return {"edition": edition, "toc": toc, "bodies": bodies}


@dataclass(frozen=True)
class ShownChange:
    change: object
    diff: object  # the formatted text with the changes marked (Markup), for changed sections
    html: object  # the whole text, for added ones


CHANGES_PAGE = 20  # changed sections per page of "Apa yang berubah"


def changes_page(session, user, since_version=None, page=1):
    """The sections that changed since an edition (asked for, else the one the user acknowledged, else the one
    before the latest), CHANGES_PAGE at a time, each with its rendered word-level diff, and how many changed in
    each way. A page of every change was 1.5 MB with 500 changed sections."""
    edition = latest_edition(session)
    if edition is None:
        return None
    every = editions(session)
    since = next((e for e in every if e.version == since_version), None) if since_version else None
    since = since or acknowledged_edition(session, user)
    if since is None and len(every) > 1:
        since = every[1]
    changed = kept_diffs(session, since, edition, lambda: _shown_changes(session, since, edition)) \
        if since and since.id != edition.id else ()
    pages = max(1, -(-len(changed) // CHANGES_PAGE))
    page = min(max(page, 1), pages)
    kinds = Counter(shown.change.kind for shown in changed)
    return {"edition": edition, "since": since, "editions": every, "total": len(changed), "kinds": kinds,
            "changed": changed[(page - 1) * CHANGES_PAGE:page * CHANGES_PAGE], "page": page, "pages": pages,
            "first_number": (page - 1) * CHANGES_PAGE + 1}


def _shown_changes(session, since, edition):
    changed = changes_between(session, since, edition)
    revisions = revisions_by_id(session, {c.old_revision_id for c in changed} | {c.new_revision_id for c in changed})
    shown = []
    for index, c in enumerate(changed, start=1):
        old, new = revisions.get(c.old_revision_id), revisions.get(c.new_revision_id)
        prefix = f"chg{index}-"
        diff = diffs.rendered_diff(old.body, new.body, id_prefix=prefix) if c.kind == "changed" else None
        whole = (diffs.rendered_diff("", new.body, id_prefix=prefix) if c.kind == "added" else None)
        shown.append(ShownChange(c, diff, whole))
    return tuple(shown)


# --- dashboard ----------------------------------------------------------------------------------------------------

def dashboard_cards(session, user):
    """The reader's card (reading progress, acknowledgement) and, for supervisors, their unit's follow-up."""
    from flask import url_for

    from portal.handbook.reports import team_card
    from portal.permissions import SUPERVISOR, report_scope

    cards = []
    page = index_page(session, user)
    edition = page["edition"]
    if edition is None:
        return cards
    percent = 100 * page["done"] / page["total"] if page["total"] else 0
    if not page["has_acknowledged"]:
        if page["acknowledged"]:
            body = _("Edisi %(v)s memuat perubahan penting. Baca bagian yang berubah, lalu nyatakan kembali bahwa "
                     "Anda telah memahaminya.", v=edition.version)
        else:
            body = _("Baca Pedoman Bijak Bermedia Sosial edisi %(v)s sampai selesai, lalu nyatakan bahwa Anda telah "
                     "membaca dan memahaminya.", v=edition.version)
        if page["unread"]:
            body += " " + ngettext("Masih %(num)s bagian yang perlu Anda buka.",
                                   "Masih %(num)s bagian yang perlu Anda buka.", len(page["unread"]))
        cards.append({"title": _("Baca dan setujui pedoman"), "body": body, "progress": percent,
                      "url": url_for("handbook.index"), "action": _("Lanjutkan membaca"), "tone": "warn"})
    else:
        cards.append({"title": _("Pedoman sudah Anda setujui"),
                      "body": _("Terima kasih. Anda sudah menyatakan memahami pedoman edisi yang berlaku (%(v)s).",
                                v=page["acknowledged"].version if page["acknowledged"] else edition.version),
                      "progress": percent, "url": url_for("handbook.index"), "action": _("Buka pedoman"),
                      "tone": "ok"})
    scope = report_scope(user) if SUPERVISOR in user.roles else ""
    if scope:
        cards.append(team_card(session, user, scope))
    return cards
