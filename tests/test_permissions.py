"""Every endpoint declares a permission, and every role gets the status code the matrix promises on every endpoint.

The expectations come from `portal.permissions.MATRIX` and each endpoint's declaration, so endpoints added later by
other pillars are covered automatically. An endpoint whose URL has arguments needs an entry in URL_BUILDERS below:
the matrix tests fail, naming the endpoint, until it has one.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import Blueprint, url_for
from sqlmodel import Session, select

from portal.models import AuditLog, Unit, User
from portal.permissions import LOGIN, MATRIX, PUBLIC, declared_permissions
from tests import factories
from tests.conftest import HX, make_app

ROLES = ("anonymous", "employee", "supervisor", "humas", "trainer", "admin")
SKIPPED_ENDPOINTS = {"static"}


def _handbook(ctx):
    """A small published handbook, made once per matrix run."""
    if not hasattr(ctx, "handbook"):
        ctx.handbook = factories.make_handbook(ctx.session)
    return ctx.handbook


def _section(ctx):
    return _handbook(ctx).sections["akun-pribadi"]


def _with_handbook(ctx):
    _handbook(ctx)
    return {}


def _quiz(ctx):
    """A topic, an active question and a quiz drawing it, made once per matrix run."""
    if not hasattr(ctx, "quiz_rows"):
        topic = factories.make_topic(ctx.session)
        question = factories.make_question(ctx.session, topic)
        quiz = factories.make_quiz(ctx.session, [(topic, 1)])
        ctx.quiz_rows = SimpleNamespace(topic=topic, question=question, quiz=quiz)
    return ctx.quiz_rows


def _attempt(ctx, **kwargs):
    return factories.make_attempt(ctx.session, ctx.user, _quiz(ctx).quiz, **kwargs).id


def _certificate_code(ctx):
    from portal import certificates

    cert = certificates.issue(ctx.session, "quiz", "Nama Uji", "Unit Uji", "Kuis Uji")
    ctx.session.commit()
    return cert.code


def _draft_question(ctx):
    from portal.quiz import bank

    data = bank.QuestionInput(topic_id=_quiz(ctx).topic.id, kind="truefalse", stem="Usulan?",
                              options=bank.true_false_options(True))
    question = bank.create_question(ctx.session, ctx.user, data, status="draft")
    ctx.session.commit()
    return question.id


def _quiz_image(ctx):
    import io

    from PIL import Image

    from portal.models import QuestionVersion
    from portal.quiz import images

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#123456").save(buffer, "PNG")
    with ctx.app.app_context():
        name = images.store(buffer.getvalue())
    version = ctx.session.get(QuestionVersion, _quiz(ctx).question.current_version_id)
    version.image, version.image_alt = name, "Gambar uji"
    ctx.session.add(version)
    ctx.session.commit()
    return {"name": name}



def _toolkit(ctx, kind="template"):
    """An approved template and an approved regulation with a PDF, made once per matrix run."""
    if not hasattr(ctx, "toolkit"):
        ctx.toolkit = {"template": factories.make_toolkit_item(ctx.session, "template"),
                       "regulation": factories.make_toolkit_item(ctx.session, "regulation",
                                                                 files={"pdf": factories.pdf_bytes()})}
    return ctx.toolkit[kind]


def _own_toolkit_draft(ctx):
    if not hasattr(ctx, "toolkit_draft"):
        ctx.toolkit_draft = factories.make_toolkit_item(ctx.session, "template", status="draf", author=ctx.user)
    return ctx.toolkit_draft


def _workshop(ctx):
    """A workshop open for registration with one session running now; a trainer signed in is its trainer (a
    trainer manages only their own workshops), the signed-in user is a registered participant with a certificate."""
    if not hasattr(ctx, "workshop"):
        from datetime import timedelta

        from portal import certificates
        from portal.models import utcnow

        now = utcnow()
        trainer = ctx.user if "trainer" in ctx.user.roles else None
        ctx.workshop = factories.make_workshop(ctx.session, trainer=trainer, sessions=[(now - timedelta(minutes=10),
                                                                                        now + timedelta(hours=1))])
        participant = factories.make_participant(ctx.session, ctx.workshop, ctx.user)
        ctx.guest = factories.make_participant(ctx.session, ctx.workshop)
        certificates.issue(ctx.session, "workshop", ctx.user.full_name, "", ctx.workshop.title, user_id=ctx.user.id,
                           ref_id=participant.id)
        certificates.issue(ctx.session, "workshop", ctx.guest.name, "", ctx.workshop.title, ref_id=ctx.guest.id)
        ctx.session.commit()
        from sqlmodel import select as _select

        from portal.models import WorkshopSession

        ctx.ws_session = ctx.session.exec(_select(WorkshopSession).where(
            WorkshopSession.workshop_id == ctx.workshop.id)).one()
        ctx.participant = participant
    return ctx.workshop


def _ws(ctx, **extra):
    return {"workshop_id": _workshop(ctx).id, **extra}


def _ws_session(ctx, **extra):
    return _ws(ctx, session_id=(_workshop(ctx), ctx.ws_session)[1].id, **extra)


def _checkin_token(ctx):
    from portal.workshops.attendance import make_token

    _workshop(ctx)
    return {"token": make_token(ctx.app.config["SECRET_KEY"], ctx.ws_session.id)}


# endpoint -> builder(ctx) -> URL arguments. `ctx` has `session`, `user` (the signed-in user; for anonymous, some
# existing user) and `unit` (that user's unit). Build arguments for rows the role may see, so "allowed" means 200:
# create rows with tests/factories.py when the user's own ones do not fit. An endpoint without URL arguments whose
# page needs rows to exist may have a builder too (it creates them and returns {}).
def _own_session(ctx):
    """Another live session of the signed-in user (a second device)."""
    from datetime import timedelta

    from portal.models import UserSession, utcnow

    record = UserSession(token_hash=f"{ctx.user.id:064d}", user_id=ctx.user.id, roles="employee",
                         expires_at=utcnow() + timedelta(hours=1), user_agent="lain")
    ctx.session.add(record)
    ctx.session.commit()
    return record.id


def _own_job(ctx):
    from portal.models import Job

    job = Job(kind="import.users", status="done", result="{}", created_by_id=ctx.user.id)
    ctx.session.add(job)
    ctx.session.commit()
    return {"job_id": job.id}


def _own_export(ctx):
    """A finished export job of the signed-in person, with its file in place."""
    import json

    from portal import export_jobs
    from portal.models import Job

    job = Job(kind=export_jobs.JOB_KIND, status="done", created_by_id=ctx.user.id)
    ctx.session.add(job)
    ctx.session.flush()
    (export_jobs.folder() / f"{job.id}-uji.csv").write_bytes(b"\xef\xbb\xbfa;b\r\n")
    job.result = json.dumps({"job_id": job.id, "file": f"{job.id}-uji.csv", "download": "uji.csv", "rows": 0})
    ctx.session.commit()
    return {"job_id": job.id}


def _own_saved_check(ctx):
    from portal.models import SavedCheck

    row = SavedCheck(user_id=ctx.user.id, text="Draf uji", codes="")
    ctx.session.add(row)
    ctx.session.commit()
    return row.id


def _own_notification(ctx):
    from portal.models import Notification

    row = Notification(user_id=ctx.user.id, kind="reminder", params='{"text": "Uji"}')
    ctx.session.add(row)
    ctx.session.commit()
    return row.id
def _content_account(ctx):
    """An account of the signed-in user's unit, which they manage (pengelola)."""
    if not hasattr(ctx, "content_account"):
        ctx.content_account = factories.make_content_account(ctx.session, ctx.unit, managers=[ctx.user])
    return ctx.content_account


