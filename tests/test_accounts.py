"""Sign-in, sign-out, sessions, own password, login rate limits, language choice and NIP validation."""

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from portal.accounts import services
from portal.accounts.validation import email_problem, nip_problem, password_problem
from portal.models import AuditLog, User, UserSession, utcnow
from portal.timezone import as_utc
from tests import factories
from tests.conftest import HX, make_app

GENERIC_LOGIN_ERROR = "Nama pengguna atau kata sandi salah."
NEW_PASSWORD = "frasa-sandi-baru-yang-panjang"


@pytest.fixture(autouse=True)
def cheap_dummy_hash(monkeypatch):
    """Unknown usernames are checked against a dummy hash (for equal timing); keep that cheap in tests."""
    monkeypatch.setattr(services, "_dummy_hash", lambda: factories._HASH)


def test_password_hashes_are_computed_one_at_a_time_per_process(monkeypatch):
    """scrypt takes ~32 MB per hash: simultaneous logins must queue, not multiply a worker's memory."""
    import threading
    import time

    running, most = [0], [0]
    lock = threading.Lock()

    def slow_check(password_hash, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return True

    monkeypatch.setattr(services, "check_password_hash", slow_check)
    user = User(username="x", full_name="X", password_hash="h", active=True)
    threads = [threading.Thread(target=services.check_password, args=(user, "pw")) for _ in range(4)]
    threads += [threading.Thread(target=services.check_password, args=(None, "pw")) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def post_login(client, username, password=factories.PASSWORD, query="", **kwargs):
    return client.post(f"/login{query}", data={"username": username, "password": password}, **kwargs)


def is_signed_in(client):
    return client.get("/").status_code == 200


# --- signing in ----------------------------------------------------------------------------------------------------

def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page
    assert 'type="password"' in page


def test_login_by_username(client, session):
    user = factories.make_user(session, username="ratna.sari")
    response = post_login(client, "ratna.sari")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    session.refresh(user)
    assert user.last_login_at is not None


def test_login_username_is_case_insensitive_and_trimmed(client, session):
    factories.make_user(session, username="budi.santoso")
    assert post_login(client, "  Budi.Santoso ").status_code == 302


def test_login_by_nip(client, session):
    factories.make_user(session, username="agus", nip=factories.valid_nip(7))
    assert post_login(client, factories.valid_nip(7)).status_code == 302
    assert is_signed_in(client)


def test_wrong_password_and_unknown_user_get_the_same_generic_answer(client, session):
    factories.make_user(session, username="dewi")
    wrong_password = post_login(client, "dewi", "salah-sama-sekali-123")
    unknown_user = post_login(client, "tidak-ada", "salah-sama-sekali-123")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert GENERIC_LOGIN_ERROR in response.get_data(as_text=True)
    # Nothing in the page tells the two apart (but the typed name and the per-request CSRF token).
    def normalised(response):
        page = response.get_data(as_text=True).replace('value="tidak-ada"', 'value="dewi"')
        return re.sub(r'"[\w-]+\.[\w-]+\.[\w-]+"', '"token"', page)

    assert normalised(wrong_password) == normalised(unknown_user)
    assert not is_signed_in(client)


def test_empty_form_is_refused_with_indonesian_messages(client):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Isi nama pengguna atau NIP." in page
    assert "Isi kata sandi." in page
    assert "This field is required" not in page


def test_inactive_user_cannot_log_in(client, session):
    factories.make_user(session, username="pensiun", active=False)
    response = post_login(client, "pensiun")
    assert response.status_code == 401
    assert GENERIC_LOGIN_ERROR in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_user_without_password_cannot_log_in(client, session):
    factories.make_user(session, username="baru", password_hash=None)
    assert post_login(client, "baru", "").status_code == 400
    assert post_login(client, "baru", "apa-saja-yang-panjang").status_code == 401


def test_signed_in_user_visiting_login_goes_to_dashboard(client, login_as):
    login_as("employee")
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_deactivating_a_signed_in_user_ends_their_session_at_once(app, client, session):
    user = factories.make_user(session, username="akan.nonaktif")
    admin = factories.make_user(session, username="admin.satu", roles=("admin",))
    assert post_login(client, user.username).status_code == 302
    assert is_signed_in(client)

    admin_client = app.test_client()
    assert post_login(admin_client, admin.username).status_code == 302
    response = admin_client.post(f"/admin/users/{user.id}/edit", data={
        "username": user.username, "full_name": user.full_name, "unit_id": user.unit_id})  # "active" unticked
    assert response.status_code == 303

    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get("/account/password").status_code == 302


# --- where to go after signing in ----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "//evil.example",
    "https://evil.example/x",
    "http://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nSet-Cookie: x=1",
    "/admin\x00",
    "evil.example/x",
])
def test_next_only_to_local_paths(client, session, target):
    factories.make_user(session, username="siti")
    response = client.post("/login", query_string={"next": target},
                           data={"username": "siti", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["//evil.example", "javascript:alert(1)"])
def test_next_from_the_form_field_is_checked_too(client, session, target):
    factories.make_user(session, username="siti")
    response = client.post("/login", data={"username": "siti", "password": factories.PASSWORD, "next": target})
    assert response.headers["Location"] == "/"


def test_next_to_a_local_path_is_followed(client, session):
    factories.make_user(session, username="admin.dua", roles=("admin",))
    response = client.get("/admin/users")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url == "/login?next=/admin/users"
    page = client.get(login_url).get_data(as_text=True)
    assert 'name="next" value="/admin/users"' in page
    response = client.post(login_url, data={"username": "admin.dua", "password": factories.PASSWORD})
    assert response.headers["Location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200


def test_bad_next_is_not_echoed_into_the_login_form(client):
    page = client.get("/login", query_string={"next": "//evil.example"}).get_data(as_text=True)
    assert 'name="next"' not in page


# --- the session ---------------------------------------------------------------------------------------------------

def test_session_is_renewed_at_login(client, session):
    """Session fixation: nothing planted in the session before sign-in survives it, and the cookie changes."""
    user = factories.make_user(session)
    client.get("/login?lang=en")
    with client.session_transaction() as before:
        before["planted"] = "by-an-attacker"
    cookie_before = client.get_cookie("session").value
    assert post_login(client, user.username).status_code == 302
    cookie_after = client.get_cookie("session").value
    assert cookie_after != cookie_before
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["sid"] and after.permanent  # the token of a new server-side session record
        assert after["lang"] == "en"  # the language choice is kept


def test_logout_is_post_only_and_ends_the_session(client, login_as):
    login_as("employee")
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    with client.session_transaction() as after:
        assert "sid" not in after


def test_an_old_cookie_is_dead_after_logout(app, client, login_as, session):
    """Replaying the cookie from before logout (same browser) no longer opens anything: the record has ended."""
    login_as("employee")
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 303
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/").status_code == 302
    record = session.exec(select(UserSession)).one()
    assert record.ended_reason == "logout"
    assert session.exec(select(AuditLog).where(AuditLog.action == "auth.logout")).one()


def test_the_cookie_does_not_work_in_another_browser(app, client, login_as):
    login_as("employee")
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value)
    assert copied.get("/", headers={"User-Agent": "Mozilla/5.0 (lain)"}).status_code == 302
    assert is_signed_in(client)  # the owner is not affected


def test_idle_and_absolute_ends(app, client, login_as, session):
    login_as("employee")
    record = session.exec(select(UserSession)).one()
    record.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    session.add(record)
    session.commit()
    assert client.get("/").status_code == 302
    session.refresh(record)
    assert record.ended_reason == "idle"

    login_as("employee")
    record = session.exec(select(UserSession).where(UserSession.ended_at.is_(None))).one()
    record.expires_at = utcnow() - timedelta(seconds=1)
    session.add(record)
    session.commit()
    assert client.get("/").status_code == 302
    session.refresh(record)
    assert record.ended_reason == "expired"


def test_activity_keeps_a_session_alive(app, client, login_as, session):
    login_as("employee")
    record = session.exec(select(UserSession)).one()
    record.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 1)
    session.add(record)
    session.commit()
    response = client.get("/")
    assert response.status_code == 200
    response.close()  # the server closes the response once sent; the record is touched then
    session.refresh(record)
    assert utcnow() - as_utc(record.last_seen_at) < timedelta(minutes=1)


