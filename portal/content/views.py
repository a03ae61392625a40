"""Konten: the official accounts registry, content pillars, the weekly content plan with approval, the shared
calendar and key messages. Row-level rules live in portal/content/access.py."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import db
from portal.content import access, accounts, approval, calendar, metric_imports, pages, pillars, plan
from portal.content import week as week_view
from portal.content.common import parse_month, parse_week, week_of
from portal.content.forms import (
    ACCOUNT_STATUS_LABELS,
    KEY_MESSAGE_LABELS,
    POST_STATUS_LABELS,
    REPORT_STATE_LABELS,
    AccountForm,
    AccountMonthForm,
    ConfirmImportForm,
    CopyForm,
    EvaluateForm,
    KeyMessageForm,
    MetricsImportForm,
    MoveForm,
    PillarForm,
    PostForm,
    PublishForm,
    RejectForm,
    ReportDecisionForm,
    ReportForm,
    VersionForm,
    version_of,
)
from portal.errors import DomainError
from portal.forms import form_status, int_arg, perform
from portal.htmx import is_htmx, redirect_after_post, render
from portal.i18n import ngettext
from portal.permissions import requires
from portal.timezone import to_wib, today_wib

bp = Blueprint("content", __name__)


def _labels():
    return {"status_labels": POST_STATUS_LABELS, "account_status_labels": ACCOUNT_STATUS_LABELS,
            "kind_labels": KEY_MESSAGE_LABELS, "report_labels": REPORT_STATE_LABELS}


def _week():
    """(week, error message or None): a bad ?minggu= shows the current week with a clear message, never a 500."""
    today = today_wib()
    try:
        return parse_week(request.args.get("minggu"), today), None
    except DomainError as error:
        return week_of(today), error.message


def _unit_id():
    """?unit=<id>, ?unit=semua (every unit) or the user's default planning unit."""
    raw = request.args.get("unit")
    if raw == "semua":
        return None
    unit = access.get_unit_or_404(int_arg("unit")) if raw else None
    if unit is not None:
        return unit.id
    return week_view.default_unit_id(db.session(), access.scope())


# --- the week, the month, the printable plan ------------------------------------------------------------------------

@bp.get("/")
@requires("content.view")
def index():
    week, error = _week()
    unit_id = _unit_id()
    data = week_view.week_plan(db.session(), current_user, week, unit_id)
    return render("content/week.html", block="week", plan=data, week_error=error, scope=access.scope(),
                  status=400 if error else 200, **_labels())


@bp.get("/bulan")
@requires("content.view")
def month():
    today = today_wib()
    error = None
    try:
        first = parse_month(request.args.get("bulan"), today.replace(day=1))
    except DomainError as exc:
        first, error = today.replace(day=1), exc.message
    raw_unit = request.args.get("unit")
    unit = access.get_unit_or_404(int_arg("unit")) if raw_unit and raw_unit != "semua" else None
    view = calendar.month_view(db.session(), current_user, first, unit.id if unit else None)
    return render("content/month.html", block="month", view=view, month_error=error, today=today,
                  status=400 if error else 200, **_labels())


@bp.get("/cetak")
@requires("content.view")
def print_week():
    week, error = _week()
    unit_id = _unit_id()
    data = week_view.week_plan(db.session(), current_user, week, unit_id)
    return render("content/print.html", plan=data, week_error=error, today=today_wib(),
                  status=400 if error else 200, **_labels())


# --- posts ----------------------------------------------------------------------------------------------------------

def _post_form(obj_data=None):
    session = db.session()
    form = PostForm(data=obj_data) if obj_data is not None and request.method == "GET" else PostForm()
    choices = pages.form_choices(session, current_user, keep_toolkit=form.toolkit_ids.data or [],
                                 keep_sections=form.section_ids.data or [])
    form.account_ids.choices = choices.accounts
    form.pillar_id.choices = choices.pillars
    form.key_message_id.choices = [(0, _("— tidak ada —"))] + choices.key_messages
    form.toolkit_ids.choices = choices.toolkit
    form.section_ids.choices = choices.sections
    return form


