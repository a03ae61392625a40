"""Workshops (Pelatihan): pages for employees, trainers and admins, QR and guest check-in, reports and exports.

Each view parses its input, loads its guarded rows through portal/workshops/access.py, makes one service call
(writes through `perform`, which rolls a broken rule back and shows it) and renders. The request commits once.
"""

from urllib.parse import urlencode

import segno
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal import certificates, db, exports, jobs, staging, tabular
from portal.extensions import rate_limited
from portal.forms import EmptyForm, form_status, int_arg, perform
from portal.htmx import is_htmx, redirect_after_post, render
from portal.i18n import ngettext
from portal.jobs.access import get_own_job_or_404
from portal.permissions import public, requires
from portal.timezone import naive_wib_to_utc, to_wib, wib_naive
from portal.workshops import access, attendance, catalog, completion, imports, pages, registration, reports
from portal.workshops.forms import (
    ConfirmImportForm,
    ImportForm,
    MarkForm,
    ParticipantForm,
    WorkshopForm,
    WorkshopSessionForm,
)
from portal.workshops.labels import ATTENDANCE_LABELS, STATUS_LABELS, in_language

bp = Blueprint("workshops", __name__)
GUEST_LIMIT = "60 per minute"


@bp.record_once
def _jinja_globals(state):
    # globals, not a context processor: imported macros see them too
    state.app.jinja_env.globals.update(ws_status_labels=STATUS_LABELS, attendance_labels=ATTENDANCE_LABELS,
                                       in_language=in_language, to_wib=to_wib)


def _certificate_page(template, certificate, **context):
    return render(template, cert=certificate, verify_url=certificates.verify_url(certificate.code),
                  display_code=certificates.format_code(certificate.code), valid=certificates.is_valid(certificate),
                  **context)


# --- employees -----------------------------------------------------------------------------------------------------

@bp.get("/")
@requires("workshop.view")
def index():
    return render("workshops/index.html", page=pages.index_page(db.session(), current_user, int_arg("page", 1),
                                                                 int_arg("kelola", 1)), form=EmptyForm())


@bp.get("/<int:workshop_id>")
@requires("workshop.view")
def detail(workshop_id):
    workshop = access.get_workshop_or_404(workshop_id)
    return render("workshops/detail.html", page=pages.workshop_page(db.session(), current_user, workshop),
                  workshop=workshop, form=EmptyForm())


@bp.post("/<int:workshop_id>/daftar")
@requires("workshop.register")
def register(workshop_id):
    workshop = access.get_workshop_or_404(workshop_id)
    if EmptyForm().validate_on_submit() and (done := perform(registration.register, db.session(), current_user,
                                                             workshop.id)):
        if done.value.status == "registered":
            flash(_("Anda terdaftar sebagai peserta."), "success")
        else:
            flash(_("Kelas sudah penuh: Anda masuk daftar tunggu dan otomatis menjadi peserta bila ada kursi "
                    "kosong."), "warning")
    return redirect_after_post(url_for("workshops.detail", workshop_id=workshop.id))


@bp.post("/<int:workshop_id>/batal")
@requires("workshop.register")
def cancel(workshop_id):
    workshop = access.get_workshop_or_404(workshop_id)
    if EmptyForm().validate_on_submit() and perform(registration.cancel, db.session(), current_user, workshop.id):
        flash(_("Pendaftaran Anda dibatalkan."), "success")
    return redirect_after_post(url_for("workshops.detail", workshop_id=workshop.id))


@bp.get("/<int:workshop_id>/sertifikat")
@requires("workshop.view")
def my_certificate(workshop_id):
    workshop = access.get_workshop_or_404(workshop_id)
    certificate = pages.own_certificate(db.session(), current_user, workshop) or abort(404)
    return _certificate_page("workshops/certificate.html", certificate, workshop=workshop)


# --- trainers: workshops, sessions, participants ------------------------------------------------------------------

