"""The admin area: users (search, filters, create, edit, deactivate, reset password), units (tree, moves) and the
audit log every admin write leaves behind."""

import json
import re

import pytest
from sqlalchemy import func
from sqlmodel import select

from portal.accounts import services
from portal.models import AuditLog, Unit, User
from tests import factories
from tests.conftest import HX

NEW_USER = {"username": "ratna.sari", "full_name": "Ratna Sari Dewi, S.Sos.", "nip": factories.valid_nip(11, 2),
            "email": "ratna.sari@kementerian.go.id", "roles": ["humas"], "active": "y"}


@pytest.fixture
def admin(login_as):
    return login_as("admin", username="admin.uji", full_name="Admin Uji")


@pytest.fixture
def tree(session):
    """SETJEN > BHM > BHM-MKP, and SETJEN > BSDM."""
    setjen = factories.make_unit(session, code="SETJEN", name="Sekretariat Jenderal")
    bhm = factories.make_unit(session, code="BHM", name="Biro Hubungan Masyarakat", parent=setjen)
    mkp = factories.make_unit(session, code="BHM-MKP", name="Bagian Media dan Komunikasi Publik", parent=bhm)
    bsdm = factories.make_unit(session, code="BSDM", name="Biro Sumber Daya Manusia", parent=setjen)
    return {"setjen": setjen, "bhm": bhm, "mkp": mkp, "bsdm": bsdm}


def count(session, model, *where):
    session.rollback()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def audit_entries(session, action):
    session.rollback()
    return session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def names_in(response):
    return set(re.findall(r'<a href="/admin/users/\d+/edit">([^<]+)</a>', response.get_data(as_text=True)))


# --- the user list -------------------------------------------------------------------------------------------------

def test_user_search_by_name_nip_username_and_email(client, admin, session, tree):
    factories.make_user(session, full_name="Ratna Sari Dewi", unit=tree["mkp"], nip=factories.valid_nip(1))
    factories.make_user(session, full_name="Budi Santoso", unit=tree["bsdm"], username="budi.s",
                        email="budi@kementerian.go.id")
    assert names_in(client.get("/admin/users?q=ratna")) == {"Ratna Sari Dewi"}
    assert names_in(client.get("/admin/users?q=RATNA SARI")) == {"Ratna Sari Dewi"}
    assert names_in(client.get(f"/admin/users?q={factories.valid_nip(1)}")) == {"Ratna Sari Dewi"}
    assert names_in(client.get("/admin/users?q=19900517")) == {"Ratna Sari Dewi"}
    assert names_in(client.get("/admin/users?q=budi.s")) == {"Budi Santoso"}
    assert names_in(client.get("/admin/users?q=budi@kementerian")) == {"Budi Santoso"}
    response = client.get("/admin/users?q=tidak-ada-siapa-pun")
    assert names_in(response) == set()
    assert "Tidak ada pengguna yang cocok" in response.get_data(as_text=True)


def test_user_filter_by_unit_includes_sub_units(client, admin, session, tree):
    factories.make_user(session, full_name="Di Setjen", unit=tree["setjen"])
    factories.make_user(session, full_name="Di BHM", unit=tree["bhm"])
    factories.make_user(session, full_name="Di MKP", unit=tree["mkp"])
    factories.make_user(session, full_name="Di BSDM", unit=tree["bsdm"])
    assert names_in(client.get(f"/admin/users?unit={tree['bhm'].id}")) == {"Di BHM", "Di MKP"}
    assert names_in(client.get(f"/admin/users?unit={tree['mkp'].id}")) == {"Di MKP"}
    assert names_in(client.get(f"/admin/users?unit={tree['setjen'].id}")) == {"Di Setjen", "Di BHM", "Di MKP",
                                                                             "Di BSDM"}


