"""The job queue: work that takes more than a second leaves the request.

A use case calls `enqueue(session, kind, actor, **params)`: a `Job` row is added to its transaction and, once that
commits, a Huey task is queued (SQLite storage in the instance folder by default, Redis when REDIS_URL is set).
The queue is built on first use (`queue()`): a web process that never queues a job does not load Huey and the
storage libraries it imports (about 17 MB per process).
The worker (`flask --app portal worker`, started by `make run` beside the web server) runs the job's function,
registered with `@job("kind", title=...)`, as `fn(ctx, **params) -> dict`:

- `ctx.session` is a write session of its own; `ctx.step(done, total, message)` records progress AND commits the
  work so far, so a long job holds the SQLite write lock only for one batch at a time and readers always see the
  progress;
- the function's result (JSON-able dict) is stored with status "done" in the same commit as the last of the work;
- a DomainError becomes status "failed" with its message; any other error "failed" with a generic message (logged),
  except a busy database (a lock held too long, a deadlock), after which the job runs again from its last committed
  step, up to len(BUSY_PAUSES) times.

Jobs are idempotent: running one twice must do no harm (imports skip what is already there), because a job whose
worker died (no heartbeat for STALE_AFTER) is queued again when a worker starts and every minute after.
The page `/jobs/<id>` shows progress (htmx polling, a plain refresh without JavaScript) and the outcome.
"""

import functools
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import update
from sqlmodel import select

from portal import db
from portal.errors import DomainError
from portal.models import Job, utcnow

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)
ROOT = Path(__file__).resolve().parent.parent.parent


_immediate = False  # tests and JOBS_IMMEDIATE=1: jobs run in-process right after the commit that queued them
_declared = []  # (function, runs every minute)
_tasks = {}  # function -> its Huey task wrapper


def _import_huey():
    """`huey`, imported without the Redis and PostgreSQL clients when this process has not loaded them and no
    REDIS_URL asks for Redis: huey's storage module imports both whenever they are installed, whichever storage is
    used (14 MB in every web worker that queues a job). Huey then knows them as missing; the portal's own imports
    of them (the database driver, the toolkit's facet cache) are not affected."""
    import sys

    kept_out = [name for name in ("redis", "psycopg") if name not in sys.modules]
    if os.environ.get("REDIS_URL") and "redis" in kept_out:
        kept_out.remove("redis")
    for name in kept_out:
        sys.modules[name] = None  # "import name" raises ImportError meanwhile
    try:
        import huey
    finally:
        for name in kept_out:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return huey


