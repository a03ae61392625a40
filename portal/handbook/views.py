"""Handbook: read the published edition, acknowledge it, search it; humas edit drafts and publish editions."""

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal import db, exports
from portal.errors import DomainError
from portal.forms import attach_error
from portal.handbook import services
from portal.handbook.forms import AcknowledgeForm, ChapterForm, EmptyForm, NewSectionForm, PublishForm, SectionForm
from portal.htmx import is_htmx, redirect_after_post, render
from portal.models import Chapter, Section, SectionRevision, Unit
from portal.permissions import report_scope, requires, unit_in_scope

bp = Blueprint("handbook", __name__)
SEARCH_PAGE_SIZE = 20


def _int_arg(name, default=None):
    """A positive integer query argument that fits an id column, else `default` (never a database overflow)."""
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return default
    return value if 0 < value <= db.MAX_INT else default


# --- reading ------------------------------------------------------------------------------------------------------

@bp.get("/")
@requires("handbook.read")
def index():
    session = db.session()
    edition = services.latest_edition(session)
    read_ids = services.read_section_ids(session, current_user)
    done, total = services.reading_progress(session, current_user, edition)
    acknowledged = services.acknowledged_edition(session, current_user)
    return render(
        "handbook/index.html", edition=edition, toc=services.edition_toc(session, edition, read_ids),
        done=done, total=total, acknowledged=acknowledged,
        has_acknowledged=services.has_acknowledged(session, current_user), form=AcknowledgeForm(),
    )


@bp.get("/bagian/<slug>")
@requires("handbook.read")
def section(slug):
    session = db.session()
    edition = services.latest_edition(session)
    found = services.published_section(session, edition, slug)
    if found is None:
        abort(404)
    toc, chapter, item, revision, previous, following = found
    already_read = item.section_id in services.read_section_ids(session, current_user)
    return render("handbook/section.html", edition=edition, toc=toc, chapter=chapter, item=item, revision=revision,
                  previous=previous, following=following, already_read=already_read, form=EmptyForm())


@bp.post("/bagian/<slug>/dibaca")
@requires("handbook.read")
def mark_read(slug):
    session = db.session()
    found = services.published_section(session, services.latest_edition(session), slug)
    if found is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.mark_read(session, current_user, found[2].section_id)
    if is_htmx():
        return render("handbook/section.html", block="read_status", already_read=True, item=found[2])
    return redirect(url_for("handbook.section", slug=slug), code=303)


@bp.post("/setujui")
@requires("handbook.acknowledge")
def acknowledge():
    session = db.session()
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash(_("Centang pernyataan “Saya telah membaca dan memahami pedoman ini” untuk menyetujui."), "error")
        return redirect(url_for("handbook.index"), code=303)
    try:
        services.acknowledge(session, current_user, services.latest_edition(session))
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Terima kasih. Persetujuan Anda atas pedoman ini sudah tercatat."), "success")
    return redirect_after_post(url_for("handbook.index"))


@bp.get("/perubahan")
@requires("handbook.read")
def changes():
    session = db.session()
    edition = services.latest_edition(session)
    if edition is None:
        abort(404)
    all_editions = services.editions(session)
    since = None
    if request.args.get("sejak"):
        since = next((e for e in all_editions if e.version == request.args["sejak"]), None)
    since = since or services.acknowledged_edition(session, current_user)
    if since is None and len(all_editions) > 1:
        since = all_editions[1]
    changed = services.changes_between(session, since, edition) if since and since.id != edition.id else []
    revisions = services.revisions_by_id(session, {c.old_revision_id for c in changed} |
                                         {c.new_revision_id for c in changed})
    return render("handbook/changes.html", edition=edition, since=since, changed=changed, revisions=revisions,
                  editions=all_editions, diff=services.word_diff)


