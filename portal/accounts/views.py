"""Sign in and out, own password, and the personal dashboard at /."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal import db
from portal.accounts import services
from portal.accounts.forms import LoginForm, PasswordForm
from portal.dashboard import dashboard_cards
from portal.extensions import limiter
from portal.forms import EmptyForm, form_status, perform
from portal.htmx import render
from portal.permissions import LOGIN, public, requires

bp = Blueprint("accounts", __name__)

LOGIN_LIMIT = "10 per minute"


def _failed_login(response):
    return response.status_code == 401


def _username_key():
    return "login-user:" + (request.form.get("username") or "").strip().lower()[:80]


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


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(LOGIN_LIMIT, methods=["POST"], key_func=_username_key, deduct_when=_failed_login)
@db.deferred_write  # the password hash is checked outside any transaction
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    next_url = safe_next(request.args.get("next") or request.form.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(db.session(), form.username.data, form.password.data)
        if user is not None:
            db.begin_write()
            lang = session.get("lang")
            session.clear()  # a fresh session at sign-in: nothing from before survives (session fixation)
            if lang:
                session["lang"] = lang
            login_user(user)
            services.record_login(db.session(), user)
            return redirect(next_url or url_for("accounts.dashboard"))
        flash(_("Nama pengguna atau kata sandi salah."), "error")
        return render("accounts/login.html", form=form, next_url=next_url, status=401)
    status = 400 if request.method == "POST" else 200
    return render("accounts/login.html", form=form, next_url=next_url, status=status)


@bp.post("/logout")
@requires(LOGIN)
def logout():
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
                                             form.current_password.data, form.new_password.data, form=form,
                                             field="new_password"):
        # The auth version changed: keep this session (re-issued with the new version), end all others.
        # Pass the real user, not the current_user proxy, or Flask-Login stores the proxy in itself.
        login_user(current_user._get_current_object())
        flash(_("Kata sandi berhasil diubah. Sesi lain di perangkat lain sudah diakhiri."), "success")
        return redirect(url_for("accounts.dashboard"), code=303)
    return render("accounts/password.html", form=form, status=form_status(form))
