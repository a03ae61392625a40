"""The week as the plan shows it: post cards with their warnings (clashes, revoked regulations, caption
limits), the calendar of every unit, key messages, pillar balance and posting hints."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlmodel import select

from portal.content import screening
from portal.content.access import Scope
from portal.content.common import Week, month_end, tag_list
from portal.content.pillars import balance, list_pillars
from portal.formatting import fmt_clock
from portal.models import (
    ContentAccount,
    ContentPillar,
    ContentPost,
    ContentPostAccount,
    KeyMessage,
    Unit,
)
from portal.models.content import SHARED_STATUSES
from portal.timezone import from_wib, to_wib

CLASH_WINDOW = timedelta(hours=24)  # the same topic or tag from another unit this close is a clash

# --- reading: the week ----------------------------------------------------------------------------------------------

@dataclass
class PostCard:
    post: ContentPost
    accounts: list
    pillar: ContentPillar | None
    unit: Unit
    flags: list
    warnings: list
    editable: bool
    local: datetime  # WIB


@dataclass
class WeekPlan:
    week: Week
    unit: Unit | None
    units: list  # units the user may pick (all units with accounts)
    accounts: list  # columns: the unit's active accounts
    cells: dict  # (day, account_id) -> [PostCard]
    days: dict  # day -> [PostCard] (the whole calendar, for the list view and "every unit")
    others: dict  # day -> [PostCard] of other units (shared statuses)
    key_messages: list
    warnings: list  # strings: key messages without a post
    week_balance: list
    month_balance: list
    hints: dict
    plans_here: bool
    empty: bool


def _window(first_day, last_day):
    return from_wib(first_day, time()), from_wib(last_day + timedelta(days=1), time())


def _cards(session, user_scope, posts, revoked=None):
    if not posts:
        return []
    ids = [p.id for p in posts]
    by_post = defaultdict(list)
    for post_id, account in session.exec(select(ContentPostAccount.post_id, ContentAccount).join(
            ContentAccount, ContentAccount.id == ContentPostAccount.account_id).where(
            ContentPostAccount.post_id.in_(ids)).order_by(ContentAccount.platform)).all():
        by_post[post_id].append(account)
    pillars = {p.id: p for p in list_pillars(session)}
    units = {u.id: u for u in session.exec(select(Unit).where(Unit.id.in_({p.unit_id for p in posts}))).all()}
    cards = []
    for post in posts:
        accounts = by_post.get(post.id, [])
        editable = user_scope.plans_in_unit(post.unit_id, [a.id for a in accounts])
        cards.append(PostCard(post, accounts, pillars.get(post.pillar_id), units.get(post.unit_id),
                              screening.shown_flags(post.check_flags), [], editable, to_wib(post.scheduled_at)))
    return cards


def visible_posts(session, user_scope, start, end, unit_id=None):
    """Posts between two UTC moments that the user may see: every unit's shared ones, drafts of their own units."""
    stmt = select(ContentPost).where(ContentPost.scheduled_at >= start, ContentPost.scheduled_at < end)
    if unit_id:
        stmt = stmt.where(ContentPost.unit_id == unit_id)
    posts = session.exec(stmt.order_by(ContentPost.scheduled_at, ContentPost.id)).all()
    shown = []
    accounts = defaultdict(list)
    drafts = [p.id for p in posts if p.status not in SHARED_STATUSES]
    if drafts:
        for post_id, account_id in session.exec(select(ContentPostAccount.post_id, ContentPostAccount.account_id)
                                                .where(ContentPostAccount.post_id.in_(drafts))).all():
            accounts[post_id].append(account_id)
    for post in posts:
        if post.status in SHARED_STATUSES or user_scope.sees_drafts_of(post.unit_id, accounts[post.id]):
            shown.append(post)
    return shown


def clash_warnings(cards, others):
    """Warn (never block) when two units plan the same topic or tag within 24 hours; `others` are every unit's
    non-idea posts around the cards' times."""
    for card in cards:
        post = card.post
        if post.status == "ide":
            continue
        tags = set(tag_list(post.tags))
        for other in others:
            if other.id == post.id or other.unit_id == post.unit_id or other.status == "ide":
                continue
            if abs(other.scheduled_at.replace(tzinfo=None) - post.scheduled_at.replace(tzinfo=None)) > CLASH_WINDOW:
                continue
            same_topic = post.topic_key and other.topic_key == post.topic_key
            shared = tags & set(tag_list(other.tags))
            if same_topic or shared:
                detail = ", ".join(sorted(shared)) if shared else other.topic
                if not any(kind == "clash" and what.unit_id == other.unit_id and seen == detail
                           for kind, what, seen in card.warnings):
                    card.warnings.append(("clash", other, detail))


