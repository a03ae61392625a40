"""The dashboard's cards are kept per person (portal/dashboard.py) and never shown from before a write they show:
the person's own writes, writes to their rows by others (followed models), and writes to shared subjects."""

from datetime import timedelta

from sqlalchemy import select

from portal import generations
from portal.models import PersonGeneration, utcnow
from tests import factories
from tests.test_toolkit import statements_during


def test_the_cards_are_kept_between_views(app, client, session, login_as):
    factories.published_handbook(session)
    login_as("employee")
    first, sql_first = statements_during(app, lambda: client.get("/"))
    again, sql_again = statements_during(app, lambda: client.get("/"))
    def main(response):  # the page's CSRF token is signed with the time: compare what the page shows
        page = response.get_data(as_text=True)
        return page[page.index("<main"):page.index("</main>")]

    assert main(first) == main(again)
    assert "Baca dan setujui pedoman" in again.get_data(as_text=True)
    assert len(sql_again) < len(sql_first) - 3, (sql_first, sql_again)
    assert not any("handbook_read" in s for s in sql_again)  # the reader's card came from the kept cards


def test_the_persons_own_write_shows_at_once(app, client, session, login_as):
    factories.published_handbook(session)
    user = login_as("employee")
    assert "Baca dan setujui pedoman" in client.get("/").get_data(as_text=True)
    before = generations.read_person(session, user.id)
    session.commit()
    for link in client.get("/handbook/").get_data(as_text=True).split('href="/handbook/bagian/')[1:]:
        slug = link.split('"', 1)[0]
        client.post(f"/handbook/bagian/{slug}/dibaca")
    client.post("/handbook/setujui", data={"confirm": "y"})
    assert generations.read_person(session, user.id) > before
    assert "Pedoman sudah Anda setujui" in client.get("/").get_data(as_text=True)


def test_a_write_by_someone_else_to_a_followed_row_shows_at_once(app, client, session, login_as):
    user = login_as("employee")
    start = utcnow() + timedelta(days=3)
    workshop = factories.make_workshop(session, title="Pelatihan Kartu Dasbor",
                                       sessions=[(start, start + timedelta(hours=2))])
    page = client.get("/").get_data(as_text=True)
    assert "Sesi pelatihan berikutnya" not in page
    factories.make_participant(session, workshop, user=user)  # a trainer's write, outside the person's requests
    assert "Sesi pelatihan berikutnya" in client.get("/").get_data(as_text=True)


def test_a_rolled_back_write_does_not_move_the_counter(session):
    user = factories.make_user(session)
    session.commit()
    before = generations.read_person(session, user.id)
    session.commit()
    user.full_name = "Nama Lain"  # a write whose transaction rolls back
    session.flush()
    generations.move_person(session, user.id)
    session.rollback()
    assert generations.read_person(session, user.id) == before
    generations.move_person(session, user.id)
    assert generations.read_person(session, user.id) < 0  # this transaction's own: never shared
    session.commit()
    assert session.execute(select(PersonGeneration.value).where(PersonGeneration.user_id == user.id)).scalar() == \
        before + 1


def test_any_write_the_signed_in_person_commits_moves_their_counter(client, session, login_as):
    """The request path moves the signed-in person's counter with every write it commits, followed model or not
    (here the account's language), and never with a read or a refused write."""
    user = login_as("employee")
    before = generations.read_person(session, user.id)
    session.commit()
    client.get("/")
    client.post("/account/bahasa", data={"lang": "xx"})  # refused: nothing written
    assert generations.read_person(session, user.id) == before
    session.commit()
    client.post("/account/bahasa", data={"lang": "en"})
    assert generations.read_person(session, user.id) == before + 1


def test_the_bell_count_is_kept_per_person_and_follows_every_notice_and_reading(app, client, session, login_as):
    from portal.notifications import services as notifications

    user = login_as("employee")
    client.get("/")
    _, sql = statements_during(app, lambda: client.get("/"))
    assert not any("FROM notification" in s for s in sql), sql  # kept: the counter came with the session record
    notifications.deliver(session, [user.id], "edition", {"version": "2026.9"})  # a job's or another person's write
    session.commit()
    assert '<span class="bell-count">1</span>' in client.get("/").get_data(as_text=True)
    assert client.post("/notifications/baca-semua").status_code in (302, 303)
    assert 'class="bell-count"' not in client.get("/").get_data(as_text=True)
