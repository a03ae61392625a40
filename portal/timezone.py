"""Time: the database stores UTC; people see and type Western Indonesian Time (WIB, Asia/Jakarta, UTC+7)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def as_utc(moment):
    """Aware UTC; SQLite returns naive datetimes that are UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_wib(moment):
    return as_utc(moment).astimezone(WIB) if moment is not None else None


def from_wib(day, clock):
    """A WIB date and time -> aware UTC."""
    return datetime.combine(day, clock, tzinfo=WIB).astimezone(UTC)


def wib_naive(moment):
    """For a datetime-local input: the WIB wall time without zone."""
    return to_wib(moment).replace(tzinfo=None) if moment is not None else None


def naive_wib_to_utc(moment):
    """What a datetime-local input gave (WIB wall time) -> aware UTC."""
    return moment.replace(tzinfo=WIB).astimezone(UTC) if moment is not None else None


def today_wib(now=None):
    return to_wib(now or datetime.now(UTC)).date()
