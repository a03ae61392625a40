"""Where one page's time goes, on a database written by `python bench/generate.py --keep DIR`:

    python bench/profile_page.py DIR USERNAME PATH [ROWS]

Signs in as USERNAME (demo password) with the Flask test client, warms up, sets the garbage collector as
gunicorn.conf.py does, prints the mean time (wall and CPU) and SQL statements of REPS requests (default 10) and a
cProfile listing (PSORT, default cumulative) of REPS more. DBURL: a database other than DIR's SQLite file (e.g. the
PostgreSQL database `bench/generate.py --database-url` filled).
"""

import cProfile
import gc
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(folder, username, path, rows="40"):
    folder = Path(folder).resolve()
    os.environ.setdefault("JOBS_DATABASE", str(folder / "jobs.db"))
    from portal import create_app

    database_url = os.environ.get("DBURL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(folder / "instance"),
                      "SECRET_KEY": "bench-" + "x" * 40, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    headers = {"User-Agent": "profile"}
    response = client.post("/login", data={"username": username, "password": "bijak-bermedsos"}, headers=headers)
    assert response.status_code == 302, response.status_code
    from sqlalchemy import event

    statements = []
    event.listen(app.extensions["db_engine"], "before_cursor_execute", lambda *_args: statements.append(1))
    for _ in range(3):
        client.get(path, headers=headers)
    # the collector as gunicorn.conf.py sets it: otherwise full passes land inside whatever allocates and are
    # counted as its time
    gc.set_threshold(50000, 10, 10)
    gc.collect()
    gc.freeze()
    statements.clear()
    reps = int(os.environ.get("REPS", "10"))
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(reps):
        response = client.get(path, headers=headers)
    # CPU time is the page's own cost; the wall time also counts waiting for a core on a busy machine
    print(f"{path}: {(time.perf_counter() - started) * 1000 / reps:.2f} ms per request "
          f"({(time.process_time() - cpu) * 1000 / reps:.2f} ms CPU), {len(statements) / reps:.0f} SQL statements, "
          f"status {response.status_code}, "
          f"{len(response.data):,} bytes")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(reps):
        client.get(path, headers=headers)
    profile.disable()
    pstats.Stats(profile).sort_stats(os.environ.get("PSORT", "cumulative")).print_stats(int(rows))


if __name__ == "__main__":
    main(*sys.argv[1:])
