"""The pillars of the portal, listed once: each one's blueprint, URL prefix, nav entry and dashboard cards.

Adding a pillar means adding it here; nothing is discovered by guessing module names.
"""

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Pillar:
    name: str
    blueprint: Any
    url_prefix: str | None
    nav: tuple | None = None  # (endpoint, label, permission) in the header navigation
    dashboard_cards: Any = None  # fn(session, user) -> list of cards for the personal dashboard
    seed_demo: Any = None  # fn(session) -> str | None: the pillar's demo content (`flask seed-demo`), in this order
    stored_files: Any = None  # fn(session) -> {path under UPLOAD_DIR: what it is}: the files its records name (fsck)
    personal_data: Any = None  # fn(session, user) -> {title: [row dicts]}: what it stores about a person (privacy.py)
    anonymise: Any = None  # fn(session, user): removes what identifies a departed person, keeps what statistics count
    search: Any = None  # fn(session, user, q, limit) -> SearchGroup | None: its group in the header search


def pillars():
    """Every pillar in navigation order. Imported lazily: the modules import models, forms and templates helpers."""
    from portal.accounts import views as accounts
    from portal.admin import views as admin
    from portal.check import services as check_services
    from portal.check import views as check
    from portal.content import demo as content_demo
    from portal.content import pages as content_pages
    from portal.content import post_search as content_search
    from portal.content import views as content
    from portal.handbook import demo as handbook_demo
    from portal.handbook import privacy as handbook_privacy
    from portal.handbook import services as handbook_services
    from portal.handbook import views as handbook
    from portal.notifications import services as notification_services
    from portal.notifications import views as notifications
    from portal.quiz import demo as quiz_demo
    from portal.quiz import files as quiz_files
    from portal.quiz import privacy as quiz_privacy
    from portal.quiz import quizzes as quiz_services
    from portal.quiz import views as quiz
    from portal.search_all import views as search_views
    from portal.toolkit import demo as toolkit_demo
    from portal.toolkit import files as toolkit_files
    from portal.toolkit import privacy as toolkit_privacy
    from portal.toolkit import views as toolkit
    from portal.toolkit import worklist as toolkit_worklist
    from portal.workshops import demo as workshop_demo
    from portal.workshops import pages as workshop_pages
    from portal.workshops import privacy as workshop_privacy
    from portal.workshops import views as workshops

    return (
        Pillar("accounts", accounts.bp, None, ("accounts.dashboard", _l("Beranda"), "dashboard.view")),
        Pillar("handbook", handbook.bp, "/handbook", ("handbook.index", _l("Pedoman"), "handbook.read"),
               handbook_services.dashboard_cards,
               handbook_demo.seed, personal_data=handbook_privacy.personal_data),
        Pillar("quiz", quiz.bp, "/quiz", ("quiz.index", _l("Kuis"), "quiz.take"), quiz_services.dashboard_cards,
               quiz_demo.seed, quiz_files.stored_files, quiz_privacy.personal_data, quiz_privacy.anonymise),
        Pillar("toolkit", toolkit.bp, "/toolkit", ("toolkit.index", _l("Perangkat Humas"), "toolkit.view"),
               toolkit_worklist.dashboard_cards,
               toolkit_demo.seed, toolkit_files.stored_files, toolkit_privacy.personal_data),
        Pillar("workshops", workshops.bp, "/workshops", ("workshops.index", _l("Pelatihan"), "workshop.view"),
               workshop_pages.dashboard_cards,
               workshop_demo.seed, personal_data=workshop_privacy.personal_data,
               anonymise=workshop_privacy.anonymise),
        Pillar("content", content.bp, "/content", ("content.index", _l("Konten"), "content.view"),
               content_pages.dashboard_cards, content_demo.seed, personal_data=_content_personal_data(),
               search=content_search.header_group),
        Pillar("check", check.bp, "/check", ("check.index", _l("Cek Unggahan"), "check.use"),
               check_services.dashboard_cards, personal_data=_check_personal_data()),
        Pillar("notifications", notifications.bp, "/notifications", seed_demo=notification_services.settle_demo,
               personal_data=_notification_personal_data(), anonymise=_notification_anonymise),
        Pillar("search", search_views.bp, "/cari"),
        Pillar("admin", admin.bp, "/admin", ("admin.index", _l("Admin"), "admin.access")),
    )


# --- personal data of the pillars whose rows simply name the person (portal/privacy.py) ----------------------------

def _content_personal_data():
    from portal import models as m
    from portal.privacy import rows_about

    return rows_about(("Akun dikelola", m.ContentAccountManager, ("user_id",)),
                      ("Pos konten", m.ContentPost, ("created_by_id", "submitted_by_id", "decided_by_id")),
                      ("Perubahan pos", m.ContentPostChange, ("actor_id",)),
                      ("Laporan bulanan", m.ContentReport, ("created_by_id", "submitted_by_id", "decided_by_id")),
                      ("Perubahan laporan", m.ContentReportChange, ("actor_id",)))


def _check_personal_data():
    from portal import models as m
    from portal.privacy import rows_about

    return rows_about(("Cek tersimpan", m.SavedCheck, ("user_id",)))


def _notification_personal_data():
    from portal import models as m
    from portal.privacy import rows_about

    return rows_about(("Notifikasi", m.Notification, ("user_id",)),
                      ("Pengaturan notifikasi", m.NotificationSetting, ("user_id",)))


def _notification_anonymise(session, user):
    """Saved checks (free text) and notices (they name the person's work) go; e-mail waiting for them is not sent."""
    from sqlalchemy import delete

    from portal import models as m

    if user.email:
        session.exec(delete(m.EmailOutbox).where(m.EmailOutbox.recipient == user.email,
                                                 m.EmailOutbox.sent_at.is_(None)))
    session.exec(delete(m.SavedCheck).where(m.SavedCheck.user_id == user.id))
    session.exec(delete(m.Notification).where(m.Notification.user_id == user.id))
