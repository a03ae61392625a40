"""Workshops (Pelatihan): pages for employees, trainers and admins, QR and guest check-in, reports and exports."""


import segno
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal import certificates, db, exports, staging, tabular
from portal.errors import DomainError
from portal.extensions import limiter
from portal.forms import attach_error, form_status
from portal.htmx import is_htmx, redirect_after_post, render
from portal.models import WorkshopParticipant
from portal.permissions import (
    can,
    can_manage_workshop,
    get_workshop_or_403,
    public,
    requires,
    workshop_report_scope,
)
from portal.workshops import imports, services
from portal.workshops.forms import (
    ATTENDANCE_LABELS,
    STATUS_LABELS,
    ConfirmImportForm,
    EmptyForm,
    ImportForm,
    MarkForm,
    ParticipantForm,
    SessionForm,
    WorkshopForm,
)

bp = Blueprint("workshops", __name__)
GUEST_LIMIT = "60 per minute"


@bp.record_once
def _jinja_globals(state):
    # globals, not a context processor: imported macros see them too
    state.app.jinja_env.globals.update(ws_status_labels=STATUS_LABELS, attendance_labels=ATTENDANCE_LABELS,
                                       to_wib=services.to_wib)


def _session_or_404(workshop, session_id):
    row = services.session_of(db.session(), workshop, session_id)
    if row is None:
        abort(404)
    return row


def _participant_or_404(workshop, participant_id):
    row = db.session().get(WorkshopParticipant, participant_id)
    if row is None or row.workshop_id != workshop.id:
        abort(404)
    return row


# --- employees -----------------------------------------------------------------------------------------------------

@bp.get("/")
@requires("workshop.view")
def index():
    session = db.session()
    managed = services.workshops_managed_by(session, current_user) if can(current_user, "workshop.manage") else []
    managed_ids = {w.id for w in managed}
    # A trainer's own workshops are listed once, under "managed", not again among the open ones.
    others = [row for row in services.visible_workshops(session, current_user) if row[0].id not in managed_ids]
    return render("workshops/index.html", workshops=others,
                  managed=managed, upcoming=services.upcoming_sessions(session, [w.id for w in managed]),
                  earned=services.my_certificates(session, current_user), form=EmptyForm(),
                  registration_open=services.registration_open)


@bp.get("/<int:workshop_id>")
@requires("workshop.view")
def detail(workshop_id):
    session = db.session()
    workshop = get_workshop_or_403(workshop_id, manage=False)
    manages = can_manage_workshop(current_user, workshop)
    if workshop.status == "draft" and not manages:
        abort(404)
    participant = services.participant_of(session, workshop.id, current_user.id)
    if participant is not None and participant.status == "cancelled":
        participant = None
    return render("workshops/detail.html", workshop=workshop, manages=manages, participant=participant,
                  position=services.waiting_position(session, participant) if participant else None,
                  sessions=services.workshop_sessions(session, workshop.id),
                  materials=services.materials(session, workshop.id),
                  trainers=services.trainers(session, workshop.id),
                  seats=services.registered_count(session, workshop.id),
                  open=services.registration_open(workshop),
                  in_audience=services.in_audience(session, current_user, workshop),
                  certificate=services.certificate_of(session, participant) if participant else None,
                  form=EmptyForm())


@bp.post("/<int:workshop_id>/daftar")
@requires("workshop.register")
def register(workshop_id):
    workshop = get_workshop_or_403(workshop_id, manage=False)
    if EmptyForm().validate_on_submit():
        try:
            participant = services.register(db.session(), current_user, workshop.id)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Anda terdaftar sebagai peserta.") if participant.status == "registered" else
                  _("Kelas sudah penuh: Anda masuk daftar tunggu dan otomatis menjadi peserta bila ada kursi "
                    "kosong."), "success" if participant.status == "registered" else "warning")
    return redirect_after_post(url_for("workshops.detail", workshop_id=workshop.id))


@bp.post("/<int:workshop_id>/batal")
@requires("workshop.register")
def cancel(workshop_id):
    workshop = get_workshop_or_403(workshop_id, manage=False)
    if EmptyForm().validate_on_submit():
        try:
            services.cancel(db.session(), current_user, workshop.id)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Pendaftaran Anda dibatalkan."), "success")
    return redirect_after_post(url_for("workshops.detail", workshop_id=workshop.id))


