"""Quiz: employees take quizzes one question per screen (htmx, or plain forms without JavaScript); admins manage
the bank, quizzes and GIFT import/export, humas propose questions; admins and supervisors see reports.

Each view parses the request, loads its guarded rows through portal/quiz/access.py, calls one service and renders.
"""

from flask import Blueprint, Response, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import certificates, db, staging
from portal.forms import EmptyForm, form_status, int_arg, perform
from portal.htmx import is_htmx, redirect_after_post, render
from portal.models.quiz import UNSCORED_KINDS
from portal.permissions import can, requires
from portal.quiz import (
    access,
    attempts,
    bank,
    exchange,
    images,
    kinds,
    quizzes,
    results,
    topics,
)
from portal.quiz.forms import (
    DIFFICULTY_LABELS,
    FORMAT_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    OPTION_ROWS,
    STATUS_LABELS,
    AnswerForm,
    ConfirmImportForm,
    GiftExportForm,
    GiftImportForm,
    QuestionForm,
    QuizForm,
    StatusForm,
    TopicForm,
)

bp = Blueprint("quiz", __name__)

IMPORT_SCOPE = "gift"  # the staging flow's name for GIFT files
LIST_FIELDS = ("options", "rules", "section_ids")  # their errors are shown above the list, not under one field


@bp.app_context_processor
def quiz_labels():
    return {"quiz_kind_labels": KIND_LABELS, "quiz_status_labels": STATUS_LABELS, "quiz_format_labels": FORMAT_LABELS,
            "numeric_text": kinds.numeric_text,
            "quiz_difficulty_labels": DIFFICULTY_LABELS, "quiz_mode_labels": MODE_LABELS,
            "score_text": quizzes.score_text}


def _list_error(form, outcome, default_field):
    """`perform` shows a broken rule under the field it names; a rule about the option, rule or section list is
    shown above that list instead: it is taken from the field and returned."""
    error = outcome.error
    if error is None or (error.field in form._fields and error.field not in LIST_FIELDS):
        return None
    holder = form._fields.get(error.field) or form._fields[default_field]
    holder.errors = [message for message in holder.errors if message != error.message]
    return error.message


def _upload_bytes(field):
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    return storage.read()


# --- taking a quiz ------------------------------------------------------------------------------------------------

@bp.get("/")
@requires("quiz.take")
def index():
    return render("quiz/index.html", **results.index_page(db.session(), current_user), form=EmptyForm())