def _content_post(ctx):
    if not hasattr(ctx, "content_post"):
        ctx.content_post = factories.make_content_post(ctx.session, ctx.user, [_content_account(ctx)])
    return {"post_id": ctx.content_post.id}


def _central_humas(ctx):
    """Key messages are central humas' work: put the user's unit under the Biro Hubungan Masyarakat."""
    from portal.permissions import CENTRAL_HUMAS_UNIT

    central = ctx.session.exec(select(Unit).where(Unit.code == CENTRAL_HUMAS_UNIT)).first()
    if central is None:
        central = factories.make_unit(ctx.session, code=CENTRAL_HUMAS_UNIT, name="Biro Hubungan Masyarakat")
    if ctx.unit.parent_id != central.id and ctx.unit.id != central.id:
        ctx.unit.parent_id, ctx.unit.path = central.id, f"{central.path}{ctx.unit.id}/"
        ctx.session.add(ctx.unit)
        ctx.session.commit()
    return {}


def _key_message(ctx):
    from datetime import date

    from portal.models import KeyMessage

    _central_humas(ctx)
    message = KeyMessage(title="Pesan uji", starts_on=date(2026, 11, 23), ends_on=date(2026, 11, 29))
    ctx.session.add(message)
    ctx.session.commit()
    return {"message_id": message.id}


