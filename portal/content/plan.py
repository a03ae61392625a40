"""The weekly content plan: planned posts (create, edit, move, copy) and the week as the plan shows it."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import select

from portal import audit, db
from portal.content import screening
from portal.content.access import Scope, can_edit_post, post_account_ids
from portal.content.common import MAX_CAPTION, Week, clean_line, clean_text, month_end, parse_tags, tag_list, text_key
from portal.content.pillars import balance, list_pillars
from portal.errors import DomainError
from portal.formatting import fmt_clock
from portal.models import (
    ContentAccount,
    ContentPillar,
    ContentPost,
    ContentPostAccount,
    ContentPostChange,
    ContentPostLink,
    KeyMessage,
    Section,
    SectionRevision,
    ToolkitItem,
    Unit,
    User,
    utcnow,
)
from portal.models.content import SHARED_STATUSES
from portal.timezone import from_wib, to_wib, today_wib

DAYS_BACK, DAYS_AHEAD = 31, 366  # how far from today a post may be planned or moved
CLASH_WINDOW = timedelta(hours=24)
AUDIT_FIELDS = ("scheduled_at", "pillar_id", "key_message_id", "topic", "audience", "caption", "tags", "status",
                "published_url")
EDITABLE_STATUSES = ("ide", "draf", "diajukan", "disetujui")


@dataclass
class PostInput:
    account_ids: list
    day: date | None
    clock: time | None
    pillar_id: int | None
    topic: str
    audience: str = ""
    caption: str = ""
    tags: str = ""
    key_message_id: int | None = None
    toolkit_ids: list = field(default_factory=list)
    section_ids: list = field(default_factory=list)
    status: str = "draf"  # for a new post: ide or draf


# --- writing --------------------------------------------------------------------------------------------------------

def _check_when(day, clock, today):
    if day is None or clock is None:
        raise DomainError(_("Tanggal dan jam tayang wajib diisi."), field="day")
    low, high = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    if not low <= day <= high:
        raise DomainError(_("Tanggal %(day)s di luar rentang rencana: antara %(low)s dan %(high)s.",
                            day=day.strftime("%d-%m-%Y"), low=low.strftime("%d-%m-%Y"),
                            high=high.strftime("%d-%m-%Y")), field="day")
    return from_wib(day, clock.replace(second=0, microsecond=0))


def _check_accounts(session, user_scope, account_ids):
    ids, bad = [], False
    for value in account_ids or ():
        if not isinstance(value, int) or not 0 < value <= db.MAX_INT:
            bad = True
        elif value not in ids:
            ids.append(value)
    if not ids and not bad:
        raise DomainError(_("Pilih sedikitnya satu akun resmi."), field="account_ids")
    accounts = session.exec(select(ContentAccount).where(ContentAccount.id.in_(ids))).all() if ids else []
    if bad or len(accounts) != len(ids):
        raise DomainError(_("Akun yang dipilih tidak dikenal. Muat ulang halaman dan pilih dari daftar."),
                          field="account_ids")
    for account in accounts:
        if not user_scope.plans_for(account):
            raise DomainError(_("Akun %(handle)s milik unit lain dan tidak Anda kelola.", handle=account.handle),
                              field="account_ids")
        if account.status != "aktif":
            raise DomainError(_("Akun %(handle)s tidak aktif.", handle=account.handle), field="account_ids")
    if len({a.unit_id for a in accounts}) > 1:
        raise DomainError(_("Satu pos hanya untuk akun-akun dari satu unit. Buat pos terpisah (atau salin pos) untuk "
                            "unit lain."), field="account_ids")
    return accounts


def _check_content(session, data):
    data.topic = clean_line(data.topic, 201)
    if not data.topic:
        raise DomainError(_("Topik wajib diisi."), field="topic")
    if len(data.topic) > 200:
        raise DomainError(_("Topik paling panjang 200 karakter."), field="topic")
    data.audience = clean_line(data.audience, 200)
    data.caption = clean_text(data.caption)
    if len(data.caption) > MAX_CAPTION:
        raise DomainError(_("Draf keterangan terlalu panjang: %(n)d karakter, paling banyak %(max)d. Teks Anda "
                            "masih ada di kotak; pendekkan lalu simpan lagi.", n=len(data.caption), max=MAX_CAPTION),
                          field="caption")
    pillar = session.get(ContentPillar, data.pillar_id) if data.pillar_id else None
    if pillar is None or not pillar.active:
        raise DomainError(_("Pilih pilar konten dari daftar."), field="pillar_id")
    if data.key_message_id and session.get(KeyMessage, data.key_message_id) is None:
        raise DomainError(_("Pesan kunci tidak dikenal."), field="key_message_id")
    toolkit_ids = sorted({i for i in data.toolkit_ids if isinstance(i, int)})
    if toolkit_ids:
        approved = set(session.exec(select(ToolkitItem.id).where(ToolkitItem.id.in_(toolkit_ids),
                                                                 ToolkitItem.status == "disetujui")).all())
        if approved != set(toolkit_ids):
            raise DomainError(_("Hanya item perangkat humas yang sudah disetujui yang dapat ditautkan."),
                              field="toolkit_ids")
    section_ids = sorted({i for i in data.section_ids if isinstance(i, int)})
    if section_ids and len(session.exec(select(Section.id).where(Section.id.in_(section_ids))).all()) != len(
            section_ids):
        raise DomainError(_("Bagian pedoman tidak dikenal."), field="section_ids")
    data.toolkit_ids, data.section_ids = toolkit_ids, section_ids


def _set_links(session, post, data):
    current = {(link.kind, link.ref_id): link for link in session.exec(
        select(ContentPostLink).where(ContentPostLink.post_id == post.id)).all()}
    wanted = {("toolkit", i) for i in data.toolkit_ids} | {("handbook", i) for i in data.section_ids}
    for key, link in current.items():
        if key not in wanted:
            session.delete(link)
    for kind, ref_id in wanted - set(current):
        session.add(ContentPostLink(post_id=post.id, kind=kind, ref_id=ref_id))


def _set_accounts(session, post, accounts):
    current = set(post_account_ids(session, post.id))
    wanted = {a.id for a in accounts}
    for account_id in current - wanted:
        session.delete(session.get(ContentPostAccount, (post.id, account_id)))
    for account_id in wanted - current:
        session.add(ContentPostAccount(post_id=post.id, account_id=account_id))


def record_change(session, post, actor, from_status, to_status, note=""):
    session.add(ContentPostChange(post_id=post.id, from_status=from_status, to_status=to_status,
                                  actor_id=getattr(actor, "id", None), note=note[:1000]))


def create_post(session, actor, data, today=None):
    user_scope = Scope(session, actor)
    today = today or today_wib()
    accounts = _check_accounts(session, user_scope, data.account_ids)
    scheduled = _check_when(data.day, data.clock, today)
    _check_content(session, data)
    status = data.status if data.status in ("ide", "draf") else "draf"
    post = ContentPost(unit_id=accounts[0].unit_id, scheduled_at=scheduled, pillar_id=data.pillar_id,
                       key_message_id=data.key_message_id or None, topic=data.topic, topic_key=text_key(data.topic),
                       audience=data.audience, caption=data.caption, tags=parse_tags(data.tags), status=status,
                       check_flags=json.dumps(screening.screen_caption(data.caption)), created_by_id=actor.id)
    session.add(post)
    session.flush()
    _set_accounts(session, post, accounts)
    _set_links(session, post, data)
    record_change(session, post, actor, None, status)
    audit.record(session, actor, "content.post.create", "content_post", post.id, post.topic,
                 after=audit.snapshot(post, AUDIT_FIELDS))
    return post


def _bump(session, post, version):
    """Compare-and-set on the post's version: the later of two concurrent changes is refused, not merged."""
    result = session.exec(update(ContentPost).where(ContentPost.id == post.id, ContentPost.version == version)
                          .values(version=version + 1, updated_at=utcnow()))
    if result.rowcount != 1:
        raise DomainError(_("Pos ini baru saja diubah orang lain. Muat ulang halaman untuk melihat perubahannya, "
                            "lalu ulangi bila masih perlu."), field="version")
    session.refresh(post)