@bp.post("/<int:quiz_id>/mulai")
@requires("quiz.take")
def start(quiz_id):
    quiz = access.get_quiz_or_404(quiz_id, open_only=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    done = perform(attempts.start, db.session(), current_user, quiz)
    if not done:
        return redirect_after_post(url_for("quiz.index"))
    return redirect_after_post(url_for("quiz.attempt", attempt_id=done.value.id))


def _attempt_url(attempt, position=None):
    if position is None:
        return url_for("quiz.attempt", attempt_id=attempt.id, ringkasan=1)
    return url_for("quiz.attempt", attempt_id=attempt.id, no=position)


def _attempt_page(page, notice=None, error=None, status=200, form=None):
    """The attempt page (or its `question` fragment for htmx, which also moves the address bar along). `form`: the
    answer form just checked, whose CSRF field serves the page too (building another form costs more than a query)."""
    response = render("quiz/attempt.html", block="question", **vars(page), notice=notice, error=error,
                      form=form or EmptyForm(), status=status)
    if is_htmx():
        response.headers["HX-Push-Url"] = _attempt_url(page.attempt, page.position)
    return response


@bp.get("/percobaan/<int:attempt_id>")
@requires("quiz.take")
def attempt(attempt_id):
    attempt = access.get_own_attempt_or_404(attempt_id)
    if attempt.finished_at is not None:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    return _attempt_page(attempts.question_page(db.session(), attempt, int_arg("no"),
                                                summary=request.args.get("ringkasan") == "1"))


@bp.post("/percobaan/<int:attempt_id>/soal/<int:position>")
@requires("quiz.take")
@db.deferred_write  # read and checked first; the write lock is taken for the UPDATE alone
def answer(attempt_id, position):
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    attempt = access.get_own_attempt_or_404(attempt_id)
    if attempt.finished_at is not None:
        flash(_("Kuis ini sudah Anda selesaikan; jawaban tidak dapat diubah lagi."), "error")
        return redirect_after_post(url_for("quiz.result", attempt_id=attempt.id))
    response = attempts.Response(options=form.option.data or [], text=form.response.data,
                                 pairs={key[6:]: value for key, value in request.form.items()
                                        if key.startswith("match-") and value})
    done = perform(attempts.prepare_answer, db.session(), attempt, position, response, page=is_htmx(), form=form,
                   field="option")
    if done:
        db.begin_write()
        attempt = attempts.lock(db.session(), attempt.id)  # a finish in between is seen here
        done = perform(attempts.save_answer, db.session(), attempt, done.value, form=form, field="option")
    if not done:
        page = attempts.question_page(db.session(), attempt, position)
        return _attempt_page(page, error=done.error.message, status=form_status(form, done.error), form=form)
    answered = done.value
    if is_htmx():
        return _attempt_page(answered.page, notice=answered.notice, form=form)
    if answered.notice:
        flash(answered.notice, "info")
    return redirect(_attempt_url(attempt, answered.position), code=303)


@bp.post("/percobaan/<int:attempt_id>/selesai")
@requires("quiz.take")
def finish(attempt_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    attempt = access.get_own_attempt_or_404(attempt_id, for_update=True)
    attempts.finish(db.session(), current_user._get_current_object(), attempt)  # the event outlives the request
    return redirect_after_post(url_for("quiz.result", attempt_id=attempt.id))


@bp.get("/percobaan/<int:attempt_id>/hasil")
@requires("quiz.take")
def result(attempt_id):
    attempt = access.get_own_attempt_or_404(attempt_id)
    if attempt.finished_at is None:
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
    outcome = results.result(db.session(), current_user, attempt)
    return render("quiz/result.html", r=outcome, state=outcome.state, form=EmptyForm())


@bp.get("/riwayat")
@requires("quiz.take")
def history():
    return render("quiz/history.html", rows=results.history(db.session(), current_user))


@bp.get("/sertifikat/<int:attempt_id>")
@requires("quiz.take")
def certificate(attempt_id):
    attempt = access.get_own_attempt_or_404(attempt_id)
    found = results.certificate_of(db.session(), attempt) or abort(404)
    cert, quiz = found
    return render("quiz/certificate.html", attempt=attempt, cert=cert, quiz=quiz,
                  verify_url=certificates.verify_url(cert.code), display_code=certificates.format_code(cert.code),
                  valid=certificates.is_valid(cert))


@bp.get("/gambar/<name>")
@requires("quiz.take")
def image(name):
    path = access.get_visible_image_or_404(name)
    response = send_file(path, mimetype=images.mimetype_of(name), max_age=86400, conditional=True)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# --- the question bank (admin; humas propose) -----------------------------------------------------------------------

@bp.get("/kelola/", endpoint="bank")
@requires("quiz.propose")
def bank_list():
    filters = {"topik": int_arg("topik"), "status": request.args.get("status", ""),
               "jenis": request.args.get("jenis", ""), "q": request.args.get("q", "").strip()[:100]}
    page = bank.bank_page(db.session(), topic_id=filters["topik"], status=filters["status"], kind=filters["jenis"],
                          query=filters["q"])
    return render("quiz/bank.html", block="results", **page, filters=filters,
                  can_manage=can(current_user, "quiz.manage"))


def _question_form(editor):
    if request.method == "GET" and editor.data is not None:
        data = dict(editor.data)
        data["options"] = data["options"] + [{}] * max(OPTION_ROWS - len(data["options"]), 0)
        form = QuestionForm(data=data)
    elif request.method == "GET":
        form = QuestionForm(data={"topic_id": int_arg("topik") or 0})
    else:
        form = QuestionForm()
    form.topic_id.choices = [(0, _("— pilih topik —"))] + editor.topic_choices
    form.section_ids.choices = dict(editor.section_choices)
    return form


def _question_input(form):
    if form.kind.data == "truefalse":
        options = bank.true_false_options(form.tf_correct.data == "true", form.tf_feedback_true.data or "",
                                          form.tf_feedback_false.data or "")
    elif form.kind.data in UNSCORED_KINDS:
        options = []  # the option rows of the form are for other kinds
    else:
        options = [bank.OptionInput(entry.form.text.data or "", (entry.form.weight.data or 0) / 100,
                                    entry.form.feedback.data or "", entry.form.match_text.data or "")
                   for entry in form.options.entries]
    return bank.QuestionInput(topic_id=form.topic_id.data or 0, kind=form.kind.data, stem=form.stem.data or "",
                              options=options, name=form.name.data or "", explanation=form.explanation.data or "",
                              section_ids=form.section_ids.data or [], difficulty=form.difficulty.data or 2,
                              image_alt=form.image_alt.data or "", text_format=form.text_format.data or "markdown",
                              id_number=form.id_number.data or "", tags=(form.tags.data or "").split(","))


@bp.route("/kelola/soal/baru", methods=["GET", "POST"])
@requires("quiz.propose")
def question_new():
    editor = bank.editor(db.session())
    form = _question_form(editor)
    options_error = error = None
    if form.validate_on_submit():
        status = "active" if can(current_user, "quiz.manage") and form.activate.data else "draft"
        done = perform(bank.save_question, db.session(), current_user, None, _question_input(form),
                       upload=_upload_bytes(form.image), status=status, form=form, field="stem")
        if done:
            flash(_("Soal disimpan.") if status == "active" else
                  _("Soal disimpan sebagai usulan (draf). Admin akan memeriksa dan mengaktifkannya."), "success")
            return redirect(url_for("quiz.question_preview", question_id=done.value.id), code=303)
        error, options_error = done.error, _list_error(form, done, "stem")
    return render("quiz/question_form.html", form=form, question=None, version=None, options_error=options_error,
                  status=form_status(form, error))


EDIT_MESSAGES = {"new_version": lambda: _("Soal ini sudah pernah dikerjakan, jadi perubahan disimpan sebagai versi "
                                          "baru. Percobaan lama tetap memakai versi sebelumnya."),
                 "updated": lambda: _("Perubahan soal disimpan."), "same": lambda: _("Tidak ada perubahan.")}


@bp.route("/kelola/soal/<int:question_id>", methods=["GET", "POST"])
@requires("quiz.propose")
def question_edit(question_id):
    question = access.get_editable_question_or_403(question_id)
    editor = bank.editor(db.session(), question)
    form = _question_form(editor)
    options_error = error = None
    if form.validate_on_submit():
        done = perform(bank.save_question, db.session(), current_user, question, _question_input(form),
                       upload=_upload_bytes(form.image), remove_image=form.remove_image.data, form=form,
                       field="stem")
        if done:
            flash(EDIT_MESSAGES[done.value](), "success")
            return redirect(url_for("quiz.question_preview", question_id=question.id), code=303)
        error, options_error = done.error, _list_error(form, done, "stem")
    return render("quiz/question_form.html", form=form, question=question, version=editor.version,
                  in_use=editor.in_use, options_error=options_error, status=form_status(form, error))


@bp.get("/kelola/soal/<int:question_id>/pratinjau")
@requires("quiz.propose")
def question_preview(question_id):
    question = access.get_question_or_404(question_id)
    page = bank.preview(db.session(), question)
    return render("quiz/question_preview.html", **vars(page), can_edit=access.can_edit_question(current_user, question),
                  status_form=StatusForm())


@bp.post("/kelola/soal/<int:question_id>/status")
@requires("quiz.manage")
def question_status(question_id):
    question = access.get_question_or_404(question_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    if perform(bank.set_question_status, db.session(), current_user, question, form.status.data):
        flash(_("Status soal menjadi: %(s)s.", s=STATUS_LABELS[form.status.data]), "success")
    return redirect_after_post(url_for("quiz.question_preview", question_id=question.id))


# --- topics and quizzes (admin) -------------------------------------------------------------------------------------

@bp.get("/kelola/topik", endpoint="topics")
@requires("quiz.manage")
def topic_list():
    return render("quiz/topics.html", **topics.topics_page(db.session()))


def _topic_page(topic):
    data, topic_choices, section_choices = topics.topic_form_data(db.session(), topic)
    form = TopicForm(data=data) if data is not None and request.method == "GET" else TopicForm()
    form.parent_id.choices = [(0, _("— tanpa induk (topik teratas) —"))] + topic_choices
    form.section_ids.choices = dict(section_choices)
    error = None
    if form.validate_on_submit():
        values = (form.name.data, form.description.data, form.position.data, form.section_ids.data)
        if topic is None:
            done = perform(topics.create_topic, db.session(), current_user, *values,
                           parent_id=form.parent_id.data or None, form=form, field="name")
        else:
            done = perform(topics.update_topic, db.session(), current_user, topic, *values,
                           parent_id=form.parent_id.data or None, form=form, field="name")
        if done:
            flash(_("Topik ditambahkan.") if topic is None else _("Topik disimpan."), "success")
            return redirect(url_for("quiz.topics"), code=303)
        error = done.error
        list_error = _list_error(form, done, "name")
        if list_error:  # the section picker has no message of its own
            form.name.errors = [*form.name.errors, list_error]
    return render("quiz/topic_form.html", form=form, topic=topic, status=form_status(form, error))


@bp.route("/kelola/topik/baru", methods=["GET", "POST"])
@requires("quiz.manage")
def topic_new():
    return _topic_page(None)


@bp.route("/kelola/topik/<int:topic_id>", methods=["GET", "POST"])
@requires("quiz.manage")
def topic_edit(topic_id):
    return _topic_page(access.get_topic_or_404(topic_id))


@bp.get("/kelola/kuis", endpoint="quizzes")
@requires("quiz.manage")
def quiz_list():
    return render("quiz/quizzes.html", rows=quizzes.quizzes_page(db.session()))


def _quiz_page(quiz):
    form = QuizForm(obj=quiz) if quiz is not None and request.method == "GET" else QuizForm()
    page = quizzes.quiz_form_data(db.session(), quiz)
    rules, rules_error, error = page.pop("rules"), None, None
    if request.method == "POST":
        rules = {int(key[6:]): value for key, value in request.form.items()
                 if key.startswith("count-") and key[6:].isdigit() and len(key) < 16}
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in quizzes.QUIZ_FIELDS}
        done = perform(quizzes.save_quiz, db.session(), current_user, quiz, rules, **values, form=form,
                       field="title")
        if done:
            message = _("Kuis %(t)s dibuat.", t=done.value.title) if quiz is None else \
                _("Kuis %(t)s disimpan.", t=done.value.title)
            flash(message, "success")
            return redirect(url_for("quiz.quizzes"), code=303)
        error, rules_error = done.error, _list_error(form, done, "title")
    return render("quiz/quiz_form.html", form=form, quiz=quiz, rules=rules, rules_error=rules_error, **page,
                  status=form_status(form, error))


@bp.route("/kelola/kuis/baru", methods=["GET", "POST"])
@requires("quiz.manage")
def quiz_new():
    return _quiz_page(None)


@bp.route("/kelola/kuis/<int:quiz_id>", methods=["GET", "POST"])
@requires("quiz.manage")
def quiz_edit(quiz_id):
    return _quiz_page(access.get_quiz_or_404(quiz_id))


# --- GIFT import and export (admin) -------------------------------------------------------------------------------

@bp.route("/kelola/impor", methods=["GET", "POST"])
@requires("quiz.manage")
def import_gift():
    form = GiftImportForm()
    staged = staging.Staged()
    if form.validate_on_submit():
        raw = _upload_bytes(form.file)
        if raw is None:
            staged = staging.Staged(error=_("Pilih berkas GIFT."))
        else:
            staged = staging.stage(raw, IMPORT_SCOPE,
                                   lambda data: exchange.preview_gift(db.session(), data, form.topic.data))
    status = 422 if (staged.error or (request.method == "POST" and form.errors)) else 200
    return render("quiz/import.html", form=form, preview=staged.preview, error=staged.error, token=staged.token,
                  confirm_form=ConfirmImportForm(token=staged.token, topic=form.topic.data),
                  export_form=GiftExportForm(), status=status)


@bp.post("/kelola/impor/konfirmasi")
@requires("quiz.manage")
def import_confirm():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    raw = staging.take(form.token.data, IMPORT_SCOPE)
    if raw is None:
        flash(_("Pratinjau impor sudah kedaluwarsa. Unggah berkasnya lagi."), "error")
        return redirect(url_for("quiz.import_gift"), code=303)
    done = perform(exchange.apply_gift, db.session(), current_user, raw, form.topic.data)
    if not done:
        return redirect(url_for("quiz.import_gift"), code=303)
    db.after_commit(db.session(), staging.discard, form.token.data)
    preview = done.value
    flash(_("Impor selesai: %(c)d soal baru, %(u)d diperbarui, %(s)d tidak berubah, %(k)d dilewati.",
            c=preview.count("create"), u=preview.count("update"), s=preview.count("same"),
            k=len(preview.skipped)), "success")
    return redirect(url_for("quiz.bank"), code=303)


@bp.get("/kelola/ekspor.gift")
@requires("quiz.manage")
def export_gift():
    text, _count = exchange.export_gift(db.session(), topic_id=int_arg("topik"),
                                        include_drafts=request.args.get("draf") in ("1", "y"))
    return Response(text.encode("utf-8"), mimetype="text/plain", headers={
        "Content-Disposition": 'attachment; filename="bank-soal.gift"'})


from portal.quiz import report_views  # noqa: E402, F401  # registers the report pages on `bp`