URL_BUILDERS = {
    "jobs.status": _own_job,
    "jobs.download": _own_export,
    # content
    "content.account": lambda ctx: {"account_id": _content_account(ctx).id},
    "content.account_edit": lambda ctx: {"account_id": _content_account(ctx).id},
    "content.pillar_edit": lambda ctx: {"pillar_id": factories.make_content_pillar(ctx.session).id},
    "content.key_message_new": _central_humas,
    "content.key_message_edit": _key_message,
    "content.metrics_import": lambda ctx: {"account_id": _content_account(ctx).id},
    "content.metrics_import_confirm": lambda ctx: {"account_id": _content_account(ctx).id},
    "content.account_month_save": lambda ctx: {"account_id": _content_account(ctx).id},
    "content.post_metrics": _content_post,
    **{f"content.{name}": lambda ctx: {"unit_id": (_content_account(ctx), ctx.unit)[1].id}
       for name in ("report", "report_save", "report_submit", "report_accept", "report_send_back", "report_reopen",
                    "report_print", "report_xlsx")},
    **{f"content.{name}": _content_post for name in ("post", "post_edit", "post_move", "post_copy", "post_submit",
                                                      "post_withdraw", "post_approve", "post_reject", "post_publish",
                                                      "post_evaluate")},
    "admin.user_edit": lambda ctx: {"user_id": ctx.user.id},
    "admin.user_reset_password": lambda ctx: {"user_id": ctx.user.id},
    "admin.user_end_sessions": lambda ctx: {"user_id": ctx.user.id},
    "admin.user_personal_data": lambda ctx: {"user_id": ctx.user.id},
    "admin.user_anonymise": lambda ctx: {"user_id": ctx.user.id},
    "accounts.end_session": lambda ctx: {"session_id": _own_session(ctx)},
    "admin.unit_edit": lambda ctx: {"unit_id": ctx.unit.id},
    "admin.import_csv": lambda ctx: {"kind": "users"},
    "admin.import_confirm": lambda ctx: {"kind": "users"},
    "admin.import_template": lambda ctx: {"kind": "users", "fmt": "csv"},
    # handbook
    "handbook.changes": _with_handbook,  # needs a published edition
    "handbook.section": lambda ctx: {"slug": _section(ctx).slug},
    "handbook.mark_read": lambda ctx: {"slug": _section(ctx).slug},
    "handbook.chapter_edit": lambda ctx: {"chapter_id": _handbook(ctx).chapters[0].id},
    "handbook.section_new": lambda ctx: {"chapter_id": _handbook(ctx).chapters[0].id},
    "handbook.section_edit": lambda ctx: {"section_id": _section(ctx).id},
    "handbook.archive": lambda ctx: {"section_id": _section(ctx).id},
    "handbook.history": lambda ctx: {"section_id": _section(ctx).id},
    "handbook.diff": lambda ctx: {"section_id": _section(ctx).id, "dari": _section(ctx).current_revision_id},
    "handbook.restore": lambda ctx: {"section_id": _section(ctx).id,
                                     "revision_id": _section(ctx).current_revision_id},
    # quiz and certificates
    "certificates.verify": lambda ctx: {"code": _certificate_code(ctx)},
    "certificates.qr": lambda ctx: {"code": _certificate_code(ctx)},
    "quiz.start": lambda ctx: {"quiz_id": _quiz(ctx).quiz.id},
    "quiz.attempt": lambda ctx: {"attempt_id": _attempt(ctx, finish=False)},
    "quiz.answer": lambda ctx: {"attempt_id": _attempt(ctx, finish=False), "position": 1},
    "quiz.finish": lambda ctx: {"attempt_id": _attempt(ctx, finish=False)},
    "quiz.result": lambda ctx: {"attempt_id": _attempt(ctx, right=0)},
    "quiz.certificate": lambda ctx: {"attempt_id": _attempt(ctx, right=1)},
    "quiz.image": _quiz_image,
    "quiz.question_edit": lambda ctx: {"question_id": _draft_question(ctx)},
    "quiz.question_preview": lambda ctx: {"question_id": _quiz(ctx).question.id},
    "quiz.question_status": lambda ctx: {"question_id": _quiz(ctx).question.id},
    "quiz.question_report": lambda ctx: (_quiz(ctx), {})[1],
    "quiz.topic_edit": lambda ctx: {"topic_id": _quiz(ctx).topic.id},
    "quiz.quiz_edit": lambda ctx: {"quiz_id": _quiz(ctx).quiz.id},
    "quiz.report_export": lambda ctx: (_quiz(ctx), {"kind": "unit", "fmt": "csv"})[1],
    # toolkit
    "toolkit.item": lambda ctx: {"item_id": _toolkit(ctx).id},
    "toolkit.use": lambda ctx: {"item_id": _toolkit(ctx).id},
    "toolkit.file": lambda ctx: {"item_id": _toolkit(ctx, "regulation").id, "variant": "pdf"},
    "toolkit.download": lambda ctx: {"item_id": _toolkit(ctx, "regulation").id, "variant": "pdf"},
    "toolkit.new": lambda ctx: {"kind": "photo"},
    **{f"toolkit.{name}": lambda ctx: {"item_id": _own_toolkit_draft(ctx).id}
       for name in ("edit", "submit", "withdraw", "approve", "reject", "archive", "restore", "delete")},
    # workshops
    **{f"workshops.{name}": _ws for name in ("detail", "register", "cancel", "my_certificate", "edit", "manage",
                                              "session_add", "participant_add", "import_csv", "import_confirm",
                                              "issue", "report")},
    **{f"workshops.{name}": _ws_session for name in ("session_delete", "roster", "mark_all", "qr", "sign_sheet")},
    "workshops.mark": lambda ctx: _ws_session(ctx, participant_id=(_workshop(ctx), ctx.participant)[1].id),
    "workshops.participant_remove": lambda ctx: _ws(ctx, participant_id=(_workshop(ctx), ctx.participant)[1].id),
    "workshops.export": lambda ctx: _ws(ctx, kind="presensi", fmt="xlsx"),
    "workshops.import_template": lambda ctx: _ws(ctx, fmt="xlsx"),
    "workshops.checkin": _checkin_token,
    "workshops.guest": lambda ctx: {"code": (_workshop(ctx), ctx.guest)[1].code},
    "workshops.guest_certificate": lambda ctx: {"code": (_workshop(ctx), ctx.guest)[1].code},
    # checker and notifications (rows of the signed-in user)
    "check.saved": lambda ctx: {"saved_id": _own_saved_check(ctx)},
    "check.saved_delete": lambda ctx: {"saved_id": _own_saved_check(ctx)},
    "check.term_edit": lambda ctx: {"name": "candidate_names"},
    "notifications.read": lambda ctx: {"notification_id": _own_notification(ctx)},
}

