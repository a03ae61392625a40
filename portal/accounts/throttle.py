"""Login throttling that a stranger cannot turn into a lockout.

- Per address: the login form's rate limit (Flask-Limiter, failed attempts only) slows one client hammering it.
- Per account: after FREE_FAILURES failed attempts within WINDOW, each further attempt must wait a delay that doubles
  (2, 4, 8 ... up to MAX_DELAY seconds). During the wait the password is not even checked.
- A browser that has signed in to that account before carries a signed "known device" cookie; it is not subject to
  the account's delay. So an attacker who keeps failing against someone's account slows only strangers' attempts,
  never the owner's own browser (the approach OWASP recommends against lockout abuse).

Counters live in the rate limiter's storage (memory, or Redis with RATELIMIT_STORAGE_URI), so several processes
share them when Redis is configured.
"""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.extensions import limiter

FREE_FAILURES = 5
WINDOW = 15 * 60
MAX_DELAY = 60
DEVICE_COOKIE = "bb_device"
DEVICE_DAYS = 180


def _key(kind, username):
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-{kind}:{digest}"


def _storage():
    """The rate limiter's storage; with the limiter switched off (RATELIMIT_ENABLED=0) it has none, and the
    account throttle keeps working on a memory storage of its own rather than failing every sign-in."""
    if limiter.enabled and getattr(limiter, "_storage", None) is not None:
        return limiter.storage
    if "login_throttle_storage" not in current_app.extensions:
        from limits.storage import MemoryStorage

        current_app.extensions["login_throttle_storage"] = MemoryStorage()
    return current_app.extensions["login_throttle_storage"]


def waiting_seconds(username):
    """Seconds a stranger must still wait before the next attempt on this account (0: may try now)."""
    storage = _storage()
    if storage is None or not storage.get(_key("wait", username)):
        return 0
    import time

    return max(1, int(storage.get_expiry(_key("wait", username)) - time.time()))


def record_failure(username):
    """Count a failed attempt; returns the delay (s) that now applies to this account (0 below the free tries)."""
    storage = _storage()
    if storage is None:
        return 0
    failures = storage.incr(_key("fail", username), WINDOW)
    if failures < FREE_FAILURES:
        return 0
    delay = min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY)
    storage.clear(_key("wait", username))
    storage.incr(_key("wait", username), delay)
    return delay


def record_success(username):
    storage = _storage()
    if storage is None:
        return
    storage.clear(_key("fail", username))
    storage.clear(_key("wait", username))


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="login-known-device")


def device_cookie_value(user_id):
    return _serializer().dumps({"u": user_id})


def known_device_user(cookie_value):
    """The account id a valid known-device cookie was issued for, or None."""
    if not cookie_value:
        return None
    try:
        data = _serializer().loads(cookie_value, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    return data.get("u") if isinstance(data, dict) else None
