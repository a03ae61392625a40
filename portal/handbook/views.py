"""Handbook: read the published edition, acknowledge it, search it; humas edit drafts and publish editions;
supervisors and admins follow up their units; admins set the acknowledgement rule.

Each view parses the request, loads its rows through portal/handbook/access.py, calls one service and renders.
"""

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal import db, export_jobs
from portal.forms import EmptyForm, form_status, int_arg, perform
from portal.handbook import access, diffs, drafts, publishing, reading, reports
from portal.handbook.drafts import EditConflict
from portal.handbook.forms import (
    AcknowledgeForm,
    AckRuleForm,
    ChapterForm,
    NewSectionForm,
    PublishForm,
    ReminderForm,
    SectionForm,
)
from portal.htmx import is_htmx, redirect_after_post, render
from portal.i18n import ngettext
from portal.permissions import report_scope, requires

bp = Blueprint("handbook", __name__)
SEARCH_PAGE_SIZE = 20
TOC_HTML_SECONDS = 600


@bp.app_template_global()
def section_toc(toc, open_chapter, current_slug):
    """The section page's table of contents. It is the same for every reader of a chapter of an edition (editions
    never change), so it is rendered once per process, chapter and language and kept a while; only the mark on the
    open section differs, added to the kept HTML."""
    from flask import render_template
    from flask_babel import get_locale
    from markupsafe import Markup, escape

    from portal import cache

    html = cache.remembered(
        "handbook.section_toc", (toc.edition_id, len(toc.flat), open_chapter, str(get_locale())), TOC_HTML_SECONDS,
        lambda: render_template("handbook/_toc.html", toc=toc, open_chapter=open_chapter, current_slug=None))
    link = f'<a href="{escape(url_for("handbook.section", slug=current_slug))}">'
    return Markup(html.replace(link, link[:-1] + ' aria-current="page">', 1))  # noqa: S704  # nosec B704  # rendered by Jinja


# --- reading ------------------------------------------------------------------------------------------------------

@bp.get("/")
@requires("handbook.read")
def index():
    return render("handbook/index.html", **reading.index_page(db.session(), current_user), form=AcknowledgeForm())


@bp.get("/bagian/<slug>")
@requires("handbook.read")
def section(slug):
    page = reading.section_page(db.session(), current_user, slug) or abort(404)
    # the read-mark form is only shown until the section is read (building a form is a good part of this page)
    return render("handbook/section.html", **page, form=None if page["already_read"] else EmptyForm())


@bp.post("/bagian/<slug>/dibaca")
@requires("handbook.read")
def mark_read(slug):
    if not EmptyForm().validate_on_submit():
        abort(400)
    item = reading.mark_read_by_slug(db.session(), current_user, slug) or abort(404)
    if is_htmx():
        return render("handbook/section.html", block="read_status", already_read=True, item=item)
    return redirect(url_for("handbook.section", slug=slug), code=303)


@bp.post("/setujui")
@requires("handbook.acknowledge")
def acknowledge():
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash(_("Centang pernyataan “Saya telah membaca dan memahami pedoman ini” untuk menyetujui."), "error")
        return redirect_after_post(url_for("handbook.index"))
    if perform(reading.acknowledge_latest, db.session(), current_user):
        flash(_("Terima kasih. Persetujuan Anda atas pedoman ini sudah tercatat."), "success")
    return redirect_after_post(url_for("handbook.index"))


@bp.get("/perubahan")
@requires("handbook.read")
def changes():
    page = reading.changes_page(db.session(), current_user, access.get_edition_version_or_none(
        request.args.get("sejak", "").strip()), int_arg("page", 1)) or abort(404)
    return render("handbook/changes.html", **page)


