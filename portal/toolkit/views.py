"""Toolkit (Perangkat Humas): employees search and use approved photos, regulations and answer templates; humas
create, edit and submit them; admins and humas of the Biro Hubungan Masyarakat approve."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db, uploads
from portal.errors import DomainError
from portal.forms import attach_error
from portal.htmx import is_htmx, redirect_after_post, render
from portal.models import ToolkitItem
from portal.models.toolkit import KINDS, STATUSES
from portal.permissions import can_edit_toolkit, is_central_humas, requires, requires_row
from portal.toolkit import services
from portal.toolkit.forms import FORMS, EmptyForm, RejectForm, use_form

bp = Blueprint("toolkit", __name__)
KIND_TITLES = services.KIND_LABELS


def _int_arg(name, default=None, low=1, high=db.MAX_INT):
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return default
    return value if low <= value <= high else default


def _query():
    editor = services.is_editor(current_user)
    tags = []
    for raw in request.args.getlist("tag")[:5]:
        tag = services.normalise_tag(raw)
        if tag and tag not in tags:
            tags.append(tag)
    kind = request.args.get("kind")
    status = request.args.get("status")
    sort = request.args.get("sort", "")
    return services.Query(
        q=services.clean_text(request.args.get("q", "")).strip()[:200],
        kind=kind if kind in KINDS else None,
        tags=tuple(tags),
        unit_id=_int_arg("unit"),
        year=_int_arg("year", low=1900, high=2100),
        status=status if editor and status in STATUSES else None,
        sort=sort if sort in services.SORTS else "",
        page=_int_arg("page", 1),
        facets=request.args.get("facets") != "0",
    )


def _item_or_404(item_id):
    """The item if the signed-in user may see it: employees only approved, still valid items (else 404)."""
    item = services.viewable_item(db.session(), current_user, item_id)
    if item is None:
        abort(404)
    return item


def _editable_item(item_id):
    item = db.session().get(ToolkitItem, item_id) or abort(404)
    requires_row(can_edit_toolkit(current_user, item))
    return item


# --- employees: search, read, download, use -----------------------------------------------------------------------

@bp.get("/")
@requires("toolkit.view")
def index():
    query = _query()
    found = services.search_items(db.session(), current_user, query)
    return render("toolkit/index.html", block="results", query=query, found=found,
                  editor=services.is_editor(current_user), kind_titles=KIND_TITLES, hx=is_htmx())


@bp.get("/item/<int:item_id>")
@requires("toolkit.view")
def item(item_id):
    return _render_item(_item_or_404(item_id))


def _render_item(item, reject_form=None, status=200):
    session = db.session()
    detail = services.item_detail(session, current_user, item)
    editor = services.is_editor(current_user)
    return render(
        "toolkit/item.html", detail=detail, item=item, editor=editor, form=EmptyForm(),
        reject_form=reject_form or RejectForm(), kind_titles=KIND_TITLES,
        can_edit=editor and can_edit_toolkit(current_user, item, session),
        can_archive=editor and (can_edit_toolkit(current_user, item, session)
                                or is_central_humas(current_user, session)),
        can_decide=editor and services.approval_problem(session, current_user, item) is None,
        decide_problem=services.approval_problem(session, current_user, item) if editor else None,
        delete_problem=services.delete_problem(session, current_user, item) if editor else True,
        visible=services.is_visible(item), status=status,
        body_html=services.body_html(detail.template.body) if detail.template else None,
    )


@bp.get("/item/<int:item_id>/berkas/<variant>")
@requires("toolkit.view")
def file(item_id, variant):
    """A stored file of a visible item, inline (images, PDF) or, with ?unduh=1, as a download."""
    session = db.session()
    item = _item_or_404(item_id)
    try:
        found = services.item_file(session, current_user, item, variant)
        if found is None or not uploads.absolute(found.path).is_file():
            abort(404)
    except (OSError, DomainError):
        abort(404)
    return uploads.send_stored(found.path, found.mime, found.download_name,
                               as_attachment=request.args.get("unduh") == "1")


@bp.post("/item/<int:item_id>/unduh/<variant>")
@requires("toolkit.view")
def download(item_id, variant):
    """Count a download (a POST: no state change on GET), then send the browser to the file."""
    session = db.session()
    item = _item_or_404(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if variant == "persetujuan":
        abort(404)
    try:
        found = services.item_file(session, current_user, item, variant)
    except (OSError, DomainError):
        found = None
    if found is None:
        abort(404)
    services.count_download(session, item.id)
    return redirect(url_for("toolkit.file", item_id=item.id, variant=variant, unduh=1), code=303)


@bp.route("/item/<int:item_id>/gunakan", methods=["GET", "POST"])
@requires("toolkit.view")
def use(item_id):
    """Fill an answer template's placeholders; every filled text counts as one use."""
    session = db.session()
    item = _item_or_404(item_id)
    if item.kind != "template":
        abort(404)
    detail = services.item_detail(session, current_user, item)
    names = detail.placeholders
    form = use_form(names, {name: services.placeholder_label(name) for name in names})
    filled = None
    if form.validate_on_submit():
        try:
            filled = services.use_template(session, item, {name: form[f"isi_{name}"].data for name in names})
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 422 if request.method == "POST" and filled is None and not is_htmx() else 200
    return render("toolkit/use.html", block="use_area", detail=detail, item=item, form=form, names=names,
                  filled=filled, kind_titles=KIND_TITLES, body_html=services.body_html(detail.template.body),
                  status=status)