def test_user_filter_by_role_and_status(client, admin, session, tree):
    factories.make_user(session, full_name="Pegawai Biasa", unit=tree["mkp"])
    factories.make_user(session, full_name="Petugas Humas", unit=tree["mkp"], roles=("humas",))
    factories.make_user(session, full_name="Humas Pensiun", unit=tree["mkp"], roles=("humas", "trainer"),
                        active=False)
    assert names_in(client.get("/admin/users?role=humas")) == {"Petugas Humas", "Humas Pensiun"}
    assert names_in(client.get("/admin/users?role=trainer")) == {"Humas Pensiun"}
    assert names_in(client.get("/admin/users?role=admin")) == {"Admin Uji"}
    assert "Pegawai Biasa" in names_in(client.get("/admin/users?role=employee"))
    assert "Petugas Humas" not in names_in(client.get("/admin/users?role=employee"))
    assert names_in(client.get("/admin/users?active=0")) == {"Humas Pensiun"}
    assert "Humas Pensiun" not in names_in(client.get("/admin/users?active=1"))
    assert names_in(client.get(f"/admin/users?role=humas&active=1&unit={tree['bhm'].id}")) == {"Petugas Humas"}
    # Nonsense filters are ignored, not errors.
    assert client.get("/admin/users?role=raja&active=mungkin&unit=abc&page=x").status_code == 200


def test_user_list_pagination(client, admin, session, tree):
    for n in range(30):
        factories.make_user(session, full_name=f"Pegawai {n:02d}", unit=tree["mkp"])
    first = client.get("/admin/users?q=pegawai")
    assert "30 pengguna ditemukan" in first.get_data(as_text=True)
    assert len(names_in(first)) == 25
    assert re.search(r'href="/admin/users\?[^"]*q=pegawai[^"]*page=2"', first.get_data(as_text=True))
    second = client.get("/admin/users?q=pegawai&page=2")
    assert len(names_in(second)) == 5
    assert names_in(first) | names_in(second) == {f"Pegawai {n:02d}" for n in range(30)}
    past_end = client.get("/admin/users?q=pegawai&page=7")  # an old link, a typed number: a way back
    assert names_in(past_end) == set()
    html = past_end.get_data(as_text=True)
    assert "Halaman 7 tidak ada: hasil ini hanya 2 halaman." in html and "Tidak ada pengguna yang cocok" not in html
    assert re.search(r'href="/admin/users\?[^"]*page=2"[^>]*>‹ Sebelumnya', html)
    assert re.search(r'href="/admin/users\?[^"]*page=1"', html) and "page=6" not in html
    assert client.get("/admin/users?q=pegawai&page=99999999999999999999").status_code == 200


def test_user_list_htmx_returns_only_the_fragment(client, admin, session, tree):
    factories.make_user(session, full_name="Ratna Sari Dewi", unit=tree["mkp"])
    response = client.get("/admin/users?q=ratna", headers=HX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" not in page and "<form" not in page
    assert "Ratna Sari Dewi" in page
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/admin/users?q=ratna")
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]


def test_huge_numbers_in_the_url_are_not_a_500(client, admin):
    for url in ("/admin/users?unit=99999999999999999999", "/admin/audit?page=99999999999999999999",
                "/admin/units/new?parent=99999999999999999999"):
        assert client.get(url).status_code == 200, url
    for url in ("/admin/users/99999999999999999999/edit", "/admin/units/99999999999999999999/edit",
                "/admin/users/424242/edit", "/admin/units/424242/edit", "/admin/import/lainnya"):
        assert client.get(url).status_code == 404, url
    assert client.post("/admin/users/99999999999999999999/reset-password").status_code == 404


# --- creating and editing users ------------------------------------------------------------------------------------

