"""Cek sebelum unggah (/check/): live checking through htmx, a plain submit without JavaScript, a copy of an image
without its metadata, checks saved only on request, and the admins' term lists."""

import io
from pathlib import PurePath

from flask import Blueprint, abort, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.check import defaults, services
from portal.check.access import get_saved_or_404
from portal.check.forms import CheckForm, TermListForm
from portal.errors import DomainError
from portal.forms import EmptyForm, attach_error, form_status, perform
from portal.htmx import is_htmx, redirect_after_post, render
from portal.images import clean_image
from portal.permissions import requires

bp = Blueprint("check", __name__, cli_group=None)
MAX_IMAGE_BYTES = 20 * 1024 * 1024


def _uploaded(form):
    """(bytes, name) of the optional image, or (None, "")."""
    storage = form.image.data
    if not storage or not getattr(storage, "filename", ""):
        return None, ""
    return storage.read(MAX_IMAGE_BYTES + 1), PurePath(storage.filename).name[:120]


def _page(form, view, status=200):
    saved = [] if is_htmx() else services.saved_checks(db.session(), current_user)  # not in the results block
    return render("check/index.html", block="results", status=status, form=form, view=view, saved=saved,
                  nothing_stored=services.NOTHING_STORED)


@bp.route("/", methods=["GET", "POST"])
@requires("check.use")
@db.deferred_write  # checking reads only; saving takes the write lock itself
def index():
    form = CheckForm()
    if request.method == "GET":
        return _page(form, services.CheckView(text=""))
    if not form.validate():
        return _page(form, services.CheckView(text=""), status=form_status(form))
    raw, name = _uploaded(form)
    if raw is not None and len(raw) > MAX_IMAGE_BYTES:
        attach_error(form, DomainError(_("Gambar terlalu besar (paling besar %(mb)d MB).",
                                         mb=MAX_IMAGE_BYTES // (1024 * 1024))), "image")
        return _page(form, services.CheckView(text=form.text.data or ""), status=form_status(form))
    view = services.run_check(db.session(), form.text.data or "", raw, name)
    if request.form.get("save") and not is_htmx():
        db.begin_write()
        outcome = perform(services.save_check, db.session(), current_user, form.text.data, form=form, field="text")
        if outcome:
            flash(_("Hasil pemeriksaan disimpan. Hanya Anda yang dapat melihatnya."), "success")
            return redirect_after_post(url_for("check.saved", saved_id=outcome.value.id))
        return _page(form, view, status=form_status(form))
    return _page(form, view)


@bp.post("/gambar")
@requires("check.use")
@db.deferred_write  # nothing is written: the clean copy goes straight back to the browser
def clean_copy():
    """The uploaded image without its metadata, through the one image pipeline; nothing is kept."""
    form = CheckForm()
    raw, name = _uploaded(form) if form.validate() else (None, "")
    if raw is None:
        attach_error(form, DomainError(_("Pilih gambar yang ingin dibersihkan.")), "image")
        return _page(form, services.CheckView(text=form.text.data or ""), status=form_status(form))
    try:
        clean = clean_image(raw, MAX_IMAGE_BYTES, field_name="image")
    except DomainError as error:
        attach_error(form, error, "image")
        view = services.run_check(db.session(), form.text.data or "", raw, name)
        return _page(form, view, status=form_status(form, error))
    stem = PurePath(name).stem or "gambar"
    response = send_file(io.BytesIO(clean.data), mimetype=clean.mime, as_attachment=True,
                         download_name=f"{stem}-tanpa-metadata{clean.extension}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tersimpan/<int:saved_id>")
@requires("check.use")
def saved(saved_id):
    item = get_saved_or_404(saved_id)
    view = services.run_check(db.session(), item.text)
    return render("check/saved.html", item=item, view=view, delete_form=EmptyForm())


@bp.post("/tersimpan/<int:saved_id>/hapus")
@requires("check.use")
def saved_delete(saved_id):
    item = get_saved_or_404(saved_id)
    services.delete_saved(db.session(), item)
    flash(_("Pemeriksaan tersimpan sudah dihapus."), "success")
    return redirect_after_post(url_for("check.index"))


# --- term lists (admins) ------------------------------------------------------------------------------------------

@bp.get("/istilah")
@requires("check.manage_terms")
def terms():
    return render("check/terms.html", lists=services.term_lists(db.session()))


@bp.route("/istilah/<name>", methods=["GET", "POST"])
@requires("check.manage_terms")
def term_edit(name):
    if name not in defaults.DEFAULT_TERMS:
        abort(404)
    session = db.session()
    current, edited = services.term_list(session, name)
    form = TermListForm()
    if request.method == "GET":
        form.terms.data = "\n".join(current)
    elif form.validate():
        if request.form.get("reset"):
            services.reset_term_list(session, current_user, name)
            flash(_("Daftar “%(name)s” kembali ke isi bawaan.", name=name), "success")
            return redirect_after_post(url_for("check.term_edit", name=name))
        if perform(services.save_term_list, session, current_user, name, form.terms.data, form=form, field="terms"):
            flash(_("Daftar “%(name)s” disimpan.", name=name), "success")
            return redirect_after_post(url_for("check.terms"))
    return render("check/term_form.html", block="form", status=form_status(form), form=form, name=name,
                  description=defaults.LIST_DESCRIPTIONS.get(name, ""), edited=edited,
                  default_count=len(defaults.DEFAULT_TERMS[name]))