def test_profile_lists_sessions_and_ends_another_one(app, client, login_as, session):
    user = login_as("employee")
    other = app.test_client()
    post_login(other, user.username, headers={"User-Agent": "Mozilla/5.0 (Android) HP Dinas"})
    assert other.get("/", headers={"User-Agent": "Mozilla/5.0 (Android) HP Dinas"}).status_code == 200
    page = client.get("/account/").get_data(as_text=True)
    assert "Android" in page and "Perangkat ini" in page  # the device, named
    other_id = session.exec(select(UserSession.id).where(UserSession.user_agent.contains("HP Dinas"))).one()
    assert client.post(f"/account/sesi/{other_id}/akhiri").status_code == 303
    assert other.get("/", headers={"User-Agent": "Mozilla/5.0 (Android) HP Dinas"}).status_code == 302
    assert is_signed_in(client)
    # Someone else's session id is not theirs to end.
    stranger = factories.make_user(session)
    post_login(app.test_client(), stranger.username)
    stranger_session = session.exec(select(UserSession.id).where(UserSession.user_id == stranger.id)).one()
    client.post(f"/account/sesi/{stranger_session}/akhiri")
    session.expire_all()
    assert session.get(UserSession, stranger_session).ended_at is None


def test_role_changes_reach_live_sessions(app, client, login_as, session, login):
    user = login_as("employee")
    assert client.get("/admin/").status_code == 403
    admin = factories.make_user(session, roles=("admin",))
    admin_client = app.test_client()
    admin_client.post("/login", data={"username": admin.username, "password": factories.PASSWORD})
    response = admin_client.post(f"/admin/users/{user.id}/edit", data={
        "username": user.username, "full_name": user.full_name, "unit_id": user.unit_id, "roles": ["admin"],
        "active": "y"})
    assert response.status_code == 303, response.data[:400]
    assert client.get("/admin/").status_code == 200
    assert admin_client.post(f"/admin/users/{user.id}/end-sessions").status_code == 303
    assert client.get("/").status_code == 302