def _workshop_form(workshop=None):
    form = WorkshopForm(obj=workshop)
    choices = catalog.form_choices(db.session())
    form.unit_id.choices = [("", _("— tidak ditentukan —"))] + choices["units"]
    form.audience_ids.choices = choices["units"]
    form.trainer_ids.choices = choices["trainers"]
    form.pre_quiz_id.choices = form.post_quiz_id.choices = [("", _("— tidak ada —"))] + choices["quizzes"]
    return form


def _workshop_values(form):
    values = {name: getattr(form, name).data for name in (
        "title", "description", "place", "online_link", "unit_id", "capacity", "status", "completion_percent",
        "require_post_test", "pre_quiz_id", "post_quiz_id")}
    for name in ("description", "place", "online_link"):
        values[name] = values[name] or ""
    values["registration_opens_at"] = naive_wib_to_utc(form.registration_opens_at.data)
    values["registration_closes_at"] = naive_wib_to_utc(form.registration_closes_at.data)
    return values


def _save_workshop(form, workshop):
    return perform(catalog.save_workshop, db.session(), current_user, workshop, _workshop_values(form),
                   form.trainer_ids.data or [], form.audience_ids.data or [], form.materials.data,
                   form=form, field="title")


@bp.route("/baru", methods=["GET", "POST"])
@requires("workshop.manage")
def new():
    form = _workshop_form()
    if request.method == "GET":
        form.trainer_ids.data = [current_user.id]
        form.status.data = "draft"
    if form.validate_on_submit() and (done := _save_workshop(form, None)):
        flash(_("Pelatihan disimpan. Tambahkan sesi dan peserta."), "success")
        return redirect_after_post(url_for("workshops.manage", workshop_id=done.value.id))
    return render("workshops/form.html", form=form, workshop=None, block="form", status=form_status(form))


@bp.route("/<int:workshop_id>/ubah", methods=["GET", "POST"])
@requires("workshop.manage")
def edit(workshop_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    form = _workshop_form(workshop)
    if request.method == "GET":
        for name, value in catalog.form_values(db.session(), workshop).items():
            getattr(form, name).data = value
        form.registration_opens_at.data = wib_naive(workshop.registration_opens_at)
        form.registration_closes_at.data = wib_naive(workshop.registration_closes_at)
    if form.validate_on_submit() and _save_workshop(form, workshop):
        flash(_("Perubahan disimpan."), "success")
        return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))
    return render("workshops/form.html", form=form, workshop=workshop, block="form", status=form_status(form))


def _manage_page(workshop, session_form=None, participant_form=None, status=200):
    return render("workshops/manage.html", workshop=workshop,
                  **pages.manage_page(db.session(), workshop, int_arg("page", 1), request.args.get("q", "")),
                  session_form=session_form or WorkshopSessionForm(),
                  participant_form=participant_form or ParticipantForm(), form=EmptyForm(), status=status)


@bp.get("/<int:workshop_id>/kelola")
@requires("workshop.manage")
def manage(workshop_id):
    return _manage_page(access.get_managed_workshop_or_403(workshop_id))


@bp.post("/<int:workshop_id>/sesi")
@requires("workshop.manage")
def session_add(workshop_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    form = WorkshopSessionForm()
    if form.validate_on_submit() and perform(catalog.add_workshop_session, db.session(), current_user, workshop,
                                             form.day.data, form.start.data, form.end.data, form.topic.data,
                                             form=form, field="end"):
        flash(_("Sesi ditambahkan."), "success")
        return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))
    return _manage_page(workshop, session_form=form, status=form_status(form) if form.errors else 422)


@bp.post("/<int:workshop_id>/sesi/<int:session_id>/hapus")
@requires("workshop.manage")
def session_delete(workshop_id, session_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    workshop_session = access.get_workshop_session_or_404(workshop, session_id)
    if EmptyForm().validate_on_submit() and perform(catalog.delete_workshop_session, db.session(), current_user,
                                                    workshop, workshop_session):
        flash(_("Sesi dihapus."), "success")
    return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))


