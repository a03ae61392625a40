"""Toolkit (Perangkat Humas): employees search and use approved photos, regulations and answer templates; humas
create, edit and submit them; admins and humas of the Biro Hubungan Masyarakat approve.

Views parse the request, load the item through portal/toolkit/access.py, make one service call and render."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal import cache, db, uploads
from portal.errors import DomainError
from portal.forms import EmptyForm, form_status, int_arg, perform
from portal.htmx import is_htmx, redirect_after_post, render
from portal.models.toolkit import CHANNELS, KINDS, LEGAL_STATUSES, REGULATION_TYPES, STATUSES
from portal.permissions import requires
from portal.toolkit import access, answer_templates, editing, files, finder, item_page, workflow, worklist
from portal.toolkit.forms import FORMS, RejectForm, use_form
from portal.toolkit.labels import KIND_LABELS, STATUS_LABELS, placeholder_label
from portal.toolkit.validation import clean_text, normalise_tag, units_for_owner

bp = Blueprint("toolkit", __name__)


def _choice(name, allowed):
    """The URL argument `name` when it is one of `allowed`; anything else (unknown, too long) is ignored."""
    value = request.args.get(name)
    return value if value in allowed else None


def _search_request():
    editor = access.is_editor(current_user)
    tags = []
    for raw in request.args.getlist("tag")[:5]:
        tag = normalise_tag(raw)
        if tag and tag not in tags:
            tags.append(tag)
    kind = request.args.get("kind")
    status = request.args.get("status")
    sort = request.args.get("sort", "")
    return finder.SearchRequest(
        q=clean_text(request.args.get("q", "")).strip()[:200],
        kind=kind if kind in KINDS else None,
        tags=tuple(tags),
        unit_id=int_arg("unit"),
        year=int_arg("year", low=1900, high=2100),
        status=status if editor and status in STATUSES else None,
        reg_type=_choice("reg_type", REGULATION_TYPES),
        legal_status=_choice("legal_status", LEGAL_STATUSES),
        channel=_choice("channel", CHANNELS),
        sort=sort if sort in finder.SORTS else "",
        page=int_arg("page", 1, high=10_000),
        facets=request.args.get("facets") != "0",
    )


# --- employees: search, read, download, use -----------------------------------------------------------------------

RESULTS_KEPT = 128  # rendered result blocks kept per process (about 50 KB each)


@bp.get("/")
@requires("toolkit.view")
def index():
    query = _search_request()
    editor, hx = access.is_editor(current_user), is_htmx()
    return render("toolkit/index.html", block="results", query=query, results=_results(query, editor, hx),
                  editor=editor, hx=hx)


def _results(query, editor, hx):
    """The rendered result block, kept per process for SEARCH_RESULTS_CACHE_SECONDS under the search's cache_key (the
    toolkit's generation read in this request's transaction: no committed write is answered from before it; the
    viewer's scope; the day) and the query as typed, order, page and fragment. Download and use counts shown may be
    up to that time behind: they do not move the generation."""
    session = db.session()
    key = finder.cache_key(session, current_user, query)

    def build():
        found = finder.search_items(session, current_user, query, key=key)
        html = render_template("toolkit/_results.html", query=query, found=found, editor=editor,
                               kind_titles=KIND_LABELS, hx=hx, tag_href=_tag_links(query))
        return Markup(html)  # noqa: S704  # nosec B704  # an autoescaped template's output

    return cache.remembered("toolkit_results", (key, query.q, query.sort, query.page, query.facets, hx),
                            current_app.config["SEARCH_RESULTS_CACHE_SECONDS"], build, max_entries=RESULTS_KEPT)


def _tag_links(query):
    """tag -> the URL a hit's tag links to (this search with the tag added; the same search when it is chosen),
    built once per tag: the hits of a page repeat the same few tags up to 144 times."""
    built = {}

    def tag_href(tag):
        if tag not in built:
            built[tag] = url_for("toolkit.index", **(query.args() if tag in query.tags else query.toggle_tag(tag)))
        return built[tag]

    return tag_href


@bp.get("/item/<int:item_id>")
@requires("toolkit.view")
def item(item_id):
    return _render_item(access.get_item_or_404(item_id))


def _render_item(item, reject_form=None, status=200):
    page = item_page.item_page(db.session(), current_user, item)
    return render("toolkit/item.html", detail=page, item=item, editor=page.editor, form=EmptyForm(),
                  reject_form=reject_form or RejectForm(), kind_titles=KIND_LABELS, status=status)


@bp.get("/item/<int:item_id>/berkas/<variant>")
@requires("toolkit.view")
def file(item_id, variant):
    """A stored file of an item the user may see: inline when it is safe to open in the browser (images, checked
    PDFs), else, and with ?unduh=1, as a download. The consent document goes only to those who may read it."""
    if variant == "persetujuan":
        _item, found = access.get_consent_document_or_404(item_id)
    else:
        found = files.item_file(db.session(), access.get_item_or_404(item_id), variant)
    try:
        if found is None or not uploads.absolute(found.path).is_file():
            abort(404)
    except DomainError:
        abort(404)
    return uploads.send_stored(found.path, found.mime, found.download_name,
                               as_attachment=request.args.get("unduh") == "1" or not found.inline_safe)


@bp.post("/item/<int:item_id>/unduh/<variant>")
@requires("toolkit.view")
def download(item_id, variant):
    """Count a download (a POST: no state change on GET), then send the browser to the file."""
    item = access.get_item_or_404(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if files.item_file(db.session(), item, variant) is None:
        abort(404)
    workflow.count_download(db.session(), item.id)
    return redirect(url_for("toolkit.file", item_id=item.id, variant=variant, unduh=1), code=303)


@bp.route("/item/<int:item_id>/gunakan", methods=["GET", "POST"])
@requires("toolkit.view")
def use(item_id):
    """Fill an answer template's placeholders; every filled text counts as one use."""
    item = access.get_item_or_404(item_id)
    if item.kind != "template":
        abort(404)
    page = item_page.item_page(db.session(), current_user, item, links=False)
    names = page.placeholders
    form = use_form(names, {name: placeholder_label(name) for name in names})
    filled = None
    if form.validate_on_submit():
        done = perform(answer_templates.use_template, db.session(), item,
                       {name: form[f"isi_{name}"].data for name in names}, form=form,
                       field=f"isi_{names[0]}" if names else None)
        filled = done.value if done else None
    status = 422 if request.method == "POST" and filled is None and not is_htmx() else 200
    return render("toolkit/use.html", block="use_area", detail=page, item=item, form=form, names=names,
                  filled=filled, kind_titles=KIND_LABELS, body_html=page.body_html, status=status)


