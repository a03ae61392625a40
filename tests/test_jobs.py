"""The job queue: large imports leave the request, progress and outcome are shown, failures are clear, jobs are
idempotent and a job whose worker died is taken over."""

import os
import re
import sqlite3
from datetime import timedelta

from sqlalchemy.exc import OperationalError
from sqlmodel import select

from portal import db, jobs
from portal.errors import DomainError
from portal.models import Job, User, utcnow
from tests import factories
from tests.conftest import HX

CALLS = []


@jobs.job("test.count", title="Uji")
def _count_job(ctx, n, fail=None):
    CALLS.append(n)
    for i in range(n):
        ctx.step(i, n, f"langkah {i}")
    if fail == "domain":
        raise DomainError("Data tidak cocok.")
    if fail == "crash":
        raise RuntimeError("boom")
    return {"n": n}


@jobs.job("test.busy", title="Uji")
def _busy_job(ctx, n, busy_runs):
    """Meets a busy database at its second step in its first `busy_runs` runs; resumes from its checkpoint."""
    done = (ctx.checkpoint() or {"done": 0})["done"]
    for i in range(done, n):
        CALLS.append(i)
        if i == 1 and ctx.attempt <= busy_runs:
            raise OperationalError("UPDATE job", {}, sqlite3.OperationalError("database is locked"))
        ctx.checkpoint({"done": i + 1})
        ctx.step(i + 1, n, f"langkah {i}")
    return {"done": n}


