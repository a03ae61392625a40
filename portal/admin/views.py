"""Administration: users, units, CSV imports and the audit log."""

import math

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit, db, jobs, privacy, staging, tabular
from portal.accounts import imports, services, sessions, user_search
from portal.accounts.access import get_unit_or_404, get_user_or_404
from portal.admin import queries
from portal.admin.forms import (
    ROLE_LABELS,
    AnonymiseForm,
    ConfirmImportForm,
    ImportForm,
    PersonalDataForm,
    ResetPasswordForm,
    UnitForm,
    UserForm,
)
from portal.forms import EmptyForm, form_status, int_arg, perform
from portal.htmx import render
from portal.i18n import ngettext
from portal.jobs.access import get_own_job_or_404
from portal.models import ROLES
from portal.permissions import requires

bp = Blueprint("admin", __name__)

IMPORT_KINDS = {"users": (imports.preview_users, imports.apply_users),
                "units": (imports.preview_units, imports.apply_units)}


@bp.get("/")
@requires("admin.access")
def index():
    return render("admin/index.html", stats=queries.overview(db.session()))


# --- users -------------------------------------------------------------------------------------------------------

@bp.get("/users")
@requires("admin.users")
def users():
    session = db.session()
    q = request.args.get("q", "").strip()[:100]
    unit_id = int_arg("unit")
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    page = max(int_arg("page", 1), 1)
    per_page = current_app.config["PAGE_SIZE"]
    found, total = user_search.search_users(session, q, unit_id, role, active, page, per_page)
    return render(
        "admin/users.html", block="results",
        users=found, total=total, more_than=user_search.COUNT_CAP if total > user_search.COUNT_CAP else None,
        page=page, pages=max(math.ceil(total / per_page), 1),
        filters={"q": q, "unit": unit_id, "role": role, "active": request.args.get("active", "")},
        unit_choices=services.unit_choices(session),
        role_labels={role: str(label) for role, label in ROLE_LABELS.items()},  # translated once, not per row
    )


def _user_form(user=None, formdata=True):
    form = UserForm(obj=user) if formdata else UserForm(formdata=None, obj=user)
    form.unit_id.choices = services.unit_choices(db.session())
    if user is not None and (request.method == "GET" or not formdata):
        form.roles.data = sorted(user.roles - {"employee"})
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def user_new():
    form = _user_form()
    if form.validate_on_submit() and (done := perform(
            services.create_user, db.session(), current_user, form.username.data, form.full_name.data,
            form.unit_id.data, roles=form.roles.data, nip=form.nip.data, email=form.email.data,
            password=form.password.data or None, form=form, field="username")):
        flash(_("Pengguna %(name)s ditambahkan.", name=done.value.full_name), "success")
        return redirect(url_for("admin.user_edit", user_id=done.value.id), code=303)
    return render("admin/user_form.html", form=form, user=None, status=form_status(form))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("admin.users")
def user_edit(user_id):
    user = get_user_or_404(user_id)
    form = _user_form(user)
    if form.validate_on_submit() and perform(
            services.update_user, db.session(), current_user, user, form.username.data, form.full_name.data,
            form.unit_id.data, form.roles.data, nip=form.nip.data, email=form.email.data, active=form.active.data,
            form=form, field="username"):
        flash(_("Perubahan untuk %(name)s disimpan.", name=user.full_name), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id), code=303)
    del form.password
    return _user_page(user, form, status=form_status(form))


def _user_page(user, form=None, anonymise_form=None, status=200):
    """The user's page; `form`/`anonymise_form` carry the errors of the form that was posted, if any."""
    if form is None:
        form = _user_form(user, formdata=False)
        del form.password
    return render("admin/user_form.html", form=form, user=user, reset_form=ResetPasswordForm(),
                  data_form=PersonalDataForm(formdata=None),
                  anonymise_form=anonymise_form or AnonymiseForm(formdata=None),
                  live_sessions=len(sessions.live_sessions(db.session(), user.id)), status=status)


@bp.post("/users/<int:user_id>/reset-password")
@requires("admin.users")
def user_reset_password(user_id):
    user = get_user_or_404(user_id)
    if not ResetPasswordForm().validate_on_submit():
        abort(400)
    password = services.reset_password(db.session(), current_user, user)
    # Shown once on this response (not flashed: the session cookie is signed, not encrypted).
    return render("admin/password_reset.html", user=user, password=password)


@bp.post("/users/<int:user_id>/end-sessions")
@requires("admin.users")
def user_end_sessions(user_id):
    user = get_user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        count = services.end_all_sessions(db.session(), current_user, user)
        flash(ngettext("%(num)s sesi %(name)s diakhiri.", "%(num)s sesi %(name)s diakhiri.", count,
                       name=user.full_name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id), code=303)


@bp.post("/users/<int:user_id>/data-pribadi")
@requires("admin.privacy")
def user_personal_data(user_id):
    """One person's data as a download (a POST: the export is recorded in the audit log)."""
    user = get_user_or_404(user_id)
    form = PersonalDataForm()
    if not form.validate_on_submit():
        abort(400)
    result = privacy.export(db.session(), current_user, user, form.fmt.data)
    return current_app.response_class(result.body, mimetype=result.mimetype, headers={
        "Content-Disposition": f'attachment; filename="{result.filename}"', "Cache-Control": "no-store"})


@bp.post("/users/<int:user_id>/anonimkan")
@requires("admin.privacy")
def user_anonymise(user_id):
    user = get_user_or_404(user_id)
    form = AnonymiseForm()
    if form.validate_on_submit():
        if form.confirm.data.strip() != user.username:
            form.confirm.errors = [*form.confirm.errors, _("Nama pengguna yang diketik tidak cocok.")]
        elif perform(privacy.anonymise, db.session(), current_user, user, form=form, field="confirm"):
            flash(_("Data pribadi akun ini telah dianonimkan."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id), code=303)
    return _user_page(user, anonymise_form=form, status=form_status(form))


