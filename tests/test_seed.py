"""`flask seed-demo`: the demo ministry, its accounts and employees; running it twice changes nothing."""

import pytest
from sqlalchemy import func, inspect
from sqlmodel import Session, SQLModel, select
from werkzeug.security import check_password_hash

from portal import create_app
from portal.accounts.validation import nip_problem
from portal.models import Unit, User
from tests.conftest import compiled_translations, csrf_token_from

BACKENDS = ["sqlite", "postgresql"]
DEMO_PASSWORD = "bijak-bermedsos"
DEMO_ROLES = {"admin": {"employee", "admin"}, "humas": {"employee", "humas"}, "pelatih": {"employee", "trainer"},
              "atasan": {"employee", "supervisor"}, "pegawai": {"employee"}}
UNIT_NAMES = ["Sekretariat Jenderal", "Biro Hubungan Masyarakat", "Biro Sumber Daya Manusia", "Biro Umum",
              "Inspektorat", "Pusat Data dan Informasi"]


@pytest.fixture
def fresh_app(empty_database_url, tmp_path):
    """The app on an empty database: seed-demo creates the schema itself, with the Alembic migrations."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": empty_database_url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "BABEL_TRANSLATION_DIRECTORIES": compiled_translations()})
    yield app
    app.extensions["db_engine"].dispose()


def row_counts(app):
    engine = app.extensions["db_engine"]
    existing = set(inspect(engine).get_table_names())  # a table without a migration is test_migrations' business
    with Session(engine) as session:
        return {table.name: session.exec(select(func.count()).select_from(table)).one()
                for table in SQLModel.metadata.sorted_tables if table.name in existing}


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
def test_seed_demo(fresh_app, empty_database_url, monkeypatch):
    """One seeding per backend (it is not cheap): the people, idempotency, and signing in as each demo account.

    On PostgreSQL only the people are seeded (the pillars' demo content takes seconds and `make run` is SQLite).
    """
    if empty_database_url.startswith("postgresql"):
        monkeypatch.setattr("portal.pillars.pillars", lambda: ())  # no pillar seeders: people only
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "people: 13 units, 63 users" in result.output

    with Session(fresh_app.extensions["db_engine"]) as session:
        users = {u.username: u for u in session.exec(select(User)).all()}
        units = {u.id: u for u in session.exec(select(Unit)).all()}

        for username, roles in DEMO_ROLES.items():
            user = users[username]
            assert user.roles == roles, username
            assert user.active
            assert check_password_hash(user.password_hash, DEMO_PASSWORD), username

        staff = [u for u in users.values() if u.username not in DEMO_ROLES]
        assert 55 <= len(staff) <= 70
        for person in staff:
            assert person.nip and nip_problem(person.nip) is None, person.nip
            assert person.username == person.nip
            assert person.email and person.email.endswith("@kementerian.go.id")
        # Plain employees, apart from the odd one a pillar's demo gives a role (e.g. a regional humas).
        assert sum(person.roles == {"employee"} for person in staff) >= len(staff) - 5
        assert len({u.email for u in users.values()}) == len(users)

        names = {u.name for u in units.values()}
        for name in UNIT_NAMES:
            assert name in names
        upt = [u for u in units.values() if u.code.startswith("UPT-")]
        assert len(upt) == 3
        by_code = {u.code: u for u in units.values()}
        for unit in units.values():
            parent = units.get(unit.parent_id)
            assert unit.path == f"{parent.path if parent else '/'}{unit.id}/", unit.code
            assert unit.code == "SETJEN" or unit.path.startswith(by_code["SETJEN"].path)
        # Employees work across the ministry, in Jakarta and in the three UPT.
        staffed = {person.unit_id for person in staff}
        assert {by_code[code].id for code in ("BUMUM", "INSP", "PUSDATIN")} <= staffed
        assert {u.id for u in upt} <= staffed

    counts = row_counts(fresh_app)
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, (again.output, again.exception)
    assert "already there" in again.output
    assert row_counts(fresh_app) == counts
    assert runner.invoke(args=["prepare"]).exit_code == 0  # `make run` on a seeded database: nothing to do
    assert row_counts(fresh_app) == counts

    client = fresh_app.test_client()  # CSRF is on, as in production
    for username in DEMO_ROLES:
        token = csrf_token_from(client.get("/login").data)
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200, username
        assert client.get("/admin/users").status_code == (200 if username == "admin" else 403)
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/account/password").data)})
        assert client.get("/").status_code == 302


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_prepare_does_not_seed_a_database_that_has_users(fresh_app, tmp_path):
    runner = fresh_app.test_cli_runner()
    units_csv = tmp_path / "units.csv"
    units_csv.write_text("kode,nama,induk_kode\nPUSAT,Kantor Pusat,\n")
    assert runner.invoke(args=["upgrade-db"]).exit_code == 0
    assert runner.invoke(args=["import-units", str(units_csv)]).exit_code == 0
    assert runner.invoke(args=["create-user", "satu", "--name", "Satu", "--unit", "PUSAT",
                               "--password", "kata-sandi-admin-1"]).exit_code == 0
    result = runner.invoke(args=["prepare"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert row_counts(fresh_app)["user"] == 1
    assert row_counts(fresh_app)["unit"] == 1


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_create_user_command(fresh_app, tmp_path):
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["upgrade-db"]).exit_code == 0
    units_csv = tmp_path / "units.csv"
    units_csv.write_text("kode,nama,induk_kode\nPUSAT,Kantor Pusat,\n")
    result = runner.invoke(args=["import-units", str(units_csv)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-user", "admin.pertama", "--name", "Admin Pertama", "--unit", "pusat",
                                 "--role", "admin", "--password", "kata-sandi-admin-1"])
    assert result.exit_code == 0, result.output
    assert "created admin.pertama" in result.output
    with Session(fresh_app.extensions["db_engine"]) as session:
        user = session.exec(select(User).where(User.username == "admin.pertama")).one()
        assert user.roles == {"employee", "admin"}
    result = runner.invoke(args=["create-user", "kedua", "--name", "Kedua", "--unit", "TIDAK-ADA",
                                 "--password", "kata-sandi-admin-1"])
    assert result.exit_code == 1 and "unknown unit" in result.output
    result = runner.invoke(args=["create-user", "ketiga", "--name", "Ketiga", "--unit", "PUSAT",
                                 "--password", "pendek"])
    assert result.exit_code == 1 and "minimal 12 karakter" in result.output