# Deliberate exceptions to "allowed means 200": (endpoint, signed in?) -> status.
STATUS_OVERRIDES = {
    ("accounts.login", True): 302,  # a signed-in user is sent on to the dashboard
}


def undeclared_endpoints(app):
    """Endpoints in the url_map that declare no permission (the permission walker)."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if declared_permissions(app, rule.endpoint) is None})


def role_allows(role, endpoint, app):
    perms = declared_permissions(app, endpoint)
    if PUBLIC in perms:
        return True
    if role == "anonymous":
        return False
    roles = {"employee", role}
    return all(perm == LOGIN or MATRIX[perm] & roles for perm in perms)


def rules_for(app, method):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if method in rule.methods and rule.endpoint not in SKIPPED_ENDPOINTS),
                  key=lambda rule: (rule.endpoint, rule.rule))


def url_for_rule(app, rule, ctx):
    """The URL of `rule`, with arguments from URL_BUILDERS; None when it has arguments and no builder."""
    needed = rule.arguments - set(rule.defaults or {})
    builder = URL_BUILDERS.get(rule.endpoint)
    if needed and builder is None:
        return None
    with app.test_request_context():
        values = builder(ctx) if builder else {}
        return url_for(rule.endpoint, **values)


def missing_builders(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if rule.endpoint not in SKIPPED_ENDPOINTS
                   and rule.arguments - set(rule.defaults or {})
                   and rule.endpoint not in URL_BUILDERS})


def _fail_on_missing_builders(app):
    missing = missing_builders(app)
    if missing:
        pytest.fail("endpoints with URL arguments but no entry in URL_BUILDERS (tests/test_permissions.py): "
                    + ", ".join(missing) + ". Add a builder that creates or picks rows the allowed roles may see.")


@pytest.fixture
def signed_in(app, session, login):
    """signed_in(role) -> ctx: a user holding `role` (signed in on `client` unless anonymous) and their unit."""

    def make(role):
        roles = () if role in ("anonymous", "employee") else (role,)
        user = factories.make_user(session, roles=roles)
        if role != "anonymous":
            login(user)
        return SimpleNamespace(app=app, session=session, user=user, unit=session.get(Unit, user.unit_id))

    return make


# --- declarations ----------------------------------------------------------------------------------------------------

def test_every_endpoint_declares_a_permission(app):
    assert undeclared_endpoints(app) == []


def test_declared_permissions_exist_in_the_matrix(app):
    for rule in app.url_map.iter_rules():
        for perm in declared_permissions(app, rule.endpoint) or ():
            assert perm in MATRIX or perm in (PUBLIC, LOGIN), (rule.endpoint, perm)


def test_walker_flags_a_new_undeclared_endpoint_and_it_fails_closed(tmp_path):
    app = make_app(tmp_path)
    try:
        throwaway = Blueprint("throwaway", __name__)

        @throwaway.get("/forgotten")
        def forgotten():
            return "secret"

        app.register_blueprint(throwaway, url_prefix="/throwaway")
        app.add_url_rule("/also-forgotten", "also_forgotten", lambda: "secret")

        assert undeclared_endpoints(app) == ["also_forgotten", "throwaway.forgotten"]

        client = app.test_client()
        for url in ("/throwaway/forgotten", "/also-forgotten"):
            response = client.get(url)
            assert response.status_code == 403, url  # refused before anyone is asked to sign in
            assert b"secret" not in response.data

        # Not even an admin gets through.
        with Session(app.extensions["db_engine"], expire_on_commit=False) as db_session:
            admin = factories.make_user(db_session, roles=("admin",))
        assert client.post("/login", data={"username": admin.username,
                                           "password": factories.PASSWORD}).status_code == 302
        assert client.get("/admin/").status_code == 200
        for url in ("/throwaway/forgotten", "/also-forgotten"):
            response = client.get(url)
            assert response.status_code == 403, url
            assert b"secret" not in response.data
    finally:
        app.extensions["db_engine"].dispose()


def test_every_endpoint_with_url_arguments_has_a_builder(app):
    _fail_on_missing_builders(app)


def test_there_is_no_way_to_delete_a_user(app):
    """Accounts are deactivated, never deleted: no delete route, no DELETE method anywhere in the admin area."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            assert "DELETE" not in rule.methods, rule.rule
            assert "delete" not in rule.rule and "delete" not in rule.endpoint, rule.rule


