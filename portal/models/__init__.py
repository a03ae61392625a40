"""All tables. One module per pillar; importing this package registers every table on SQLModel.metadata."""

from portal.models.accounts import ROLES, AuditLog, Unit, User, UserRole, UserSession, utcnow
from portal.models.certificates import Certificate
from portal.models.content import (
    ContentAccount,
    ContentAccountManager,
    ContentAccountMonth,
    ContentImportMapping,
    ContentMetric,
    ContentPillar,
    ContentPost,
    ContentPostAccount,
    ContentPostChange,
    ContentPostLink,
    ContentReport,
    ContentReportChange,
    KeyMessage,
)
from portal.models.handbook import (
    Acknowledgement,
    AcknowledgementRule,
    AcknowledgementState,
    AcknowledgementUnitCount,
    Chapter,
    Edition,
    EditionChapter,
    EditionSection,
    Section,
    SectionRead,
    SectionRevision,
)
from portal.models.jobs import Job
from portal.models.quiz import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionOption,
    QuestionSection,
    QuestionVersion,
    Quiz,
    QuizTopic,
    QuizTopicRule,
    QuizTopicSection,
)
from portal.models.search import CacheGeneration, PersonGeneration, SearchDocument, SearchTerm
from portal.models.toolkit import (
    ToolkitCitation,
    ToolkitItem,
    ToolkitPhoto,
    ToolkitRegulation,
    ToolkitRegulationRelation,
    ToolkitStatusChange,
    ToolkitTag,
    ToolkitTemplate,
)
from portal.models.workshops import (
    Workshop,
    WorkshopAttendance,
    WorkshopAudienceUnit,
    WorkshopMaterial,
    WorkshopParticipant,
    WorkshopSession,
    WorkshopTrainer,
)

__all__ = [
    "ROLES", "Acknowledgement", "AcknowledgementRule", "AcknowledgementState", "AcknowledgementUnitCount", "AuditLog",
    "Chapter", "Edition", "EditionChapter", "EditionSection", "SearchDocument", "SearchTerm", "CacheGeneration",
    "PersonGeneration",
    "Job", "Section", "SectionRead", "SectionRevision", "Unit", "User", "UserRole", "UserSession", "utcnow",
    # quiz and certificates
    "Attempt", "AttemptQuestion", "Certificate", "Question", "QuestionOption", "QuestionSection", "QuestionVersion",
    "Quiz", "QuizTopic", "QuizTopicRule", "QuizTopicSection",
    # toolkit
    "ToolkitCitation", "ToolkitItem", "ToolkitPhoto", "ToolkitRegulation", "ToolkitRegulationRelation",
    "ToolkitStatusChange", "ToolkitTag", "ToolkitTemplate",
    # workshops
    "Workshop", "WorkshopAttendance", "WorkshopAudienceUnit", "WorkshopMaterial", "WorkshopParticipant",
    "WorkshopSession", "WorkshopTrainer",
    # content
    "ContentAccount", "ContentAccountManager", "ContentAccountMonth", "ContentImportMapping", "ContentMetric",
    "ContentPillar", "ContentPost", "ContentPostAccount", "ContentPostChange", "ContentPostLink", "ContentReport",
    "ContentReportChange", "KeyMessage",
]

# notifications, e-mail outbox and the checker's stored data
from portal.models.notifications import (  # noqa: E402
    CheckTermList,
    EmailOutbox,
    Notification,
    NotificationSetting,
    SavedCheck,
)

__all__ += ["CheckTermList", "EmailOutbox", "Notification", "NotificationSetting", "SavedCheck"]
