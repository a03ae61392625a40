"""The quiz report's costly numbers: counted in the request for a few thousand attempts, else by the job worker and
kept for a while.

Completion per unit, the score histogram, the sums per question version and the distinct answers read every finished
attempt in scope; for 200,000 attempts (three million answers) that is 10-14 s of SQLite, too long for a request.
Above QUIZ_REPORT_JOB_MIN_ATTEMPTS the report page offers to count them in the background (a POST starts the job,
whose page shows progress and leads back); the job's result holds the numbers as plain data, and the report pages
of the same quiz, scope and unit use the latest result for QUIZ_REPORT_KEEP_MINUTES, saying when it was counted and
offering to count again. Everything else on the page (names, texts, options) is read fresh at every request.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from portal import cache, db, jobs
from portal.models import Job, QuestionVersion, Quiz, Unit, utcnow
from portal.quiz import reports

JOB_KIND = "quiz.report_numbers"


@dataclass(frozen=True)
class ReportNumbers:
    units: dict  # unit id -> (active members, who finished, who holds a valid pass)
    histogram: list  # finished attempts per 10-point band
    versions: dict  # version id -> reports.VersionSums
    answers: dict  # version id -> [(chosen, response, count)]
    counted_at: datetime | None = None  # when the job counted them; None: counted for this request

    def to_json(self):
        return {"units": {str(k): list(v) for k, v in self.units.items()}, "histogram": list(self.histogram),
                "versions": {str(k): [v.n, v.sx, v.sxx, v.sr, v.srr, v.sxr, v.unanswered, v.wrong]
                             for k, v in self.versions.items()},
                "answers": {str(k): [list(a) for a in v] for k, v in self.answers.items()}}

    @classmethod
    def from_json(cls, data, counted_at):
        return cls(units={int(k): tuple(v) for k, v in data["units"].items()}, histogram=list(data["histogram"]),
                   versions={int(k): reports.VersionSums(*v) for k, v in data["versions"].items()},
                   answers={int(k): [tuple(a) for a in v] for k, v in data["answers"].items()}, counted_at=counted_at)


def count(session, quiz, scope_path, unit=None):
    """The numbers, counted now."""
    sums = reports.version_sums(session, quiz, scope_path, unit)
    versions = session.exec(select(QuestionVersion.id, QuestionVersion.kind)
                            .where(QuestionVersion.id.in_(list(sums)))).all() if sums else []
    return ReportNumbers(units=reports.unit_counts(session, quiz, scope_path),
                         histogram=reports.score_histogram(session, quiz, scope_path, unit), versions=sums,
                         answers=reports.answer_counts(session, quiz, scope_path, unit,
                                                       reports.counted_versions(versions)))


@dataclass(frozen=True)
class Found:
    numbers: ReportNumbers | None  # None: too many attempts to count in the request, and none kept
    attempts: int | None = None  # the finished attempts in scope, when they were counted to decide
    pending: Job | None = None  # a count of the same report that is queued or running


def _params(quiz, scope_path, unit):
    return {"quiz_id": quiz.id, "scope_path": scope_path, "unit_id": unit.id if unit else None}


def _latest(session, quiz, scope_path, unit, statuses, since=None):
    query = select(Job).where(Job.kind == JOB_KIND, Job.status.in_(statuses),
                              Job.params == json.dumps(_params(quiz, scope_path, unit), sort_keys=True))
    if since is not None:
        query = query.where(Job.finished_at >= since)
    return session.exec(query.order_by(Job.id.desc()).limit(1)).first()


def attempts_kept(session, quiz, scope_path, unit=None):
    """The finished attempts in scope (what decides whether a report or an export leaves the request), kept
    DASHBOARD_CACHE_SECONDS: counting 200,000 of them takes 0.35 s."""
    return cache.remembered("quiz.report_attempts", (quiz.id, scope_path, unit.id if unit else None),
                            "DASHBOARD_CACHE_SECONDS",
                            lambda: reports.attempts_in_scope(session, quiz, scope_path, unit))


def for_report(session, quiz, scope_path, unit=None):
    """The numbers of a report page: kept from a recent count, else counted now when few enough, else none (with
    the count under way, if any)."""
    config = current_app.config
    kept = _latest(session, quiz, scope_path, unit, ("done",),
                   since=utcnow() - timedelta(minutes=config["QUIZ_REPORT_KEEP_MINUTES"]))
    if kept is not None:
        return Found(ReportNumbers.from_json(jobs.result_of(kept), kept.finished_at))
    attempts = attempts_kept(session, quiz, scope_path, unit)
    if attempts <= config["QUIZ_REPORT_JOB_MIN_ATTEMPTS"]:
        return Found(count(session, quiz, scope_path, unit), attempts)
    return Found(None, attempts, _latest(session, quiz, scope_path, unit, ("queued", "running")))


def start(session, actor, quiz, scope_path, unit=None):
    """Queue a count of the report's numbers; returns the Job row."""
    return jobs.enqueue(session, JOB_KIND, actor, **_params(quiz, scope_path, unit))


def _describe(_result):
    return _("Angka laporan sudah dihitung.")


def _next_url(_result, params):
    return url_for("quiz.report", kuis=params["quiz_id"], unit=params["unit_id"])


@jobs.job(JOB_KIND, title=_l("Menghitung laporan kuis"), describe=_describe, next_url=_next_url,
          next_label=_l("Buka laporan"))
def _count_job(ctx, quiz_id, scope_path, unit_id):
    with ctx.in_starters_language():
        ctx.step(0, 1, _("Menghitung percobaan dan jawaban…"))  # commits: no write lock is held while counting
    with db.unit_of_work(write=False) as reading:
        quiz = reading.get(Quiz, quiz_id)
        if quiz is None:
            return {"units": {}, "histogram": [0] * reports.BINS, "versions": {}, "answers": {}}
        unit = reading.get(Unit, unit_id) if unit_id else None
        return count(reading, quiz, scope_path, unit).to_json()