@bp.get("/cari")
@requires("handbook.read")
def search():
    query = request.args.get("q", "").strip()[:200]
    page = _int_arg("page", 1)
    results, total = services.search_published(db.session(), query, limit=SEARCH_PAGE_SIZE,
                                               offset=(page - 1) * SEARCH_PAGE_SIZE) if query else ([], 0)
    pages = max((total + SEARCH_PAGE_SIZE - 1) // SEARCH_PAGE_SIZE, 1)
    return render("handbook/search.html", block="results", query=query, results=results, total=total, page=page,
                  pages=pages)


@bp.get("/cetak")
@requires("handbook.read")
def print_view():
    session = db.session()
    edition = services.latest_edition(session)
    toc, revisions = services.published_revisions(session, edition) if edition else ([], {})
    return render("handbook/print.html", edition=edition, toc=toc, revisions=revisions)


# --- reports ------------------------------------------------------------------------------------------------------

def _report_unit():
    unit_id = _int_arg("unit")
    if not unit_id:
        return None
    unit = db.session().get(Unit, unit_id) or abort(404)
    if not unit_in_scope(current_user, unit):
        abort(403)
    return unit


@bp.get("/laporan")
@requires("handbook.report")
def report():
    session = db.session()
    scope = report_scope(current_user)
    unit = _report_unit()
    rows = services.ack_report(session, scope)
    missing = services.not_acknowledged(session, scope, unit_id=unit.id if unit else None, limit=500)
    members = sum(r.members for r in rows)
    done = sum(r.acknowledged for r in rows)
    return render("handbook/report.html", block="missing", rows=rows, missing=missing, unit=unit, members=members,
                  done=done, edition=services.latest_edition(session), required=services.required_edition(session))


@bp.get("/laporan.csv")
@requires("handbook.report")
def report_csv():
    header, rows, widths = services.ack_table(db.session(), report_scope(current_user))
    return exports.download(exports.columns(header, widths), rows, "csv", "persetujuan-pedoman")


# --- editing (humas, admin) ---------------------------------------------------------------------------------------

@bp.get("/kelola")
@requires("handbook.edit")
def manage():
    session = db.session()
    toc = services.draft_toc(session, include_archived=True)
    pending = sum(1 for _chapter, sections in toc for s in sections if s.unpublished)
    return render("handbook/manage.html", toc=toc, pending=pending, editions=services.editions(session))


@bp.route("/kelola/bab/baru", methods=["GET", "POST"])
@requires("handbook.edit")
def chapter_new():
    form = ChapterForm()
    if form.validate_on_submit():
        try:
            services.create_chapter(db.session(), current_user, form.title.data, form.intro.data)
        except DomainError as error:
            db.session().rollback()
            attach_error(form, error, "title")
        else:
            flash(_("Bab baru ditambahkan."), "success")
            return redirect(url_for("handbook.manage"), code=303)
    return render("handbook/chapter_form.html", form=form, chapter=None, status=422 if form.errors else 200)


@bp.route("/kelola/bab/<int:chapter_id>", methods=["GET", "POST"])
@requires("handbook.edit")
def chapter_edit(chapter_id):
    session = db.session()
    chapter = session.get(Chapter, chapter_id) or abort(404)
    form = ChapterForm(obj=chapter)
    if form.validate_on_submit():
        try:
            services.update_chapter(session, current_user, chapter, form.title.data, form.intro.data,
                                    form.position.data if form.position.data is not None else chapter.position)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "title")
        else:
            flash(_("Bab disimpan. Perubahan tampil bagi pegawai setelah edisi berikutnya terbit."), "success")
            return redirect(url_for("handbook.manage"), code=303)
    return render("handbook/chapter_form.html", form=form, chapter=chapter, status=422 if form.errors else 200)


@bp.route("/kelola/bab/<int:chapter_id>/bagian-baru", methods=["GET", "POST"])
@requires("handbook.edit")
def section_new(chapter_id):
    session = db.session()
    chapter = session.get(Chapter, chapter_id) or abort(404)
    form = NewSectionForm()
    if form.validate_on_submit():
        try:
            section = services.create_section(session, current_user, chapter.id, form.title.data, form.body.data,
                                              slug=form.slug.data, summary=form.summary.data)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "title")
        else:
            flash(_("Bagian baru disimpan sebagai draf."), "success")
            return redirect(url_for("handbook.section_edit", section_id=section.id), code=303)
    return render("handbook/section_form.html", form=form, chapter=chapter, section=None, conflict=None,
                  preview=None, status=422 if form.errors else 200)


@bp.route("/kelola/bagian/<int:section_id>", methods=["GET", "POST"])
@requires("handbook.edit")
def section_edit(section_id):
    session = db.session()
    section = session.get(Section, section_id) or abort(404)
    chapter = session.get(Chapter, section.chapter_id)
    current = session.get(SectionRevision, section.current_revision_id)
    form = SectionForm()
    conflict = None
    if request.method == "GET":
        form.title.data, form.body.data = current.title, current.body
        form.base_revision_id.data = str(current.id)
    elif form.validate_on_submit():
        try:
            base = int(form.base_revision_id.data or 0)
        except ValueError:
            base = 0
        try:
            revision = services.save_section(session, current_user, section, base, form.title.data,
                                             form.body.data, form.summary.data)
        except services.EditConflict as error:
            conflict = error.current
            form.base_revision_id.data = str(conflict.id)  # saving again means: mine wins, knowingly
            form.summary.errors.append(error.message)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "body")
        else:
            flash(_("Disimpan sebagai revisi #%(n)d (draf).", n=revision.number), "success")
            return redirect(url_for("handbook.section_edit", section_id=section.id), code=303)
    status = 409 if conflict else (422 if form.errors else 200)
    return render("handbook/section_form.html", form=form, chapter=chapter, section=section, current=current,
                  conflict=conflict, preview=None, status=status)


