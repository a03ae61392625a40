"""Portal Bijak Bermedia Sosial: the application factory."""

from pathlib import Path

from flask import Flask, after_this_request, g, jsonify, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import db, formatting, i18n, models  # noqa: F401  (models registers every table)
from portal.config import load_config
from portal.extensions import babel, csrf, limit_declared_views_only, limiter, login_manager
from portal.htmx import add_vary
from portal.permissions import can, enforce, public

ROOT = Path(__file__).resolve().parent.parent


class DbIntegerConverter(IntegerConverter):
    """`<int:...>` limited to what an id column holds: a larger number is a 404, not a database overflow (500)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", db.MAX_INT)
        super().__init__(map, *args, **kwargs)


def create_app(overrides=None):
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = DbIntegerConverter
    if overrides and overrides.get("INSTANCE_PATH"):
        app.instance_path = overrides["INSTANCE_PATH"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config.get("PROXY_COUNT"):
        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    db.init_app(app)
    if app.config["PORTAL_ENV"] == "production":
        _refuse_demo_passwords(app)
    _init_jobs(app)
    _init_static(app)
    csrf.init_app(app)
    limiter.init_app(app)
    limit_declared_views_only(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: "Asia/Jakarta")
    i18n.install_template_gettext(app)
    _init_login(app)

    app.before_request(i18n.remember_language)
    app.before_request(enforce)
    app.before_request(db.start_request_writes)  # after enforce: the user is loaded in a read transaction
    app.after_request(add_vary)
    app.after_request(db.finish_request)  # the one commit (or rollback) of a request
    app.after_request(_security_headers)

    _register_blueprints(app)
    _register_errors(app)
    _register_jinja(app)
    from portal.cli import register_cli

    register_cli(app)

    @app.get("/healthz")
    @public
    @csrf.exempt
    def healthz():
        try:
            db.session().execute(text("SELECT 1"))
            return jsonify(status="ok", database="ok")
        except Exception:  # noqa: BLE001 - any database failure means unhealthy
            app.logger.exception("health check failed")
            return jsonify(status="error", database="error"), 503

    return app


def _refuse_demo_passwords(app):
    """Production must not start while any account still has the demo password (the demo seed's accounts, or any
    password hash shared by several accounts, are checked: each distinct hash once)."""
    from sqlalchemy import func, inspect, or_, select
    from werkzeug.security import check_password_hash

    from portal.config import ConfigError
    from portal.demo.people import DEMO_ACCOUNTS, DEMO_PASSWORD
    from portal.models import User

    engine = app.extensions["db_engine"]
    if "user" not in inspect(engine).get_table_names():
        return  # a database not migrated yet
    demo_names = [account[0] for account in DEMO_ACCOUNTS]
    with engine.connect() as conn:
        shared = select(User.password_hash).group_by(User.password_hash).having(func.count() > 1)
        hashes = conn.execute(select(User.password_hash).distinct().where(
            User.password_hash.is_not(None),
            or_(User.username.in_(demo_names), User.password_hash.in_(shared)))).scalars().all()
    if any(check_password_hash(h, DEMO_PASSWORD) for h in hashes):
        raise ConfigError("an account still has the demo password; reset it before starting with "
                          "PORTAL_ENV=production (do not run seed-demo in production)")


def _init_jobs(app):
    from portal import jobs, planner_stats  # noqa: F401  (planner_stats declares the worker's statistics check)

    # Tests (and JOBS_IMMEDIATE=1) run jobs in-process right after the commit that queued them.
    jobs.set_immediate(bool(app.config.get("TESTING") or app.config.get("JOBS_IMMEDIATE")))


def _init_static(app):
    """Static files through WhiteNoise: gzip when the client takes it, cached for a year. Templates link them with
    `static_url(name)`, which adds the file's content hash, so a changed file is a new URL."""
    import hashlib

    from whitenoise import WhiteNoise

    app.wsgi_app = WhiteNoise(app.wsgi_app, root=app.static_folder, prefix="static/", max_age=31_536_000)
    hashes = {}

    def static_url(filename):
        if filename not in hashes:
            path = Path(app.static_folder) / filename
            hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "0"
        return f"{app.static_url_path}/{filename}?v={hashes[filename]}"

    app.jinja_env.globals["static_url"] = static_url