@functools.cache
def queue():
    """The Huey queue, with every task declared through `task` / `every_minute` registered on it."""
    huey_module = _import_huey()
    RedisHuey, SqliteHuey = huey_module.RedisHuey, huey_module.SqliteHuey  # noqa: N806  # the library's class names

    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        huey = RedisHuey("portal-jobs", url=redis_url)
    else:
        path = os.environ.get("JOBS_DATABASE") or str(ROOT / "instance" / "jobs.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("portal-jobs", filename=path)
    huey.immediate = _immediate
    for fn, periodic in _declared:
        _register(huey, fn, periodic)
    return huey


def _register(huey, fn, periodic):
    # Registered under the function's module and name ("portal.jobs.run_job"): a task queued by one process
    # runs in another.
    if periodic:
        from huey import crontab

        huey.periodic_task(crontab(minute="*"))(fn)
    else:
        _tasks[fn] = huey.task()(fn)


def task(fn):
    """Declare `fn` a Huey task (queued with `send(fn, ...)`), run inside the app's context."""
    return _declare(_in_app(fn), periodic=False)


def every_minute(fn):
    """Declare `fn` a task the worker runs every minute, inside the app's context."""
    return _declare(_in_app(fn), periodic=True)


def _in_app(fn):
    """`fn` run inside the app's context (the worker's app, or the current one)."""
    @functools.wraps(fn)  # registered under fn's module and name
    def in_app(*args, **kwargs):
        with _app().app_context():
            return fn(*args, **kwargs)

    return in_app


def _declare(fn, periodic):
    _declared.append((fn, periodic))
    if queue.cache_info().currsize:  # the queue is built already: register on it too
        _register(queue(), fn, periodic)
    return fn


def send(fn, *args):
    """Queue the task `fn` (in immediate mode: run it now)."""
    queue()
    return _tasks[fn](*args)


def set_immediate(immediate):
    global _immediate
    _immediate = immediate
    if queue.cache_info().currsize:
        queue().immediate = immediate


@dataclass(frozen=True)
class JobKind:
    kind: str
    fn: Any
    title: Any  # a lazy string: what the job page calls it
    describe: Any = None  # fn(result dict) -> text shown when done
    next_url: Any = None  # fn(result dict, params dict) -> where to go when done
    next_label: Any = None  # the link's text (a lazy string); "Lanjutkan" when None


KINDS = {}


def job(kind, title, describe=None, next_url=None, next_label=None):
    """Register `fn(ctx, **params) -> dict` as the job `kind`."""
    def register(fn):
        KINDS[kind] = JobKind(kind, fn, title, describe, next_url, next_label)
        return fn
    return register


class Superseded(Exception):  # noqa: N818 - not an error: the job goes on elsewhere
    """Another worker took this job over (this run's heartbeat had stopped for STALE_AFTER): this run stops and its
    uncommitted work is rolled back, so the two never both write."""


class JobContext:
    def __init__(self, job_row, session):
        self.job = job_row
        self.session = session
        self.attempt = job_row.attempts  # this run's number: a takeover by another worker counts one more

    def hold(self):
        """In the transaction about to commit: the heartbeat, provided this run still is the job's current attempt
        (else Superseded, and the transaction rolls back)."""
        held = self.session.execute(update(Job).where(
            Job.id == self.job.id, Job.attempts == self.attempt, Job.status == "running").values(
            heartbeat_at=utcnow())).rowcount
        if held != 1:
            raise Superseded(f"job {self.job.id} attempt {self.attempt} was taken over")

    @property
    def actor(self):
        """The person who started the job (None for the system)."""
        from portal.models import User

        return self.session.get(User, self.job.created_by_id) if self.job.created_by_id else None

    def checkpoint(self, state=None):
        """What the job has saved so far (a JSON-able dict), kept with the job and committed by the next `step`
        together with the work it describes; without `state`, the last one saved (an earlier attempt's, when a
        job is run again after its worker died), or None."""
        if state is None:
            saved = json.loads(self.job.result) if self.job.result and self.job.status == "running" else {}
            return saved.get("checkpoint")
        self.job.result = json.dumps({"checkpoint": state}, sort_keys=True)
        return state

    def in_starters_language(self):
        """Messages in the language of whoever started the job. force_locale: never the request's locale lookup,
        which would touch the request's database session (a job run immediately inside a request)."""
        from flask_babel import force_locale

        return force_locale(getattr(self.actor, "preferred_language", None) or "id")

    def step(self, done, total, message=""):
        """Progress so far; commits the work done up to here (the next batch takes the write lock again)."""
        self.job.progress = min(99, int(100 * done / total)) if total else 0
        self.job.message = str(message)[:500]
        self.session.add(self.job)
        self.hold()
        self.session.commit()


def enqueue(session, kind, actor=None, **params):
    """Add a job to the caller's transaction; it is queued once that transaction commits."""
    if kind not in KINDS:
        raise KeyError(f"unknown job kind {kind!r}")
    row = Job(kind=kind, created_by_id=getattr(actor, "id", None), params=json.dumps(params, sort_keys=True))
    session.add(row)
    session.flush()
    db.after_commit(session, _queue, row.id)
    return row


def _queue(job_id):
    send(run_job, job_id)


def params_of(row):
    return json.loads(row.params or "{}")


def result_of(row):
    return json.loads(row.result) if row.result else None


def _app():
    if has_app_context():
        return current_app._get_current_object()
    global _worker_app
    if _worker_app is None:
        from portal import create_app

        _worker_app = create_app()
    return _worker_app


_worker_app = None


def _claim(job_id, again_after=None):
    """Mark a queued job as running; False when it is not queued (done, failed, or another worker has it). With
    `again_after` (the attempt that met a busy database), take the running job for one more run instead; False when
    another worker has taken it over since."""
    with db.unit_of_work() as session:
        now = utcnow()
        if again_after is None:
            which, values = [Job.status == "queued"], {"status": "running", "started_at": now}
        else:
            which, values = [Job.status == "running", Job.attempts == again_after], {}
        claimed = session.execute(update(Job).where(Job.id == job_id, *which).values(
            heartbeat_at=now, attempts=Job.attempts + 1, **values)).rowcount
    return claimed == 1


def _fail(job_id, message, attempt=None):
    """Mark the job failed, unless another worker has taken it over since this run (`attempt`) started."""
    statement = update(Job).where(Job.id == job_id)
    if attempt is not None:
        statement = statement.where(Job.attempts == attempt)
    with db.unit_of_work() as session:
        session.execute(statement.values(status="failed", message=str(message)[:500], finished_at=utcnow()))


# A job that meets a busy database (db.is_busy: SQLite's write lock held past the busy timeout and the retries,
# PostgreSQL's deadlock, e.g. an import's batch and an admin's edit moving the same units' counts the other way)
# runs again after each of these pauses (seconds), from the checkpoint its last committed step saved, as a job
# taken over after its worker died does; it fails, with the usual message, only when the last try meets it too.
# It stays "running" meanwhile: were its worker to stop during a pause, it is taken over like any other.
BUSY_PAUSES = (0.5, 2.0, 5.0)


def execute(job_id):
    """Run one job now, in this process (the worker calls this; tests may too)."""
    with _app().app_context():
        if not _claim(job_id):
            return
        for pause in (*BUSY_PAUSES, None):
            if not _run(job_id, busy_retry=pause is not None):
                return
            log.warning("job %s: the database was busy; running it again in %.1f s", job_id, pause)
            time.sleep(pause)


def _run(job_id, busy_retry):
    """One run of the claimed job; True when it met a busy database and is claimed again (`busy_retry`) for another
    run."""
    attempt = None
    try:
        with db.unit_of_work() as session:
            row = session.get(Job, job_id)
            attempt = row.attempts
            kind = KINDS[row.kind]
            ctx = JobContext(row, session)
            result = kind.fn(ctx, **params_of(row))
            ctx.hold()  # still this run's job: then its last work and the outcome commit together
            row.status, row.progress, row.message = "done", 100, ""
            row.result = json.dumps(result or {}, ensure_ascii=False, default=str)
            row.finished_at = utcnow()
            session.add(row)
    except Superseded:
        log.warning("job %s: taken over by another worker; this run stopped", job_id)
    except DomainError as error:
        _fail(job_id, error.message, attempt)
    except Exception as error:
        if busy_retry and attempt is not None and db.is_busy(error):
            return _claim(job_id, again_after=attempt)  # False: taken over meanwhile, that worker goes on
        log.exception("job %s failed", job_id)
        _fail(job_id, _generic_failure(job_id), attempt)
    return False


def _generic_failure(job_id):
    """The failure message in the language of whoever started the job. force_locale: never the request's locale
    lookup, which would touch the request's database session (a job run immediately inside a request)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from portal.models import User

    with db.unit_of_work() as session:
        creator = session.exec(select(Job.created_by_id).where(Job.id == job_id)).first()
        language = session.exec(select(User.preferred_language).where(User.id == creator)).first() if creator else None
    with force_locale(language or "id"):
        return _("Terjadi kesalahan saat memproses. Kejadian ini sudah dicatat; coba lagi nanti.")


@task
def run_job(job_id):
    execute(job_id)


@every_minute
def requeue_stale():
    """Every minute in the worker: jobs whose worker died mid-way (no heartbeat for STALE_AFTER) are queued again."""
    recover()


def recover(now=None):
    now = now or utcnow()
    with db.unit_of_work() as session:
        stale = session.exec(select(Job.id).where(Job.status == "running",
                                                  Job.heartbeat_at < now - STALE_AFTER)).all()
        for job_id in stale:
            session.execute(update(Job).where(Job.id == job_id).values(status="queued"))
    for job_id in stale:
        _queue(job_id)
    return len(stale)


def run_worker(workers=2):
    """The consumer, in this process (`flask --app portal worker`)."""
    from huey.consumer import Consumer

    recover()
    Consumer(queue(), workers=workers, worker_type="thread").run()
