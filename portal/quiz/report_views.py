"""The quiz's report pages and exports (admin: all units; supervisors: their unit tree), on the quiz blueprint."""

from flask import abort, redirect, request, url_for
from flask_login import current_user

from portal import db, export_jobs
from portal.forms import int_arg
from portal.htmx import render
from portal.permissions import report_scope, requires
from portal.quiz import access, report_numbers, reports
from portal.quiz.views import bp

# --- reports (admin: all units; supervisors: their unit tree) ----------------------------------------------------

@bp.get("/laporan")
@requires("quiz.report")
def report():
    return _report_page(reports.overview_page, "quiz/report.html", bin_label=reports.bin_label)


@bp.get("/laporan/soal")
@requires("quiz.report")
def question_report():
    return _report_page(reports.questions_page, "quiz/question_report.html", thresholds=reports)


def _report_page(build, template, **context):
    """A report page: its quiz and unit checked, its numbers kept or counted now, else the page offering to count
    them in the background (portal/quiz/report_numbers.py)."""
    quiz, every = access.get_report_quiz_or_404(int_arg("kuis"))
    if quiz is None:
        return render("quiz/report.html", quiz=None, all_quizzes=[])
    unit = access.get_report_unit_or_403(int_arg("unit"))
    session, scope = db.session(), report_scope(current_user)
    found = report_numbers.for_report(session, quiz, scope, unit)
    if found.numbers is None:
        units = reports.scope_units(session, scope)
        return render("quiz/report_count.html", quiz=quiz, all_quizzes=every, unit=unit, found=found,
                      scope_units=units, scope_depth=min((u.depth for u in units), default=0))
    page = build(session, quiz, scope, unit, found.numbers)
    return render(template, quiz=quiz, all_quizzes=every, unit=unit, counted_at=found.numbers.counted_at,
                  **context, **page)


@bp.post("/laporan/hitung")
@requires("quiz.report")
def report_count():
    """Count a large report's numbers in the background (portal/quiz/report_numbers.py)."""
    quiz, _every = access.get_report_quiz_or_404(int_arg("kuis"))
    if quiz is None:
        abort(404)
    unit = access.get_report_unit_or_403(int_arg("unit"))
    job = report_numbers.start(db.session(), current_user, quiz, report_scope(current_user), unit)
    return redirect(url_for("jobs.status", job_id=job.id), code=303)


@bp.route("/laporan/<kind>.<fmt>", methods=["GET", "POST"])
@requires("quiz.report")
def report_export(kind, fmt):
    """The file at once for a few thousand attempts, else a job (POST) that prepares it: portal/export_jobs.py."""
    if kind not in reports.EXPORT_KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    quiz, _every = access.get_report_quiz_or_404(int_arg("kuis"))
    if quiz is None:
        abort(404)
    unit = access.get_report_unit_or_403(int_arg("unit"))
    session, scope = db.session(), report_scope(current_user)
    params = {"kind": kind, "quiz_id": quiz.id, "scope_path": scope, "unit_id": unit.id if unit else None}
    if request.method == "POST":
        job = export_jobs.start(session, current_user, "quiz.report", fmt, **params)
        return redirect(url_for("jobs.status", job_id=job.id), code=303)
    return export_jobs.download_or_offer(session, "quiz.report", fmt,
                                         report_numbers.attempts_kept(session, quiz, scope, unit),
                                         url_for("quiz.report", kuis=quiz.id, unit=params["unit_id"]), **params)