def revoked_warnings(cards, revoked):
    for card in cards:
        for reg in screening.revoked_mentions(card.post.caption, revoked):
            card.warnings.append(("revoked", reg, reg.label))


def limit_warnings(cards):
    for card in cards:
        for platform, limit in screening.caption_limit_warnings(card.post.caption, [a.platform for a in card.accounts]):
            card.warnings.append(("limit", platform, limit))


def key_messages_between(session, first_day, last_day):
    return list(session.exec(select(KeyMessage).where(KeyMessage.starts_on <= last_day,
                                                      KeyMessage.ends_on >= first_day)
                             .order_by(KeyMessage.starts_on, KeyMessage.id)).all())


def planning_units(session):
    """Units that have official accounts (the plan's unit picker)."""
    return list(session.exec(select(Unit).where(Unit.id.in_(select(ContentAccount.unit_id).distinct()))
                             .order_by(Unit.name)).all())


def default_unit_id(session, user_scope):
    """The unit the plan opens on: the first unit with accounts that the user plans for, else their own."""
    user = user_scope.user
    units = planning_units(session)
    for unit in units:
        if unit.id == user.unit_id and user_scope.plans_in_unit(unit.id, user_scope.managed_account_ids):
            return unit.id
    if user_scope.managed_account_ids:
        account = session.get(ContentAccount, min(user_scope.managed_account_ids))
        if account is not None:
            return account.unit_id
    for unit in units:
        if user_scope.manages_unit(unit.id) and not user_scope.central:
            return unit.id
    return user.unit_id if any(u.id == user.unit_id for u in units) else None


def week_plan(session, user, week, unit_id=None):
    user_scope = Scope(session, user)
    unit = session.get(Unit, unit_id) if unit_id else None
    start, end = _window(week.monday, week.sunday)
    posts = visible_posts(session, user_scope, start, end)
    cards = _cards(session, user_scope, posts)
    around = session.exec(select(ContentPost).where(
        ContentPost.scheduled_at >= start - CLASH_WINDOW, ContentPost.scheduled_at < end + CLASH_WINDOW,
        ContentPost.status.in_(SHARED_STATUSES))).all()
    clash_warnings([c for c in cards if c.editable or c.post.status in SHARED_STATUSES], around)
    revoked_warnings(cards, screening.revoked_regulations(session))
    limit_warnings(cards)
    accounts = []
    if unit is not None:
        accounts = list(session.exec(select(ContentAccount).where(ContentAccount.unit_id == unit.id,
                                                                  ContentAccount.status == "aktif")
                                     .order_by(ContentAccount.platform, ContentAccount.handle_key)).all())
    cells, days, others = defaultdict(list), defaultdict(list), defaultdict(list)
    for card in cards:
        day = card.local.date()
        if unit is None or card.post.unit_id == unit.id:
            days[day].append(card)
            for account in card.accounts:
                cells[(day, account.id)].append(card)
        else:
            others[day].append(card)
    messages = key_messages_between(session, week.monday, week.sunday)
    warnings = []
    if unit is not None:
        linked = {c.post.key_message_id for c in cards if c.post.unit_id == unit.id and c.post.status != "ide"}
        for message in messages:
            if message.kind == "pesan_kunci" and message.id not in linked:
                warnings.append(message)
    pillars = list_pillars(session)
    first = week.monday.replace(day=1)
    return WeekPlan(
        week=week, unit=unit, units=planning_units(session), accounts=accounts, cells=cells, days=days,
        others=others, key_messages=messages, warnings=warnings,
        week_balance=balance(session, unit.id if unit else None, week.monday, week.sunday, pillars),
        month_balance=balance(session, unit.id if unit else None, first, month_end(first), pillars),
        hints=posting_hints(session, unit.id if unit else None, {a.platform for a in accounts}),
        plans_here=unit is not None and user_scope.plans_in_unit(unit.id, [a.id for a in accounts]),
        empty=not cards)


def posting_hints(session, unit_id, platforms):
    """platform -> (hint text, from data?). From the unit's evaluated posts once there is data (see metrics),
    else a sensible default."""
    hints = {}
    learned = {}
    try:
        from portal.content.metrics import best_hours

        learned = best_hours(session, unit_id) if unit_id else {}
    except ImportError:
        learned = {}
    for platform in sorted(platforms or screening.DEFAULT_HINTS):
        if platform in learned:
            hours = learned[platform]
            hints[platform] = (_("%(hours)s WIB (dari pos unit ini yang sudah dievaluasi)",
                                 hours=", ".join(fmt_clock(time(h)) for h in hours)), True)
        else:
            hints[platform] = (str(screening.DEFAULT_HINTS.get(platform, "")), False)
    return hints