# --- units -------------------------------------------------------------------------------------------------------

@bp.get("/units")
@requires("admin.units")
def units():
    session = db.session()
    return render("admin/units.html", children=services.unit_children(session),
                  members=services.unit_member_counts(session))


def _unit_form(unit=None):
    form = UnitForm(obj=unit)
    choices = [(0, _("— tanpa induk (unit teratas) —"))]
    for unit_id, label in services.unit_choices(db.session()):
        if unit is None or unit_id != unit.id:
            choices.append((unit_id, label))
    form.parent_id.choices = choices
    if unit is not None and request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
    return form


@bp.route("/units/new", methods=["GET", "POST"])
@requires("admin.units")
def unit_new():
    form = _unit_form()
    if request.method == "GET" and (parent := int_arg("parent")):
        form.parent_id.data = parent
    if form.validate_on_submit() and (done := perform(
            services.create_unit, db.session(), current_user, form.code.data, form.name.data,
            form.parent_id.data or None, form=form, field="code")):
        flash(_("Unit %(name)s ditambahkan.", name=done.value.name), "success")
        return redirect(url_for("admin.units"), code=303)
    return render("admin/unit_form.html", form=form, unit=None, status=form_status(form))


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@requires("admin.units")
def unit_edit(unit_id):
    unit = get_unit_or_404(unit_id)
    form = _unit_form(unit)
    if form.validate_on_submit() and perform(
            services.update_unit, db.session(), current_user, unit, form.code.data, form.name.data,
            form.parent_id.data or None, form=form, field="code"):
        flash(_("Unit %(name)s disimpan.", name=unit.name), "success")
        return redirect(url_for("admin.units"), code=303)
    return render("admin/unit_form.html", form=form, unit=unit, status=form_status(form))


# --- imports -----------------------------------------------------------------------------------------------------

@bp.route("/import/<kind>", methods=["GET", "POST"])
@requires("admin.users", "admin.units")
def import_csv(kind):
    if kind not in IMPORT_KINDS:
        abort(404)
    preview_fn, _apply = IMPORT_KINDS[kind]
    form = ImportForm()
    staged = staging.Staged()
    if form.validate_on_submit():
        raw = form.file.data.read()
        if staging.is_large(raw):  # checked by the job worker; its page leads back here with the preview
            job = staging.queue_preview(db.session(), raw, kind, f"preview.{kind}")
            return redirect(url_for("jobs.status", job_id=job.id), code=303)
        staged = staging.stage(raw, kind, lambda raw: preview_fn(db.session(), raw, current_user))
    elif request.method == "GET" and (job_id := int_arg("job")):
        staged = staging.preview_of_job(get_own_job_or_404(job_id), kind)
    rejected = staged.error or (staged.preview and not staged.preview.ok)
    return _import_page(kind=kind, form=form, preview=staged.preview, error=staged.error,
                        token=staged.token, confirm_form=ConfirmImportForm(token=staged.token),
                        status=422 if rejected else form_status(form))


def _import_page(**context):
    return render("admin/import.html", role_labels=ROLE_LABELS, role_order=ROLES, **context)


@bp.post("/import/<kind>/confirm")
@requires("admin.users", "admin.units")
def import_confirm(kind):
    if kind not in IMPORT_KINDS:
        abort(404)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    raw = staging.take(form.token.data, kind)
    if raw is None:
        flash(_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."), "error")
        return redirect(url_for("admin.import_csv", kind=kind), code=303)
    if tabular.estimate_rows(raw) > current_app.config["IMPORT_JOB_MIN_ROWS"]:  # large: the job worker applies it
        job = jobs.enqueue(db.session(), f"import.{kind}", current_user, token=form.token.data)
        return redirect(url_for("jobs.status", job_id=job.id), code=303)
    _preview, apply_fn = IMPORT_KINDS[kind]
    outcome = perform(apply_fn, db.session(), current_user, raw)
    if not outcome:
        return redirect(url_for("admin.import_csv", kind=kind), code=303)
    preview = outcome.value
    if not preview.ok:
        db.rollback()
        flash(_("Impor dibatalkan: data berubah sejak pratinjau. Tidak ada yang disimpan."), "error")
        return _import_page(kind=kind, form=ImportForm(), preview=preview, error=None, token=None,
                            confirm_form=None, status=422)
    staging.discard(form.token.data)
    flash(_("Impor selesai: %(created)d baru, %(updated)d diperbarui, %(same)d tidak berubah.",
            created=preview.count("create"), updated=preview.count("update"), same=preview.count("same")), "success")
    return redirect(url_for("admin.users" if kind == "users" else "admin.units"), code=303)


@bp.get("/import/<kind>/template.<fmt>")
@requires("admin.users", "admin.units")
def import_template(kind, fmt):
    """An empty file to fill in (XLSX with text-formatted columns, or CSV as Indonesian Excel writes it)."""
    if kind not in IMPORT_KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    return tabular.download(imports.template(kind, fmt), f"templat-impor-{kind}", fmt)


# --- audit log ---------------------------------------------------------------------------------------------------

@bp.get("/audit")
@requires("admin.audit")
def audit_log():
    page = max(int_arg("page", 1), 1)
    action = request.args.get("action", "").strip()[:60]
    per_page = 50
    entries, total = queries.audit_entries(db.session(), action=action, page=page, per_page=per_page)
    return render("admin/audit.html", block="results", entries=entries, total=total, page=page,
                  pages=max(math.ceil(total / per_page), 1), action=action,
                  actions=queries.audit_actions(db.session()), action_label=audit.action_label)
