"""The portal as gunicorn loads it for the benchmark: the generated database (DATABASE_URL) and an instance folder in
the benchmark's temporary directory (BENCH_INSTANCE), so nothing is written beside the code."""

import os

from portal import create_app

app = create_app({"INSTANCE_PATH": os.environ["BENCH_INSTANCE"]})