# --- humas: work list, create, edit -------------------------------------------------------------------------------

@bp.get("/kelola")
@requires("toolkit.edit")
def manage():
    session = db.session()
    return render("toolkit/manage.html", work=services.worklist(session, current_user), kind_titles=KIND_TITLES,
                  central=is_central_humas(current_user, session), status_labels=services.STATUS_LABELS)


def _prepare(form, kind, item):
    session = db.session()
    form.owner_unit_id.choices = [(u.id, f"{'· ' * u.depth}{u.name}")
                                  for u in services.units_for_owner(session, current_user)]
    if form.owner_unit_id.data is None:
        form.owner_unit_id.data = item.owner_unit_id if item else current_user.unit_id
    if kind == "regulation":
        form.description.label.text = _("Ringkasan")
    if kind in ("regulation", "template"):
        choices = services.regulation_choices(session, exclude_id=item.id if item else None)
        for name in ("amends", "revokes") if kind == "regulation" else ("cites",):
            form[name].choices = choices


def _values(form):
    skip = {"csrf_token", "photo", "consent_doc", "pdf"}
    return {name: f.data for name, f in form._fields.items() if name not in skip}


def _read(storage):
    if storage is None or not getattr(storage, "filename", ""):
        return None
    return storage.read()


def _files(form, kind):
    if kind == "photo":
        raw = _read(form.photo.data)
        return {"photo": (raw, form.photo.data.filename) if raw is not None else None,
                "consent": _read(form.consent_doc.data)}
    if kind == "regulation":
        return {"pdf": _read(form.pdf.data)}
    return {}


@bp.route("/baru/<kind>", methods=["GET", "POST"])
@requires("toolkit.edit")
def new(kind):
    if kind not in KINDS:
        abort(404)
    session = db.session()
    form = FORMS[kind]()
    _prepare(form, kind, None)
    if form.validate_on_submit():
        try:
            saved = services.save_item(session, current_user, kind, _values(form), _files(form, kind))
        except DomainError as error:
            attach_error(form, error, "title")
        else:
            flash(_("Tersimpan sebagai draf. Ajukan bila sudah siap untuk disetujui."), "success")
            return redirect(url_for("toolkit.item", item_id=saved.id), code=303)
    return render("toolkit/form.html", form=form, kind=kind, item=None, kind_titles=KIND_TITLES,
                  status=422 if form.errors else 200)