def _reopen_if_approved(session, actor, post, reason, what):
    """Changing an approved post sends it back to diajukan, with the reason recorded."""
    if post.status != "disetujui":
        return
    reason = clean_line(reason, 1000)
    if not reason:
        raise DomainError(_("Pos ini sudah disetujui: tulis alasan perubahan. Pos akan kembali berstatus diajukan "
                            "untuk disetujui ulang."), field="reason")
    record_change(session, post, actor, "disetujui", "diajukan", f"{what}: {reason}")
    post.status, post.submitted_by_id, post.submitted_at = "diajukan", actor.id, utcnow()
    post.decided_by_id = post.decided_at = None


def update_post(session, actor, post, data, version, reason="", today=None):
    user_scope = Scope(session, actor)
    if not can_edit_post(session, user_scope, post):
        raise DomainError(_("Anda tidak mengelola akun pos ini."), field="topic")
    if post.status not in EDITABLE_STATUSES:
        raise DomainError(_("Pos yang sudah terbit tidak diubah lagi; catat hasilnya pada evaluasi."), field="topic")
    today = today or today_wib()
    accounts = _check_accounts(session, user_scope, data.account_ids)
    if accounts[0].unit_id != post.unit_id:
        raise DomainError(_("Akun pos tidak dapat dipindah ke unit lain; salin pos untuk akun unit lain."),
                          field="account_ids")
    scheduled = _check_when(data.day, data.clock, today)
    _check_content(session, data)
    before = audit.snapshot(post, AUDIT_FIELDS)
    _bump(session, post, version)
    _reopen_if_approved(session, actor, post, reason, _("diubah"))
    post.scheduled_at, post.pillar_id, post.key_message_id = scheduled, data.pillar_id, data.key_message_id or None
    post.topic, post.topic_key, post.audience = data.topic, text_key(data.topic), data.audience
    if post.caption != data.caption:
        post.check_flags = json.dumps(screening.screen_caption(data.caption))
    post.caption, post.tags = data.caption, parse_tags(data.tags)
    if post.status in ("ide", "draf") and data.status in ("ide", "draf"):
        post.status = data.status
    session.add(post)
    _set_accounts(session, post, accounts)
    _set_links(session, post, data)
    audit.record(session, actor, "content.post.update", "content_post", post.id, post.topic, before=before,
                 after=audit.snapshot(post, AUDIT_FIELDS))
    return post


