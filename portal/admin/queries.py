"""Read-only queries of the admin area."""

from sqlalchemy import func
from sqlmodel import select

from portal.models import AuditLog, Unit, User


def overview(session):
    return {
        "users": session.exec(select(func.count()).select_from(User)).one(),
        "active_users": session.exec(select(func.count()).select_from(User).where(User.active)).one(),
        "units": session.exec(select(func.count()).select_from(Unit)).one(),
        "audit_entries": session.exec(select(func.count()).select_from(AuditLog)).one(),
    }


def audit_entries(session, action="", page=1, per_page=50):
    query = select(AuditLog, User).join(User, User.id == AuditLog.actor_id, isouter=True)
    if action:
        query = query.where(AuditLog.action == action)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
                        .offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


def audit_actions(session):
    return list(session.exec(select(AuditLog.action).distinct().order_by(AuditLog.action)).all())