@bp.route("/item/<int:item_id>/ubah", methods=["GET", "POST"])
@requires("toolkit.edit")
def edit(item_id):
    session = db.session()
    item = _editable_item(item_id)
    if item.status == "diarsipkan":
        flash(_("Item yang diarsipkan tidak dapat diubah. Pulihkan dulu sebagai draf."), "error")
        return redirect(url_for("toolkit.item", item_id=item.id), code=303)
    form = FORMS[item.kind](data=services.form_values(session, item)) if request.method == "GET" \
        else FORMS[item.kind]()
    _prepare(form, item.kind, item)
    if form.validate_on_submit():
        was = item.status
        try:
            services.save_item(session, current_user, item.kind, _values(form), _files(form, item.kind), item=item)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "title")
        else:
            if was == "draf":
                flash(_("Perubahan disimpan."), "success")
            else:
                flash(_("Perubahan disimpan. Item kembali menjadi draf: ajukan lagi agar disetujui."), "warning")
            return redirect(url_for("toolkit.item", item_id=item.id), code=303)
    return render("toolkit/form.html", form=form, kind=item.kind, item=item, kind_titles=KIND_TITLES,
                  status=422 if form.errors else 200)


# --- workflow -----------------------------------------------------------------------------------------------------

def _transition(item, action, message):
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = db.session()
    try:
        action(session, current_user, item)
    except DomainError as error:
        session.rollback()
        flash(error.message, "error")
    else:
        flash(message, "success")
    return redirect_after_post(url_for("toolkit.item", item_id=item.id))


@bp.post("/item/<int:item_id>/ajukan")
@requires("toolkit.edit")
def submit(item_id):
    return _transition(_editable_item(item_id), services.submit,
                       _("Diajukan. Humas Biro Hubungan Masyarakat atau admin akan memeriksanya."))


@bp.post("/item/<int:item_id>/tarik")
@requires("toolkit.edit")
def withdraw(item_id):
    return _transition(_editable_item(item_id), services.withdraw, _("Pengajuan ditarik; item kembali menjadi draf."))


@bp.post("/item/<int:item_id>/setujui")
@requires("toolkit.approve")
def approve(item_id):
    session = db.session()
    item = session.get(ToolkitItem, item_id) or abort(404)
    requires_row(is_central_humas(current_user, session))
    return _transition(item, services.approve, _("Disetujui. Item ini kini tampil bagi seluruh pegawai."))


@bp.post("/item/<int:item_id>/tolak")
@requires("toolkit.approve")
def reject(item_id):
    session = db.session()
    item = session.get(ToolkitItem, item_id) or abort(404)
    requires_row(is_central_humas(current_user, session))
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject(session, current_user, item, form.reason.data)
        except DomainError as error:
            session.rollback()
            if error.field == "reason":
                form.reason.errors = [error.message]
            else:
                flash(error.message, "error")
                return redirect_after_post(url_for("toolkit.item", item_id=item.id))
        else:
            flash(_("Ditolak. Pengaju melihat alasan Anda pada halaman item."), "success")
            return redirect_after_post(url_for("toolkit.item", item_id=item.id))
    return _render_item(item, reject_form=form, status=422)


@bp.post("/item/<int:item_id>/arsipkan")
@requires("toolkit.edit")
def archive(item_id):
    session = db.session()
    item = session.get(ToolkitItem, item_id) or abort(404)
    requires_row(can_edit_toolkit(current_user, item, session) or is_central_humas(current_user, session))
    return _transition(item, services.archive, _("Diarsipkan. Item ini tidak lagi tampil bagi pegawai."))


@bp.post("/item/<int:item_id>/pulihkan")
@requires("toolkit.edit")
def restore(item_id):
    return _transition(_editable_item(item_id), services.restore, _("Dipulihkan sebagai draf."))


@bp.post("/item/<int:item_id>/hapus")
@requires("toolkit.edit")
def delete(item_id):
    session = db.session()
    item = _editable_item(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.delete_draft(session, current_user, item)
    except DomainError as error:
        session.rollback()
        flash(error.message, "error")
        return redirect_after_post(url_for("toolkit.item", item_id=item.id))
    flash(_("Draf dihapus beserta berkasnya."), "success")
    return redirect_after_post(url_for("toolkit.manage"))
