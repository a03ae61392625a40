"""What the post page, the account page and the dashboard read: one post with its history and links, the edit
form's values and choices, the approvers' worklist, one account's month and the dashboard cards."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_
from sqlmodel import select

from portal import generations
from portal.content import screening
from portal.content.access import Scope, post_account_ids
from portal.content.common import month_end
from portal.content.pillars import list_pillars
from portal.content.week import (
    CLASH_WINDOW,
    PostCard,
    _cards,
    _window,
    clash_warnings,
    key_messages_between,
    limit_warnings,
    revoked_warnings,
    visible_posts,
)
from portal.i18n import ngettext
from portal.models import (
    ContentAccount,
    ContentAccountManager,
    ContentPost,
    ContentPostAccount,
    ContentPostChange,
    ContentPostLink,
    ContentReport,
    KeyMessage,
    Section,
    SectionRevision,
    ToolkitItem,
    Unit,
    User,
)
from portal.models.content import SHARED_STATUSES
from portal.timezone import to_wib, today_wib

# The dashboard's content cards (kept per person, portal/dashboard.py): posts to approve or mend, reports due.
generations.follow_people(ContentAccountManager)
generations.follow("content_dashboard", ContentPost, ContentReport, ContentAccount)

# --- reading: one post ----------------------------------------------------------------------------------------------

@dataclass
class PostDetail:
    card: PostCard
    history: list  # (change, actor name)
    toolkit: list
    sections: list
    key_message: KeyMessage | None
    creator: User | None


def post_detail(session, user, post):
    user_scope = Scope(session, user)
    card = _cards(session, user_scope, [post])[0]
    around = session.exec(select(ContentPost).where(
        ContentPost.scheduled_at >= post.scheduled_at - CLASH_WINDOW,
        ContentPost.scheduled_at <= post.scheduled_at + CLASH_WINDOW,
        ContentPost.status.in_(SHARED_STATUSES))).all()
    clash_warnings([card], around)
    revoked_warnings([card], screening.revoked_regulations(session))
    limit_warnings([card])
    history = session.exec(select(ContentPostChange, User).outerjoin(User, User.id == ContentPostChange.actor_id)
                           .where(ContentPostChange.post_id == post.id).order_by(ContentPostChange.at,
                                                                                 ContentPostChange.id)).all()
    links = session.exec(select(ContentPostLink).where(ContentPostLink.post_id == post.id)).all()
    toolkit_ids = [link.ref_id for link in links if link.kind == "toolkit"]
    section_ids = [link.ref_id for link in links if link.kind == "handbook"]
    toolkit = session.exec(select(ToolkitItem).where(ToolkitItem.id.in_(toolkit_ids))).all() if toolkit_ids else []
    sections = session.exec(select(Section.slug, SectionRevision.title).join(
        SectionRevision, SectionRevision.id == Section.current_revision_id).where(
        Section.id.in_(section_ids))).all() if section_ids else []
    return PostDetail(card, [(change, actor.full_name if actor else _("sistem")) for change, actor in history],
                      list(toolkit), list(sections),
                      session.get(KeyMessage, post.key_message_id) if post.key_message_id else None,
                      session.get(User, post.created_by_id) if post.created_by_id else None)


def post_form_values(session, post):
    """What the edit form starts with."""
    links = session.exec(select(ContentPostLink).where(ContentPostLink.post_id == post.id)).all()
    local = to_wib(post.scheduled_at)
    return {"account_ids": post_account_ids(session, post.id), "day": local.date(), "clock": local.time(),
            "pillar_id": post.pillar_id, "key_message_id": post.key_message_id or 0, "topic": post.topic,
            "audience": post.audience, "caption": post.caption, "tags": post.tags.replace(",", ", "),
            "toolkit_ids": [link.ref_id for link in links if link.kind == "toolkit"],
            "section_ids": [link.ref_id for link in links if link.kind == "handbook"], "status": post.status,
            "version": post.version}


@dataclass
class FormChoices:
    accounts: list
    pillars: list
    key_messages: list
    toolkit: list
    sections: list


def account_choices(session, user):
    """[(id, label)] of the active official accounts `user` plans for."""
    user_scope = Scope(session, user)
    units = {u.id: u for u in session.exec(select(Unit)).all()}
    accounts = [a for a in session.exec(select(ContentAccount).where(ContentAccount.status == "aktif")
                                        .order_by(ContentAccount.unit_id, ContentAccount.platform)).all()
                if user_scope.plans_for(a)]
    return [(a.id, f"{a.platform} {a.handle} — {units[a.unit_id].name}") for a in accounts]


TOOLKIT_CHOICES = 300  # approved toolkit items the post form lists, most used first (others are pasted by number)
SECTION_CHOICES = 1000
TOOLKIT_COLUMNS = (ToolkitItem.id, ToolkitItem.kind, ToolkitItem.title)  # what the form's toolkit list shows


def most_used_toolkit_items():
    """The TOOLKIT_CHOICES most used approved items (TOOLKIT_COLUMNS), most used first."""
    return (select(*TOOLKIT_COLUMNS).where(ToolkitItem.status == "disetujui")
            .order_by(ToolkitItem.usage_count.desc(), ToolkitItem.id.desc()).limit(TOOLKIT_CHOICES))


def form_choices(session, user, around=None, keep_toolkit=(), keep_sections=()):
    """What the post form offers. The toolkit list holds the TOOLKIT_CHOICES most used approved items (there may
    be 100,000; any other is linked by its number or address) and always the items in `keep_toolkit`, the ones
    the post links or the form sent: an item missing from the list would be unlinked by saving the form.
    Likewise the handbook sections and `keep_sections`. Someone who manages no account is shown no form
    (templates/content/post_form.html): nothing else is read for them."""
    accounts = account_choices(session, user)
    if not accounts:
        return FormChoices(accounts=[], pillars=[], key_messages=[], toolkit=[], sections=[])
    today = around or today_wib()
    messages = key_messages_between(session, today - timedelta(days=60), today + timedelta(days=120))
    keep_toolkit = [i for i in keep_toolkit if isinstance(i, int)]
    keep_sections = [i for i in keep_sections if isinstance(i, int)]
    toolkit = {row.id: row for row in session.exec(most_used_toolkit_items()).all()}
    if keep_toolkit:
        toolkit.update((row.id, row) for row in session.exec(select(*TOOLKIT_COLUMNS).where(
            ToolkitItem.id.in_(keep_toolkit))).all())
    section_columns = select(Section.id, SectionRevision.title).join(
        SectionRevision, SectionRevision.id == Section.current_revision_id)
    sections = dict(session.exec(section_columns.where(Section.archived.is_(False))
                                 .order_by(SectionRevision.title).limit(SECTION_CHOICES)).all())
    if keep_sections:
        sections.update(session.exec(section_columns.where(Section.id.in_(keep_sections))).all())
    return FormChoices(
        accounts=accounts,
        pillars=[(p.id, p.name) for p in list_pillars(session, active_only=True)],
        key_messages=[(m.id, f"{m.starts_on.strftime('%d-%m')} {m.title}") for m in messages],
        toolkit=sorted(((i.id, f"[{i.kind}] {i.title}") for i in toolkit.values()), key=lambda c: c[1].lower()),
        sections=sorted(sections.items(), key=lambda c: c[1].lower()))


def pending_for(session, user, limit=20, user_scope=None):
    """Submitted posts the user may approve, oldest first (their dashboard card and the plan's worklist): the rule
    of `access.approval_problem` in one statement (central humas every unit, a supervisor their unit's subtree,
    never a post they created or submitted). `user_scope`: the user's Scope when the caller has it already."""
    from portal.permissions import can

    if not can(user, "content.approve"):
        return []
    user_scope = user_scope or Scope(session, user)
    conditions = [ContentPost.status == "diajukan",
                  or_(ContentPost.created_by_id.is_(None), ContentPost.created_by_id != user.id),
                  or_(ContentPost.submitted_by_id.is_(None), ContentPost.submitted_by_id != user.id)]
    if not user_scope.central:
        if not user_scope.supervisor_path:
            return []
        conditions.append(ContentPost.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(user_scope.supervisor_path, autoescape=True))))
    return list(session.exec(select(ContentPost).where(*conditions)
                             .order_by(ContentPost.scheduled_at, ContentPost.id).limit(limit)).all())


