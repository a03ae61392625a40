"""The shared guards that the hostile-input suite (tests/test_fuzz.py) led to, tested directly."""

import math

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectField
from wtforms.validators import NumberRange, Optional

from portal import db
from portal.forms import BoundedIntegerField, FiniteFloatField, db_int, db_int_or_none, valid_choice
from tests import factories
from tests.conftest import make_app


class _Form(FlaskForm):
    class Meta:
        csrf = False

    number = BoundedIntegerField(validators=[Optional(), NumberRange(min=1, max=100)])
    ratio = FiniteFloatField(validators=[Optional(), NumberRange(min=-100, max=100)])
    unit = SelectField(coerce=db_int_or_none, validate_choice=False)


@pytest.mark.parametrize("raw", [str(2**70), "9" * 400, "-" + "9" * 40, str(db.MAX_INT + 1)])
def test_integers_past_the_database_range_are_a_message(app, raw):
    with app.test_request_context():
        form = _Form(MultiDict({"number": raw}))
        assert not form.validate()
        assert form.number.errors and form.number.data is None


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "1e309"])
def test_nan_and_infinity_are_refused(app, raw):
    with app.test_request_context():
        form = _Form(MultiDict({"ratio": raw}))
        assert not form.validate() and form.ratio.errors


def test_ids_past_the_database_range_are_an_invalid_choice(app):
    with app.test_request_context():
        form = _Form(MultiDict({"unit": "9" * 400}))
        assert not form.validate() and form.unit.errors
        assert _Form(MultiDict({"unit": ""})).unit.data is None
        assert _Form(MultiDict({"unit": "12"})).unit.data == 12


def test_db_int_and_valid_choice():
    assert db_int(" 42 ") == 42
    for bad in ("x", "1.5", str(2**31), "", "٣" * 400):
        with pytest.raises(ValueError):
            db_int(bad)
    assert valid_choice(3, [1, 2, 3]) == 3 and valid_choice(4, [1, 2, 3]) is None
    assert math.isfinite(float(db.MAX_INT))


def test_sign_in_works_with_the_rate_limiter_switched_off(tmp_path):
    """RATELIMIT_ENABLED=0 (scans, load tests) left the account throttle without storage: every sign-in was a 500."""
    app = make_app(tmp_path, RATELIMIT_ENABLED=False)
    try:
        from sqlmodel import Session

        with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
            user = factories.make_user(session)
        client = app.test_client()
        assert client.post("/login", data={"username": user.username, "password": "salah"}).status_code < 500
        assert client.post("/login", data={"username": user.username,
                                           "password": factories.PASSWORD}).status_code == 302
    finally:
        app.extensions["db_engine"].dispose()


def test_the_limiter_runs_only_for_views_with_a_declared_limit(monkeypatch, tmp_path):
    """portal.extensions.limit_declared_views_only: Flask-Limiter's check runs for a limited view (the guest
    check-in), not for the others (the dashboard's login redirect, the health check)."""
    from flask import request
    from flask_limiter import Limiter

    checked = []
    original = Limiter._check_request_limit
    def counted(self, *args, **kwargs):
        checked.append(request.endpoint)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Limiter, "_check_request_limit", counted)
    app = make_app(tmp_path)
    try:
        client = app.test_client()
        client.get("/healthz")
        client.get("/")
        assert checked == []
        client.get("/workshops/hadir/TIDAKADA00")
        assert checked and set(checked) == {"workshops.guest"}  # before the view, and by its decorator
    finally:
        app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("forged", [{"trainer_ids": ["99999"]}, {"audience_ids": ["99999"]}, {"unit_id": "99999"},
                                    {"pre_quiz_id": "99999"}, {"post_quiz_id": "99999"}])
def test_a_workshop_with_forged_ids_is_a_message_not_an_integrity_error(client, session, login_as, forged):
    from sqlmodel import func, select

    from portal.models import Workshop

    admin = login_as("admin")
    data = {"title": "Pelatihan uji", "status": "draft", "completion_percent": "80", "trainer_ids": [str(admin.id)],
            **forged}
    response = client.post("/workshops/baru", data=data)
    assert response.status_code == 422
    assert "dari daftar" in response.get_data(as_text=True)
    assert client.post("/workshops/baru", data=data, headers={"HX-Request": "true"}).status_code == 200
    assert session.exec(select(func.count()).select_from(Workshop)).one() == 0


@pytest.mark.parametrize("q", ["/etc/passwd\x00", "\x00", "a\x00b", '"\x00"'])
def test_user_search_with_a_nul_byte_is_not_a_500(client, login_as, q):
    """Found by the wapiti scan of `make audit`: a NUL ended the FTS5 phrase early ("unterminated string")."""
    login_as("admin")
    assert client.get("/admin/users", query_string={"q": q, "page": "3"}).status_code == 200


def test_limits_are_declared_through_rate_limited_only():
    """Views without a declared limit skip the rate limiter (portal.extensions.rate_limited); a limit declared with
    `limiter.limit` directly would be skipped too."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "portal"
    direct = [str(path) for path in root.rglob("*.py") if path.name != "extensions.py"
              and ("limiter.limit(" in path.read_text() or "limiter.shared_limit(" in path.read_text())]
    assert direct == []


def test_limited_views_are_still_limited_and_the_others_skip_the_limiter(app, client):
    from portal.extensions import _not_rate_limited

    for url, limit in (("/workshops/hadir/TIDAKADA00", 60), ("/verify/TIDAKADA00/qr.svg", 300)):
        answers = [client.get(url).status_code for _ in range(limit + 1)]
        assert 429 not in answers[:limit] and answers[limit] == 429, url
    with app.test_request_context("/login", method="POST"):
        app.preprocess_request()
        assert not _not_rate_limited()
    with app.test_request_context("/"):
        assert _not_rate_limited()
