from tests.conftest import HX


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_admin_pages_render(client, login_as):
    login_as("admin")
    for url in ["/", "/admin/", "/admin/users", "/admin/units", "/admin/audit", "/admin/import/users",
                "/admin/import/units", "/admin/units/new", "/admin/users/new", "/account/password"]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_user_search_answers_htmx_with_fragment(client, login_as):
    login_as("admin", full_name="Ratna Sari Dewi")
    response = client.get("/admin/users?q=ratna", headers=HX)
    assert response.status_code == 200
    assert b"<html" not in response.data
    assert b"Ratna Sari Dewi" in response.data
    assert "HX-Request" in response.headers["Vary"]


def test_history_restore_gets_the_whole_page(client, login_as):
    """Back after hx-push-url: htmx replaces the whole body, so the answer must be the full page."""
    login_as("admin")
    response = client.get("/admin/users?q=x", headers={**HX, "HX-History-Restore-Request": "true"})
    assert response.status_code == 200
    assert b"<html" in response.data


def test_a_fragment_sees_the_macros_its_template_imports(client, login_as):
    """An htmx request renders one block alone; the template's top-level imports (macros) must still be there."""
    login_as("trainer")
    for response in (client.get("/workshops/baru", headers=HX),
                     client.post("/workshops/baru", data={"title": ""}, headers=HX)):
        assert response.status_code == 200, response.data[:300]
        assert b"<html" not in response.data and b"<form" in response.data