def _post_input(form):
    return plan.PostInput(
        account_ids=form.account_ids.data or [], day=form.day.data, clock=form.clock.data,
        pillar_id=form.pillar_id.data, topic=form.topic.data or "", audience=form.audience.data or "",
        caption=form.caption.data or "", tags=form.tags.data or "", key_message_id=form.key_message_id.data or None,
        toolkit_ids=form.chosen_toolkit_ids(), section_ids=form.section_ids.data or [],
        status=form.status.data or "draf")


def _after_save(post):
    detail = pages.post_detail(db.session(), current_user, post)
    if detail.card.flags or detail.card.warnings:
        flash(ngettext("Tersimpan, dengan %(num)s catatan untuk diperiksa (lihat di bawah).",
                       "Tersimpan, dengan %(num)s catatan untuk diperiksa (lihat di bawah).",
                       len(detail.card.flags) + len(detail.card.warnings)), "warning")
    else:
        flash(_("Rencana pos tersimpan."), "success")
    return redirect_after_post(url_for("content.post", post_id=post.id))


@bp.route("/pos/baru", methods=["GET", "POST"])
@requires("content.plan")
def post_new():
    initial = None
    if request.method == "GET":
        day = request.args.get("tanggal")
        initial = {"status": "draf", "key_message_id": 0}
        try:
            from datetime import date

            initial["day"] = date.fromisoformat(day) if day else None
        except ValueError:
            initial["day"] = None
        account = int_arg("akun")
        if account:
            initial["account_ids"] = [account]
    form = _post_form(initial)
    if form.validate_on_submit() and (done := perform(plan.create_post, db.session(), current_user,
                                                      _post_input(form), form=form, field="topic")):
        return _after_save(done.value)
    return render("content/post_form.html", block="form", form=form, post=None, scope=access.scope(),
                  status=form_status(form), **_labels())


@bp.route("/pos/<int:post_id>/ubah", methods=["GET", "POST"])
@requires("content.plan")
def post_edit(post_id):
    post = access.get_editable_post_or_403(post_id)
    form = _post_form(pages.post_form_values(db.session(), post))
    if form.validate_on_submit() and perform(plan.update_post, db.session(), current_user, post, _post_input(form),
                                             version_of(form), form.reason.data or "", form=form, field="topic"):
        return _after_save(post)
    return render("content/post_form.html", block="form", form=form, post=post, scope=access.scope(),
                  status=form_status(form), **_labels())


def _render_post(post, status=200, **forms):
    session = db.session()
    user_scope = access.scope()
    detail = pages.post_detail(session, current_user, post)
    local = to_wib(post.scheduled_at)
    move_form = forms.get("move_form") or MoveForm(data={"day": local.date(), "clock": local.time(),
                                                         "version": post.version})
    copy_form = forms.get("copy_form") or CopyForm()
    copy_form.account_id.choices = pages.account_choices(session, current_user)
    from portal.content import metrics

    return render(
        "content/post.html", block=forms.get("block"), post=post, detail=detail, move_form=move_form,
        metric_rows=metrics.post_metrics(session, post) if post.status in ("terbit", "dievaluasi") else [],
        metric_fields=metrics.FIELD_TITLES, metrics_error=forms.get("metrics_error"), saved=forms.get("saved"),
        copy_form=copy_form, version_form=VersionForm(data={"version": post.version}),
        reject_form=forms.get("reject_form") or RejectForm(data={"version": post.version}),
        publish_form=forms.get("publish_form") or PublishForm(data={"version": post.version}),
        evaluate_form=forms.get("evaluate_form") or EvaluateForm(data={"version": post.version}),
        editable=access.can_edit_post(session, user_scope, post),
        approval_problem=access.approval_problem(user_scope, post), status=status, **_labels())


@bp.get("/pos/<int:post_id>")
@requires("content.view")
def post(post_id):
    return _render_post(access.get_post_or_404(post_id))


