"""The job worker for the benchmark (the import scenario): `flask worker`, with the benchmark's instance folder."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app, jobs  # noqa: E402

if __name__ == "__main__":
    app = create_app({"INSTANCE_PATH": os.environ["BENCH_INSTANCE"]})
    jobs._worker_app = app  # the consumer's threads have no app context; they use this app
    with app.app_context():
        jobs.run_worker(2)
