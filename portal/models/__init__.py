"""All tables. One module per pillar; importing this package registers every table on SQLModel.metadata."""

from portal.models.accounts import ROLES, AuditLog, Unit, User, UserRole, utcnow

__all__ = ["ROLES", "AuditLog", "Unit", "User", "UserRole", "utcnow"]