# --- the matrix ------------------------------------------------------------------------------------------------------

def expected_status(app, endpoint, role):
    if not role_allows(role, endpoint, app):
        return 302 if role == "anonymous" else 403
    return STATUS_OVERRIDES.get((endpoint, role != "anonymous"), 200)


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(app, client, signed_in, role):
    ctx = signed_in(role)
    rules = rules_for(app, "GET")
    assert {"accounts.dashboard", "admin.users", "admin.user_edit"} <= {rule.endpoint for rule in rules}
    wrong = []
    for rule in rules:
        url = url_for_rule(app, rule, ctx)
        if url is None:
            wrong.append(f"{rule.endpoint}: URL arguments {sorted(rule.arguments)} but no entry in URL_BUILDERS")
            continue
        expected = expected_status(app, rule.endpoint, role)
        response = client.get(url)
        if response.status_code != expected:
            wrong.append(f"GET {url} ({rule.endpoint}) as {role}: {response.status_code}, expected {expected}")
        elif expected == 302 and role == "anonymous":
            location = urlsplit(response.headers["Location"])
            if location.path != "/login" or "next=" not in location.query:
                wrong.append(f"GET {url} as anonymous redirects to {response.headers['Location']}, not /login?next=")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_post_matrix(app, client, signed_in, role):
    """Anonymous POSTs go to the login page; a POST by a role lacking the permission is refused with 403.

    Allowed POSTs are not sent here (they would change data); the pillar tests cover them.
    """
    ctx = signed_in(role)
    checked, wrong = [], []
    for rule in rules_for(app, "POST"):
        if role_allows(role, rule.endpoint, app):
            continue
        url = url_for_rule(app, rule, ctx)
        if url is None:
            wrong.append(f"{rule.endpoint}: URL arguments {sorted(rule.arguments)} but no entry in URL_BUILDERS")
            continue
        response = client.post(url, data={"username": "x", "full_name": "x", "code": "X"})
        checked.append(rule.endpoint)
        if role == "anonymous":
            location = urlsplit(response.headers.get("Location", ""))
            if response.status_code != 302 or location.path != "/login":
                wrong.append(f"POST {url} as anonymous: {response.status_code} to {location.path!r}, "
                             "expected 302 to /login")
        elif response.status_code != 403:
            wrong.append(f"POST {url} ({rule.endpoint}) as {role}: {response.status_code}, expected 403")
    assert not wrong, "\n".join(wrong)
    if role != "admin":
        assert "admin.user_new" in checked and "admin.user_reset_password" in checked
    if role == "employee":
        assert {c for c in checked if c.startswith("admin.")} == {
            r.endpoint for r in rules_for(app, "POST") if r.endpoint.startswith("admin.")}