@bp.get("/<int:workshop_id>/sertifikat")
@requires("workshop.view")
def my_certificate(workshop_id):
    session = db.session()
    workshop = get_workshop_or_403(workshop_id, manage=False)
    participant = services.participant_of(session, workshop.id, current_user.id)
    certificate = services.certificate_of(session, participant) if participant else None
    if certificate is None:
        abort(404)
    return render("workshops/certificate.html", workshop=workshop, certificate=certificate,
                  display_code=certificates.format_code(certificate.code))


# --- trainers: workshops, sessions, participants ------------------------------------------------------------------

def _fill_choices(form):
    session = db.session()
    form.unit_id.choices = [("", _("— tidak ditentukan —"))] + services.unit_choices(session)
    form.audience_ids.choices = services.unit_choices(session)
    form.trainer_ids.choices = services.trainer_choices(session)
    quizzes = [("", _("— tidak ada —"))] + services.deferred_quiz_choices(session)
    form.pre_quiz_id.choices = form.post_quiz_id.choices = quizzes


def _save(form, workshop):
    values = {name: getattr(form, name).data for name in (
        "title", "description", "place", "online_link", "unit_id", "capacity", "status", "completion_percent",
        "require_post_test", "pre_quiz_id", "post_quiz_id")}
    values["description"] = values["description"] or ""
    values["place"], values["online_link"] = values["place"] or "", values["online_link"] or ""
    values["registration_opens_at"] = services.naive_wib_to_utc(form.registration_opens_at.data)
    values["registration_closes_at"] = services.naive_wib_to_utc(form.registration_closes_at.data)
    return services.save_workshop(db.session(), current_user, workshop, values, form.trainer_ids.data,
                                  form.audience_ids.data, form.materials.data)


@bp.route("/baru", methods=["GET", "POST"])
@requires("workshop.manage")
def new():
    form = WorkshopForm()
    _fill_choices(form)
    if request.method == "GET":
        form.trainer_ids.data = [current_user.id]
        form.status.data = "draft"
    if form.validate_on_submit():
        try:
            workshop = _save(form, None)
        except DomainError as error:
            db.session().rollback()
            attach_error(form, error, "title")
        else:
            flash(_("Pelatihan disimpan. Tambahkan sesi dan peserta."), "success")
            return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))
    return render("workshops/form.html", form=form, workshop=None, block="form",
                  status=form_status(form))


@bp.route("/<int:workshop_id>/ubah", methods=["GET", "POST"])
@requires("workshop.manage")
def edit(workshop_id):
    session = db.session()
    workshop = get_workshop_or_403(workshop_id)
    form = WorkshopForm(obj=workshop)
    _fill_choices(form)
    if request.method == "GET":
        form.trainer_ids.data = sorted(services.trainer_ids(session, workshop.id))
        form.audience_ids.data = sorted(services.audience_unit_ids(session, workshop.id))
        form.materials.data = services.materials_text(session, workshop.id)
        form.registration_opens_at.data = services.wib_naive(workshop.registration_opens_at)
        form.registration_closes_at.data = services.wib_naive(workshop.registration_closes_at)
    if form.validate_on_submit():
        try:
            _save(form, workshop)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "title")
        else:
            flash(_("Perubahan disimpan."), "success")
            return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))
    return render("workshops/form.html", form=form, workshop=workshop, block="form",
                  status=form_status(form))


def _manage_page(workshop, session_form=None, participant_form=None, status=200):
    session = db.session()
    return render("workshops/manage.html", workshop=workshop,
                  sessions=services.workshop_sessions(session, workshop.id),
                  participants=services.participant_rows(session, workshop.id),
                  seats=services.registered_count(session, workshop.id),
                  session_form=session_form or SessionForm(), participant_form=participant_form or ParticipantForm(),
                  form=EmptyForm(), status=status)


@bp.get("/<int:workshop_id>/kelola")
@requires("workshop.manage")
def manage(workshop_id):
    return _manage_page(get_workshop_or_403(workshop_id))


@bp.post("/<int:workshop_id>/sesi")
@requires("workshop.manage")
def session_add(workshop_id):
    workshop = get_workshop_or_403(workshop_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            services.add_session(db.session(), current_user, workshop, form.day.data, form.start.data,
                                 form.end.data, form.topic.data)
        except DomainError as error:
            db.session().rollback()
            form.end.errors = [*form.end.errors, error.message]
        else:
            flash(_("Sesi ditambahkan."), "success")
            return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))
    return _manage_page(workshop, session_form=form, status=422)