@bp.post("/pos/<int:post_id>/pindah")
@requires("content.plan")
def post_move(post_id):
    """Another day or time: from the post's page (plain form) or with htmx (only the schedule block is swapped)."""
    post = access.get_editable_post_or_403(post_id)
    form = MoveForm()
    if form.validate_on_submit() and perform(plan.move_post, db.session(), current_user, post, form.day.data,
                                             form.clock.data, version_of(form), form.reason.data or "",
                                             form=form, field="day"):
        if not is_htmx():
            flash(_("Jadwal pos dipindah."), "success")
            return redirect(url_for("content.post", post_id=post.id), code=303)
        form = None
    elif request.method == "POST" and not form.errors:
        form.day.errors = [_("Isi tanggal dan jam yang baru.")]
    return _render_post(post, move_form=form, block="schedule",
                        status=form_status(form) if form is not None else 200)


@bp.post("/pos/<int:post_id>/salin")
@requires("content.plan")
def post_copy(post_id):
    post = access.get_post_or_404(post_id)
    form = CopyForm()
    form.account_id.choices = []
    if form.validate_on_submit() and (done := perform(plan.copy_post, db.session(), current_user, post,
                                                      form.account_id.data)):
        flash(_("Pos disalin sebagai draf untuk akun lain."), "success")
        return redirect_after_post(url_for("content.post", post_id=done.value.id))
    return redirect_after_post(url_for("content.post", post_id=post.id))


def _decide(post_id, service, form_class, field=None, *extra):
    """The workflow buttons: one service call with the post's version; a refused step is shown on the page."""
    post = access.get_post_or_404(post_id)
    form = form_class()
    if form.validate_on_submit():
        values = [getattr(form, name).data or "" for name in extra]
        done = perform(service, db.session(), current_user, post, version_of(form), *values,
                       form=form if field else None, field=field)
        if done:
            return redirect_after_post(url_for("content.post", post_id=post.id))
    key = {RejectForm: "reject_form", PublishForm: "publish_form", EvaluateForm: "evaluate_form"}.get(form_class)
    return _render_post(post, status=form_status(form, error=True), **({key: form} if key else {}))


@bp.post("/pos/<int:post_id>/ajukan")
@requires("content.plan")
def post_submit(post_id):
    return _decide(post_id, approval.submit, VersionForm)


@bp.post("/pos/<int:post_id>/tarik")
@requires("content.plan")
def post_withdraw(post_id):
    return _decide(post_id, approval.withdraw, VersionForm)


@bp.post("/pos/<int:post_id>/setujui")
@requires("content.approve")
def post_approve(post_id):
    return _decide(post_id, approval.approve, VersionForm)


@bp.post("/pos/<int:post_id>/tolak")
@requires("content.approve")
def post_reject(post_id):
    return _decide(post_id, approval.reject, RejectForm, "reason", "reason")


@bp.post("/pos/<int:post_id>/terbit")
@requires("content.plan")
def post_publish(post_id):
    return _decide(post_id, approval.publish, PublishForm, "url", "url")


@bp.post("/pos/<int:post_id>/evaluasi")
@requires("content.plan")
def post_evaluate(post_id):
    return _decide(post_id, approval.evaluate, EvaluateForm, "note", "note")


# --- accounts -------------------------------------------------------------------------------------------------------

@bp.get("/akun")
@requires("content.view")
def accounts_index():
    platform = request.args.get("platform") or None
    rows = accounts.list_accounts(db.session(), platform=platform, unit_id=int_arg("unit"))
    return render("content/accounts.html", block="results", rows=rows, platform=platform,
                  platforms=accounts.platforms_in_use(db.session()), scope=access.scope(), **_labels())


def _account_form(account=None):
    session = db.session()
    data = None
    if account is not None and request.method == "GET":
        managers = accounts.managers_of(session, [account.id]).get(account.id, [])
        data = {"platform": account.platform, "handle": account.handle, "url": account.url,
                "unit_id": account.unit_id, "status": account.status, "verified": account.verified,
                "managers": ", ".join(u.nip or u.username for u in managers)}
    elif account is None and request.method == "GET":
        data = {"unit_id": current_user.unit_id}
    form = AccountForm(data=data) if data is not None else AccountForm()
    form.unit_id.choices = accounts.unit_choices(session, access.scope())
    return form


