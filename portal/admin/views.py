"""Administration: users, units, CSV imports and the audit log."""

import math
import re
import secrets
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.accounts import imports, services
from portal.admin import queries
from portal.admin.forms import ROLE_LABELS, ConfirmImportForm, ImportForm, ResetPasswordForm, UnitForm, UserForm
from portal.errors import DomainError
from portal.forms import attach_error
from portal.htmx import render
from portal.models import ROLES, Unit, User
from portal.permissions import requires

bp = Blueprint("admin", __name__)

IMPORT_KINDS = {"users": (imports.preview_users, imports.apply_users),
                "units": (imports.preview_units, imports.apply_units)}


def _int_arg(name, default=None):
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return default
    return value if abs(value) <= db.MAX_INT else default


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
    unit_id = _int_arg("unit")
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    page = max(_int_arg("page", 1), 1)
    per_page = current_app.config["PAGE_SIZE"]
    found, total = services.search_users(session, q, unit_id, role, active, page, per_page)
    return render(
        "admin/users.html", block="results",
        users=found, total=total, page=page, pages=max(math.ceil(total / per_page), 1),
        filters={"q": q, "unit": unit_id, "role": role, "active": request.args.get("active", "")},
        unit_choices=services.unit_choices(session), role_labels=ROLE_LABELS,
    )


def _user_form(user=None):
    form = UserForm(obj=user)
    form.unit_id.choices = services.unit_choices(db.session())
    if user is not None and request.method == "GET":
        form.roles.data = sorted(user.roles - {"employee"})
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def user_new():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session(), current_user, form.username.data, form.full_name.data, form.unit_id.data,
                roles=form.roles.data, nip=form.nip.data, email=form.email.data, password=form.password.data or None,
            )
        except DomainError as error:
            db.session().rollback()
            attach_error(form, error, "username")
        else:
            flash(_("Pengguna %(name)s ditambahkan.", name=user.full_name), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id), code=303)
    return render("admin/user_form.html", form=form, user=None, status=422 if form.errors else 200)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("admin.users")
def user_edit(user_id):
    session = db.session()
    user = session.get(User, user_id) or abort(404)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            services.update_user(session, current_user, user, form.username.data, form.full_name.data,
                                 form.unit_id.data, form.roles.data, nip=form.nip.data, email=form.email.data,
                                 active=form.active.data)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "username")
        else:
            flash(_("Perubahan untuk %(name)s disimpan.", name=user.full_name), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id), code=303)
    del form.password
    return render("admin/user_form.html", form=form, user=user, reset_form=ResetPasswordForm(),
                  status=422 if form.errors else 200)


@bp.post("/users/<int:user_id>/reset-password")
@requires("admin.users")
def user_reset_password(user_id):
    session = db.session()
    user = session.get(User, user_id) or abort(404)
    if not ResetPasswordForm().validate_on_submit():
        abort(400)
    password = services.reset_password(session, current_user, user)
    # Shown once on this response (not flashed: the session cookie is signed, not encrypted).
    return render("admin/password_reset.html", user=user, password=password)


# --- units -------------------------------------------------------------------------------------------------------

@bp.get("/units")
@requires("admin.units")
def units():
    session = db.session()
    return render("admin/units.html", units=services.all_units(session),
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
    if request.method == "GET" and (parent := _int_arg("parent")):
        form.parent_id.data = parent
    if form.validate_on_submit():
        try:
            unit = services.create_unit(db.session(), current_user, form.code.data, form.name.data,
                                        form.parent_id.data or None)
        except DomainError as error:
            db.session().rollback()
            attach_error(form, error, "code")
        else:
            flash(_("Unit %(name)s ditambahkan.", name=unit.name), "success")
            return redirect(url_for("admin.units"), code=303)
    return render("admin/unit_form.html", form=form, unit=None, status=422 if form.errors else 200)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@requires("admin.units")
def unit_edit(unit_id):
    session = db.session()
    unit = session.get(Unit, unit_id) or abort(404)
    form = _unit_form(unit)
    if form.validate_on_submit():
        try:
            services.update_unit(session, current_user, unit, form.code.data, form.name.data,
                                 form.parent_id.data or None)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "code")
        else:
            flash(_("Unit %(name)s disimpan.", name=unit.name), "success")
            return redirect(url_for("admin.units"), code=303)
    return render("admin/unit_form.html", form=form, unit=unit, status=422 if form.errors else 200)


# --- imports -----------------------------------------------------------------------------------------------------

def _import_dir():
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@bp.route("/import/<kind>", methods=["GET", "POST"])
@requires("admin.users", "admin.units")
def import_csv(kind):
    if kind not in IMPORT_KINDS:
        abort(404)
    preview_fn, _apply = IMPORT_KINDS[kind]
    form = ImportForm()
    preview = error = token = None
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            preview = preview_fn(db.session(), raw)
        except DomainError as exc:
            error = exc.message
        else:
            if preview.ok:
                # Keep the checked file on the server for the confirm step; the token is bound to this admin.
                token = f"{current_user.id}-{secrets.token_hex(16)}"
                (_import_dir() / f"{token}.csv").write_bytes(raw)
    status = 422 if (error or (preview and not preview.ok) or (request.method == "POST" and form.errors)) else 200
    return render("admin/import.html", kind=kind, form=form, preview=preview, error=error, token=token,
                  confirm_form=ConfirmImportForm(token=token), status=status)


@bp.post("/import/<kind>/confirm")
@requires("admin.users", "admin.units")
def import_confirm(kind):
    if kind not in IMPORT_KINDS:
        abort(404)
    form = ConfirmImportForm()
    token = form.token.data or ""
    if not form.validate_on_submit() or not re.fullmatch(rf"{current_user.id}-[0-9a-f]{{32}}", token):
        abort(400)
    path = _import_dir() / f"{token}.csv"
    if not path.exists():
        flash(_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."), "error")
        return redirect(url_for("admin.import_csv", kind=kind), code=303)
    _preview, apply_fn = IMPORT_KINDS[kind]
    try:
        preview = apply_fn(db.session(), current_user, path.read_bytes())
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.import_csv", kind=kind), code=303)
    path.unlink(missing_ok=True)
    if not preview.ok:
        flash(_("Impor dibatalkan: data berubah sejak pratinjau. Tidak ada yang disimpan."), "error")
        return render("admin/import.html", kind=kind, form=ImportForm(), preview=preview, error=None, token=None,
                      confirm_form=None, status=422)
    flash(_("Impor selesai: %(created)d baru, %(updated)d diperbarui, %(same)d tidak berubah.",
            created=preview.count("create"), updated=preview.count("update"), same=preview.count("same")), "success")
    return redirect(url_for("admin.users" if kind == "users" else "admin.units"), code=303)


# --- audit log ---------------------------------------------------------------------------------------------------

@bp.get("/audit")
@requires("admin.audit")
def audit_log():
    page = max(_int_arg("page", 1), 1)
    action = request.args.get("action", "").strip()[:60]
    per_page = 50
    entries, total = queries.audit_entries(db.session(), action=action, page=page, per_page=per_page)
    return render("admin/audit.html", block="results", entries=entries, total=total, page=page,
                  pages=max(math.ceil(total / per_page), 1), action=action,
                  actions=queries.audit_actions(db.session()))
