"""Scale-out: two app instances (gunicorn) and one job worker on one PostgreSQL database and one Redis share
sessions, login limits, the job queue, and concurrent writes through both lose nothing.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379; skipped, with the reason, when
either is missing. Runs once, in the SQLite pass of the suite (the PostgreSQL pass skips it: it makes its own
database anyway).
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from tests import factories
from tests.conftest import claim_redis_db

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
USER_AGENT = "scale-out-test/1.0"


def _answers(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.xdist_group("scale_out"),  # one cluster for the module: its tests stay on one worker
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="runs in the SQLite pass of the suite"),
    pytest.mark.skipif(not _answers("127.0.0.1", 5432), reason="PostgreSQL is not reachable on 127.0.0.1:5432"),
    pytest.mark.skipif(not _answers("127.0.0.1", 6379), reason="Redis is not reachable on 127.0.0.1:6379"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A tiny HTTP client with its own cookies and a fixed user agent (sessions are bound to it)."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, url, data=None, files=None):
        headers = {"User-Agent": USER_AGENT}
        body = None
        if files:
            boundary = "----portalboundary"
            parts = []
            for name, value in (data or {}).items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                             .encode())
            for name, (filename, content) in files.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                             f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode() + content + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - http to our own test servers
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def copy_session_to(self, other):
        for cookie in self.jar:
            other.jar.set_cookie(cookie)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _csrf(page):
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _login(browser, base, username):
    _status, page, _ = browser.request(f"{base}/login")
    status, _page, headers = browser.request(f"{base}/login", {"username": username,
                                                               "password": factories.PASSWORD,
                                                               "csrf_token": _csrf(page)})
    assert status == 302, (status, _page[:300])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import redis

    name = f"scaleout_{os.getpid()}"
    server = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    redis_db = claim_redis_db(name)
    workdir = tmp_path_factory.mktemp("scale-out")
    env = dict(os.environ, PORTAL_ENV="development", SECRET_KEY="scale-out-secret-" + "x" * 32,
               DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
               REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
               RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:6379/{redis_db}", IMPORT_JOB_MIN_ROWS="50",
               UPLOAD_DIR=str(workdir / "uploads"), WEB_CONCURRENCY="1", GUNICORN_THREADS="4")
    env.pop("TEST_DATABASE_URL", None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "flask", "--app", "portal", "upgrade-db"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    engine = create_engine(env["DATABASE_URL"])
    processes = []
    try:
        ports = [_free_port(), _free_port()]
        for port in ports:
            processes.append(subprocess.Popen([bin_dir / "gunicorn", "-c", "gunicorn.conf.py", "--bind",
                                               f"127.0.0.1:{port}"], env=env, cwd=ROOT,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        processes.append(subprocess.Popen([bin_dir / "flask", "--app", "portal", "worker"], env=env, cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 30
        while not all(_answers("127.0.0.1", p) for p in ports):
            assert time.time() < deadline, "the app instances did not start"
            time.sleep(0.2)
        yield {"bases": [f"http://127.0.0.1:{p}" for p in ports], "engine": engine}
    finally:
        for process in processes:
            process.kill()  # nothing to finish gracefully: the test has its answers
            process.wait(10)
        engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
        redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()


def test_a_session_made_on_one_instance_works_on_the_other(cluster):
    a, b = cluster["bases"]
    with Session(cluster["engine"], expire_on_commit=False) as session:
        user = factories.make_user(session, username="pindah")
    browser = Browser()
    _login(browser, a, user.username)
    assert browser.request(f"{b}/")[0] == 200
    _status, page, _ = browser.request(f"{b}/")
    assert browser.request(f"{b}/logout", {"csrf_token": _csrf(page)})[0] == 303
    assert browser.request(f"{a}/")[0] == 302  # ended on A as well


def test_the_login_limit_counts_across_instances(cluster):
    a, b = cluster["bases"]
    with Session(cluster["engine"], expire_on_commit=False) as session:
        factories.make_user(session, username="sasaran.ganda")
    stranger = Browser()
    statuses = []
    for attempt in range(6):
        base = (a, b)[attempt % 2]
        _status, page, _ = stranger.request(f"{base}/login")
        statuses.append(stranger.request(f"{base}/login", {"username": "sasaran.ganda", "password": "salah-salah",
                                                           "csrf_token": _csrf(page)})[0])
    assert statuses == [401] * 5 + [429]  # the account's wait began after five failures, wherever they came


def test_concurrent_answers_and_marks_through_both_lose_nothing(cluster):
    a, b = cluster["bases"]
    from portal.models import AttemptQuestion, WorkshopAttendance, WorkshopSession
    from portal.models import utcnow as now

    with Session(cluster["engine"], expire_on_commit=False) as session:
        topic = factories.make_topic(session)
        for _ in range(4):
            factories.make_question(session, topic)
        quiz = factories.make_quiz(session, [(topic, 4)], feedback_mode="deferred")
        takers = [factories.make_user(session) for _ in range(6)]
        attempts = {u.username: factories.make_attempt(session, u, quiz, finish=False).id for u in takers}
        session.commit()
        trainer = factories.make_user(session, roles=("trainer",))
        start = now() - timedelta(minutes=5)
        workshop = factories.make_workshop(session, trainer=trainer, sessions=[(start, start + timedelta(hours=2))])
        participants = [factories.make_participant(session, workshop, factories.make_user(session))
                        for _ in range(16)]
        ws_session = session.exec(select(WorkshopSession).where(WorkshopSession.workshop_id == workshop.id)).one()

    def take(index_and_user):
        index, user = index_and_user
        browser, base = Browser(), (a, b)[index % 2]
        _login(browser, base, user.username)
        for position in range(1, 5):
            base = (a, b)[(index + position) % 2]
            status, page, _ = browser.request(f"{base}/quiz/percobaan/{attempts[user.username]}?no={position}")
            assert status == 200, status
            option = re.search(r'name="option"[^>]*value="(\d+)"', page) or re.search(
                r'value="(\d+)"[^>]*name="option"', page)
            status, _page, _ = browser.request(
                f"{base}/quiz/percobaan/{attempts[user.username]}/soal/{position}",
                {"option": option.group(1), "csrf_token": _csrf(page)})
            assert status in (200, 303), status

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(take, enumerate(takers)))

    trainers = [Browser(), Browser()]
    _login(trainers[0], a, trainer.username)
    roster = f"/workshops/{workshop.id}/sesi/{ws_session.id}/presensi"
    token = _csrf(trainers[0].request(f"{a}{roster}")[1])
    trainers[0].copy_session_to(trainers[1])  # the same signed-in trainer, on both instances

    def mark(index_and_participant):
        index, participant = index_and_participant
        base = (a, b)[index % 2]
        status, _page, _ = trainers[index % 2].request(f"{base}{roster}/{participant.id}",
                                                       {"status": "hadir", "note": f"n{index}",
                                                        "csrf_token": token})
        assert status == 303, status

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(mark, enumerate(participants)))

    with Session(cluster["engine"], expire_on_commit=False) as session:
        answered = session.exec(select(AttemptQuestion).where(
            AttemptQuestion.attempt_id.in_(list(attempts.values())), AttemptQuestion.answered_at.is_not(None))).all()
        assert len(answered) == 6 * 4
        marks = session.exec(select(WorkshopAttendance).where(WorkshopAttendance.session_id == ws_session.id)).all()
        assert sorted(m.participant_id for m in marks) == sorted(p.id for p in participants)
        assert {m.status for m in marks} == {"hadir"}


def test_the_worker_runs_jobs_queued_by_either_instance(cluster):
    a, b = cluster["bases"]
    with Session(cluster["engine"], expire_on_commit=False) as session:
        unit = factories.make_unit(session, code="SKALA")
        admin = factories.make_user(session, roles=("admin",), unit=unit)
    browser = Browser()
    _login(browser, b, admin.username)
    lines = ["nip,nama,email,unit_kode,peran"] + [f"{factories.valid_nip(n)},Pegawai Skala {n},,SKALA,"
                                                  for n in range(1, 81)]
    _status, page, _ = browser.request(f"{b}/admin/import/users")
    status, page, _ = browser.request(f"{b}/admin/import/users", {"csrf_token": _csrf(page)},
                                      files={"file": ("skala.csv", ("\n".join(lines) + "\n").encode())})
    assert status == 200, page[:300]
    token = re.search(r'name="token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    status, _page, headers = browser.request(f"{a}/admin/import/users/confirm",
                                             {"token": token, "csrf_token": _csrf(page)})
    assert status == 303 and "/jobs/" in headers["Location"]
    job_url = headers["Location"] if headers["Location"].startswith("http") else a + headers["Location"]
    deadline = time.time() + 60
    while True:
        page = browser.request(job_url.replace(a, b))[1]
        if "Impor selesai" in page:
            break
        assert "Gagal" not in page, page[:500]
        assert time.time() < deadline, "the worker did not finish the job"
        time.sleep(0.5)
    assert "80 baru" in page