def _big_users_csv(unit_code, rows):
    lines = ["nip,nama,email,unit_kode,peran"]
    lines += [f"{factories.valid_nip(n)},Pegawai Impor {n},,{unit_code}," for n in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_import_runs_as_a_job_with_a_progress_page(app, client, login_as, session):
    app.config["IMPORT_JOB_MIN_ROWS"] = 5
    unit = factories.make_unit(session, code="BIG")
    admin = login_as("admin", unit=unit)
    import io

    response = client.post("/admin/import/users", data={"file": (io.BytesIO(_big_users_csv("BIG", 12)), "p.csv")},
                           content_type="multipart/form-data")
    token = re.search(r'name="token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True)).group(1)
    response = client.post("/admin/import/users/confirm", data={"token": token})
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Impor selesai: 12 baru, 0 diperbarui, 0 tidak berubah." in text
    assert 'href="/admin/users"' in text and "every 1s" not in text  # done: no more polling
    session.rollback()
    assert len(session.exec(select(User).where(User.unit_id == unit.id)).all()) == 13  # 12 + the admin
    row = session.exec(select(Job)).one()
    assert (row.status, row.progress, row.created_by_id) == ("done", 100, admin.id)
    # Someone else's job does not exist for them.
    other = app.test_client()
    employee = factories.make_user(session)
    other.post("/login", data={"username": employee.username, "password": factories.PASSWORD})
    assert other.get(f"/jobs/{row.id}").status_code == 404


def test_a_running_job_polls_and_a_failed_one_says_why(app, client, login_as, session):
    user = login_as("employee")
    with app.app_context():
        with db.unit_of_work() as s:
            queued = Job(kind="test.count", params='{"n": 1}', created_by_id=user.id)
            s.add(queued)
        job_id = queued.id
    page = client.get(f"/jobs/{job_id}", headers=HX)
    assert b"<html" not in page.data and b'hx-trigger="every 1s"' in page.data and b"Menunggu" in page.data
    with app.app_context():
        jobs.execute(job_id)  # the worker picks it up
    assert b"Selesai." in client.get(f"/jobs/{job_id}").data
    with app.app_context(), db.unit_of_work() as s:
        failing = jobs.enqueue(s, "test.count", user, n=2, fail="domain")
    text = client.get(f"/jobs/{failing.id}").get_data(as_text=True)
    assert "Gagal:" in text and "Data tidak cocok." in text
    with app.app_context(), db.unit_of_work() as s:
        crashing = jobs.enqueue(s, "test.count", user, n=1, fail="crash")
    text = client.get(f"/jobs/{crashing.id}").get_data(as_text=True)
    assert "Gagal:" in text and "boom" not in text and "sudah dicatat" in text


def test_jobs_run_once_and_stale_ones_are_taken_over(app, session):
    CALLS.clear()
    with app.app_context():
        with db.unit_of_work() as s:
            row = jobs.enqueue(s, "test.count", None, n=3)  # immediate mode: runs after this commit
        jobs.execute(row.id)  # a second delivery does nothing
        assert CALLS == [3]
        with db.unit_of_work() as s:
            stale = Job(kind="test.count", params='{"n": 2}', status="running",
                        heartbeat_at=utcnow() - timedelta(minutes=10))
            fresh = Job(kind="test.count", params='{"n": 4}', status="running", heartbeat_at=utcnow())
            s.add_all([stale, fresh])
        assert jobs.recover() == 1
        assert CALLS == [3, 2]
        with db.unit_of_work(write=False) as s:
            assert s.get(Job, stale.id).status == "done" and s.get(Job, fresh.id).status == "running"
        with db.unit_of_work() as s:
            s.add(Job(kind="test.count", params='{"n": 5}', status="running",
                      heartbeat_at=utcnow() - timedelta(minutes=10)))
        jobs.requeue_stale()  # the worker's every-minute task (run inside the app's context) does the same
        assert CALLS == [3, 2, 5]


def test_a_job_that_meets_a_busy_database_runs_again_from_its_last_step(app, session, monkeypatch):
    """A held lock past the busy timeout (SQLite) or a deadlock (PostgreSQL: an import's batch and an admin's edit
    moving the same units' counts the other way) does not fail a job: it runs again after a pause, from the
    checkpoint its last committed step saved; only a database busy on every try fails it, with the usual message."""
    monkeypatch.setattr(jobs, "BUSY_PAUSES", (0, 0, 0), raising=False)
    paused = []  # the job's status during each pause: still running, so that a worker stopping then is taken over

    def pause(_seconds):
        with db.unit_of_work(write=False) as s:
            paused.append(s.exec(select(Job.status).where(Job.kind == "test.busy")).all())

    monkeypatch.setattr(jobs.time, "sleep", pause)
    CALLS.clear()
    with app.app_context():
        with db.unit_of_work() as s:
            row = jobs.enqueue(s, "test.busy", None, n=3, busy_runs=2)  # immediate mode: runs after this commit
        with db.unit_of_work(write=False) as s:
            done = s.get(Job, row.id)
            assert (done.status, done.attempts, done.progress) == ("done", 3, 100)
        assert CALLS == [0, 1, 1, 1, 2]  # step 0 was committed once and not done again
        assert paused == [["running"], ["running"]]
        CALLS.clear()
        with db.unit_of_work() as s:
            row = jobs.enqueue(s, "test.busy", None, n=3, busy_runs=99)
        with db.unit_of_work(write=False) as s:
            failed = s.get(Job, row.id)
            assert (failed.status, failed.attempts) == ("failed", 4) and "dicatat" in failed.message
        assert CALLS == [0, 1, 1, 1, 1]


def test_a_crashing_job_run_inside_a_request_fails_in_its_starters_language(app, session):
    """Immediate mode inside a request: the generic failure message is chosen without the request's locale lookup
    (which would use the request's database session) and in the language of whoever started the job."""
    user = factories.make_user(session)
    user.preferred_language = "en"
    session.add(user)
    session.commit()
    with app.test_request_context("/"), db.unit_of_work() as s:
        crashing = jobs.enqueue(s, "test.count", s.get(User, user.id), n=1, fail="crash")
    with app.app_context(), db.unit_of_work(write=False) as s:
        row = s.get(Job, crashing.id)
        assert row.status == "failed" and "logged" in row.message and "boom" not in row.message


def test_the_queue_leaves_unused_client_libraries_unloaded(tmp_path):
    """Huey's storage module would import the Redis and PostgreSQL clients (14 MB a process) though the SQLite
    storage uses neither; the portal keeps them out unless REDIS_URL asks for Redis."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from portal import jobs\n"
        "queue = jobs.queue()\n"
        "print(type(queue).__name__, 'redis' in sys.modules, 'psycopg' in sys.modules)\n"
        "import redis, psycopg\n"  # the portal's own imports still work afterwards
        "print('imports ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["JOBS_DATABASE"] = str(tmp_path / "jobs.db")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["SqliteHuey False False", "imports ok"]