def move_post(session, actor, post, day, clock, version, reason="", today=None):
    """Another day or time for a post. `version` is what the mover saw: a concurrent move makes this one fail."""
    user_scope = Scope(session, actor)
    if not can_edit_post(session, user_scope, post):
        raise DomainError(_("Anda tidak mengelola akun pos ini."), field="day")
    if post.status not in EDITABLE_STATUSES:
        raise DomainError(_("Pos yang sudah terbit tidak dapat dipindah."), field="day")
    scheduled = _check_when(day, clock, today or today_wib())
    before = to_wib(post.scheduled_at)
    _bump(session, post, version)
    _reopen_if_approved(session, actor, post, reason, _("dipindah"))
    post.scheduled_at = scheduled
    session.add(post)
    audit.record(session, actor, "content.post.move", "content_post", post.id, post.topic,
                 before={"scheduled_at": before.isoformat()}, after={"scheduled_at": to_wib(scheduled).isoformat()})
    return post


def copy_post(session, actor, post, account_id, today=None):
    """A new draft of the same content for another account (of any unit the user plans for)."""
    user_scope = Scope(session, actor)
    accounts = _check_accounts(session, user_scope, [account_id])
    links = session.exec(select(ContentPostLink).where(ContentPostLink.post_id == post.id)).all()
    when = to_wib(post.scheduled_at)
    data = PostInput(account_ids=[accounts[0].id], day=when.date(), clock=when.time(), pillar_id=post.pillar_id,
                     topic=post.topic, audience=post.audience, caption=post.caption, tags=post.tags,
                     key_message_id=post.key_message_id,
                     toolkit_ids=[link.ref_id for link in links if link.kind == "toolkit"],
                     section_ids=[link.ref_id for link in links if link.kind == "handbook"])
    pillar = session.get(ContentPillar, post.pillar_id) if post.pillar_id else None
    if pillar is None or not pillar.active:
        data.pillar_id = next((p.id for p in list_pillars(session, active_only=True)), None)
    if when.date() < (today or today_wib()):
        data.day = today or today_wib()
    copy = create_post(session, actor, data, today=today)
    audit.record(session, actor, "content.post.copy", "content_post", copy.id,
                 _("salinan pos #%(id)d", id=post.id))
    return copy


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