@bp.post("/<int:workshop_id>/sesi/<int:session_id>/hapus")
@requires("workshop.manage")
def session_delete(workshop_id, session_id):
    workshop = get_workshop_or_403(workshop_id)
    ws_session = _session_or_404(workshop, session_id)
    if EmptyForm().validate_on_submit():
        services.delete_session(db.session(), current_user, workshop, ws_session)
        flash(_("Sesi dihapus."), "success")
    return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))


@bp.post("/<int:workshop_id>/peserta")
@requires("workshop.manage")
def participant_add(workshop_id):
    session = db.session()
    workshop = get_workshop_or_403(workshop_id)
    form = ParticipantForm()
    if form.validate_on_submit():
        try:
            if form.nip.data:
                user = services.find_employee(session, form.nip.data)
                if user is None:
                    raise DomainError(_("Pegawai dengan NIP atau nama pengguna itu tidak ditemukan."), field="nip")
                participant = services.add_employee(session, current_user, workshop, user)
            else:
                participant = services.add_guest(session, current_user, workshop, form.name.data,
                                                 form.institution.data or "", form.position.data or "",
                                                 form.email.data or "", form.phone.data or "")
        except DomainError as error:
            session.rollback()
            target = form.nip if error.field == "nip" else form.name
            target.errors = [*target.errors, error.message]
        else:
            flash(_("Peserta ditambahkan.") if participant.status == "registered" else
                  _("Kelas penuh: peserta masuk daftar tunggu."), "success")
            return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))
    return _manage_page(workshop, participant_form=form, status=422)


@bp.post("/<int:workshop_id>/peserta/<int:participant_id>/hapus")
@requires("workshop.manage")
def participant_remove(workshop_id, participant_id):
    workshop = get_workshop_or_403(workshop_id)
    participant = _participant_or_404(workshop, participant_id)
    if EmptyForm().validate_on_submit() and participant.status != "cancelled":
        services.remove_participant(db.session(), current_user, workshop, participant)
        flash(_("Peserta dikeluarkan; daftar tunggu diperbarui."), "success")
    return redirect_after_post(url_for("workshops.manage", workshop_id=workshop.id))


def _import_scope(workshop):
    return f"ws{workshop.id}"  # the staging flow's name for this workshop's participant files


@bp.route("/<int:workshop_id>/impor", methods=["GET", "POST"])
@requires("workshop.manage")
def import_csv(workshop_id):
    workshop = get_workshop_or_403(workshop_id)
    form = ImportForm()
    staged = staging.Staged()
    if form.validate_on_submit():
        staged = staging.stage(form.file.data.read(), _import_scope(workshop),
                               lambda raw: imports.preview_import(db.session(), workshop, raw))
    rejected = staged.error or (staged.preview and not staged.preview.ok)
    status = 422 if (rejected or (request.method == "POST" and form.errors)) else 200
    return render("workshops/import.html", workshop=workshop, form=form, preview=staged.preview, error=staged.error,
                  confirm_form=ConfirmImportForm(token=staged.token), token=staged.token, status=status)