# --- humas: work list, create, edit -------------------------------------------------------------------------------

@bp.get("/kelola")
@requires("toolkit.edit")
def manage():
    session = db.session()
    every = request.args.get("perhatian") == "semua"  # what needs attention, up to ATTENTION_ALL
    work = worklist.worklist(session, current_user, attention_limit=worklist.ATTENTION_ALL if every else None)
    return render("toolkit/manage.html", work=work, kind_titles=KIND_LABELS, every_attention=every,
                  central=access.is_central_humas(current_user, session), status_labels=STATUS_LABELS)


def _prepare(form, kind, item):
    session = db.session()
    form.owner_unit_id.choices = [(u.id, f"{'· ' * u.depth}{u.name}")
                                  for u in units_for_owner(session, current_user)]
    if form.owner_unit_id.data is None:
        form.owner_unit_id.data = item.owner_unit_id if item else current_user.unit_id
    if kind == "regulation":
        form.description.label.text = _("Ringkasan")
    if kind in ("regulation", "template"):
        choices = editing.regulation_choices(session, exclude_id=item.id if item else None)
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
    form = FORMS[kind]()
    _prepare(form, kind, None)
    if form.validate_on_submit():
        done = perform(editing.save_item, db.session(), current_user, kind, _values(form), _files(form, kind),
                       form=form, field="title")
        if done:
            flash(_("Tersimpan sebagai draf. Ajukan bila sudah siap untuk disetujui."), "success")
            return redirect(url_for("toolkit.item", item_id=done.value.id), code=303)
    return render("toolkit/form.html", form=form, kind=kind, item=None, kind_titles=KIND_LABELS,
                  status=form_status(form))


