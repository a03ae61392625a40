"""Sign in and out, own password, and the personal dashboard at /."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from portal import db
from portal.accounts import services, sessions, throttle
from portal.accounts.forms import LoginForm, PasswordForm
from portal.dashboard import dashboard_cards
from portal.extensions import rate_limited
from portal.forms import EmptyForm, form_status, perform
from portal.htmx import render
from portal.i18n import ngettext
from portal.permissions import LOGIN, public, requires

bp = Blueprint("accounts", __name__)

LOGIN_LIMIT = "10 per minute"


def _failed_login(response):
    return response.status_code == 401


def safe_next(target):
    """Only local paths: no scheme, no host, no protocol-relative `//` or backslash tricks, no control characters
    (browsers drop tabs and newlines, so "/<tab>/evil.example" means "//evil.example"; a newline would also break
    the Location header)."""
    if not target:
        return None
    target = target.strip()
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _start_session(user):
    """Sign `user` in on this browser: a fresh cookie session (nothing from before survives: no session fixation)
    carrying the token of a new server-side session record."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True
    session["sid"] = services.sign_in(db.session(), user, request.headers.get("User-Agent"), request.remote_addr,
                                      current_app.config["SESSION_HOURS"])


@bp.route("/login", methods=["GET", "POST"])
@public
@rate_limited(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login)  # per address; failures only
@db.deferred_write  # the password hash is checked outside any transaction
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    next_url = safe_next(request.args.get("next") or request.form.get("next"))
    if not form.validate_on_submit():
        return render("accounts/login.html", form=form, next_url=next_url,
                      status=400 if request.method == "POST" else 200)
    username = form.username.data
    user = services.find_login_user(db.session(), username)
    known_device = user is not None and throttle.known_device_user(request.cookies.get(throttle.DEVICE_COOKIE)) \
        == user.id
    wait = 0 if known_device else throttle.waiting_seconds(username)
    if wait:
        services.record_failed_login(username, "login_throttled", user)
        flash(ngettext("Terlalu banyak percobaan masuk ke akun ini. Tunggu %(num)s detik lalu coba lagi, atau "
                       "masuk dari perangkat yang biasa Anda pakai.",
                       "Terlalu banyak percobaan masuk ke akun ini. Tunggu %(num)s detik lalu coba lagi, atau "
                       "masuk dari perangkat yang biasa Anda pakai.", wait), "error")
        return render("accounts/login.html", form=form, next_url=next_url, status=429)
    if not services.check_password(user, form.password.data):
        delay = throttle.record_failure(username)
        services.record_failed_login(username, "login_failed", user)
        flash(_("Nama pengguna atau kata sandi salah."), "error")
        if delay:
            flash(ngettext("Untuk melindungi akun ini, percobaan berikutnya dari perangkat lain baru dapat dilakukan "
                             "%(num)s detik lagi.",
                             "Untuk melindungi akun ini, percobaan berikutnya dari perangkat lain baru dapat dilakukan "
                             "%(num)s detik lagi.", delay), "warning")
        return render("accounts/login.html", form=form, next_url=next_url, status=401)
    throttle.record_success(username)
    db.begin_write()
    _start_session(user)
    response = redirect(next_url or url_for("accounts.dashboard"))
    response.set_cookie(throttle.DEVICE_COOKIE, throttle.device_cookie_value(user.id),
                        max_age=throttle.DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.post("/logout")
@requires(LOGIN)
def logout():
    services.sign_out(db.session(), current_user, g.session_record_id)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.get("/")
@requires("dashboard.view")
def dashboard():
    return render("accounts/dashboard.html", cards=dashboard_cards(db.session(), current_user))


@bp.post("/account/bahasa")
@requires("account.manage_own")
def language():
    """The header's language switch for a signed-in person: remembered in the session and on the account."""
    lang = request.form.get("lang")
    if EmptyForm().validate_on_submit() and lang in ("id", "en"):
        session["lang"] = lang
        services.set_preferred_language(db.session(), current_user, lang)
    return redirect(safe_next(request.form.get("next")) or url_for("accounts.dashboard"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account.manage_own")
@db.deferred_write  # the current password's hash is checked outside any transaction
def password():
    form = PasswordForm()
    if form.validate_on_submit() and perform(services.change_password, db.session(), current_user,
                                             form.current_password.data, form.new_password.data,
                                             keep_session_id=g.session_record_id, form=form, field="new_password"):
        flash(_("Kata sandi berhasil diubah. Sesi lain di perangkat lain sudah diakhiri."), "success")
        return redirect(url_for("accounts.dashboard"), code=303)
    return render("accounts/password.html", form=form, status=form_status(form))


@bp.get("/account/")
@requires("account.manage_own")
def profile():
    return render("accounts/profile.html", sessions=sessions.live_sessions(db.session(), current_user.id),
                  current_id=g.session_record_id, form=EmptyForm(), describe_device=sessions.describe_device)


@bp.post("/account/sesi/<int:session_id>/akhiri")
@requires("account.manage_own")
def end_session(session_id):
    if EmptyForm().validate_on_submit() and perform(services.end_own_session, db.session(), current_user,
                                                    session_id):
        flash(_("Sesi diakhiri. Perangkat itu harus masuk lagi."), "success")
    return redirect(url_for("accounts.profile"), code=303)
