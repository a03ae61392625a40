"""Server-side session records: the browser's cookie holds a random token, the `user_session` row says whether it
still counts. One indexed query per request loads the record, the person, their unit, their person counter and
every subject's cache counter (portal/generations.py; roles ride on the record); `last_seen_at` is written at most
once a minute, after the response, and never waits for the write lock.

A session ends at logout, after IDLE minutes without a request (SESSION_IDLE_MINUTES, default 60), at its absolute
end (SESSION_HOURS, default 10), when the person ends it from their profile, when an admin ends all of a person's
sessions, and (all others) when the password changes, is reset or the account is deactivated.
"""

import functools
import hashlib
import secrets
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from portal import db, generations
from portal.models import PersonGeneration, Unit, User, UserSession, utcnow
from portal.timezone import as_utc

TOUCH_EVERY = timedelta(seconds=60)


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def role_text(roles):
    return ",".join(sorted(set(roles) | {"employee"}))


def start(session, user, user_agent, ip, hours, now=None):
    """A new session record for `user`; returns the token for the cookie (never stored as such)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_hash(token), user_id=user.id, roles=role_text(user.roles), created_at=now,
                            last_seen_at=now, expires_at=now + timedelta(hours=hours),
                            user_agent=(user_agent or "")[:300], ip=ip))
    return token


class _Record(NamedTuple):
    """What a request reads of its session record."""

    id: int
    roles: str
    expires_at: object
    last_seen_at: object
    user_agent: str


@functools.cache
def _load_statement():
    """The one statement of every signed-in request, built once per process (building it, options included, costs
    more than running it)."""
    record = (UserSession.id, UserSession.roles, UserSession.expires_at, UserSession.last_seen_at,
              UserSession.user_agent)  # columns, not the entity: the request only reads them
    return (select(User, Unit, PersonGeneration.value, generations.every_subject_column(), *record)
            .join(UserSession, User.id == UserSession.user_id)
            .join(Unit, Unit.id == User.unit_id)
            .join(PersonGeneration, PersonGeneration.user_id == User.id, isouter=True)
            .where(UserSession.token_hash == bindparam("token_hash"), UserSession.ended_at.is_(None))
            .options(lazyload(User.role_links), lazyload(User.unit)))


def load(session, token, user_agent, idle_minutes, now=None):
    """(user, record) for a live session token, else (None, None). A record past its idle or absolute end is ended.
    A different browser (User-Agent) presenting the cookie is not let in."""
    if not token or len(token) > 100:
        return None, None
    now = now or utcnow()
    row = session.exec(_load_statement(), params={"token_hash": _hash(token)}).first()
    if row is None:
        return None, None
    user, unit, person_generation, subjects = row[:4]
    record = _Record(*row[4:])
    if not user.active:
        return None, None
    reason = None
    if as_utc(record.expires_at) <= now:
        reason = "expired"
    elif as_utc(record.last_seen_at) + timedelta(minutes=idle_minutes) <= now:
        reason = "idle"
    if reason:
        db.try_write(_end_ids, [record.id], reason)
        return None, None
    if (user_agent or "")[:300] != record.user_agent:
        return None, None
    user.__dict__["_session_roles"] = frozenset(record.roles.split(",")) | {"employee"}
    set_committed_value(user, "unit", unit)  # already loaded by the join: no second query
    generations.remember_person(session, user.id, person_generation)  # read with the rest: no statement of its own
    generations.remember_subjects(session, subjects)  # likewise
    return user, record


def needs_touch(record, now=None):
    return as_utc(record.last_seen_at) + TOUCH_EVERY <= (now or utcnow())


def touch(record_id, now=None):
    db.try_write(lambda s: s.execute(update(UserSession).where(UserSession.id == record_id)
                                     .values(last_seen_at=now or utcnow())))


def _end_ids(session, ids, reason):
    if ids:
        session.execute(update(UserSession).where(UserSession.id.in_(ids), UserSession.ended_at.is_(None))
                        .values(ended_at=utcnow(), ended_reason=reason))


def end(session, record_id, reason="logout"):
    _end_ids(session, [record_id], reason)


def end_all(session, user_id, reason, keep_id=None):
    """End every live session of a person (but `keep_id`); returns how many."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    return session.execute(query.values(ended_at=utcnow(), ended_reason=reason)).rowcount


def refresh_roles(session, user_id, roles):
    """Role changes take effect in live sessions at their next request."""
    session.execute(update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                    .values(roles=role_text(roles)))


def live_sessions(session, user_id):
    return session.exec(select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                        .order_by(UserSession.last_seen_at.desc())).all()


def get_live(session, user_id, record_id):
    record = session.get(UserSession, record_id)
    if record is None or record.user_id != user_id or record.ended_at is not None:
        return None
    return record


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("SamsungBrowser/", "Samsung Internet"),
             ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_device(user_agent):
    """"Chrome · Android" from a User-Agent string, or None when it says nothing recognisable."""
    ua = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in ua), None)
    system = next((name for marker, name in _SYSTEMS if marker in ua), None)
    return " · ".join(part for part in (browser, system) if part) or None