@bp.get("/cari")
@requires("handbook.read")
def search():
    query = request.args.get("q", "").strip()[:200]
    page = int_arg("page", 1)
    results, total = publishing.search_published(db.session(), query, limit=SEARCH_PAGE_SIZE,
                                                 offset=(page - 1) * SEARCH_PAGE_SIZE) if query else ([], 0)
    pages = max((total + SEARCH_PAGE_SIZE - 1) // SEARCH_PAGE_SIZE, 1)
    return render("handbook/search.html", block="results", query=query, results=results, total=total, page=page,
                  pages=pages)


@bp.get("/cetak")
@requires("handbook.read")
def print_view():
    return render("handbook/print.html", **reading.print_page(db.session()))


# --- reports and follow-up ------------------------------------------------------------------------------------------

@bp.get("/laporan")
@requires("handbook.report")
def report():
    unit = access.get_report_unit_or_403(int_arg("unit"))
    return render("handbook/report.html", block="people",
                  **reports.report_page(db.session(), report_scope(current_user), unit, int_arg("page", 1),
                                        int_arg("unit_page", 1)))


def _report_export(fmt):
    """The file at once for a unit's people, else a job (POST) that prepares it: see portal/export_jobs.py."""
    session, scope = db.session(), report_scope(current_user)
    if request.method == "POST":
        job = export_jobs.start(session, current_user, "handbook.acknowledgements", fmt, scope_path=scope)
        return redirect(url_for("jobs.status", job_id=job.id), code=303)
    return export_jobs.download_or_offer(session, "handbook.acknowledgements", fmt,
                                         reports.ack_table_size(session, scope), url_for("handbook.report"),
                                         scope_path=scope)


@bp.route("/laporan.csv", methods=["GET", "POST"])
@requires("handbook.report")
def report_csv():
    return _report_export("csv")


@bp.route("/laporan.xlsx", methods=["GET", "POST"])
@requires("handbook.report")
def report_xlsx():
    return _report_export("xlsx")


@bp.get("/tim")
@requires("handbook.report")
def team():
    """The overview of the three follow-up lists, or (?topik=) one list's pages."""
    topic = request.args.get("topik")
    if topic in reports.REMINDER_TOPICS:
        listing = reports.team_topic_page(db.session(), report_scope(current_user), topic, int_arg("page", 1))
        return render("handbook/team.html", topic=topic, listing=listing, topics=reports.REMINDER_TOPICS)
    team = reports.team_follow_up(db.session(), report_scope(current_user))
    return render("handbook/team.html", team=team, topics=reports.REMINDER_TOPICS)


@bp.post("/tim/ingatkan")
@requires("handbook.report")
def remind():
    form = ReminderForm()
    # back to the list the form was on: the overview, or one topic's page
    back = url_for("handbook.team")
    if form.back_to_topic.data and form.topic.data in reports.REMINDER_TOPICS:
        back = url_for("handbook.team", topik=form.topic.data, page=int_arg("page", values=request.form))
    if not form.validate_on_submit():
        flash(_("Formulir pengingat tidak lengkap; coba lagi."), "error")
        return redirect_after_post(back)
    done = perform(reports.send_reminders, db.session(), current_user, report_scope(current_user),
                   form.topic.data, form.user_ids.data or [])
    if done:
        flash(ngettext("Pengingat dikirim ke %(num)s orang.", "Pengingat dikirim ke %(num)s orang.", done.value),
              "success")
    return redirect_after_post(back)


# --- editing (humas, admin) ---------------------------------------------------------------------------------------

@bp.get("/kelola")
@requires("handbook.edit")
def manage():
    return render("handbook/manage.html", **drafts.manage_page(db.session(), int_arg("bab", 0)))


@bp.route("/aturan", methods=["GET", "POST"])
@requires("handbook.rules")
def rules():
    page = reading.rule_page(db.session())
    form = AckRuleForm(data={"scope": page["scope"], "core": sorted(page["core_ids"])} if request.method == "GET"
                       else None)
    form.core.choices = [(s.section_id, s.title) for s in page["toc"].flat]
    if form.validate_on_submit() and perform(reading.set_ack_rule, db.session(), current_user, form.scope.data,
                                             form.core.data or [], form=form, field="scope"):
        flash(_("Aturan persetujuan disimpan."), "success")
        return redirect(url_for("handbook.rules"), code=303)
    return render("handbook/rules.html", form=form, **page, status=form_status(form))


@bp.route("/kelola/bab/baru", methods=["GET", "POST"])
@requires("handbook.edit")
def chapter_new():
    form = ChapterForm()
    if form.validate_on_submit() and perform(drafts.create_chapter, db.session(), current_user, form.title.data,
                                             form.intro.data, form=form, field="title"):
        flash(_("Bab baru ditambahkan."), "success")
        return redirect(url_for("handbook.manage"), code=303)
    return render("handbook/chapter_form.html", form=form, chapter=None, status=form_status(form))


@bp.route("/kelola/bab/<int:chapter_id>", methods=["GET", "POST"])
@requires("handbook.edit")
def chapter_edit(chapter_id):
    chapter = access.get_chapter_or_404(chapter_id)
    form = ChapterForm(obj=chapter)
    if form.validate_on_submit() and perform(drafts.update_chapter, db.session(), current_user, chapter,
                                             form.title.data, form.intro.data, form.position.data,
                                             form=form, field="title"):
        flash(_("Bab disimpan. Perubahan tampil bagi pegawai setelah edisi berikutnya terbit."), "success")
        return redirect(url_for("handbook.manage"), code=303)
    return render("handbook/chapter_form.html", form=form, chapter=chapter, status=form_status(form))


@bp.route("/kelola/bab/<int:chapter_id>/bagian-baru", methods=["GET", "POST"])
@requires("handbook.edit")
def section_new(chapter_id):
    chapter = access.get_chapter_or_404(chapter_id)
    form = NewSectionForm()
    if form.validate_on_submit():
        done = perform(drafts.create_section, db.session(), current_user, chapter.id, form.title.data,
                       form.body.data, slug=form.slug.data, summary=form.summary.data, form=form, field="title")
        if done:
            flash(_("Bagian baru disimpan sebagai draf."), "success")
            return redirect(url_for("handbook.section_edit", section_id=done.value.id), code=303)
    return render("handbook/section_form.html", form=form, chapter=chapter, section=None, conflict=None,
                  preview=None, status=form_status(form))


def _base_revision(form):
    try:
        return int(form.base_revision_id.data or 0)
    except ValueError:
        return 0


@bp.route("/kelola/bagian/<int:section_id>", methods=["GET", "POST"])
@requires("handbook.edit")
def section_edit(section_id):
    section = access.get_section_or_404(section_id)
    form = SectionForm()
    conflict = None
    if form.validate_on_submit():
        base = _base_revision(form)
        done = perform(drafts.save_section, db.session(), current_user, section, base, form.title.data,
                       form.body.data, form.summary.data, form=form, field="body")
        if done and done.value.id == base:
            flash(_("Tidak ada yang berubah, jadi tidak ada revisi baru."), "info")
            return redirect(url_for("handbook.section_edit", section_id=section.id), code=303)
        if done:
            flash(_("Disimpan sebagai revisi #%(n)d (draf).", n=done.value.number), "success")
            return redirect(url_for("handbook.section_edit", section_id=section.id), code=303)
        if isinstance(done.error, EditConflict):
            conflict = done.error.current
            form.body.errors = [e for e in form.body.errors if e != done.error.message]
            form.base_revision_id.data = str(conflict.id)  # saving again means: mine wins, knowingly
            form.summary.errors.append(done.error.message)
    chapter, current = drafts.editor_page(db.session(), section)
    if request.method == "GET":
        form.title.data, form.body.data = current.title, current.body
        form.base_revision_id.data = str(current.id)
    status = 409 if conflict else form_status(form)
    return render("handbook/section_form.html", form=form, chapter=chapter, section=section, current=current,
                  conflict=conflict, preview=None, status=status)


@bp.post("/kelola/pratinjau")
@requires("handbook.edit")
def preview():
    """The editor's live preview: always just the fragment (only htmx asks for it)."""
    done = perform(drafts.preview_html, request.form.get("body", ""))
    html = done.value if done else done.error.message
    return Response(render_block("handbook/section_form.html", "preview", preview=html), mimetype="text/html")


@bp.post("/kelola/bagian/<int:section_id>/arsip")
@requires("handbook.edit")
def archive(section_id):
    """Take a section out of the next edition, or put it back (`arsip` = 1 or 0)."""
    section = access.get_section_or_404(section_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    archived = request.form.get("arsip") == "1"
    if perform(drafts.set_section_archived, db.session(), current_user, section, archived):
        flash(_("Bagian ini tidak akan ada lagi di edisi berikutnya. Edisi yang sudah terbit tetap memuatnya.")
              if archived else _("Bagian ini kembali masuk edisi berikutnya."), "success")
    return redirect(url_for("handbook.section_edit", section_id=section.id), code=303)


@bp.get("/kelola/bagian/<int:section_id>/riwayat")
@requires("handbook.edit")
def history(section_id):
    section = access.get_section_or_404(section_id)
    return render("handbook/history.html", section=section,
                  revisions=drafts.section_revisions(db.session(), section), form=EmptyForm())


@bp.get("/kelola/bagian/<int:section_id>/beda")
@requires("handbook.edit")
def diff(section_id):
    section = access.get_section_or_404(section_id)
    old, new = access.get_compared_revisions_or_404(section, int_arg("dari"), int_arg("ke"))
    return render("handbook/diff.html", section=section, old=old, new=new,
                  title_diff=diffs.word_diff(old.title, new.title), body_diff=diffs.word_diff(old.body, new.body),
                  rendered=diffs.rendered_diff(old.body, new.body, id_prefix="beda-"))


@bp.post("/kelola/bagian/<int:section_id>/pulihkan/<int:revision_id>")
@requires("handbook.edit")
def restore(section_id, revision_id):
    section = access.get_section_or_404(section_id)
    revision = access.get_revision_or_404(section, revision_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    head = section.current_revision_id
    done = perform(drafts.restore_revision, db.session(), current_user, section, revision)
    if done and done.value.id == head:
        flash(_("Revisi terkini sudah memuat teks itu; tidak ada revisi baru."), "info")
    elif done:
        flash(_("Revisi #%(old)d dipulihkan sebagai revisi #%(new)d.", old=revision.number, new=done.value.number),
              "success")
    return redirect(url_for("handbook.history", section_id=section.id), code=303)


@bp.route("/kelola/terbitkan", methods=["GET", "POST"])
@requires("handbook.publish")
def publish():
    form = PublishForm()
    if form.validate_on_submit():
        done = perform(publishing.publish, db.session(), current_user, form.version.data, form.notes.data,
                       form.material.data, form=form, field="version")
        if done:
            flash(_("Edisi %(v)s terbit dan kini dibaca seluruh pegawai. Indeks pencariannya sedang diperbarui.",
                    v=done.value.edition.version), "success")
            return redirect(url_for("jobs.status", job_id=done.value.job.id), code=303)
    page = publishing.publish_page(db.session())
    if request.method == "GET" and page["suggested"]:
        form.version.data = page["suggested"]
    return render("handbook/publish.html", form=form, **page, status=form_status(form))