def test_create_user(client, admin, session, tree):
    response = client.post("/admin/users/new", data=dict(NEW_USER, unit_id=tree["mkp"].id,
                                                         password="kata-sandi-awal-123"))
    assert response.status_code == 303
    user = session.exec(select(User).where(User.username == "ratna.sari")).one()
    assert response.headers["Location"] == f"/admin/users/{user.id}/edit"
    assert (user.full_name, user.nip, user.email, user.unit_id) == (
        "Ratna Sari Dewi, S.Sos.", factories.valid_nip(11, 2), "ratna.sari@kementerian.go.id", tree["mkp"].id)
    assert user.roles == {"employee", "humas"}
    assert user.active
    assert services.authenticate(session, "ratna.sari", "kata-sandi-awal-123") is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pengguna Ratna Sari Dewi, S.Sos. ditambahkan." in page
    [entry] = audit_entries(session, "user.create")
    assert entry.actor_id == admin.id
    assert entry.object_id == str(user.id)
    assert entry.before is None
    after = json.loads(entry.after)
    assert after["username"] == "ratna.sari" and after["roles"] == ["employee", "humas"]
    assert "kata-sandi-awal-123" not in entry.after


def test_create_user_without_password_cannot_log_in_yet(client, admin, session, tree):
    data = dict(NEW_USER, unit_id=tree["mkp"].id)
    assert client.post("/admin/users/new", data=data).status_code == 303
    user = session.exec(select(User).where(User.username == "ratna.sari")).one()
    assert user.password_hash is None