def form_choices(session, user, around=None):
    user_scope = Scope(session, user)
    units = {u.id: u for u in session.exec(select(Unit)).all()}
    accounts = [a for a in session.exec(select(ContentAccount).where(ContentAccount.status == "aktif")
                                        .order_by(ContentAccount.unit_id, ContentAccount.platform)).all()
                if user_scope.plans_for(a)]
    today = around or today_wib()
    messages = key_messages_between(session, today - timedelta(days=60), today + timedelta(days=120))
    toolkit = session.exec(select(ToolkitItem).where(ToolkitItem.status == "disetujui")
                           .order_by(ToolkitItem.kind, ToolkitItem.title).limit(500)).all()
    sections = session.exec(select(Section.id, SectionRevision.title).join(
        SectionRevision, SectionRevision.id == Section.current_revision_id).where(Section.archived.is_(False))
        .order_by(SectionRevision.title).limit(500)).all()
    return FormChoices(
        accounts=[(a.id, f"{a.platform} {a.handle} — {units[a.unit_id].name}") for a in accounts],
        pillars=[(p.id, p.name) for p in list_pillars(session, active_only=True)],
        key_messages=[(m.id, f"{m.starts_on.strftime('%d-%m')} {m.title}") for m in messages],
        toolkit=[(i.id, f"[{i.kind}] {i.title}") for i in toolkit],
        sections=[(section_id, title) for section_id, title in sections])


def pending_for(session, user, limit=20):
    """Submitted posts the user may approve, oldest first (their dashboard card and the plan's worklist)."""
    from portal.content.access import approval_problem
    from portal.permissions import can

    if not can(user, "content.approve"):
        return []  # approval_problem refuses every post to them: no need to load the posts
    user_scope = Scope(session, user)
    posts = session.exec(select(ContentPost).where(ContentPost.status == "diajukan")
                         .order_by(ContentPost.scheduled_at).limit(500)).all()
    return [p for p in posts if approval_problem(user_scope, p) is None][:limit]



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
    waiting = pending_for(session, user, limit=100)
    if waiting:
        cards.append({"title": _("Rencana konten"), "progress": None, "tone": "warn",
                      "body": _("%(n)d rencana pos menunggu persetujuan Anda.", n=len(waiting)),
                      "url": url_for("content.post", post_id=waiting[0].id), "action": _("Tinjau")})
    if user_scope.plans_anything:
        rejected = session.exec(select(ContentPost).where(ContentPost.status == "draf",
                                                          ContentPost.rejection_reason != "",
                                                          ContentPost.created_by_id == user.id)).all()
        if rejected:
            cards.append({"title": _("Rencana konten"), "progress": None, "tone": "warn",
                          "body": _("%(n)d rencana pos Anda ditolak dan perlu diperbaiki.", n=len(rejected)),
                          "url": url_for("content.post", post_id=rejected[0].id), "action": _("Perbaiki")})
        cards.extend(_report_cards(session, user, user_scope))
    return cards


def _report_cards(session, user, user_scope):
    """A planner's unit whose report for last month is not submitted yet: due soon, or late."""
    from flask import url_for

    from portal.content import reports

    first = reports.last_full_month()
    cards = []
    for unit in planning_units(session):
        if not reports.can_write(user_scope, unit):
            continue
        state = reports.status_of(reports.get_report(session, unit.id, first), first)
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
    return cards[:3]