def test_logout_page_says_so(client, login_as):
    login_as("employee")
    page = client.post("/logout", follow_redirects=True).get_data(as_text=True)
    assert "Anda sudah keluar." in page


# --- own password --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data,message", [
    ({"current_password": "bukan-kata-sandinya", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
     "Kata sandi saat ini salah."),
    ({"current_password": factories.PASSWORD, "new_password": "pendek-11ch", "confirm": "pendek-11ch"},
     "Kata sandi minimal 12 karakter."),
    ({"current_password": factories.PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"},
     "Kedua kata sandi tidak sama."),
    ({"current_password": "", "new_password": "", "confirm": ""}, "Isi kata sandi saat ini."),
])
def test_password_change_refusals(client, login_as, session, data, message):
    user = login_as("employee")
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page or 'class="error"' in page
    session.refresh(user)
    assert user.auth_version == 1
    assert services.authenticate(session, user.username, factories.PASSWORD) is not None


def test_password_change_signs_out_other_sessions(app, client, login_as, session):
    user = login_as("employee")
    other_device = app.test_client()
    assert post_login(other_device, user.username).status_code == 302
    assert is_signed_in(other_device)

    response = client.post("/account/password", data={
        "current_password": factories.PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"

    assert is_signed_in(client)  # this session goes on
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302  # the other one is over
    session.refresh(user)
    assert user.auth_version == 2
    assert services.authenticate(session, user.username, factories.PASSWORD) is None
    assert services.authenticate(session, user.username, NEW_PASSWORD) is not None
    entry = session.exec(select(AuditLog).where(AuditLog.action == "user.password_change")).one()
    assert entry.actor_id == user.id and entry.object_id == str(user.id)
    assert NEW_PASSWORD not in (entry.summary + (entry.after or "") + (entry.before or ""))


def test_password_page_needs_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account/password")


# --- login rate limits ---------------------------------------------------------------------------------------------

def test_a_stranger_cannot_lock_out_the_owner(app, client, session):
    """Failures against one account from many addresses slow strangers down (a growing wait, password not even
    checked), but the owner's own browser, known from an earlier sign-in, still gets in with the right password."""
    user = factories.make_user(session, username="target")
    owner = app.test_client()
    assert post_login(owner, "target").status_code == 302  # the owner's browser gets a known-device cookie
    owner.post("/logout")
    for attempt in range(5):
        response = post_login(client, "target", f"tebakan-salah-{attempt}",
                              environ_base={"REMOTE_ADDR": f"10.0.0.{attempt + 1}"})
        assert response.status_code == 401, attempt
    assert "detik lagi" in response.get_data(as_text=True)  # the wait starts and is announced
    response = post_login(client, "target", environ_base={"REMOTE_ADDR": "10.0.0.99"})  # right password, stranger
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Terlalu banyak percobaan masuk ke akun ini" in page and '<html lang="id">' in page
    assert not is_signed_in(client)
    assert post_login(owner, "target").status_code == 302  # the owner is not locked out
    assert is_signed_in(owner)
    # Every failure and the throttling are in the audit log.
    actions = [a for a in session.exec(select(AuditLog.action).where(AuditLog.object_id == str(user.id))).all()]
    assert actions.count("auth.login_failed") == 5 and "auth.login_throttled" in actions
    assert actions.count("auth.login") == 2
    # Another username from a fresh address is not affected.
    factories.make_user(session, username="bystander")
    assert post_login(client, "bystander", environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code == 302


def test_the_wait_grows_and_ends(client, session, monkeypatch):
    from portal.accounts import throttle
    from portal.extensions import limiter

    factories.make_user(session, username="sasaran")
    delays = [throttle.record_failure("sasaran") for _ in range(8)]
    assert delays == [0, 0, 0, 0, 2, 4, 8, 16]
    assert throttle.waiting_seconds("SASARAN ") > 0  # the same account however it is typed
    limiter.storage.clear(throttle._key("wait", "sasaran"))  # the wait has passed
    assert post_login(client, "sasaran").status_code == 302
    assert throttle.waiting_seconds("sasaran") == 0  # a success starts afresh


def test_ten_failures_from_one_client_block_the_eleventh_attempt(client, session):
    factories.make_user(session, username="real.user")
    for attempt in range(10):
        assert post_login(client, f"tebakan{attempt}", "salah-salah-salah").status_code == 401, attempt
    response = post_login(client, "real.user")
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)
    # Another client is not affected.
    assert post_login(client, "real.user", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(client, session):
    user = factories.make_user(session, username="rajin")
    assert post_login(client, "rajin").status_code == 302  # a known browser: only the per-address limit applies
    client.post("/logout")
    for _ in range(9):
        assert post_login(client, "rajin", "salah-salah-salah").status_code == 401
    for _ in range(3):
        assert post_login(client, "rajin").status_code == 302
        client.post("/logout")
    assert post_login(client, "rajin", "salah-salah-salah").status_code == 401  # the 10th failure
    assert post_login(client, "rajin", "salah-salah-salah").status_code == 429
    assert user.id


def test_forged_forwarded_for_does_not_dodge_the_limit(client):
    for attempt in range(10):
        assert post_login(client, f"tebakan{attempt}", "salah-salah-salah",
                          headers={"X-Forwarded-For": f"198.51.100.{attempt}"}).status_code == 401
    assert post_login(client, "lagi", "salah-salah-salah",
                      headers={"X-Forwarded-For": "198.51.100.99"}).status_code == 429


def test_behind_a_reverse_proxy_each_client_has_its_own_limit(tmp_path):
    """With PROXY_COUNT=1 (nginx in front) the limit is per client address, not one limit for everyone."""
    app = make_app(tmp_path, PROXY_COUNT=1)
    try:
        client = app.test_client()
        attacker = {"X-Forwarded-For": "203.0.113.5"}
        for attempt in range(10):
            assert post_login(client, f"tebakan{attempt}", "salah-salah-salah", headers=attacker).status_code == 401
        assert post_login(client, "tebakan", "salah-salah-salah", headers=attacker).status_code == 429
        with Session(app.extensions["db_engine"], expire_on_commit=False) as db_session:
            colleague = factories.make_user(db_session, username="rekan")
        response = post_login(client, colleague.username, headers={"X-Forwarded-For": "203.0.113.6"})
        assert response.status_code == 302
    finally:
        app.extensions["db_engine"].dispose()


def test_rate_limited_htmx_login_is_not_a_500(client):
    for _ in range(10):
        post_login(client, "x", "salah-salah-salah")
    response = post_login(client, "x", "salah-salah-salah", headers=HX)
    assert response.status_code == 429


# --- language ------------------------------------------------------------------------------------------------------

def test_default_language_is_indonesian(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Masuk ke portal" in page


def test_lang_parameter_switches_and_is_remembered(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in to the portal" in page
    page = client.get("/login").get_data(as_text=True)  # no parameter: still English
    assert '<html lang="en">' in page
    assert "Sign in to the portal" in page
    page = client.get("/login?lang=id").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert '<html lang="id">' in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    assert '<html lang="id">' in client.get("/login?lang=xx").get_data(as_text=True)
    with client.session_transaction() as saved:
        assert "lang" not in saved


def test_signed_in_users_choice_is_stored_on_the_account(app, client, login_as, session):
    user = login_as("employee")
    # The header's switch is a POST: it goes back to the page and remembers the choice on the account.
    response = client.post("/account/bahasa", data={"lang": "en", "next": "/quiz/?x=1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/quiz/?x=1")
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    session.refresh(user)
    assert user.preferred_language == "en"
    # A new session on another device starts in the stored language.
    other_device = app.test_client()
    post_login(other_device, user.username)
    assert '<html lang="en">' in other_device.get("/").get_data(as_text=True)
    # Switching back is stored as well; an outside `next` is not followed.
    response = client.post("/account/bahasa", data={"lang": "id", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/")
    session.refresh(user)
    assert user.preferred_language == "id"


def test_lang_on_a_get_changes_the_session_only(client, login_as, session):
    """A cross-site <img src="/quiz/?lang=en"> must not change the account (no state change on GET)."""
    user = login_as("employee")
    assert '<html lang="en">' in client.get("/quiz/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    session.refresh(user)
    assert user.preferred_language == "id"


def test_english_error_messages(client, session):
    factories.make_user(session, username="dewi")
    client.get("/login?lang=en")
    response = post_login(client, "dewi", "salah-salah-salah")
    assert "Wrong username or password." in response.get_data(as_text=True)


# --- identity data -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("nip", [
    "199005172015031001",  # born 17 May 1990, appointed March 2015, man, sequence 001
    "198512312010122999",  # woman
    "200002292024011001",  # 29 February of a leap year
])
def test_valid_nips(app, nip):
    with app.test_request_context():
        assert nip_problem(nip) is None


@pytest.mark.parametrize("nip,problem", [
    ("19900517201503100", "18 angka"),  # 17 digits
    ("1990051720150310012", "18 angka"),  # 19 digits
    ("19900517201503100a", "18 angka"),
    ("1990 0517 2015 03 1 001", "18 angka"),
    ("", "18 angka"),
    ("199002302015031001", "Tanggal lahir"),  # 30 February
    ("199013172015031001", "Tanggal lahir"),  # month 13
    ("199005002015031001", "Tanggal lahir"),  # day 0
    ("199005172015131001", "pengangkatan"),  # appointment month 13
    ("199005172015001001", "pengangkatan"),  # appointment month 00
    ("199005172000031001", "pengangkatan"),  # appointed at ten years old
    ("199005172999031001", "pengangkatan"),  # appointed in the far future
    ("199005172015033001", "jenis kelamin"),  # gender digit 3
    ("199005172015030001", "jenis kelamin"),  # gender digit 0
])
def test_invalid_nips(app, nip, problem):
    with app.test_request_context():
        assert problem in nip_problem(nip)


def test_email_and_password_checks(app):
    with app.test_request_context():
        assert email_problem("ratna@kementerian.go.id") is None
        for bad in ("ratna", "ratna@", "@kementerian.go.id", "ratna @x.id", "ratna@localhost", "a@b.c" + "c" * 260):
            assert email_problem(bad) is not None, bad
        assert password_problem("a" * 12) is None
        assert "minimal 12" in password_problem("a" * 11)
        assert password_problem("a" * 257) is not None


def test_authenticate_service(session):
    user = factories.make_user(session, username="layanan", nip=factories.valid_nip(3))
    assert services.authenticate(session, "layanan", factories.PASSWORD).id == user.id
    assert services.authenticate(session, factories.valid_nip(3), factories.PASSWORD).id == user.id
    assert services.authenticate(session, "layanan", "salah") is None
    assert services.authenticate(session, "", "") is None
    assert services.authenticate(session, None, None) is None
    user.active = False
    session.add(user)
    session.commit()
    assert services.authenticate(session, "layanan", factories.PASSWORD) is None
    assert session.exec(select(User).where(User.username == "layanan")).one().last_login_at is None