@bp.post("/kelola/pratinjau")
@requires("handbook.edit")
def preview():
    """The editor's live preview: always just the fragment (only htmx asks for it)."""
    try:
        html = services.preview_html(request.form.get("body", ""))
    except DomainError as error:
        html = error.message
    return Response(render_block("handbook/section_form.html", "preview", preview=html), mimetype="text/html")


@bp.post("/kelola/bagian/<int:section_id>/arsip")
@requires("handbook.edit")
def archive(section_id):
    """Take a section out of the next edition, or put it back (`arsip` = 1 or 0)."""
    session = db.session()
    section = session.get(Section, section_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    archived = request.form.get("arsip") == "1"
    services.set_section_archived(session, current_user, section, archived)
    if archived:
        flash(_("Bagian ini tidak akan ada lagi di edisi berikutnya. Edisi yang sudah terbit tetap memuatnya."),
              "success")
    else:
        flash(_("Bagian ini kembali masuk edisi berikutnya."), "success")
    return redirect(url_for("handbook.section_edit", section_id=section.id), code=303)


@bp.get("/kelola/bagian/<int:section_id>/riwayat")
@requires("handbook.edit")
def history(section_id):
    session = db.session()
    section = session.get(Section, section_id) or abort(404)
    revisions = services.section_revisions(session, section)
    return render("handbook/history.html", section=section, revisions=revisions, form=EmptyForm())


@bp.get("/kelola/bagian/<int:section_id>/beda")
@requires("handbook.edit")
def diff(section_id):
    session = db.session()
    section = session.get(Section, section_id) or abort(404)
    old = session.get(SectionRevision, _int_arg("dari", 0) or 0)
    new = session.get(SectionRevision, _int_arg("ke", 0) or 0) or session.get(SectionRevision,
                                                                               section.current_revision_id)
    if old is None or new is None or old.section_id != section.id or new.section_id != section.id:
        abort(404)
    return render("handbook/diff.html", section=section, old=old, new=new,
                  title_diff=services.word_diff(old.title, new.title), body_diff=services.word_diff(old.body, new.body))


@bp.post("/kelola/bagian/<int:section_id>/pulihkan/<int:revision_id>")
@requires("handbook.edit")
def restore(section_id, revision_id):
    session = db.session()
    section = session.get(Section, section_id) or abort(404)
    revision = session.get(SectionRevision, revision_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        new = services.restore_revision(session, current_user, section, revision)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Revisi #%(old)d dipulihkan sebagai revisi #%(new)d.", old=revision.number, new=new.number), "success")
    return redirect(url_for("handbook.history", section_id=section.id), code=303)


@bp.route("/kelola/terbitkan", methods=["GET", "POST"])
@requires("handbook.publish")
def publish():
    session = db.session()
    form = PublishForm()
    latest = services.latest_edition(session)
    if request.method == "GET" and latest is not None:
        year, _dot, number = latest.version.partition(".")
        form.version.data = f"{year}.{int(number) + 1}" if number.isdigit() else ""
    if form.validate_on_submit():
        try:
            edition = services.publish_edition(session, current_user, form.version.data, form.notes.data,
                                               form.material.data)
        except DomainError as error:
            session.rollback()
            attach_error(form, error, "version")
        else:
            flash(_("Edisi %(v)s terbit dan kini dibaca seluruh pegawai.", v=edition.version), "success")
            return redirect(url_for("handbook.manage"), code=303)
    toc = services.draft_toc(session, include_archived=True)
    changed = [s for _chapter, sections in toc for s in sections if s.unpublished]
    return render("handbook/publish.html", form=form, latest=latest, changed=changed,
                  status=422 if form.errors else 200)


@bp.app_template_global()
def handbook_section_url(slug):
    """Link to a handbook section by its permanent anchor (used by the quiz and workshops)."""
    return url_for("handbook.section", slug=slug)


