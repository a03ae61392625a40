"""/notifications/: the list, mark as read, e-mail settings; the bell fragment; the CLI commands notify-due and
send-email."""

import click
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from portal import db
from portal.forms import EmptyForm, int_arg
from portal.htmx import is_htmx, redirect_after_post, render
from portal.i18n import ngettext
from portal.notifications import receivers, services, tasks  # noqa: F401  (receivers connect on import)
from portal.notifications.access import get_notification_or_404
from portal.notifications.forms import SettingsForm
from portal.permissions import requires

bp = Blueprint("notifications", __name__, cli_group=None)


@bp.app_context_processor
def _bell_context():
    """`unread_notifications()` for the header's bell: one count, only when a page shows the bell."""
    def unread_notifications():
        if not current_user.is_authenticated:
            return 0
        try:
            return services.unread_count(db.session(), current_user)
        except SQLAlchemyError:  # e.g. the error page of a failed database: show the page without a count
            current_app.logger.warning("unread notification count unavailable", exc_info=True)
            return 0
    return {"unread_notifications": unread_notifications}


def _safe_target(url):
    """Only local paths (a stored URL is ours, but never follow anything else)."""
    return url if url.startswith("/") and not url.startswith("//") else url_for("notifications.index")


@bp.get("/")
@requires("notifications.view")
def index():
    unread_only = request.args.get("belum") == "1"
    shown, total, pages, page = services.page_of(db.session(), current_user, int_arg("page", 1), unread_only)
    return render("notifications/index.html", block="list", items=shown, total=total, pages=pages, page=page,
                  unread_only=unread_only, unread=services.unread_count(db.session(), current_user),
                  form=EmptyForm())


@bp.get("/lonceng")
@requires("notifications.view")
def bell():
    """The bell's count (htmx refreshes it every minute)."""
    return render("notifications/_bell.html", unread=services.unread_count(db.session(), current_user))


bell.background = True  # polling is not activity: the idle timeout still ends an unattended session


@bp.post("/<int:notification_id>/baca")
@requires("notifications.view")
def read(notification_id):
    """Mark one notice read; `buka=1` then opens what it is about."""
    row = get_notification_or_404(notification_id)
    form = EmptyForm()
    if form.validate():
        services.mark_read(db.session(), row)
    if request.form.get("buka") and row.url:
        return redirect_after_post(_safe_target(row.url))
    if is_htmx():
        return render("notifications/index.html", block="item", item=services.Shown(row), form=form)
    return redirect(url_for("notifications.index"), code=303)


@bp.post("/baca-semua")
@requires("notifications.view")
def read_all():
    if EmptyForm().validate():
        n = services.mark_all_read(db.session(), current_user)
        flash(ngettext("%(num)s notifikasi ditandai sudah dibaca.", "%(num)s notifikasi ditandai sudah dibaca.", n),
              "success")
    return redirect_after_post(url_for("notifications.index"))


@bp.route("/pengaturan", methods=["GET", "POST"])
@requires("notifications.view")
def settings():
    form = SettingsForm()
    if request.method == "POST" and form.validate():
        services.save_settings(db.session(), current_user, request.form.getlist("email"))
        flash(_("Pengaturan notifikasi disimpan."), "success")
        return redirect_after_post(url_for("notifications.settings"))
    return render("notifications/settings.html", form=form,
                  rows=services.settings_of(db.session(), current_user),
                  has_email=bool(current_user.email))


# --- commands -----------------------------------------------------------------------------------------------------

@bp.cli.command("notify-due")
@with_appcontext
def notify_due_command():
    """Add the time-based notices (expiring passes and certificates, sessions within a day); safe to run often."""
    from portal.notifications import due

    with db.unit_of_work() as session:
        report = due.run(session)
    click.echo(str(report))


@bp.cli.command("send-email")
@click.option("--limit", default=200, show_default=True, help="at most this many e-mails in one run")
@with_appcontext
def send_email_command(limit):
    """Send the e-mail waiting in the outbox over SMTP (MAIL_SERVER)."""
    from portal.notifications import mail

    if not mail.settings().server:
        click.echo(f"MAIL_SERVER is not set: nothing sent, {mail.pending_count()} e-mail(s) waiting")
        return
    sent, failed, waiting = mail.send_pending(limit=limit)
    click.echo(f"sent {sent}, failed {failed}, waiting {waiting}")
