"""Quiz: employees take quizzes one question per screen (htmx, or plain forms without JavaScript); admins manage
the bank, quizzes and GIFT import/export, humas propose questions; admins and supervisors see reports."""

import re
import secrets
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import certificates, db, exports
from portal.errors import DomainError
from portal.forms import attach_error
from portal.htmx import is_htmx, redirect_after_post, render
from portal.models import Question, QuestionVersion, Quiz, QuizTopic, Unit
from portal.permissions import can, report_scope, requires, unit_in_scope
from portal.quiz import exchange, images, reports, services
from portal.quiz.forms import (
    DIFFICULTY_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    OPTION_ROWS,
    STATUS_LABELS,
    ConfirmImportForm,
    EmptyForm,
    GiftImportForm,
    QuestionForm,
    QuizForm,
    StatusForm,
    TopicForm,
)

bp = Blueprint("quiz", __name__)


@bp.app_context_processor
def quiz_labels():
    return {"quiz_kind_labels": KIND_LABELS, "quiz_status_labels": STATUS_LABELS,
            "quiz_difficulty_labels": DIFFICULTY_LABELS, "quiz_mode_labels": MODE_LABELS,
            "score_text": services.score_text}


def _int_arg(name, default=None):
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return default
    return value if 0 < value <= db.MAX_INT else default


def _own_attempt(attempt_id):
    """The signed-in person's attempt; anyone else's is a 404 (its existence is not revealed)."""
    attempt = services.attempt_of(db.session(), current_user, attempt_id)
    if attempt is None:
        abort(404)
    return attempt


def _form_error(form, error, default_field):
    """Errors of the option, rule and section lists are shown above those lists (returned); others under a field."""
    name = error.field or default_field
    if name not in form._fields or name in ("options", "rules", "section_ids"):
        return error.message
    attach_error(form, error, default_field)
    return None


# --- taking a quiz ------------------------------------------------------------------------------------------------

@bp.get("/")
@requires("quiz.take")
def index():
    session = db.session()
    return render("quiz/index.html", statuses=services.overview(session, current_user),
                  recent=services.history(session, current_user)[:5], form=EmptyForm())


@bp.post("/<int:quiz_id>/mulai")
@requires("quiz.take")
def start(quiz_id):
    session = db.session()
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or not quiz.active:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start(session, current_user, quiz)
    except DomainError as error:
        session.rollback()
        flash(error.message, "error")
        return redirect_after_post(url_for("quiz.index"))
    return redirect_after_post(url_for("quiz.attempt", attempt_id=attempt.id))


def _attempt_url(attempt, position=None, summary=False):
    if summary:
        return url_for("quiz.attempt", attempt_id=attempt.id, ringkasan=1)
    return url_for("quiz.attempt", attempt_id=attempt.id, no=position)


def _question_page(attempt, position, summary=False, error=None, notice=None, status=200):
    """The attempt page at one question (or at the summary), as a page or as the `question` fragment."""
    session = db.session()
    items = services.attempt_items(session, attempt)
    first = services.first_unanswered(items)
    if not summary:
        if position is None or not 1 <= position <= len(items):
            position = first
        elif attempt.feedback_mode == "immediate" and items[position - 1].answered_at is None and position != first:
            position = first  # immediate feedback: questions are answered in order
        summary = position is None
    shown = None if summary else services.shown_question(session, attempt, position)
    done, total = services.progress(items)
    response = render("quiz/attempt.html", block="question", attempt=attempt,
                      quiz=session.get(Quiz, attempt.quiz_id), shown=shown, items=items, done=done, total=total,
                      first_unanswered=first, summary=summary, error=error, notice=notice, form=EmptyForm(),
                      status=status)
    if is_htmx():
        response.headers["HX-Push-Url"] = _attempt_url(attempt, position, summary)
    return response