@bp.route("/item/<int:item_id>/ubah", methods=["GET", "POST"])
@requires("toolkit.edit")
def edit(item_id):
    item = access.get_editable_item_or_403(item_id)
    if item.status == "diarsipkan":
        flash(_("Item yang diarsipkan tidak dapat diubah. Pulihkan dulu sebagai draf."), "error")
        return redirect(url_for("toolkit.item", item_id=item.id), code=303)
    form = FORMS[item.kind](data=editing.form_values(db.session(), item)) if request.method == "GET" \
        else FORMS[item.kind]()
    _prepare(form, item.kind, item)
    if form.validate_on_submit():
        was = item.status
        if perform(editing.save_item, db.session(), current_user, item.kind, _values(form),
                   _files(form, item.kind), item=item, form=form, field="title"):
            if was == "draf":
                flash(_("Perubahan disimpan."), "success")
            else:
                flash(_("Perubahan disimpan. Item kembali menjadi draf: ajukan lagi agar disetujui."), "warning")
            return redirect(url_for("toolkit.item", item_id=item.id), code=303)
    return render("toolkit/form.html", form=form, kind=item.kind, item=item, kind_titles=KIND_LABELS,
                  status=form_status(form))


# --- workflow -----------------------------------------------------------------------------------------------------

def _transition(item, action, message):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if perform(action, db.session(), current_user, item):
        flash(message, "success")
    return redirect_after_post(url_for("toolkit.item", item_id=item.id))


@bp.post("/item/<int:item_id>/ajukan")
@requires("toolkit.edit")
def submit(item_id):
    return _transition(access.get_editable_item_or_403(item_id), workflow.submit,
                       _("Diajukan. Humas Biro Hubungan Masyarakat atau admin akan memeriksanya."))


@bp.post("/item/<int:item_id>/tarik")
@requires("toolkit.edit")
def withdraw(item_id):
    return _transition(access.get_editable_item_or_403(item_id), workflow.withdraw,
                       _("Pengajuan ditarik; item kembali menjadi draf."))


@bp.post("/item/<int:item_id>/setujui")
@requires("toolkit.approve")
def approve(item_id):
    return _transition(access.get_item_to_decide_or_403(item_id), workflow.approve,
                       _("Disetujui. Item ini kini tampil bagi seluruh pegawai."))


@bp.post("/item/<int:item_id>/tolak")
@requires("toolkit.approve")
def reject(item_id):
    item = access.get_item_to_decide_or_403(item_id)
    form = RejectForm()
    if form.validate_on_submit():
        done = perform(workflow.reject, db.session(), current_user, item, form.reason.data,
                       form=form, field="reason")
        if done:
            flash(_("Ditolak. Pengaju melihat alasan Anda pada halaman item."), "success")
            return redirect_after_post(url_for("toolkit.item", item_id=item.id))
        if done.error.field != "reason":
            form.reason.errors = []
            flash(done.error.message, "error")
            return redirect_after_post(url_for("toolkit.item", item_id=item.id))
    return _render_item(item, reject_form=form, status=form_status(form))


@bp.post("/item/<int:item_id>/arsipkan")
@requires("toolkit.edit")
def archive(item_id):
    return _transition(access.get_item_to_archive_or_403(item_id), workflow.archive,
                       _("Diarsipkan. Item ini tidak lagi tampil bagi pegawai."))


@bp.post("/item/<int:item_id>/pulihkan")
@requires("toolkit.edit")
def restore(item_id):
    return _transition(access.get_editable_item_or_403(item_id), workflow.restore, _("Dipulihkan sebagai draf."))


@bp.post("/item/<int:item_id>/hapus")
@requires("toolkit.edit")
def delete(item_id):
    item = access.get_editable_item_or_403(item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not perform(workflow.delete_draft, db.session(), current_user, item):
        return redirect_after_post(url_for("toolkit.item", item_id=item.id))
    flash(_("Draf dihapus beserta berkasnya."), "success")
    return redirect_after_post(url_for("toolkit.manage"))