@bp.post("/<int:workshop_id>/peserta")
@requires("workshop.manage")
def participant_add(workshop_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    form = ParticipantForm()
    if form.validate_on_submit() and (done := perform(
            registration.add_participant, db.session(), current_user, workshop, form.nip.data, form.name.data,
            form.institution.data, form.position.data, form.email.data, form.phone.data, form=form, field="name")):
        flash(_("Peserta ditambahkan.") if done.value.status == "registered" else
              _("Kelas penuh: peserta masuk daftar tunggu."), "success")
        return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))
    return _manage_page(workshop, participant_form=form, status=form_status(form) if form.errors else 422)


@bp.post("/<int:workshop_id>/peserta/<int:participant_id>/hapus")
@requires("workshop.manage")
def participant_remove(workshop_id, participant_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    participant = access.get_participant_or_404(workshop, participant_id)
    if EmptyForm().validate_on_submit() and perform(registration.remove_participant, db.session(), current_user,
                                                    workshop, participant):
        flash(_("Peserta dikeluarkan; daftar tunggu diperbarui."), "success")
    return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))


def _import_scope(workshop):
    return f"ws{workshop.id}"  # a staged file is bound to its workshop (and to the person who staged it)


@bp.route("/<int:workshop_id>/impor", methods=["GET", "POST"])
@requires("workshop.manage")
def import_csv(workshop_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    form = ImportForm()
    staged = staging.Staged()
    if form.validate_on_submit():
        raw = form.file.data.read()
        if staging.is_large(raw):  # checked by the job worker; its page leads back here with the preview
            job = staging.queue_preview(db.session(), raw, _import_scope(workshop), "preview.participants",
                                        workshop_id=workshop.id)
            return redirect(url_for("jobs.status", job_id=job.id), code=303)
        staged = staging.stage(raw, _import_scope(workshop),
                               lambda raw: imports.preview_import(db.session(), workshop, raw))
    elif request.method == "GET" and (job_id := int_arg("job")):
        staged = staging.preview_of_job(get_own_job_or_404(job_id), _import_scope(workshop))
    rejected = staged.error or (staged.preview and not staged.preview.ok)
    return render("workshops/import.html", workshop=workshop, form=form, preview=staged.preview, error=staged.error,
                  confirm_form=ConfirmImportForm(token=staged.token), token=staged.token,
                  status=422 if rejected else form_status(form))


@bp.post("/<int:workshop_id>/impor/konfirmasi")
@requires("workshop.manage")
def import_confirm(workshop_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    raw = staging.take(form.token.data, _import_scope(workshop))
    if raw is None:
        flash(_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."), "error")
        return redirect(url_for("workshops.import_csv", workshop_id=workshop.id), code=303)
    if tabular.estimate_rows(raw) > current_app.config["IMPORT_JOB_MIN_ROWS"]:  # large: the job worker applies it
        job = jobs.enqueue(db.session(), "import.participants", current_user, token=form.token.data,
                           workshop_id=workshop.id)
        return redirect(url_for("jobs.status", job_id=job.id), code=303)
    done = perform(imports.apply_import, db.session(), current_user, workshop, raw)
    if not done:
        return redirect(url_for("workshops.import_csv", workshop_id=workshop.id), code=303)
    preview = done.value
    if not preview.ok:  # nothing was written; the 422 ends the transaction without a commit
        flash(_("Impor dibatalkan: data berubah sejak pratinjau. Tidak ada yang disimpan."), "error")
        return render("workshops/import.html", workshop=workshop, form=ImportForm(), preview=preview, error=None,
                      confirm_form=None, token=None, status=422)
    db.after_commit(db.session(), staging.discard, form.token.data)
    flash(ngettext("%(num)s peserta diimpor.", "%(num)s peserta diimpor.", len(preview.rows)), "success")
    return redirect(url_for("workshops.manage", workshop_id=workshop.id), code=303)


@bp.get("/<int:workshop_id>/impor/templat", defaults={"fmt": "xlsx"})  # (.xlsx redirects here)
@bp.get("/<int:workshop_id>/impor/templat.<fmt>")
@requires("workshop.manage")
def import_template(workshop_id, fmt):
    access.get_managed_workshop_or_403(workshop_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    return tabular.download(imports.template(fmt), "templat-impor-peserta", fmt)


# --- attendance --------------------------------------------------------------------------------------------------

def _roster_context(workshop, workshop_session):
    context = {"workshop": workshop, "workshop_session": workshop_session, "form": EmptyForm(),
               **attendance.roster_page(db.session(), workshop, workshop_session, page=int_arg("page", 1),
                                        query=request.args.get("q", ""))}
    # Where each row's plain form leads back to (this page and search, without JavaScript): built once, not per row.
    back = {"page": context["page"] if context["page"] > 1 else None, "q": context["query"] or None}
    context["back_args"] = urlencode({name: value for name, value in back.items() if value})
    return context


@bp.get("/<int:workshop_id>/sesi/<int:session_id>/presensi")
@requires("workshop.manage")
def roster(workshop_id, session_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    workshop_session = access.get_workshop_session_or_404(workshop, session_id)
    return render("workshops/roster.html", block="roster", **_roster_context(workshop, workshop_session))


@bp.post("/<int:workshop_id>/sesi/<int:session_id>/presensi/<int:participant_id>")
@requires("workshop.manage")
def mark(workshop_id, session_id, participant_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    workshop_session = access.get_workshop_session_or_404(workshop, session_id)
    participant = access.get_participant_or_404(workshop, participant_id)
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    # htmx shows a refusal in the row itself; a plain form post gets it as a flash message after the redirect
    done = perform(attendance.mark, db.session(), current_user, workshop, workshop_session, participant,
                   form.status.data, form.note.data, form=form if is_htmx() else None, field="status")
    if is_htmx():
        item = next(iter(attendance.roster(db.session(), workshop, workshop_session, participant.id)), None)
        if item is None:
            abort(404)
        return render("workshops/roster.html", block="roster_row", item=item, workshop=workshop,
                      workshop_session=workshop_session, form=EmptyForm(), error=None if done else done.error.message)
    return redirect(url_for("workshops.roster", workshop_id=workshop.id, session_id=workshop_session.id,
                            page=request.args.get("page", type=int), q=request.args.get("q") or None)
                    + f"#p{participant.id}", code=303)


@bp.post("/<int:workshop_id>/sesi/<int:session_id>/semua-hadir")
@requires("workshop.manage")
def mark_all(workshop_id, session_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    workshop_session = access.get_workshop_session_or_404(workshop, session_id)
    if EmptyForm().validate_on_submit():
        done = perform(attendance.mark_all_present, db.session(), current_user, workshop, workshop_session)
        if done and not is_htmx():
            flash(ngettext("%(num)s peserta ditandai hadir.", "%(num)s peserta ditandai hadir.", done.value),
                  "success")
    if is_htmx():
        return render("workshops/roster.html", block="roster", **_roster_context(workshop, workshop_session))
    return redirect(url_for("workshops.roster", workshop_id=workshop.id, session_id=workshop_session.id), code=303)


def _checkin_url(token):
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")
    return base + url_for("workshops.checkin", token=token)


@bp.get("/<int:workshop_id>/sesi/<int:session_id>/qr")
@requires("workshop.manage")
def qr(workshop_id, session_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    workshop_session = access.get_workshop_session_or_404(workshop, session_id)
    window = attendance.in_window(workshop_session)
    url = svg = None
    if window:
        url = _checkin_url(attendance.make_token(current_app.config["SECRET_KEY"], workshop_session.id))
        qr_code = segno.make(url, error="m")
        # segno's own SVG markup; the URL inside is escaped by segno
        svg = Markup(qr_code.svg_inline(scale=6, border=2, dark="#1c2430", light="#ffffff",  # noqa: S704  # nosec B704  # segno escapes
                                        title=_("Kode QR presensi")))
    return render("workshops/qr.html", block="qr", workshop=workshop, workshop_session=workshop_session, window=window,
                  url=url, svg=svg, checkin_window=attendance.checkin_window(workshop_session))


@bp.get("/<int:workshop_id>/sesi/<int:session_id>/daftar-hadir")
@requires("workshop.manage")
def sign_sheet(workshop_id, session_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    workshop_session = access.get_workshop_session_or_404(workshop, session_id)
    return render("workshops/sign_sheet.html", workshop=workshop, workshop_session=workshop_session,
                  **pages.sign_sheet(db.session(), workshop))


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@requires("workshop.register")
def checkin(token):
    submit = request.method == "POST"
    if submit and not EmptyForm().validate_on_submit():
        abort(400)
    result = attendance.employee_checkin(db.session(), current_user, current_app.config["SECRET_KEY"], token, submit)
    if result.workshop is None:
        status = 422 if submit else 400
    else:
        status = 422 if result.error and submit else 200
    return render("workshops/checkin.html", workshop=result.workshop, workshop_session=result.workshop_session,
                  error=result.error, done=result.done, token=token, form=EmptyForm(), status=status)


# --- guests (public, by personal code) ----------------------------------------------------------------------------

@bp.route("/hadir/<code>", methods=["GET", "POST"])
@public
@rate_limited(GUEST_LIMIT)
def guest(code):
    participant = access.get_guest_or_404(code)
    result = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        result = attendance.guest_checkin(db.session(), participant)
    page = pages.guest_page(db.session(), participant)
    return render("workshops/guest.html", page=page, participant=participant, workshop=page.workshop,
                  error=result and result.error, done=result and result.done, form=EmptyForm(),
                  status=422 if result and result.error else 200)


@bp.get("/hadir/<code>/sertifikat")
@public
@rate_limited(GUEST_LIMIT)
def guest_certificate(code):
    participant = access.get_guest_or_404(code)
    workshop, certificate = pages.guest_certificate(db.session(), participant)
    if certificate is None:
        abort(404)
    return _certificate_page("workshops/certificate.html", certificate, workshop=workshop)


# --- completion, reports, exports ---------------------------------------------------------------------------------

@bp.post("/<int:workshop_id>/sertifikat/terbitkan")
@requires("workshop.manage")
def issue(workshop_id):
    workshop = access.get_managed_workshop_or_403(workshop_id)
    if EmptyForm().validate_on_submit() and (done := perform(completion.issue_certificates, db.session(),
                                                             current_user, workshop)):
        flash(ngettext("%(num)s sertifikat baru diterbitkan.", "%(num)s sertifikat baru diterbitkan.", done.value)
              if done.value else _("Tidak ada sertifikat baru: semua yang memenuhi syarat sudah menerimanya."),
              "success")
    return redirect_after_post(url_for("workshops.report", workshop_id=workshop.id))


@bp.get("/<int:workshop_id>/laporan")
@requires("workshop.report")
def report(workshop_id):
    workshop, scope = access.get_report_workshop_or_403(workshop_id)
    return render("workshops/report.html", workshop=workshop, report=reports.report(db.session(), workshop, scope),
                  scoped=scope is not None, manages=scope is None and access.can_manage_workshop(current_user,
                                                                                                 workshop),
                  export_titles=reports.export_titles(), form=EmptyForm())


@bp.get("/<int:workshop_id>/ekspor/<kind>.<fmt>")
@requires("workshop.report")
def export(workshop_id, kind, fmt):
    if kind not in reports.EXPORT_KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    # a supervisor gets only their unit tree's employees (no guests' contacts)
    workshop, scope = access.get_report_workshop_or_403(workshop_id)
    cols, rows, title = reports.export_table(db.session(), workshop, kind, scope)
    return exports.download(cols, rows, fmt, f"pelatihan-{workshop.id}-{kind}", title)
