"""Audit log: who did what, when, with a before/after summary. Added to the caller's transaction."""

import json

from flask import has_request_context, request

from portal.models import AuditLog


def snapshot(obj, fields):
    """A small JSON-able dict of an object's fields, for before/after."""
    return {name: _plain(getattr(obj, name, None)) for name in fields}


def _plain(value):
    if isinstance(value, (set, frozenset, list, tuple)):
        return sorted(str(v) for v in value)
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def record(session, actor, action, object_type, object_id=None, summary="", before=None, after=None):
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        summary=summary[:500],
        before=json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    session.add(entry)
    return entry