def _account_input(form):
    return accounts.AccountInput(platform=form.platform.data, handle=form.handle.data or "",
                                 unit_id=form.unit_id.data, url=form.url.data or "", status=form.status.data,
                                 verified=bool(form.verified.data), managers=form.managers.data or "")


@bp.route("/akun/baru", methods=["GET", "POST"])
@requires("content.accounts")
def account_new():
    form = _account_form()
    if form.validate_on_submit() and (done := perform(accounts.create_account, db.session(), current_user,
                                                      _account_input(form), form=form, field="handle")):
        flash(_("Akun %(handle)s didaftarkan.", handle=done.value.handle), "success")
        return redirect_after_post(url_for("content.account", account_id=done.value.id))
    return render("content/account_form.html", block="form", form=form, account=None, status=form_status(form))


@bp.route("/akun/<int:account_id>/ubah", methods=["GET", "POST"])
@requires("content.accounts")
def account_edit(account_id):
    account = access.get_managed_account_or_403(account_id)
    form = _account_form(account)
    if form.validate_on_submit() and perform(accounts.update_account, db.session(), current_user, account,
                                             _account_input(form), form=form, field="handle"):
        flash(_("Perubahan akun %(handle)s disimpan.", handle=account.handle), "success")
        return redirect_after_post(url_for("content.account", account_id=account.id))
    return render("content/account_form.html", block="form", form=form, account=account, status=form_status(form))


@bp.get("/akun/<int:account_id>")
@requires("content.view")
def account(account_id):
    account = access.get_account_or_404(account_id)
    session = db.session()
    today = today_wib()
    error = None
    from portal.content.common import add_months

    try:
        first = parse_month(request.args.get("bulan"), add_months(today.replace(day=1), -1))
    except DomainError as exc:
        first, error = add_months(today.replace(day=1), -1), exc.message
    summary = pages.account_month(session, current_user, account, first)
    month_form = AccountMonthForm(data={"month": first.strftime("%Y-%m"), **{
        name: getattr(summary.figures, name) for name in ("followers", "new_followers", "posts", "reach")
        if summary.figures is not None and getattr(summary.figures, name) is not None}})
    return render("content/account.html", account=account, summary=summary, month_error=error,
                  month_form=month_form, plans=access.scope().plans_for(account),
                  can_manage=access.scope().manages_account(account), status=400 if error else 200, **_labels())


# --- pillars --------------------------------------------------------------------------------------------------------

@bp.get("/pilar")
@requires("content.view")
def pillars_index():
    session = db.session()
    week, error = _week()
    unit_id = _unit_id()
    data = week_view.week_plan(session, current_user, week, unit_id)
    return render("content/pillars.html", rows=pillars.list_pillars(session), plan=data, week_error=error,
                  status=400 if error else 200, **_labels())


def _pillar_input(form):
    return pillars.PillarInput(name=form.name.data or "", description=form.description.data or "",
                               colour=(form.colour.data or "").strip(), position=form.position.data or 0,
                               active=bool(form.active.data))


@bp.route("/pilar/baru", methods=["GET", "POST"])
@requires("content.pillars")
def pillar_new():
    form = PillarForm()
    if form.validate_on_submit() and perform(pillars.create_pillar, db.session(), current_user, _pillar_input(form),
                                             form=form, field="name"):
        flash(_("Pilar konten ditambahkan."), "success")
        return redirect_after_post(url_for("content.pillars_index"))
    return render("content/pillar_form.html", form=form, pillar=None, status=form_status(form))


@bp.route("/pilar/<int:pillar_id>/ubah", methods=["GET", "POST"])
@requires("content.pillars")
def pillar_edit(pillar_id):
    pillar = access.get_pillar_or_404(pillar_id)
    form = PillarForm(obj=pillar) if request.method == "GET" else PillarForm()
    if form.validate_on_submit() and perform(pillars.update_pillar, db.session(), current_user, pillar,
                                             _pillar_input(form), form=form, field="name"):
        flash(_("Pilar konten disimpan."), "success")
        return redirect_after_post(url_for("content.pillars_index"))
    return render("content/pillar_form.html", form=form, pillar=pillar, status=form_status(form))


