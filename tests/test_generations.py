"""portal/generations.py: counters that key caches, read once per transaction, moved by the writes they follow;
and the dashboard's kept parts (quiz bank, open workshops, the acknowledgement rule) following them."""

import re
from datetime import timedelta

from sqlalchemy import event, text
from sqlmodel import Session

from portal import generations
from portal.models import Quiz, Workshop, utcnow
from tests import factories


def _statements(app):
    seen = []
    event.listen(app.extensions["db_engine"], "before_cursor_execute",
                 lambda _conn, _cursor, sql, params, *_rest: seen.append((sql, params)))
    return seen


def test_every_counter_is_read_in_one_statement_per_transaction(app, session):
    generations.move(session, "a")
    generations.move(session, "a")  # marked twice, moved once: when the transaction commits
    generations.move(session, "b")
    session.commit()
    generations.move(session, "a")
    session.commit()
    seen = _statements(app)
    with Session(app.extensions["db_engine"]) as reader:
        assert (generations.read(reader, "a"), generations.read(reader, "b"), generations.read(reader, "c")) == \
            (2, 1, 0)
        assert sum("cache_generation" in sql for sql, _params in seen) == 1
        generations.move(session, "a")  # another transaction moves it: this one keeps its snapshot's value
        session.commit()
        assert generations.read(reader, "a") == 2
        reader.rollback()  # the transaction ends, and with it what it read
        assert generations.read(reader, "a") == 3
        generations.move(reader, "a")  # its own write: a key nobody else reads, until it commits
        own = generations.read(reader, "a")
        assert own < 0 and generations.read(reader, "a") not in (own, 3, 4) and generations.read(reader, "b") == 1
        reader.rollback()  # rolled back: not moved
        assert generations.read(reader, "a") == 3
        generations.move(reader, "a")
        reader.commit()
        assert generations.read(reader, "a") == 4


def test_moves_happen_at_commit_in_name_order(app, session):
    seen = _statements(app)
    for name in ("zeta", "alpha", "mu"):
        generations.move(session, name)
    assert not any("cache_generation" in sql for sql, _params in seen)  # nothing locked before the commit
    session.commit()
    moved = [params for sql, params in seen if "INSERT INTO cache_generation" in sql]
    assert moved == [("alpha",), ("mu",), ("zeta",)] or moved == [{"name": "alpha"}, {"name": "mu"}, {"name": "zeta"}]


def test_a_followed_counter_moves_with_every_orm_write_of_its_tables(session):
    from portal.quiz.quizzes import BANK

    bank_before = generations.read(session, BANK)
    quiz = Quiz(title="Kuis A", position=99)  # written behind the quiz editor's back: still followed
    session.add(quiz)
    session.commit()
    moved = generations.read(session, BANK)
    assert moved > bank_before
    quiz.title = "Kuis B"
    session.add(quiz)
    session.commit()
    assert generations.read(session, BANK) > moved
    moved = generations.read(session, BANK)
    factories.make_user(session)  # other tables leave it alone
    session.commit()
    assert generations.read(session, BANK) == moved


def test_the_quiz_page_and_dashboard_follow_every_quiz_and_question_write(client, login_as, session):
    handbook = factories.make_handbook(session)
    topic = factories.make_topic(session, "Netralitas", section_ids=[handbook.sections["netralitas-politik"].id])
    questions = [factories.make_question(session, topic, name=f"Q{n}") for n in range(3)]
    quiz = factories.make_quiz(session, [(topic, 3)], title="Kuis Netralitas", certificate=True)
    login_as("employee")
    assert "Kuis Netralitas" in client.get("/quiz/").get_data(as_text=True)
    assert "3 soal" in client.get("/").get_data(as_text=True)  # kept now, for DASHBOARD_CACHE_SECONDS
    questions[0].status = "retired"
    session.add(questions[0])
    session.commit()
    assert "2 soal" in client.get("/").get_data(as_text=True)
    quiz = session.get(Quiz, quiz.id)
    quiz.title = "Kuis Netralitas ASN"
    session.add(quiz)
    session.commit()
    assert "Kuis Netralitas ASN" in client.get("/quiz/").get_data(as_text=True)
    quiz.active = False
    session.add(quiz)
    session.commit()
    assert "Kuis Netralitas" not in client.get("/").get_data(as_text=True)
    assert "Kuis Netralitas" not in client.get("/quiz/").get_data(as_text=True)


def test_the_dashboards_open_workshops_follow_workshop_writes(client, login_as, session):
    unit = factories.make_unit(session)
    login_as("employee", unit=unit)
    first = factories.make_workshop(session, title="Pelatihan Pertama")
    session.commit()
    assert "Pelatihan Pertama" in client.get("/").get_data(as_text=True)
    factories.make_workshop(session, title="Pelatihan Kedua")
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Pelatihan Pertama" in page and "Pelatihan Kedua" in page
    first = session.get(Workshop, first.id)
    first.registration_closes_at = utcnow() - timedelta(hours=1)
    session.add(first)
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Pelatihan Pertama" not in page and "Pelatihan Kedua" in page


def test_the_open_workshops_beyond_those_kept_are_asked_for(app, session, monkeypatch):
    from portal.workshops import pages

    monkeypatch.setattr(pages, "OPEN_KEPT", 2)
    person = factories.make_user(session)
    made = [factories.make_workshop(session, title=f"Pelatihan {n}") for n in range(4)]
    session.commit()
    with app.test_request_context():
        assert [w.title for w in pages.open_for_registration(session, person, set(), 3)] == \
            ["Pelatihan 0", "Pelatihan 1", "Pelatihan 2"]
        assert [w.title for w in pages.open_for_registration(session, person, {made[0].id, made[1].id}, 3)] == \
            ["Pelatihan 2", "Pelatihan 3"]


def test_the_dashboards_unread_count_follows_the_acknowledgement_rule(client, login_as, session, app):
    handbook = factories.make_handbook(session)
    admin = factories.make_user(session, roles=("admin",))
    login_as("employee")
    count = re.search(r"Masih (\d+) bagian", client.get("/").get_data(as_text=True))
    assert count and int(count.group(1)) == len(handbook.sections)
    from portal.handbook import reading

    reading.set_ack_rule(session, admin, "core", [handbook.sections["akun-pribadi"].id])
    session.commit()
    assert "Masih 1 bagian" in client.get("/").get_data(as_text=True)


def test_two_writers_marking_subjects_in_opposite_orders_both_commit(app):
    """Moves take the counters' row locks only at commit and in name order: two writers that touch the same two
    subjects in opposite orders cannot deadlock (PostgreSQL answered one of them "deadlock detected" when each move
    locked its row at once)."""
    import threading

    engine = app.extensions["db_engine"]
    errors = []
    with Session(engine) as one, Session(engine) as two:
        for session, names in ((one, ("pair-a", "pair-b")), (two, ("pair-b", "pair-a"))):
            session.execute(text("SELECT 1"))  # both transactions are open before either commits
            for name in names:
                generations.move(session, name)
        barrier = threading.Barrier(2)

        def commit(session):
            barrier.wait()
            try:
                session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
                errors.append(error)

        threads = [threading.Thread(target=commit, args=(s,)) for s in (one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    with Session(engine) as reader:
        assert (generations.read(reader, "pair-a"), generations.read(reader, "pair-b")) == (2, 2)
