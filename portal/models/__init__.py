"""All tables. One module per pillar; importing this package registers every table on SQLModel.metadata."""

from portal.models.accounts import ROLES, AuditLog, Unit, User, UserRole, utcnow
from portal.models.handbook import (
    Acknowledgement,
    Chapter,
    Edition,
    EditionChapter,
    EditionSection,
    Section,
    SectionRead,
    SectionRevision,
)
from portal.models.search import SearchDocument

__all__ = [
    "ROLES", "Acknowledgement", "AuditLog", "Chapter", "Edition", "EditionChapter", "EditionSection", "SearchDocument",
    "Section", "SectionRead", "SectionRevision", "Unit", "User", "UserRole", "utcnow",
]