# --- key messages and agenda ----------------------------------------------------------------------------------------

@bp.get("/pesan")
@requires("content.view")
def key_messages():
    rows = calendar.key_message_list(db.session(), today_wib())
    return render("content/key_messages.html", rows=rows, central=access.scope().central, **_labels())


def _key_message_input(form):
    return calendar.KeyMessageInput(kind=form.kind.data, title=form.title.data or "", starts_on=form.starts_on.data,
                                    ends_on=form.ends_on.data, body=form.body.data or "", tags=form.tags.data or "")


@bp.route("/pesan/baru", methods=["GET", "POST"])
@requires("content.key_messages")
def key_message_new():
    access.require_central_humas()
    form = KeyMessageForm()
    if form.validate_on_submit() and perform(calendar.create_key_message, db.session(), current_user,
                                             _key_message_input(form), form=form, field="title"):
        flash(_("Pesan kunci diterbitkan: tampil di kalender setiap unit."), "success")
        return redirect_after_post(url_for("content.key_messages"))
    return render("content/key_message_form.html", form=form, message=None, status=form_status(form))


@bp.route("/pesan/<int:message_id>/ubah", methods=["GET", "POST"])
@requires("content.key_messages")
def key_message_edit(message_id):
    access.require_central_humas()
    message = access.get_key_message_or_404(message_id)
    form = KeyMessageForm(obj=message) if request.method == "GET" else KeyMessageForm()
    if form.validate_on_submit() and perform(calendar.update_key_message, db.session(), current_user, message,
                                             _key_message_input(form), form=form, field="title"):
        flash(_("Pesan kunci disimpan."), "success")
        return redirect_after_post(url_for("content.key_messages"))
    return render("content/key_message_form.html", form=form, message=message, status=form_status(form))


# --- metrics: import, hand entry, an account's month ----------------------------------------------------------------

def _import_month(raw):
    return parse_month(raw, None) if raw else None


def _import_mapping(raw):
    return metric_imports.parse_mapping_text(raw) if raw and raw.strip() else None


def _import_kind(raw):
    return raw if raw in metric_imports.KINDS else None


@bp.route("/akun/<int:account_id>/impor", methods=["GET", "POST"])
@requires("content.plan")
def metrics_import(account_id):
    """Upload → preview: the platform's own export (posts, or the account's days or months), checked in full;
    nothing is written yet."""
    from portal import staging
    from portal.content import import_accounts, import_posts, metrics, platform_exports

    account = access.get_plannable_account_or_403(account_id)
    form = MetricsImportForm()
    staged, error = staging.Staged(), None
    if form.validate_on_submit():
        try:
            month_value, mapping = _import_month(form.month.data), _import_mapping(form.mapping.data)
            kind = _import_kind(form.kind.data)
            staged = staging.stage(form.file.data.read(), "contentmetrics", lambda raw: metric_imports.preview(
                db.session(), account, raw, month_value, mapping, kind))
        except DomainError as exc:
            error = exc.message
    rejected = bool(error or staged.error or (staged.preview and not staged.preview.ok))
    confirm = ConfirmImportForm(token=staged.token, month=form.month.data or "", mapping=form.mapping.data or "",
                                kind=form.kind.data or "")
    return render("content/import.html", account=account, form=form, preview=staged.preview,
                  error=error or staged.error, token=staged.token, confirm_form=confirm,
                  remembered=platform_exports.remembered_mapping(db.session(), account.id),
                  fields={**import_posts.FIELD_LABELS, **import_accounts.FIELD_LABELS},
                  titles=metrics.FIELD_TITLES,
                  status=422 if rejected else form_status(form))