@bp.get("/percobaan/<int:attempt_id>")
@requires("quiz.take")
def attempt(attempt_id):
    attempt = _own_attempt(attempt_id)
    if attempt.finished_at is not None:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    return _question_page(attempt, _int_arg("no"), summary=request.args.get("ringkasan") == "1")


@bp.post("/percobaan/<int:attempt_id>/soal/<int:position>")
@requires("quiz.take")
def answer(attempt_id, position):
    session = db.session()
    attempt = _own_attempt(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if attempt.finished_at is not None:
        flash(_("Kuis ini sudah Anda selesaikan; jawaban tidak dapat diubah lagi."), "error")
        return redirect_after_post(url_for("quiz.result", attempt_id=attempt.id))
    try:
        saved = services.answer(session, attempt, position, request.form.getlist("option"))
    except DomainError as error:
        session.rollback()
        return _question_page(attempt, position, error=error.message, status=200 if is_htmx() else 422)
    notice = None if saved else _("Jawaban untuk soal ini sudah tersimpan sebelumnya dan tidak diubah.")
    if attempt.feedback_mode == "immediate":
        target, summary = position, False  # show the feedback of this answer
    else:
        notice = _("Jawaban soal %(n)d tersimpan.", n=position)
        total = len(services.attempt_items(session, attempt))
        target, summary = (position + 1, False) if position < total else (None, True)
    if is_htmx():
        return _question_page(attempt, target, summary=summary, notice=notice)
    if notice:
        flash(notice, "info")
    return redirect(_attempt_url(attempt, target, summary), code=303)


@bp.post("/percobaan/<int:attempt_id>/selesai")
@requires("quiz.take")
def finish(attempt_id):
    session = db.session()
    attempt = _own_attempt(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.finish(session, attempt)
    return redirect_after_post(url_for("quiz.result", attempt_id=attempt.id))


@bp.get("/percobaan/<int:attempt_id>/hasil")
@requires("quiz.take")
def result(attempt_id):
    attempt = _own_attempt(attempt_id)
    if attempt.finished_at is None:
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
    session = db.session()
    outcome = services.result(session, attempt)
    state = services.quiz_status(session, current_user, outcome.quiz)
    return render("quiz/result.html", r=outcome, state=state, form=EmptyForm())


@bp.get("/riwayat")
@requires("quiz.take")
def history():
    return render("quiz/history.html", rows=services.history(db.session(), current_user))


@bp.get("/sertifikat/<int:attempt_id>")
@requires("quiz.take")
def certificate(attempt_id):
    session = db.session()
    attempt = _own_attempt(attempt_id)
    cert = services.certificate_of(session, attempt)
    if cert is None:
        abort(404)
    return render("quiz/certificate.html", attempt=attempt, cert=cert, quiz=session.get(Quiz, attempt.quiz_id),
                  verify_url=certificates.verify_url(cert.code), display_code=certificates.format_code(cert.code),
                  valid=certificates.is_valid(cert))


@bp.get("/gambar/<name>")
@requires("quiz.take")
def image(name):
    path = images.path_of(name)
    if path is None or not services.image_visible(db.session(), current_user, name):
        abort(404)
    response = send_file(path, mimetype=images.mimetype_of(name), max_age=86400, conditional=True)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# --- the question bank (admin; humas propose) -----------------------------------------------------------------------

@bp.get("/kelola/")
@requires("quiz.propose")
def bank():
    session = db.session()
    filters = {"topik": _int_arg("topik"), "status": request.args.get("status", ""),
               "jenis": request.args.get("jenis", ""), "q": request.args.get("q", "").strip()[:100]}
    rows = services.bank(session, topic_id=filters["topik"], status=filters["status"], kind=filters["jenis"],
                         query=filters["q"])
    return render("quiz/bank.html", block="results", rows=rows, filters=filters,
                  topics=services.topics(session), counts=services.status_counts(session),
                  can_manage=can(current_user, "quiz.manage"))


def _question_form(question=None):
    session = db.session()
    data = None
    if question is not None and request.method == "GET":
        version = session.get(QuestionVersion, question.current_version_id)
        options = services.version_options(session, version.id)
        data = {"topic_id": question.topic_id, "name": question.name, "kind": version.kind,
                "difficulty": question.difficulty, "stem": version.stem, "image_alt": version.image_alt,
                "explanation": version.explanation, "section_ids": services.question_section_ids(session, question.id)}
        if version.kind == "truefalse":
            data.update(tf_correct="true" if options[0].fraction >= options[1].fraction else "false",
                        tf_feedback_true=options[0].feedback, tf_feedback_false=options[1].feedback,
                        options=[{}] * OPTION_ROWS)
        else:
            rows = [{"text": o.text, "weight": round(o.fraction * 100), "feedback": o.feedback} for o in options]
            data["options"] = rows + [{}] * max(OPTION_ROWS - len(rows), 0)
    elif request.method == "GET":
        data = {"topic_id": _int_arg("topik") or 0}
    form = QuestionForm(data=data) if data is not None else QuestionForm()
    form.topic_id.choices = [(0, _("— pilih topik —"))] + services.topic_choices(session)
    form.section_ids.choices = dict(services.section_choices(session))
    return form


def _question_input(form):
    if form.kind.data == "truefalse":
        options = services.true_false_options(form.tf_correct.data == "true", form.tf_feedback_true.data or "",
                                              form.tf_feedback_false.data or "")
    else:
        options = [services.OptionInput(entry.form.text.data or "", (entry.form.weight.data or 0) / 100,
                                        entry.form.feedback.data or "") for entry in form.options.entries]
    return services.QuestionInput(topic_id=form.topic_id.data or 0, kind=form.kind.data, stem=form.stem.data or "",
                                  options=options, name=form.name.data or "", explanation=form.explanation.data or "",
                                  section_ids=form.section_ids.data or [], difficulty=form.difficulty.data or 2,
                                  image_alt=form.image_alt.data or "")


def _upload_bytes(field):
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    return storage.read()


@bp.route("/kelola/soal/baru", methods=["GET", "POST"])
@requires("quiz.propose")
def question_new():
    session = db.session()
    form = _question_form()
    options_error = None
    if form.validate_on_submit():
        status = "active" if can(current_user, "quiz.manage") and form.activate.data else "draft"
        try:
            question = services.save_question(session, current_user, None, _question_input(form),
                                              upload=_upload_bytes(form.image), status=status)
        except DomainError as error:
            session.rollback()
            options_error = _form_error(form, error, "stem")
        else:
            flash(_("Soal disimpan.") if status == "active" else
                  _("Soal disimpan sebagai usulan (draf). Admin akan memeriksa dan mengaktifkannya."), "success")
            return redirect(url_for("quiz.question_preview", question_id=question.id), code=303)
    return render("quiz/question_form.html", form=form, question=None, version=None, options_error=options_error,
                  status=422 if (form.errors or options_error) else 200)


@bp.route("/kelola/soal/<int:question_id>", methods=["GET", "POST"])
@requires("quiz.propose")
def question_edit(question_id):
    session = db.session()
    question = session.get(Question, question_id) or abort(404)
    if not services.can_edit_question(current_user, question):
        abort(403)
    version = session.get(QuestionVersion, question.current_version_id)
    form = _question_form(question)
    options_error = None
    if form.validate_on_submit():
        try:
            outcome = services.save_question(session, current_user, question, _question_input(form),
                                             upload=_upload_bytes(form.image), remove_image=form.remove_image.data)
        except DomainError as error:
            session.rollback()
            options_error = _form_error(form, error, "stem")
        else:
            messages = {"new_version": _("Soal ini sudah pernah dikerjakan, jadi perubahan disimpan sebagai versi "
                                         "baru. Percobaan lama tetap memakai versi sebelumnya."),
                        "updated": _("Perubahan soal disimpan."), "same": _("Tidak ada perubahan.")}
            flash(messages[outcome], "success")
            return redirect(url_for("quiz.question_preview", question_id=question.id), code=303)
    return render("quiz/question_form.html", form=form, question=question, version=version,
                  in_use=services.version_in_use(session, version.id), options_error=options_error,
                  status=422 if (form.errors or options_error) else 200)


@bp.get("/kelola/soal/<int:question_id>/pratinjau")
@requires("quiz.propose")
def question_preview(question_id):
    session = db.session()
    question = session.get(Question, question_id) or abort(404)
    version = session.get(QuestionVersion, question.current_version_id)
    return render("quiz/question_preview.html", question=question, version=version,
                  topic=session.get(QuizTopic, question.topic_id),
                  options=services.version_options(session, version.id),
                  links=services.section_links(session, services.question_section_ids(session, question.id)),
                  versions=services.question_versions(session, question), usage=services.version_usage(session,
                                                                                                      question),
                  can_edit=services.can_edit_question(current_user, question), status_form=StatusForm())


@bp.post("/kelola/soal/<int:question_id>/status")
@requires("quiz.manage")
def question_status(question_id):
    session = db.session()
    question = session.get(Question, question_id) or abort(404)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_question_status(session, current_user, question, form.status.data)
    flash(_("Status soal menjadi: %(s)s.", s=STATUS_LABELS[form.status.data]), "success")
    return redirect_after_post(url_for("quiz.question_preview", question_id=question.id))


# --- topics and quizzes (admin) -------------------------------------------------------------------------------------

@bp.get("/kelola/topik")
@requires("quiz.manage")
def topics():
    session = db.session()
    return render("quiz/topics.html", topics=services.topics(session), counts=services.topic_question_counts(session),
                  sections=services.topic_sections(session))


def _topic_form(topic=None):
    session = db.session()
    data = None
    if topic is not None and request.method == "GET":
        data = {"name": topic.name, "description": topic.description, "position": topic.position,
                "section_ids": services.topic_section_ids(session, topic.id)}
    form = TopicForm(data=data) if data is not None else TopicForm()
    form.section_ids.choices = dict(services.section_choices(session))
    return form


@bp.route("/kelola/topik/baru", methods=["GET", "POST"])
@requires("quiz.manage")
def topic_new():
    form = _topic_form()
    if form.validate_on_submit():
        try:
            services.create_topic(db.session(), current_user, form.name.data, form.description.data,
                                  form.position.data, form.section_ids.data)
        except DomainError as error:
            db.session().rollback()
            _form_error(form, error, "name")
        else:
            flash(_("Topik ditambahkan."), "success")
            return redirect(url_for("quiz.topics"), code=303)
    return render("quiz/topic_form.html", form=form, topic=None, status=422 if form.errors else 200)


@bp.route("/kelola/topik/<int:topic_id>", methods=["GET", "POST"])
@requires("quiz.manage")
def topic_edit(topic_id):
    session = db.session()
    topic = session.get(QuizTopic, topic_id) or abort(404)
    form = _topic_form(topic)
    if form.validate_on_submit():
        try:
            services.update_topic(session, current_user, topic, form.name.data, form.description.data,
                                  form.position.data if form.position.data is not None else topic.position,
                                  form.section_ids.data)
        except DomainError as error:
            session.rollback()
            _form_error(form, error, "name")
        else:
            flash(_("Topik disimpan."), "success")
            return redirect(url_for("quiz.topics"), code=303)
    return render("quiz/topic_form.html", form=form, topic=topic, status=422 if form.errors else 200)


@bp.get("/kelola/kuis")
@requires("quiz.manage")
def quizzes():
    session = db.session()
    rows = [(quiz, services.quiz_size(session, quiz.id)) for quiz in services.quizzes(session)]
    return render("quiz/quizzes.html", rows=rows)


def _rules_from_request(session):
    rules = {}
    for topic in services.topics(session):
        raw = request.form.get(f"count-{topic.id}", "").strip()
        if not raw:
            continue
        try:
            rules[topic.id] = int(raw)
        except ValueError:
            raise DomainError(_("Jumlah soal untuk topik %(t)s harus angka.", t=topic.name), field="rules") from None
    return rules


def _quiz_page(form, quiz, rules, rules_error):
    session = db.session()
    return render("quiz/quiz_form.html", form=form, quiz=quiz, rules=rules, rules_error=rules_error,
                  topics=services.topics(session), available=services.active_question_counts(session),
                  status=422 if (form.errors or rules_error) else 200)


@bp.route("/kelola/kuis/baru", methods=["GET", "POST"])
@requires("quiz.manage")
def quiz_new():
    session = db.session()
    form = QuizForm()
    rules, rules_error = {}, None
    if form.validate_on_submit():
        try:
            rules = _rules_from_request(session)
            quiz = services.save_quiz(session, current_user, None, rules, **_quiz_values(form))
        except DomainError as error:
            session.rollback()
            rules_error = _form_error(form, error, "title")
        else:
            flash(_("Kuis %(t)s dibuat.", t=quiz.title), "success")
            return redirect(url_for("quiz.quizzes"), code=303)
    elif request.method == "POST":
        rules = {int(k[6:]): v for k, v in request.form.items() if k.startswith("count-") and k[6:].isdigit()}
    return _quiz_page(form, None, rules, rules_error)


def _quiz_values(form):
    return {name: getattr(form, name).data for name in services.QUIZ_FIELDS}


@bp.route("/kelola/kuis/<int:quiz_id>", methods=["GET", "POST"])
@requires("quiz.manage")
def quiz_edit(quiz_id):
    session = db.session()
    quiz = session.get(Quiz, quiz_id) or abort(404)
    form = QuizForm(obj=quiz) if request.method == "GET" else QuizForm()
    rules, rules_error = services.quiz_rules(session, quiz.id), None
    if form.validate_on_submit():
        try:
            rules = _rules_from_request(session)
            services.save_quiz(session, current_user, quiz, rules, **_quiz_values(form))
        except DomainError as error:
            session.rollback()
            rules_error = _form_error(form, error, "title")
        else:
            flash(_("Kuis %(t)s disimpan.", t=quiz.title), "success")
            return redirect(url_for("quiz.quizzes"), code=303)
    return _quiz_page(form, quiz, rules, rules_error)


# --- GIFT import and export (admin) -------------------------------------------------------------------------------

def _import_dir():
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@bp.route("/kelola/impor", methods=["GET", "POST"])
@requires("quiz.manage")
def import_gift():
    session = db.session()
    form = GiftImportForm()
    preview = error = token = None
    if form.validate_on_submit():
        raw = _upload_bytes(form.file)
        if raw is None:
            error = _("Pilih berkas GIFT.")
        else:
            try:
                preview = exchange.preview_gift(session, raw, form.topic.data)
            except DomainError as exc:
                error = exc.message
            else:
                if preview.importable:
                    token = f"{current_user.id}-{secrets.token_hex(16)}"
                    (_import_dir() / f"{token}.gift").write_bytes(raw)
    status = 422 if (error or (request.method == "POST" and form.errors)) else 200
    return render("quiz/import.html", form=form, preview=preview, error=error, token=token,
                  confirm_form=ConfirmImportForm(token=token, topic=form.topic.data), status=status)


@bp.post("/kelola/impor/konfirmasi")
@requires("quiz.manage")
def import_confirm():
    form = ConfirmImportForm()
    token = form.token.data or ""
    if not form.validate_on_submit() or not re.fullmatch(rf"{current_user.id}-[0-9a-f]{{32}}", token):
        abort(400)
    path = _import_dir() / f"{token}.gift"
    if not path.exists():
        flash(_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."), "error")
        return redirect(url_for("quiz.import_gift"), code=303)
    try:
        preview = exchange.apply_gift(db.session(), current_user, path.read_bytes(), form.topic.data)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("quiz.import_gift"), code=303)
    path.unlink(missing_ok=True)
    flash(_("Impor selesai: %(c)d soal baru, %(u)d diperbarui, %(s)d tidak berubah, %(k)d dilewati.",
            c=preview.count("create"), u=preview.count("update"), s=preview.count("same"),
            k=len(preview.skipped)), "success")
    return redirect(url_for("quiz.bank"), code=303)


@bp.get("/kelola/ekspor.gift")
@requires("quiz.manage")
def export_gift():
    text, _count = exchange.export_gift(db.session(), topic_id=_int_arg("topik"))
    return Response(text.encode("utf-8"), mimetype="text/plain", headers={
        "Content-Disposition": 'attachment; filename="bank-soal.gift"'})


# --- reports (admin: all units; supervisors: their unit tree) ----------------------------------------------------

def _report_unit():
    unit_id = _int_arg("unit")
    if not unit_id:
        return None
    unit = db.session().get(Unit, unit_id) or abort(404)
    if not unit_in_scope(current_user, unit):
        abort(403)
    return unit


def _report_quiz():
    session = db.session()
    all_quizzes = services.quizzes(session)
    if not all_quizzes:
        return None, []
    wanted = _int_arg("kuis")
    if wanted:
        quiz = next((q for q in all_quizzes if q.id == wanted), None) or abort(404)
    else:
        quiz = next((q for q in all_quizzes if q.active and q.certificate), all_quizzes[0])
    return quiz, all_quizzes


@bp.get("/laporan")
@requires("quiz.report")
def report():
    session = db.session()
    scope = report_scope(current_user)
    quiz, all_quizzes = _report_quiz()
    if quiz is None:
        return render("quiz/report.html", quiz=None, all_quizzes=[])
    unit = _report_unit()
    all_rows = reports.unit_rows(session, quiz, scope)
    rows = [r for r in all_rows if unit is None or r.unit.path.startswith(unit.path)]
    histogram = reports.score_histogram(session, quiz, scope, unit)
    units = [r.unit for r in all_rows]
    return render("quiz/report.html", quiz=quiz, all_quizzes=all_quizzes, unit=unit, rows=rows,
                  scope_units=units, scope_depth=min((u.depth for u in units), default=0),
                  total=reports.totals(rows), histogram=histogram, bin_label=reports.bin_label,
                  sections=reports.section_rollup(session, quiz, scope, unit)[:10],
                  stats=reports.question_stats(session, quiz, scope, unit))


@bp.get("/laporan/soal")
@requires("quiz.report")
def question_report():
    session = db.session()
    scope = report_scope(current_user)
    quiz, all_quizzes = _report_quiz()
    if quiz is None:
        return render("quiz/report.html", quiz=None, all_quizzes=[])
    unit = _report_unit()
    units = reports.scope_units(session, scope)
    return render("quiz/question_report.html", quiz=quiz, all_quizzes=all_quizzes, unit=unit, scope_units=units,
                  scope_depth=min((u.depth for u in units), default=0),
                  stats=reports.question_stats(session, quiz, scope, unit),
                  sections=reports.section_rollup(session, quiz, scope, unit), thresholds=reports)


@bp.get("/laporan/<kind>.<fmt>")
@requires("quiz.report")
def report_export(kind, fmt):
    if kind not in reports.EXPORT_KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    session = db.session()
    quiz, _all = _report_quiz()
    if quiz is None:
        abort(404)
    unit = _report_unit()
    header, rows, widths = reports.export_table(session, kind, quiz, report_scope(current_user), unit)
    return exports.download(exports.columns(header, widths), rows, fmt, f"kuis-{kind}", kind)
