"""The app for tests/test_crash.py, served by a real gunicorn: configured from CRASH_* environment variables, with a
fault injector. When the file named by CRASH_FLAG exists and says "before-commit" (or "after-commit"), the worker
that next commits a transaction with changes kills itself with SIGKILL right before (after) the commit: the same
as `kill -9` at the worst moment of a request, without a race against the request's timing."""

import os
import signal
from pathlib import Path

from sqlalchemy.orm import Session

from portal import create_app, db

FLAG = Path(os.environ["CRASH_FLAG"])
_commit = Session.commit


def _die_if(moment):
    try:
        if FLAG.read_text().strip() == moment:
            FLAG.unlink()
            os.kill(os.getpid(), signal.SIGKILL)
    except FileNotFoundError:
        pass


def _commit_or_die(self):
    writes = db._has_changes(self)  # not the empty commits that end a read snapshot
    if writes:
        _die_if("before-commit")
    _commit(self)
    if writes:
        _die_if("after-commit")


if os.environ.get("CRASH_INJECT") == "1":  # the gunicorn of the test only, not the test process that reads config()
    Session.commit = _commit_or_die


def config():
    base = Path(os.environ["CRASH_DIR"])
    return {"SECRET_KEY": "crash-test-secret-" + "x" * 32, "DATABASE_URL": f"sqlite:///{base / 'portal.db'}",
            "INSTANCE_PATH": str(base / "instance"), "UPLOAD_DIR": str(base / "uploads"),
            "RATELIMIT_ENABLED": False, "JOBS_IMMEDIATE": True,
            "BABEL_TRANSLATION_DIRECTORIES": os.environ.get("CRASH_TRANSLATIONS", "translations")}


app = create_app(config())