@bp.post("/akun/<int:account_id>/impor/konfirmasi")
@requires("content.plan")
def metrics_import_confirm(account_id):
    """Confirm: the staged file is checked again and written; a large one by the job queue (its page shows the
    progress)."""
    from flask import current_app

    from portal import staging, tabular

    account = access.get_plannable_account_or_403(account_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    raw = staging.take(form.token.data, "contentmetrics")
    if raw is None:
        flash(_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."), "error")
        return redirect(url_for("content.metrics_import", account_id=account.id), code=303)
    try:
        month_value, mapping = _import_month(form.month.data), _import_mapping(form.mapping.data)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("content.metrics_import", account_id=account.id), code=303)
    kind = _import_kind(form.kind.data)
    if tabular.count_rows(raw) > current_app.config["IMPORT_JOB_MIN_ROWS"]:  # a large file: the job worker writes it
        job = metric_imports.enqueue(db.session(), current_user, account, form.token.data, month_value, mapping, kind)
        return redirect(url_for("jobs.status", job_id=job.id), code=303)
    done = perform(metric_imports.apply, db.session(), current_user, account, raw, month_value, mapping, kind)
    if not done:
        return redirect(url_for("content.metrics_import", account_id=account.id), code=303)
    staging.discard(form.token.data)
    flash(_("Impor selesai: %(c)d baru, %(u)d diperbarui, %(s)d dilewati.", c=done.value.count("create"),
            u=done.value.count("update"), s=len(done.value.skipped)), "success")
    return redirect(url_for("content.account", account_id=account.id), code=303)


@bp.post("/pos/<int:post_id>/metrik")
@requires("content.plan")
def post_metrics(post_id):
    """Metrics typed by hand: one cell (htmx, on change) or the whole row (plain form)."""
    from portal.content import metrics

    post = access.get_editable_post_or_403(post_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    account_id = int_form("account_id")
    values = {name: request.form[name] for name in metrics.METRIC_FIELDS if name in request.form}
    done = perform(metrics.save_metrics, db.session(), current_user, post, account_id, values)
    if is_htmx():
        return _render_post(post, block="metrics", status=200, metrics_error=None if done else done.error.message,
                            saved=bool(done))
    if done:
        flash(_("Metrik tersimpan."), "success")
    return redirect(url_for("content.post", post_id=post.id) + "#metrik", code=303)


@bp.post("/akun/<int:account_id>/bulan")
@requires("content.plan")
def account_month_save(account_id):
    from portal.content import metrics

    account = access.get_plannable_account_or_403(account_id)
    form = AccountMonthForm()
    if form.validate_on_submit():
        try:
            first = parse_month(form.month.data, None)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("content.account", account_id=account.id), code=303)
        values = {name: getattr(form, name).data for name in ("followers", "new_followers", "posts", "reach")}
        if perform(metrics.save_account_month, db.session(), current_user, account, first, values):
            flash(_("Angka bulanan akun tersimpan."), "success")
        return redirect(url_for("content.account", account_id=account.id, bulan=first.strftime("%Y-%m")), code=303)
    flash(_("Bulan wajib diisi (TTTT-BB)."), "error")
    return redirect(url_for("content.account", account_id=account.id), code=303)


def int_form(name):
    try:
        value = int(request.form.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value <= db.MAX_INT else None


# --- monthly reports and the roll-up ---------------------------------------------------------------------------------

def _report_month():
    """(first day of the month, error): ?bulan=YYYY-MM, by default the last full month."""
    from portal.content.reports import last_full_month

    default = last_full_month()
    try:
        first = parse_month(request.args.get("bulan"), default)
    except DomainError as exc:
        return default, exc.message
    if first > today_wib().replace(day=1):
        return default, _("Bulan %(m)s belum berjalan; ditampilkan %(d)s.", m=first.strftime("%Y-%m"),
                          d=default.strftime("%Y-%m"))
    return first, None


def _report_unit(unit_id):
    from portal.content import reports

    unit = access.get_unit_or_404(unit_id)
    if not reports.can_see_unit(db.session(), current_user, unit):
        abort(403)
    return unit


@bp.get("/laporan")
@requires("content.report")
def reports_index():
    from portal.content import reports

    session = db.session()
    first, error = _report_month()
    rows = reports.rollup(session, current_user, first)
    series = reports.trends(session, [r.unit for r in rows], first)
    charts = {key: [(f.strftime("%m/%y"), reach) for f, reach, _inter, _n in points] for key, points in series.items()}
    return render("content/rollup.html", rows=rows, ranked=reports.ranking(rows), first=first, month_error=error,
                  series=charts, deadline=reports.deadline(first), status=400 if error else 200, **_labels())


@bp.get("/laporan/<int:unit_id>")
@requires("content.view")
def report(unit_id):
    return _render_report(_report_unit(unit_id))


def _render_report(unit, form=None, decision_form=None, status=200):
    from portal.content import reports

    session = db.session()
    first, error = _report_month()
    report_row = reports.get_report(session, unit.id, first)
    user_scope = access.scope()
    if form is None:
        form = ReportForm(data={"achievements": report_row.achievements, "obstacles": report_row.obstacles,
                                "follow_up": report_row.follow_up} if report_row else None)
    return render("content/report.html", unit=unit, first=first, month_error=error, report=report_row,
                  figures=reports.figures(session, unit, first), state=reports.status_of(report_row, first),
                  late=reports.submitted_late(report_row, first), deadline=reports.deadline(first),
                  history=reports.history(session, report_row), form=form,
                  decision_form=decision_form or ReportDecisionForm(),
                  writer=reports.can_write(user_scope, unit), central=user_scope.central,
                  status=400 if error and status == 200 else status, **_labels())


def _report_step(unit_id, service, *fields, form_class=None):
    unit = _report_unit(unit_id)
    first, error = _report_month()
    form = (form_class or ReportDecisionForm)()
    if error or not form.validate_on_submit():
        flash(error or _("Formulir tidak sah; muat ulang halaman."), "error")
        return redirect(url_for("content.report", unit_id=unit.id), code=303)
    values = [getattr(form, name).data or "" for name in fields]
    done = perform(service, db.session(), current_user, unit, first, *values,
                   form=form, field=fields[0] if fields else None)
    if done:
        return redirect_after_post(url_for("content.report", unit_id=unit.id, bulan=first.strftime("%Y-%m")))
    kwargs = {"form": form} if form_class is ReportForm else {} if form_class else {"decision_form": form}
    return _render_report(unit, status=form_status(form, error=True), **kwargs)


@bp.post("/laporan/<int:unit_id>/simpan")
@requires("content.plan")
def report_save(unit_id):
    from portal.content import reports

    return _report_step(unit_id, reports.save_narrative, "achievements", "obstacles", "follow_up",
                        form_class=ReportForm)


@bp.post("/laporan/<int:unit_id>/ajukan")
@requires("content.plan")
def report_submit(unit_id):
    from portal.content import reports

    return _report_step(unit_id, reports.submit, form_class=VersionForm)


@bp.post("/laporan/<int:unit_id>/terima")
@requires("content.report")
def report_accept(unit_id):
    from portal.content import reports

    return _report_step(unit_id, reports.accept, "note")


@bp.post("/laporan/<int:unit_id>/kembalikan")
@requires("content.report")
def report_send_back(unit_id):
    from portal.content import reports

    return _report_step(unit_id, reports.send_back, "note")


@bp.post("/laporan/<int:unit_id>/buka")
@requires("content.plan")
def report_reopen(unit_id):
    from portal.content import reports

    return _report_step(unit_id, reports.reopen, "note")


@bp.get("/laporan/<int:unit_id>/cetak")
@requires("content.view")
def report_print(unit_id):
    from portal.content import reports

    unit = _report_unit(unit_id)
    session = db.session()
    first, error = _report_month()
    report_row = reports.get_report(session, unit.id, first)
    return render("content/report_print.html", unit=unit, first=first, month_error=error, report=report_row,
                  figures=reports.figures(session, unit, first), state=reports.status_of(report_row, first),
                  today=today_wib(), status=400 if error else 200, **_labels())


@bp.get("/laporan/<int:unit_id>/xlsx")
@requires("content.view")
def report_xlsx(unit_id):
    from portal.content import exports as content_exports

    unit = _report_unit(unit_id)
    first, _error = _report_month()
    return content_exports.unit_month(db.session(), unit, first)


@bp.get("/laporan/xlsx")
@requires("content.report")
def reports_xlsx():
    from portal.content import exports as content_exports

    first, _error = _report_month()
    return content_exports.rollup(db.session(), current_user, first)