def _init_login(app):
    """Flask-Login gives `current_user`; who is signed in is decided by the server-side session record whose token
    the (signed) cookie carries: see portal/accounts/sessions.py."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Silakan masuk untuk membuka halaman ini.")
    login_manager.session_protection = None  # the session record is bound to the browser instead

    @login_manager.user_loader
    def load_user(_user_id):
        return None  # never from Flask-Login's own cookie field; see load_from_session_record

    @login_manager.request_loader
    def load_from_session_record(_request):
        from portal.accounts import sessions

        user, record = sessions.load(db.session(), session.get("sid"), request.headers.get("User-Agent"),
                                     app.config["SESSION_IDLE_MINUTES"])
        if record is None:
            return None
        record_id = g.session_record_id = record.id
        # A background poll (e.g. the notification bell, view attribute `background = True`) is not activity: it
        # must not keep an idle session alive.
        background = getattr(app.view_functions.get(request.endpoint), "background", False)
        if sessions.needs_touch(record) and not background:
            @after_this_request
            def _touch(response):
                response.call_on_close(lambda: _touch_later(app, record_id))
                return response
        return user


def _touch_later(app, record_id):
    from portal.accounts import sessions

    with app.app_context():
        sessions.touch(record_id)


def _register_blueprints(app):
    from portal.certificates import bp as certificates_bp
    from portal.jobs.views import bp as jobs_bp
    from portal.pillars import pillars

    app.extensions["pillars"] = pillars()
    for pillar in app.extensions["pillars"]:
        app.register_blueprint(pillar.blueprint, url_prefix=pillar.url_prefix)
    app.register_blueprint(certificates_bp, url_prefix="/verify")  # public, shared by every pillar
    app.register_blueprint(jobs_bp, url_prefix="/jobs")


def _security_headers(response):
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
    if current_user and getattr(current_user, "is_authenticated", False):
        headers.setdefault("Cache-Control", "private, no-store")
    return response


def _register_errors(app):
    from flask_wtf.csrf import CSRFError

    from portal.htmx import render

    messages = {
        400: (_l("Permintaan tidak valid"), _l("Permintaan Anda tidak dapat diproses. Periksa isian lalu coba lagi.")),
        403: (_l("Akses ditolak"), _l("Anda tidak memiliki izin untuk membuka halaman ini.")),
        404: (_l("Halaman tidak ditemukan"), _l("Alamat yang Anda tuju tidak ada atau sudah dipindahkan.")),
        405: (_l("Metode tidak diizinkan"), _l("Cara permintaan ini tidak didukung untuk alamat tersebut.")),
        413: (_l("Berkas terlalu besar"), _l("Berkas yang Anda kirim melebihi batas ukuran.")),
        429: (
            _l("Terlalu banyak percobaan"),
            _l("Anda sudah mencoba terlalu sering. Tunggu satu menit, lalu coba lagi."),
        ),
        500: (_l("Terjadi kesalahan"),
              _l("Maaf, terjadi kesalahan di server. Kejadian ini sudah dicatat untuk diperiksa.")),
        503: (_l("Server sedang sibuk"),
              _l("Server sedang menyimpan data lain dan belum bisa menyimpan permintaan Anda. Tidak ada yang "
                 "berubah. Tunggu beberapa detik, lalu coba lagi.")),
    }

    def handler(code):
        def handle(error):
            if code == 500 and db.is_busy(getattr(error, "original_exception", None)):
                # The write lock stayed busy past the timeout and the retries: "try again", not a server error.
                app.logger.warning("%s %s: database busy, answered 503", request.method, request.path)
                response = app.make_response(handle_busy(error))
                response.headers["Retry-After"] = "5"
                return response
            if code in (500, 503):
                db_session = g.get("db_session")
                if db_session is not None:
                    db_session.rollback()
            title, message = messages[code]
            if isinstance(error, CSRFError):
                message = _l("Sesi formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim kembali.")
            if request.path.startswith("/healthz"):
                return jsonify(status="error", error=str(title)), code
            return render("errors/error.html", code=code, title=title, message=message, status=code)

        return handle

    for code in messages:
        app.register_error_handler(code, handler(code))
    handle_busy = handler(503)


def _page_links(endpoint, args, param="page"):
    """page number -> URL of `endpoint` with `args` and that page in `param` (the pagination macro's links): the URL
    is built once and each page appends its number, as url_for would put it last (a page has up to 14 links, ~8 µs
    each)."""
    base = url_for(endpoint, **{name: value for name, value in args.items() if name != param})
    joiner = "&" if "?" in base else "?"
    return lambda page: f"{base}{joiner}{param}={int(page)}"


def _register_jinja(app):
    app.jinja_env.filters.update(formatting.FILTERS)

    from portal import chrome

    app.jinja_env.globals.update(
        site_header=lambda unread_count: chrome.site_header(current_user._get_current_object(), unread_count),
        can=lambda perm: can(current_user, perm),
        current_locale=lambda: str(get_locale() or "id"),
        lang_url=i18n.lang_url,
        content_lang=i18n.content_lang,
        page_links=_page_links,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_session():
        return {"session": session}
