"""Issue 10/11 kept as a test: a 20,000-row user import job runs while other threads (each with its own
connections) log in and read pages. Nobody gets a 5xx or "database is locked", and nobody waits long: the job holds
the write lock for one batch at a time (IMPORT_BATCH_ROWS), never for the whole import.

On main before the fix, the import held SQLite's write lock for its whole apply: logins beside it waited up to 110 s
and some answered 500 "database is locked". IMPORT_CONCURRENCY_ROWS sets the size (default 20,000)."""

import os
import statistics
import threading
import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from portal import db, jobs, staging
from portal.models import AuditLog, Job, User
from tests import factories
from tests.conftest import make_app

ROWS = int(os.environ.get("IMPORT_CONCURRENCY_ROWS", "20000"))


def _nip(i):
    """A valid NIP, distinct for every i < 9,000,000 (birth date varies with i, sequence 001–999)."""
    day = i // 999
    return f"19{70 + day // 336 % 30:02d}{1 + day // 28 % 12:02d}{1 + day % 28:02d}2015031{1 + i % 999:03d}"


def _users_csv(rows):
    lines = ["nip,nama,email,unit_kode,peran"]
    lines += [f"{_nip(n)},Pegawai Impor {n},impor.{n}@kementerian.go.id,BIG,"
              f"{'supervisor' if n % 50 == 0 else ''}" for n in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.slow
def test_readers_and_logins_beside_a_20000_row_import_see_no_5xx_and_no_lock(tmp_path):
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)
    with app.app_context(), db.unit_of_work() as session:
        unit = factories.make_unit(session, code="BIG")
        admin = factories.make_user(session, username="admin.impor", roles=("admin",), unit=unit)
        people = [factories.make_user(session, username=f"pembaca{n}", unit=unit) for n in range(4)]
        session.flush()
        job = Job(kind="import.users", created_by_id=admin.id)
        session.add(job)
        session.flush()
        token = f"users-{admin.id}-{'cd' * 16}"
        (staging.folder() / f"{token}.staged").write_bytes(_users_csv(ROWS))
        job.params = f'{{"token": "{token}"}}'
    job_id = job.id

    done = threading.Event()
    seen, problems, lock = [], [], threading.Lock()

    def note(kind, started, response):
        elapsed = time.perf_counter() - started
        body = response.get_data(as_text=True)
        with lock:
            seen.append((kind, response.status_code, elapsed))
            if response.status_code >= 500 or "locked" in body.lower():
                problems.append((kind, response.status_code, body[:300]))

    def log_in_and_out(user):
        client = app.test_client()
        while not done.is_set():
            started = time.perf_counter()
            response = client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
            note("login", started, response)
            if response.status_code != 302:
                with lock:
                    problems.append(("login refused", response.status_code, ""))
                return
            started = time.perf_counter()
            note("logout", started, client.post("/logout"))

    def read(user):
        client = app.test_client()
        client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
        paths = ["/", "/handbook/", "/notifications/", "/quiz/"]
        n = 0
        while not done.is_set():
            started = time.perf_counter()
            response = client.get(paths[n % len(paths)])
            note("read", started, response)
            n += 1

    def run_import():
        try:
            with app.app_context():
                jobs.execute(job_id)
        finally:
            done.set()

    threads = [threading.Thread(target=log_in_and_out, args=(people[0],)),
               threading.Thread(target=log_in_and_out, args=(people[1],)),
               threading.Thread(target=read, args=(people[2],)),
               threading.Thread(target=read, args=(people[3],))]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    started = time.perf_counter()
    importer = threading.Thread(target=run_import)
    importer.start()
    importer.join(300)
    import_s = time.perf_counter() - started
    for thread in threads:
        thread.join(60)

    with app.app_context(), db.unit_of_work(write=False) as session:
        row = session.get(Job, job_id)
        assert row.status == "done", row.message
        assert session.exec(select(func.count()).select_from(User).where(User.unit_id == unit.id)).one() == ROWS + 5
        assert session.exec(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "user.import")).one() == 1
    app.extensions["db_engine"].dispose()
    assert problems == []
    logins = sorted(t for kind, _s, t in seen if kind == "login")
    reads = sorted(t for kind, _s, t in seen if kind == "read")
    assert len(logins) >= 4 and len(reads) >= 10

    def p95(times):
        return times[int(0.95 * (len(times) - 1))]

    print(f"\nimport of {ROWS} rows in {import_s:.1f} s; {len(logins)} logins p50 "
          f"{statistics.median(logins) * 1000:.0f} ms p95 {p95(logins) * 1000:.0f} ms max {logins[-1] * 1000:.0f} ms; "
          f"{len(reads)} reads p50 {statistics.median(reads) * 1000:.0f} ms p95 {p95(reads) * 1000:.0f} ms "
          f"max {reads[-1] * 1000:.0f} ms")
    # Threads of one process share the interpreter (and its lock) with the job, so a login here also waits for the
    # job's Python work; the limit for logins is far below the 20 s a login waited behind the lock before.
    assert p95(reads) < 1 and p95(logins) < 3
