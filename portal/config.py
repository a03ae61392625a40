"""Settings from environment variables, with safe defaults for a development machine."""

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the portal must refuse to start."""


def _flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int_setting(name, default, minimum=None, maximum=None):
    """An integer setting; a value that is not a whole number, or out of range, stops the start with a message that
    names the setting (instead of a traceback from int())."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw[:40]!r}") from None
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ConfigError(f"{name} must be {bounds}, not {value}")
    return value


def _dev_secret_key(instance_path):
    """A development key generated once and kept in instance/, so sessions survive restarts."""
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path):
    env = os.environ.get("PORTAL_ENV", "development").lower()
    production = env == "production"
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY must be set when PORTAL_ENV=production")
        secret_key = _dev_secret_key(instance_path)
    if production and len(secret_key.encode()) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 bytes when PORTAL_ENV=production "
                          "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')")

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'portal.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads"),
        "MAX_CONTENT_LENGTH": _int_setting("MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": _int_setting("SESSION_HOURS", 10, minimum=1) * 3600,
        # The cookie is set at login (and when its content changes), lasting as long as the session record can; the
        # record decides idle and absolute ends, so re-signing and re-sending the cookie on every response buys nothing.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_HOURS": _int_setting("SESSION_HOURS", 10, minimum=1),  # absolute end of a signed-in session
        "SESSION_IDLE_MINUTES": _int_setting("SESSION_IDLE_MINUTES", 60, minimum=1),  # ends after this long unused
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": False,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": ("id", "en"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto are trusted, so rate limits and
        # the audit log see the client's address, not the proxy's; 0 ignores those headers (they can be forged).
        "PROXY_COUNT": _int_setting("PROXY_COUNT", 0, minimum=0),
        "TOOLKIT_FACET_CACHE_SECONDS": _int_setting("TOOLKIT_FACET_CACHE_SECONDS", 60, minimum=0),
        "TOOLKIT_FACET_CACHE_MIN": _int_setting("TOOLKIT_FACET_CACHE_MIN", 0, minimum=0),
        "TOOLKIT_FACET_EXACT_MAX": _int_setting("TOOLKIT_FACET_EXACT_MAX", 2000, minimum=0),  # finder.FACET_EXACT_MAX
        "TOOLKIT_RANK_POOL": _int_setting("TOOLKIT_RANK_POOL", 5000, minimum=0),  # finder.RANK_POOL
        # Rendered toolkit result blocks and the header search's groups that are the same for everyone of a scope
        # (handbook, toolkit, quiz topics) are kept this long per process, keyed by what a write moves (so only the
        # toolkit list's download and use counts can be this late); 0 searches and renders on every view.
        "SEARCH_RESULTS_CACHE_SECONDS": _int_setting("SEARCH_RESULTS_CACHE_SECONDS", 300, minimum=0),
        # Dashboard counts that scan a whole unit tree (a supervisor's follow-up, a humas's toolkit warnings) are
        # kept this long per process (portal/cache.py); 0 counts on every view.
        "DASHBOARD_CACHE_SECONDS": _int_setting("DASHBOARD_CACHE_SECONDS", 60, minimum=0),
        # SQLite's page cache per connection, in KiB; empty: SQLite's default (2,000). gunicorn.conf.py sets 512 for
        # the web workers (see portal.db.make_engine); the job worker's bulk writes keep the default.
        "SQLITE_CACHE_KB": _int_setting("SQLITE_CACHE_KB", None, minimum=1),
        "PAGE_SIZE": 25,
        "JOBS_IMMEDIATE": _flag("JOBS_IMMEDIATE"),
        "IMPORT_PREVIEW_HOURS": _int_setting("IMPORT_PREVIEW_HOURS", 24, minimum=0),
        # Retention of personal data (`flask --app portal purge`, see portal/privacy.py and the README).
        "AUDIT_RETENTION_DAYS": _int_setting("AUDIT_RETENTION_DAYS", 730, minimum=0),
        "SESSION_RETENTION_DAYS": _int_setting("SESSION_RETENTION_DAYS", 90, minimum=0),
        # Finished jobs (their parameters and results: an import's rejected lines, a report's numbers) are kept
        # this long for their progress pages.
        "JOB_RETENTION_DAYS": _int_setting("JOB_RETENTION_DAYS", 30, minimum=0),
        # Confirmed imports with more lines than this run in the job worker, with a progress page.
        "IMPORT_JOB_MIN_ROWS": _int_setting("IMPORT_JOB_MIN_ROWS", 300, minimum=0),
        # Exports that read more rows than this (people, attempts) are prepared by the job worker; the file is kept
        # for EXPORT_KEEP_HOURS for the person who asked (portal/export_jobs.py).
        "EXPORT_JOB_MIN_ROWS": _int_setting("EXPORT_JOB_MIN_ROWS", 10_000, minimum=0),
        "EXPORT_KEEP_HOURS": _int_setting("EXPORT_KEEP_HOURS", 24, minimum=1),
        # A quiz report over more finished attempts than this is counted by the job worker and its numbers kept for
        # QUIZ_REPORT_KEEP_MINUTES (portal/quiz/report_numbers.py); 20,000 attempts count in about a second.
        "QUIZ_REPORT_JOB_MIN_ATTEMPTS": _int_setting("QUIZ_REPORT_JOB_MIN_ATTEMPTS", 20_000, minimum=0),
        "QUIZ_REPORT_KEEP_MINUTES": _int_setting("QUIZ_REPORT_KEEP_MINUTES", 60, minimum=1),
        # A job writes an import in batches of this many rows, each its own short transaction (write lock).
        "IMPORT_BATCH_ROWS": _int_setting("IMPORT_BATCH_ROWS", 500, minimum=1),
        "IMPORT_BATCH_PAUSE_MS": _int_setting("IMPORT_BATCH_PAUSE_MS", 100, minimum=0),
        # Files with more lines than this (or larger than IMPORT_PREVIEW_JOB_MIN_BYTES) are checked by the job
        # worker, with a progress page that leads to the preview; smaller ones are checked in the request.
        "IMPORT_PREVIEW_JOB_MIN_ROWS": _int_setting("IMPORT_PREVIEW_JOB_MIN_ROWS", 3000, minimum=0),
        "IMPORT_PREVIEW_JOB_MIN_BYTES": _int_setting("IMPORT_PREVIEW_JOB_MIN_BYTES", 2 * 1024 * 1024, minimum=0),
        # The monthly social-media report of a unit is due on this day of the next month.
        "CONTENT_REPORT_DEADLINE_DAY": _int_setting("CONTENT_REPORT_DEADLINE_DAY", 5, minimum=1, maximum=28),
    }