# --- one account's month --------------------------------------------------------------------------------------------

@dataclass
class AccountMonth:
    first: date
    last: date
    managers: list
    unit: Unit
    planned: int
    published: int
    reach: int | None  # None until metrics exist for the month
    interactions: int | None
    posts: list  # PostCard
    figures: object = None  # ContentAccountMonth or None


def account_month(session, user, account, first):
    """A month of one account: its posts (the ones the user may see) and, once metrics exist, reach and
    interactions."""
    from portal.content.accounts import managers_of

    user_scope = Scope(session, user)
    last = month_end(first)
    start, end = _window(first, last)
    post_ids = select(ContentPostAccount.post_id).where(ContentPostAccount.account_id == account.id)
    posts = [p for p in visible_posts(session, user_scope, start, end) if p.id in set(session.exec(post_ids).all())]
    reach = interactions = None
    try:
        from portal.content.metrics import account_totals

        reach, interactions = account_totals(session, account.id, first, last)
    except ImportError:
        pass
    from portal.models import ContentAccountMonth

    return AccountMonth(first, last, managers_of(session, [account.id]).get(account.id, []),
                        session.get(Unit, account.unit_id), sum(1 for p in posts if p.status != "ide"),
                        sum(1 for p in posts if p.status in ("terbit", "dievaluasi")), reach, interactions,
                        _cards(session, user_scope, posts), session.get(ContentAccountMonth, (account.id, first)))


