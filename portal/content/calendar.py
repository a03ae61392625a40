"""The shared calendar across units (a month at a glance) and the key messages and agenda of central humas."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from portal import audit
from portal.content.access import Scope
from portal.content.common import clean_line, clean_text, month_end, parse_tags, week_of
from portal.content.week import _cards, _window, key_messages_between, planning_units, visible_posts
from portal.errors import DomainError
from portal.models import KeyMessage, Unit
from portal.models.content import KEY_MESSAGE_KINDS

AUDIT_FIELDS = ("kind", "title", "body", "starts_on", "ends_on", "tags")
MAX_SPAN_DAYS = 92


@dataclass
class KeyMessageInput:
    kind: str
    title: str
    starts_on: date | None
    ends_on: date | None
    body: str = ""
    tags: str = ""


def _validate(data):
    if data.kind not in KEY_MESSAGE_KINDS:
        raise DomainError(_("Pilih jenis dari daftar."), field="kind")
    data.title = clean_line(data.title, 201)
    if not data.title:
        raise DomainError(_("Judul wajib diisi."), field="title")
    if len(data.title) > 200:
        raise DomainError(_("Judul paling panjang 200 karakter."), field="title")
    if data.starts_on is None:
        raise DomainError(_("Tanggal mulai wajib diisi."), field="starts_on")
    data.ends_on = data.ends_on or data.starts_on
    if data.ends_on < data.starts_on:
        raise DomainError(_("Tanggal selesai tidak boleh sebelum tanggal mulai."), field="ends_on")
    if (data.ends_on - data.starts_on).days > MAX_SPAN_DAYS:
        raise DomainError(_("Satu pesan kunci berlaku paling lama %(n)d hari.", n=MAX_SPAN_DAYS), field="ends_on")
    if not 2000 <= data.starts_on.year <= 2100:
        raise DomainError(_("Tanggal di luar rentang yang wajar."), field="starts_on")
    data.body = clean_text(data.body)[:5000]
    data.tags = parse_tags(data.tags)


def create_key_message(session, actor, data):
    _validate(data)
    message = KeyMessage(kind=data.kind, title=data.title, body=data.body, starts_on=data.starts_on,
                         ends_on=data.ends_on, tags=data.tags, created_by_id=actor.id)
    session.add(message)
    session.flush()
    audit.record(session, actor, "content.key_message.create", "content_key_message", message.id, message.title,
                 after=audit.snapshot(message, AUDIT_FIELDS))
    return message


def update_key_message(session, actor, message, data):
    before = audit.snapshot(message, AUDIT_FIELDS)
    _validate(data)
    message.kind, message.title, message.body = data.kind, data.title, data.body
    message.starts_on, message.ends_on, message.tags = data.starts_on, data.ends_on, data.tags
    session.add(message)
    audit.record(session, actor, "content.key_message.update", "content_key_message", message.id, message.title,
                 before=before, after=audit.snapshot(message, AUDIT_FIELDS))
    return message


def key_message_list(session, today, days_back=30):
    """Key messages and agenda from a month ago on, soonest first."""
    from sqlmodel import select

    return list(session.exec(select(KeyMessage).where(KeyMessage.ends_on >= today - timedelta(days=days_back))
                             .order_by(KeyMessage.starts_on, KeyMessage.id)).all())


@dataclass
class MonthView:
    first: date
    unit: Unit | None
    units: list
    weeks: list  # [[day, ...7], ...] Monday first
    posts: dict  # day -> [PostCard]
    messages: dict  # day -> [KeyMessage]
    total: int


def month_view(session, user, first, unit_id=None):
    user_scope = Scope(session, user)
    last = month_end(first)
    grid_start = week_of(first).monday
    grid_end = week_of(last).sunday
    start, end = _window(grid_start, grid_end)
    posts = visible_posts(session, user_scope, start, end, unit_id)
    by_day = defaultdict(list)
    for card in _cards(session, user_scope, posts):
        by_day[card.local.date()].append(card)
    messages = defaultdict(list)
    for message in key_messages_between(session, grid_start, grid_end):
        day = max(message.starts_on, grid_start)
        while day <= min(message.ends_on, grid_end):
            messages[day].append(message)
            day += timedelta(days=1)
    weeks, day = [], grid_start
    while day <= grid_end:
        weeks.append([day + timedelta(days=n) for n in range(7)])
        day += timedelta(days=7)
    return MonthView(first, session.get(Unit, unit_id) if unit_id else None, planning_units(session), weeks,
                     by_day, messages, sum(1 for p in posts if first <= p.scheduled_at.date() <= last))