def test_denied_writes_change_nothing(app, client, login_as, session):
    """An employee's POST to admin endpoints is refused before anything is written."""
    employee = login_as("employee")
    unit = factories.make_unit(session)
    assert client.post("/admin/users/new", data={"username": "sneaky", "full_name": "Sneaky",
                                                 "unit_id": unit.id, "roles": ["admin"]}).status_code == 403
    assert client.post(f"/admin/users/{employee.id}/edit", data={
        "username": employee.username, "full_name": "Promoted", "unit_id": employee.unit_id, "roles": ["admin"],
        "active": "y"}).status_code == 403
    session.expire_all()
    assert session.exec(select(User).where(User.username == "sneaky")).first() is None
    assert session.get(User, employee.id).roles == {"employee"}
    assert session.exec(select(AuditLog.action)).all() == ["auth.login"]  # only the sign-in


def test_anonymous_htmx_request_gets_hx_redirect(client):
    response = client.get("/admin/users", headers=HX)
    assert response.headers["HX-Redirect"].startswith("/login")
    assert b"<html" not in response.data


@pytest.mark.parametrize("role,admin_access", [("employee", False), ("supervisor", False), ("humas", False),
                                               ("trainer", False), ("admin", True)])
def test_navigation_shows_admin_only_to_admins(client, login_as, role, admin_access):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    assert ('href="/admin/"' in page) is admin_access