def dashboard_cards(session, user):
    """For approvers: posts waiting for their decision; for planners: this week's plan and rejected drafts."""
    from flask import url_for

    user_scope = Scope(session, user)
    cards = []
    waiting = pending_for(session, user, limit=100, user_scope=user_scope)
    if waiting:
        cards.append({"title": _("Rencana konten"), "progress": None, "tone": "warn",
                      "body": ngettext("%(num)s rencana pos menunggu persetujuan Anda.",
                                       "%(num)s rencana pos menunggu persetujuan Anda.", len(waiting)),
                      "url": url_for("content.post", post_id=waiting[0].id), "action": _("Tinjau")})
    if user_scope.plans_anything:
        rejected = session.exec(select(ContentPost).where(ContentPost.status == "draf",
                                                          ContentPost.rejection_reason != "",
                                                          ContentPost.created_by_id == user.id)).all()
        if rejected:
            cards.append({"title": _("Rencana konten"), "progress": None, "tone": "warn",
                          "body": ngettext("%(num)s rencana pos Anda ditolak dan perlu diperbaiki.",
                                           "%(num)s rencana pos Anda ditolak dan perlu diperbaiki.", len(rejected)),
                          "url": url_for("content.post", post_id=rejected[0].id), "action": _("Perbaiki")})
        cards.extend(_report_cards(session, user, user_scope))
    return cards


def _report_cards(session, user, user_scope):
    """A planner's unit whose report for last month is not submitted yet: due soon, or late."""
    from flask import url_for

    from portal.content import reports

    first = reports.last_full_month()
    cards = []
    for unit, report in reports.report_duties(session, user_scope, first):
        state = reports.status_of(report, first)
        if state in ("belum", "terlambat", "dikembalikan"):
            text = {"belum": _("Laporan media sosial %(u)s bulan %(m)s belum diajukan (batas %(d)s)."),
                    "terlambat": _("Laporan media sosial %(u)s bulan %(m)s terlambat (batas %(d)s)."),
                    "dikembalikan": _("Laporan media sosial %(u)s bulan %(m)s dikembalikan untuk dilengkapi.")}
            cards.append({"title": _("Laporan bulanan"), "progress": None,
                          "tone": "warn" if state != "belum" else "info",
                          "body": text[state] % {"u": unit.name, "m": first.strftime("%m-%Y"),
                                                 "d": reports.deadline(first).strftime("%d-%m-%Y")},
                          "url": url_for("content.report", unit_id=unit.id, bulan=first.strftime("%Y-%m")),
                          "action": _("Buka laporan")})
            if len(cards) == 3:
                break
    return cards