@pytest.mark.parametrize("field,value,message", [
    ("username", "admin.uji", "Nama pengguna sudah dipakai."),
    ("username", "ADMIN.UJI", "Nama pengguna sudah dipakai."),
    ("nip", factories.valid_nip(99), "NIP sudah terdaftar."),
    ("email", "lama@kementerian.go.id", "Email sudah dipakai pengguna lain."),
    ("email", "LAMA@kementerian.go.id", "Email sudah dipakai pengguna lain."),
])
def test_create_user_duplicates_are_form_errors(client, admin, session, tree, field, value, message):
    factories.make_user(session, unit=tree["bsdm"], nip=factories.valid_nip(99), email="lama@kementerian.go.id")
    users_before, audit_before = count(session, User), count(session, AuditLog)
    response = client.post("/admin/users/new", data=dict(NEW_USER, unit_id=tree["mkp"].id, **{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page  # shown at the field it belongs to
    assert 'value="Ratna Sari Dewi, S.Sos."' in page  # what was typed is kept
    assert count(session, User) == users_before
    assert count(session, AuditLog) == audit_before


@pytest.mark.parametrize("changes,message", [
    ({"nip": "12345"}, "NIP harus terdiri dari 18 angka."),
    ({"nip": "199002302015031001"}, "Tanggal lahir dalam NIP tidak valid."),
    ({"nip": "199005172015033001"}, "Digit jenis kelamin dalam NIP harus 1 atau 2."),
    ({"email": "bukan-email"}, "Alamat email tidak valid."),
    ({"username": "Ratna Sari"}, "Nama pengguna 3–80 karakter"),
    ({"username": ""}, "Isi nama pengguna."),
    ({"full_name": ""}, "Isi nama lengkap."),
    ({"unit_id": "424242"}, "Pilih unit kerja yang ada."),
    ({"unit_id": ""}, "Pilih unit kerja."),
    ({"password": "pendek"}, "Kata sandi minimal 12 karakter."),
])
def test_create_user_bad_input(client, admin, session, tree, changes, message):
    users_before = count(session, User)
    data = dict(NEW_USER, unit_id=tree["mkp"].id)
    data.update(changes)
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "This field is required" not in page and "Not a valid choice" not in page
    assert count(session, User) == users_before


def test_edit_user_roles_and_unit(client, admin, session, tree):
    user = factories.make_user(session, full_name="Budi Santoso", unit=tree["mkp"], roles=("humas",))
    page = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert 'value="humas" checked' in page or re.search(r'checked[^>]*value="humas"', page)
    response = client.post(f"/admin/users/{user.id}/edit", data={
        "username": user.username, "full_name": "Budi Santoso, S.H.", "unit_id": tree["bsdm"].id,
        "roles": ["trainer", "supervisor"], "active": "y", "nip": "", "email": ""})
    assert response.status_code == 303
    session.refresh(user)
    assert user.roles == {"employee", "trainer", "supervisor"}
    assert user.unit_id == tree["bsdm"].id
    assert user.full_name == "Budi Santoso, S.H."
    [entry] = audit_entries(session, "user.update")
    assert entry.actor_id == admin.id
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert before["roles"] == ["employee", "humas"] and after["roles"] == ["employee", "supervisor", "trainer"]
    assert before["unit_id"] == tree["mkp"].id and after["unit_id"] == tree["bsdm"].id
    assert "Perubahan untuk Budi Santoso, S.H. disimpan." in client.get(response.headers["Location"]).get_data(
        as_text=True)


def test_saving_an_unchanged_user_writes_no_audit_row(client, admin, session, tree):
    user = factories.make_user(session, unit=tree["mkp"])
    response = client.post(f"/admin/users/{user.id}/edit", data={
        "username": user.username, "full_name": user.full_name, "unit_id": user.unit_id, "active": "y"})
    assert response.status_code == 303
    assert audit_entries(session, "user.update") == []


def test_edit_user_duplicate_is_refused_and_nothing_changes(client, admin, session, tree):
    factories.make_user(session, username="sudah.ada", unit=tree["mkp"])
    user = factories.make_user(session, username="budi", unit=tree["mkp"])
    response = client.post(f"/admin/users/{user.id}/edit", data={
        "username": "sudah.ada", "full_name": "Budi Baru", "unit_id": tree["bsdm"].id, "active": "y"})
    assert response.status_code == 422
    assert "Nama pengguna sudah dipakai." in response.get_data(as_text=True)
    session.refresh(user)
    assert (user.username, user.unit_id) == ("budi", tree["mkp"].id)
    assert audit_entries(session, "user.update") == []


def test_deactivate_user(app, client, admin, session, tree):
    user = factories.make_user(session, unit=tree["mkp"])
    response = client.post(f"/admin/users/{user.id}/edit", data={
        "username": user.username, "full_name": user.full_name, "unit_id": user.unit_id})
    assert response.status_code == 303
    session.refresh(user)
    assert not user.active
    assert user.auth_version == 2
    [entry] = audit_entries(session, "user.deactivate")
    assert entry.actor_id == admin.id
    assert json.loads(entry.before)["active"] is True and json.loads(entry.after)["active"] is False
    assert "Nonaktif" in client.get(f"/admin/users?q={user.username}").get_data(as_text=True)
    # The account still exists (no hard delete), and can be reactivated.
    assert client.post(f"/admin/users/{user.id}/edit", data={
        "username": user.username, "full_name": user.full_name, "unit_id": user.unit_id,
        "active": "y"}).status_code == 303
    session.refresh(user)
    assert user.active


def test_there_is_no_delete(client, admin, session, tree):
    user = factories.make_user(session, unit=tree["mkp"])
    for method in (client.delete, client.post):
        response = method(f"/admin/users/{user.id}/delete")
        assert response.status_code in (404, 405)
    assert client.delete(f"/admin/users/{user.id}/edit").status_code == 405
    assert session.get(User, user.id) is not None


def test_admin_cannot_deactivate_themselves(client, admin, session):
    response = client.post(f"/admin/users/{admin.id}/edit", data={
        "username": admin.username, "full_name": admin.full_name, "unit_id": admin.unit_id, "roles": ["admin"]})
    assert response.status_code == 422
    assert "Anda tidak dapat menonaktifkan akun Anda sendiri." in response.get_data(as_text=True)
    session.refresh(admin)
    assert admin.active and admin.auth_version == 1
    assert client.get("/admin/").status_code == 200  # still signed in


def test_admin_cannot_drop_their_own_admin_role(client, admin, session):
    response = client.post(f"/admin/users/{admin.id}/edit", data={
        "username": admin.username, "full_name": admin.full_name, "unit_id": admin.unit_id, "active": "y"})
    assert response.status_code == 422
    assert "Anda tidak dapat mencabut peran admin dari akun Anda sendiri." in response.get_data(as_text=True)
    session.refresh(admin)
    assert "admin" in admin.roles


def test_reset_password(app, client, admin, session, tree):
    user = factories.make_user(session, unit=tree["mkp"], full_name="Lupa Sandi")
    user_client = app.test_client()
    assert user_client.post("/login", data={"username": user.username,
                                            "password": factories.PASSWORD}).status_code == 302

    response = client.post(f"/admin/users/{user.id}/reset-password")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    match = re.search(r"<code>([A-Za-z0-9-]{12,})</code>", page)
    assert match, page
    temporary = match.group(1)
    assert "Lupa Sandi" in page

    # Shown once: not in a flash message, not on the user's page afterwards.
    assert temporary not in client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    with client.session_transaction() as saved:
        assert temporary not in json.dumps(dict(saved), default=str)

    session.refresh(user)
    assert services.authenticate(session, user.username, factories.PASSWORD) is None
    assert services.authenticate(session, user.username, temporary) is not None
    assert user_client.get("/").status_code == 302  # their session has ended
    [entry] = audit_entries(session, "user.password_reset")
    assert entry.actor_id == admin.id and entry.object_id == str(user.id)
    assert temporary not in (entry.summary + (entry.after or ""))


def test_reset_password_is_post_only(client, admin, session, tree):
    user = factories.make_user(session, unit=tree["mkp"])
    assert client.get(f"/admin/users/{user.id}/reset-password").status_code == 405
    assert services.authenticate(session, user.username, factories.PASSWORD) is not None


# --- units ---------------------------------------------------------------------------------------------------------

def test_units_page_shows_the_tree(client, admin, tree, session):
    factories.make_user(session, unit=tree["mkp"])
    page = client.get("/admin/units").get_data(as_text=True)
    positions = [page.index(name) for name in ("Sekretariat Jenderal", "Biro Hubungan Masyarakat",
                                               "Bagian Media dan Komunikasi Publik", "Biro Sumber Daya Manusia")]
    assert positions == sorted(positions)
    assert "1 pegawai" in page


def test_create_unit(client, admin, session, tree):
    response = client.post("/admin/units/new", data={"code": "bhm-hal", "name": "Bagian Hubungan Antarlembaga",
                                                     "parent_id": tree["bhm"].id})
    assert response.status_code == 303
    unit = session.exec(select(Unit).where(Unit.code == "BHM-HAL")).one()
    assert unit.parent_id == tree["bhm"].id
    assert unit.path == f"{tree['bhm'].path}{unit.id}/"
    [entry] = audit_entries(session, "unit.create")
    assert entry.actor_id == admin.id and entry.object_id == str(unit.id)
    assert json.loads(entry.after) == {"code": "BHM-HAL", "name": "Bagian Hubungan Antarlembaga",
                                       "parent_id": tree["bhm"].id}


def test_create_top_level_unit(client, admin, session):
    assert client.post("/admin/units/new", data={"code": "INSP", "name": "Inspektorat",
                                                 "parent_id": 0}).status_code == 303
    unit = session.exec(select(Unit).where(Unit.code == "INSP")).one()
    assert unit.parent_id is None and unit.path == f"/{unit.id}/"


@pytest.mark.parametrize("data,message", [
    ({"code": "BHM", "name": "Lagi"}, "Kode unit BHM sudah dipakai."),
    ({"code": "bhm", "name": "Lagi"}, "Kode unit BHM sudah dipakai."),
    ({"code": "ada spasi", "name": "Lagi"}, "Kode unit wajib diisi"),
    ({"code": "", "name": "Lagi"}, "Isi kode unit."),
    ({"code": "BARU", "name": ""}, "Isi nama unit."),
    ({"code": "BARU", "name": "Baru", "parent_id": 424242}, "Unit induk tidak ditemukan."),
])
def test_create_unit_bad_input(client, admin, session, tree, data, message):
    units_before = count(session, Unit)
    response = client.post("/admin/units/new", data={"parent_id": 0, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(session, Unit) == units_before


def test_edit_and_move_unit_updates_the_subtree(client, admin, session, tree):
    deep = factories.make_unit(session, code="BHM-MKP-1", name="Subbagian", parent=tree["mkp"])
    person = factories.make_user(session, full_name="Di Subbagian", unit=deep)
    response = client.post(f"/admin/units/{tree['bhm'].id}/edit", data={
        "code": "BHM", "name": "Biro Komunikasi Publik", "parent_id": tree["bsdm"].id})
    assert response.status_code == 303
    for unit in tree.values():
        session.refresh(unit)
    session.refresh(deep)
    bhm, mkp, bsdm = tree["bhm"], tree["mkp"], tree["bsdm"]
    assert bhm.name == "Biro Komunikasi Publik"
    assert bhm.parent_id == bsdm.id
    assert bhm.path == f"{bsdm.path}{bhm.id}/"
    assert mkp.path == f"{bhm.path}{mkp.id}/"
    assert deep.path == f"{mkp.path}{deep.id}/"
    assert tree["setjen"].path == f"/{tree['setjen'].id}/"
    # The people of the moved subtree now count under the new parent.
    assert "Di Subbagian" in names_in(client.get(f"/admin/users?unit={bsdm.id}"))
    assert person.id
    [entry] = audit_entries(session, "unit.update")
    assert entry.actor_id == admin.id
    assert json.loads(entry.before) == {"code": "BHM", "name": "Biro Hubungan Masyarakat",
                                        "parent_id": tree["setjen"].id}
    assert json.loads(entry.after) == {"code": "BHM", "name": "Biro Komunikasi Publik", "parent_id": bsdm.id}


def test_move_unit_to_top_level(client, admin, session, tree):
    assert client.post(f"/admin/units/{tree['bhm'].id}/edit", data={
        "code": "BHM", "name": "Biro Hubungan Masyarakat", "parent_id": 0}).status_code == 303
    session.refresh(tree["bhm"])
    session.refresh(tree["mkp"])
    assert tree["bhm"].parent_id is None
    assert tree["bhm"].path == f"/{tree['bhm'].id}/"
    assert tree["mkp"].path == f"/{tree['bhm'].id}/{tree['mkp'].id}/"


@pytest.mark.parametrize("target", ["mkp", "bhm"])
def test_moving_a_unit_under_itself_or_its_descendant_is_refused(client, admin, session, tree, target):
    paths_before = {key: unit.path for key, unit in tree.items()}
    response = client.post(f"/admin/units/{tree['bhm'].id}/edit", data={
        "code": "BHM", "name": "Nama Baru", "parent_id": tree[target].id})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Unit tidak bisa dipindahkan ke bawah dirinya sendiri." in page
    for unit in tree.values():
        session.refresh(unit)
    assert {key: unit.path for key, unit in tree.items()} == paths_before
    assert tree["bhm"].name == "Biro Hubungan Masyarakat"
    assert audit_entries(session, "unit.update") == []


def test_unit_edit_form_offers_no_self_as_parent(client, admin, tree):
    page = client.get(f"/admin/units/{tree['bhm'].id}/edit").get_data(as_text=True)
    options = {value: bool(flag) for flag, value in re.findall(r'<option ((?:selected )?)value="(\d+)"', page)}
    assert options[str(tree["setjen"].id)] is True  # the current parent is preselected
    assert str(tree["bhm"].id) not in options  # a unit cannot be its own parent
    assert str(tree["bsdm"].id) in options


def test_unit_new_prefills_the_parent(client, admin, tree):
    page = client.get(f"/admin/units/new?parent={tree['bhm'].id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{tree["bhm"].id}"', page)


# --- the audit log -------------------------------------------------------------------------------------------------

def test_every_admin_write_is_audited(client, admin, session, tree):
    client.post("/admin/users/new", data=dict(NEW_USER, unit_id=tree["mkp"].id))
    user = session.exec(select(User).where(User.username == "ratna.sari")).one()
    client.post(f"/admin/users/{user.id}/edit", data=dict(NEW_USER, unit_id=tree["bsdm"].id))
    client.post(f"/admin/users/{user.id}/edit", data=dict(NEW_USER, unit_id=tree["bsdm"].id, active=""))
    client.post(f"/admin/users/{user.id}/reset-password")
    client.post("/admin/units/new", data={"code": "INSP", "name": "Inspektorat", "parent_id": tree["setjen"].id})
    client.post(f"/admin/units/{tree['bsdm'].id}/edit", data={"code": "BSDM", "name": "Biro SDM",
                                                              "parent_id": tree["setjen"].id})
    session.rollback()
    entries = session.exec(select(AuditLog).where(AuditLog.action.not_like("auth.%")).order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["user.create", "user.update", "user.deactivate", "user.password_reset",
                                           "unit.create", "unit.update"]
    for entry in entries:
        assert entry.actor_id == admin.id
        assert entry.at is not None
        assert entry.ip == "127.0.0.1"
        assert entry.summary
    for entry in entries:
        if entry.action.endswith(".update") or entry.action.endswith(".deactivate"):
            assert entry.before and entry.after and json.loads(entry.before) != json.loads(entry.after)


def test_audit_page_lists_and_filters(client, admin, session, tree):
    client.post("/admin/users/new", data=dict(NEW_USER, unit_id=tree["mkp"].id))
    client.post("/admin/units/new", data={"code": "INSP", "name": "Inspektorat", "parent_id": 0})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "3 catatan" in page  # with the admin's own sign-in
    assert "user.create" in page and "unit.create" in page
    assert "Admin Uji" in page  # the actor
    assert "WIB" in page
    assert '<option value="unit.create">' in page  # the filter offers the actions present

    filtered = client.get("/admin/audit?action=unit.create").get_data(as_text=True)
    assert "1 catatan" in filtered
    assert "INSP Inspektorat" in filtered and "ratna.sari" not in filtered

    fragment = client.get("/admin/audit?action=user.create", headers=HX)
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "1 catatan" in text and "ratna.sari" in text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "0 catatan" in client.get("/admin/audit?action=tidak.ada").get_data(as_text=True)


def test_audit_log_pagination(client, admin, session):
    from portal import audit

    for n in range(60):
        audit.record(session, admin, "test.entry", "test", n, f"entri {n}")
    session.commit()
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "61 catatan" in first  # with the admin's own sign-in
    assert "entri 59" in first and "entri 5<" not in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "entri 5<" in second


def test_admin_overview_counts(client, admin, session, tree):
    factories.make_user(session, unit=tree["mkp"], active=False)
    page = client.get("/admin/").get_data(as_text=True)
    assert "aktif dari 2 akun" in page


def recorded_actions():
    """Every action code the code records: the third argument of audit.record(...) and the action argument of
    helpers that pass one on (a name containing "audit"), plus the login reasons of record_failed_login."""
    import ast
    from pathlib import Path

    found = {}
    for path in Path("portal").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if name == "record" and len(node.args) > 2:
                candidates = [node.args[2]]
            elif "audit" in name:
                candidates = node.args
            elif name == "record_failed_login" and isinstance(node.args[1], ast.Constant):
                candidates = [ast.Constant("auth." + node.args[1].value)]
            else:
                continue
            for arg in candidates:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value:
                    found[arg.value] = f"{path}:{node.lineno}"
    return found


def test_every_recorded_action_has_a_label_in_both_languages(app):
    from flask_babel import force_locale

    from portal.audit import ACTION_LABELS

    actions = recorded_actions()
    assert len(actions) > 30
    missing = {action: where for action, where in actions.items() if action not in ACTION_LABELS}
    assert not missing, f"add these to portal.audit.ACTION_LABELS: {missing}"
    with app.test_request_context(), force_locale("en"):
        assert str(ACTION_LABELS["toolkit.approve"]) == "Item approved"


def test_audit_page_shows_actions_as_words(client, login_as, session):
    from portal import audit

    admin = login_as("admin")
    audit.record(session, admin, "handbook.publish", "edition", 1, "2026.2")
    session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Edisi pedoman diterbitkan" in html
    assert '<option value="handbook.publish">Edisi pedoman diterbitkan</option>' in html