@bp.post("/<int:workshop_id>/impor/konfirmasi")
@requires("workshop.manage")
def import_confirm(workshop_id):
    workshop = get_workshop_or_403(workshop_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    raw = staging.take(form.token.data, _import_scope(workshop))
    if raw is None:
        flash(_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."), "error")
        return redirect(url_for("workshops.import_csv", workshop_id=workshop.id), code=303)
    try:
        preview = imports.apply_import(db.session(), current_user, workshop, raw)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("workshops.import_csv", workshop_id=workshop.id), code=303)
    if not preview.ok:
        db.rollback()
        flash(_("Impor dibatalkan: data berubah sejak pratinjau. Tidak ada yang disimpan."), "error")
        return render("workshops/import.html", workshop=workshop, form=ImportForm(), preview=preview, error=None,
                      confirm_form=None, token=None, status=422)
    db.after_commit(db.session(), staging.discard, form.token.data)
    flash(_("%(n)d peserta diimpor.", n=len(preview.rows)), "success")
    return redirect(url_for("workshops.manage", workshop_id=workshop.id), code=303)


@bp.get("/<int:workshop_id>/impor/templat", defaults={"fmt": "xlsx"})  # (.xlsx redirects here)
@bp.get("/<int:workshop_id>/impor/templat.<fmt>")
@requires("workshop.manage")
def import_template(workshop_id, fmt):
    get_workshop_or_403(workshop_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    return tabular.download(imports.template(fmt), "templat-impor-peserta", fmt)


# --- attendance --------------------------------------------------------------------------------------------------

def _roster_context(workshop, ws_session):
    session = db.session()
    return {"workshop": workshop, "ws_session": ws_session, "rows": services.roster(session, workshop, ws_session),
            "sessions": services.workshop_sessions(session, workshop.id), "form": EmptyForm()}


@bp.get("/<int:workshop_id>/sesi/<int:session_id>/presensi")
@requires("workshop.manage")
def roster(workshop_id, session_id):
    workshop = get_workshop_or_403(workshop_id)
    ws_session = _session_or_404(workshop, session_id)
    return render("workshops/roster.html", block="roster", **_roster_context(workshop, ws_session))


@bp.post("/<int:workshop_id>/sesi/<int:session_id>/presensi/<int:participant_id>")
@requires("workshop.manage")
def mark(workshop_id, session_id, participant_id):
    session = db.session()
    workshop = get_workshop_or_403(workshop_id)
    ws_session = _session_or_404(workshop, session_id)
    participant = _participant_or_404(workshop, participant_id)
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.mark(session, current_user, workshop, ws_session, participant, form.status.data, form.note.data)
    except DomainError as error:
        session.rollback()
        if not is_htmx():
            flash(error.message, "error")
    if is_htmx():
        item = next((r for r in services.roster(session, workshop, ws_session) if r[0].participant.id
                     == participant.id), None)
        if item is None:
            abort(404)
        return render("workshops/roster.html", block="roster_row", item=item, workshop=workshop,
                      ws_session=ws_session, form=EmptyForm())
    return redirect(url_for("workshops.roster", workshop_id=workshop.id, session_id=ws_session.id)
                    + f"#p{participant.id}", code=303)


@bp.post("/<int:workshop_id>/sesi/<int:session_id>/semua-hadir")
@requires("workshop.manage")
def mark_all(workshop_id, session_id):
    workshop = get_workshop_or_403(workshop_id)
    ws_session = _session_or_404(workshop, session_id)
    if EmptyForm().validate_on_submit():
        count = services.mark_all_present(db.session(), current_user, workshop, ws_session)
        if not is_htmx():
            flash(_("%(n)d peserta ditandai hadir.", n=count), "success")
    if is_htmx():
        return render("workshops/roster.html", block="roster", **_roster_context(workshop, ws_session))
    return redirect(url_for("workshops.roster", workshop_id=workshop.id, session_id=ws_session.id), code=303)


def _checkin_url(token):
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")
    return base + url_for("workshops.checkin", token=token)


@bp.get("/<int:workshop_id>/sesi/<int:session_id>/qr")
@requires("workshop.manage")
def qr(workshop_id, session_id):
    workshop = get_workshop_or_403(workshop_id)
    ws_session = _session_or_404(workshop, session_id)
    window = services.in_window(ws_session)
    url = svg = None
    if window:
        url = _checkin_url(services.make_token(current_app.config["SECRET_KEY"], ws_session.id))
        qr_code = segno.make(url, error="m")
        # segno's own SVG markup; the URL inside is escaped by segno
        svg = Markup(qr_code.svg_inline(scale=6, border=2, dark="#1c2430", light="#ffffff",  # noqa: S704
                                        title=_("Kode QR presensi")))
    return render("workshops/qr.html", block="qr", workshop=workshop, ws_session=ws_session, window=window,
                  url=url, svg=svg, checkin_window=services.checkin_window(ws_session))


@bp.get("/<int:workshop_id>/sesi/<int:session_id>/daftar-hadir")
@requires("workshop.manage")
def sign_sheet(workshop_id, session_id):
    workshop = get_workshop_or_403(workshop_id)
    ws_session = _session_or_404(workshop, session_id)
    return render("workshops/sign_sheet.html", workshop=workshop, ws_session=ws_session,
                  rows=services.participant_rows(db.session(), workshop.id, ("registered",)),
                  trainers=services.trainers(db.session(), workshop.id))


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@requires("workshop.register")
def checkin(token):
    session = db.session()
    secret = current_app.config["SECRET_KEY"]
    error = done = None
    workshop = ws_session = None
    try:
        workshop, ws_session = services.token_target(session, secret, token)
        if request.method == "POST":
            if not EmptyForm().validate_on_submit():
                abort(400)
            done = services.check_in_employee(session, current_user, secret, token)
    except DomainError as exc:
        session.rollback()
        error = exc.message
    status = 200 if not error else (422 if request.method == "POST" or workshop is None else 200)
    if workshop is None:
        status = 400 if request.method == "GET" else 422
    return render("workshops/checkin.html", workshop=workshop, ws_session=ws_session, error=error, done=done,
                  token=token, form=EmptyForm(), status=status)


# --- guests (public, by personal code) ----------------------------------------------------------------------------

def _guest_or_404(code):
    participant = services.participant_by_code(db.session(), code)
    if participant is None or participant.status == "cancelled":
        abort(404)
    return participant


@bp.route("/hadir/<code>", methods=["GET", "POST"])
@public
@limiter.limit(GUEST_LIMIT)
def guest(code):
    session = db.session()
    participant = _guest_or_404(code)
    workshop = session.get(services.Workshop, participant.workshop_id)
    error = done = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            done = services.check_in_guest(session, participant)
        except DomainError as exc:
            session.rollback()
            error = exc.message
    return render("workshops/guest.html", participant=participant, workshop=workshop,
                  name=services.display_name(session, participant),
                  current=services.current_session(session, workshop.id),
                  sessions=services.workshop_sessions(session, workshop.id),
                  certificate=services.certificate_of(session, participant), error=error, done=done,
                  form=EmptyForm(), status=422 if error else 200)


@bp.get("/hadir/<code>/sertifikat")
@public
@limiter.limit(GUEST_LIMIT)
def guest_certificate(code):
    participant = _guest_or_404(code)
    certificate = services.certificate_of(db.session(), participant)
    if certificate is None:
        abort(404)
    workshop = db.session().get(services.Workshop, participant.workshop_id)
    return render("workshops/certificate.html", workshop=workshop, certificate=certificate,
                  display_code=certificates.format_code(certificate.code))


# --- completion, reports, exports ---------------------------------------------------------------------------------

@bp.post("/<int:workshop_id>/sertifikat/terbitkan")
@requires("workshop.manage")
def issue(workshop_id):
    workshop = get_workshop_or_403(workshop_id)
    if EmptyForm().validate_on_submit():
        count = services.issue_certificates(db.session(), current_user, workshop)
        flash(_("%(n)d sertifikat baru diterbitkan.", n=count) if count else
              _("Tidak ada sertifikat baru: semua yang memenuhi syarat sudah menerimanya."), "success")
    return redirect_after_post(url_for("workshops.report", workshop_id=workshop.id))


def _report_scope(workshop):
    scope = workshop_report_scope(current_user, workshop)
    if scope is False:
        abort(403)
    return scope


@bp.get("/<int:workshop_id>/laporan")
@requires("workshop.report")
def report(workshop_id):
    session = db.session()
    workshop = get_workshop_or_403(workshop_id, manage=False)
    scope = _report_scope(workshop)
    rows = services.completions(session, workshop, scope)
    return render("workshops/report.html", workshop=workshop, rows=rows, scoped=scope is not None,
                  session_rates=services.session_rates(session, workshop, scope), units=services.unit_rates(rows),
                  average_gain=services.average_gain(rows), manages=scope is None and can_manage_workshop(
                      current_user, workshop), form=EmptyForm())


@bp.get("/<int:workshop_id>/ekspor/<kind>.<fmt>")
@requires("workshop.report")
def export(workshop_id, kind, fmt):
    workshop = get_workshop_or_403(workshop_id, manage=False)
    if kind not in ("peserta", "presensi") or fmt not in ("csv", "xlsx"):
        abort(404)
    scope = _report_scope(workshop)  # a supervisor gets only their unit tree's employees (no guests' contacts)
    header, rows, widths = services.export_table(db.session(), workshop, kind, scope)
    return exports.download(exports.columns(header, widths), rows, fmt, f"pelatihan-{workshop.id}-{kind}", kind)

