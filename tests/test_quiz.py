"""The quiz pillar: taking a quiz (htmx and plain forms), resuming, feedback modes, answers that count once,
attempt limits, question versions, scoring, reports and their exports, scenario images, the dashboard card."""

import io
import json
import re
import threading
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import event, update
from sqlmodel import Session, select

from portal import events
from portal.models import (
    Attempt,
    AttemptQuestion,
    Certificate,
    Job,
    Question,
    QuestionOption,
    QuestionVersion,
    Quiz,
    QuizTopic,
    QuizTopicRule,
    User,
    utcnow,
)
from portal.quiz import attempts, kinds, report_numbers, reports
from portal.quiz import bank as question_bank
from tests import factories
from tests.conftest import HX

# --- fixtures and helpers ------------------------------------------------------------------------------------------


@pytest.fixture
def bank(session):
    """A published handbook, two topics, three active questions (single, true/false, multi) and a quiz drawing
    them all in a fixed order (no shuffling): N1 (single, linked to netralitas-politik), N2 (true/false),
    H1 (multiple response, linked to hoaks-dan-verifikasi)."""
    handbook = factories.make_handbook(session)
    netralitas, hoaks = handbook.sections["netralitas-politik"], handbook.sections["hoaks-dan-verifikasi"]
    t1 = factories.make_topic(session, "Netralitas", section_ids=[netralitas.id])
    t2 = factories.make_topic(session, "Hoaks", section_ids=[hoaks.id])
    n1 = factories.make_question(session, t1, name="N1", stem="Bolehkah **menyukai** unggahan calon?",
                                 section_ids=[netralitas.id], explanation="ASN wajib netral.")
    n2 = factories.make_question(session, t1, kind="truefalse", name="N2", stem="ASN boleh ikut grup kampanye.",
                                 options=[("Benar", 0.0, "Keliru: dilarang."), ("Salah", 1.0, "Tepat.")])
    h1 = factories.make_question(session, t2, kind="multi", name="H1", stem="Pilih langkah verifikasi.",
                                 section_ids=[hoaks.id])
    quiz = factories.make_quiz(session, [(t1, 2), (t2, 1)], title="Kuis Uji")
    return SimpleNamespace(handbook=handbook, topics=(t1, t2), n1=n1, n2=n2, h1=h1, quiz=quiz,
                           netralitas=netralitas, hoaks=hoaks)


def items_of(session, attempt_id):
    session.expire_all()
    return session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
                        .order_by(AttemptQuestion.position)).all()


def options_of(session, item):
    by_id = {o.id: o for o in session.exec(select(QuestionOption)
                                           .where(QuestionOption.version_id == item.version_id)).all()}
    return [by_id[int(i)] for i in item.option_order.split(",")]


def right_ids(session, item):
    options = options_of(session, item)
    kind = session.get(QuestionVersion, item.version_id).kind
    if kind == "multi":
        return [o.id for o in options if o.fraction > 0]
    return [max(options, key=lambda o: o.fraction).id]


def wrong_ids(session, item):
    return [min(options_of(session, item), key=lambda o: o.fraction).id]


def latest_attempt(session, user):
    session.expire_all()
    return session.exec(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id.desc())).first()


def start(client, quiz, headers=None):
    return client.post(f"/quiz/{quiz.id}/mulai", headers=headers or {})


def answer(client, attempt, position, ids, headers=None):
    return client.post(f"/quiz/percobaan/{attempt.id}/soal/{position}", data={"option": [str(i) for i in ids]},
                       headers=headers or {})


# --- taking a quiz -------------------------------------------------------------------------------------------------

def test_quiz_list_shows_active_quizzes_with_status(client, login_as, bank):
    login_as("employee")
    page = client.get("/quiz/").get_data(as_text=True)
    assert "Kuis Uji" in page and "belum dikerjakan" in page and "Mulai kuis" in page
    assert "3 soal" in page


def test_full_attempt_through_htmx(client, login_as, session, bank):
    user = login_as("employee")
    response = start(client, bank.quiz, headers=HX)
    attempt = latest_attempt(session, user)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/quiz/percobaan/{attempt.id}"

    page = client.get(f"/quiz/percobaan/{attempt.id}", headers=HX)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" not in body and "HX-Request" in page.headers["Vary"]
    assert "Soal 1 dari 3" in body and "<progress" in body and "<strong>menyukai</strong>" in body

    items = items_of(session, attempt.id)
    first = answer(client, attempt, 1, right_ids(session, items[0]), headers=HX)
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and "<html" not in body
    assert "Benar!" in body and "ASN wajib netral." in body and "Tepat." in body
    assert 'href="/handbook/bagian/netralitas-politik"' in body and "Baca bagian pedoman" in body
    assert first.headers["HX-Push-Url"] == f"/quiz/percobaan/{attempt.id}?no=1"

    second = client.get(f"/quiz/percobaan/{attempt.id}", headers=HX).get_data(as_text=True)
    assert "Soal 2 dari 3" in second
    body = answer(client, attempt, 2, wrong_ids(session, items[1]), headers=HX).get_data(as_text=True)
    assert "Kurang tepat" in body and "Keliru: dilarang." in body
    body = answer(client, attempt, 3, right_ids(session, items[2]), headers=HX).get_data(as_text=True)
    assert "Benar!" in body and "Selesai dan lihat hasil" in body

    done = client.post(f"/quiz/percobaan/{attempt.id}/selesai", headers=HX)
    assert done.headers["HX-Redirect"] == f"/quiz/percobaan/{attempt.id}/hasil"
    result = client.get(f"/quiz/percobaan/{attempt.id}/hasil").get_data(as_text=True)
    assert "Nilai Anda" in result and "66,7" in result and "belum lulus" in result
    assert "Bacaan yang disarankan" in result and "/handbook/bagian/netralitas-politik" in result
    finished = latest_attempt(session, user)
    assert finished.finished_at is not None and round(finished.score, 1) == 66.7 and finished.passed is False


def test_full_attempt_with_plain_forms(client, login_as, session, bank):
    """Without JavaScript: every POST answers 303 to a GET of the same flow."""
    user = login_as("employee")
    response = start(client, bank.quiz)
    attempt = latest_attempt(session, user)
    assert response.status_code == 303 and response.headers["Location"] == f"/quiz/percobaan/{attempt.id}"
    items = items_of(session, attempt.id)
    for item in items:
        page = client.get(f"/quiz/percobaan/{attempt.id}")
        assert f"Soal {item.position} dari 3" in page.get_data(as_text=True) and b"<html" in page.data
        posted = answer(client, attempt, item.position, right_ids(session, item))
        assert posted.status_code == 303
        assert posted.headers["Location"] == f"/quiz/percobaan/{attempt.id}?no={item.position}"
        feedback = client.get(posted.headers["Location"]).get_data(as_text=True)
        assert "Benar!" in feedback
    summary = client.get(f"/quiz/percobaan/{attempt.id}").get_data(as_text=True)
    assert "Semua soal sudah dijawab" in summary
    finished = client.post(f"/quiz/percobaan/{attempt.id}/selesai")
    assert finished.status_code == 303 and finished.headers["Location"].endswith("/hasil")
    result = client.get(finished.headers["Location"]).get_data(as_text=True)
    assert ">100<" in result and "lulus" in result and "Lihat dan cetak sertifikat" in result
    # Finished: the attempt page sends to the result; answering again is refused.
    assert client.get(f"/quiz/percobaan/{attempt.id}").headers["Location"].endswith("/hasil")
    again = answer(client, attempt, 1, wrong_ids(session, items[0]))
    assert again.status_code == 303 and again.headers["Location"].endswith("/hasil")
    assert latest_attempt(session, user).score == 100


def test_no_answer_selected_is_a_clear_error(client, login_as, session, bank):
    user = login_as("employee")
    start(client, bank.quiz)
    attempt = latest_attempt(session, user)
    response = answer(client, attempt, 1, [])
    assert response.status_code == 422 and "Pilih jawaban terlebih dahulu." in response.get_data(as_text=True)
    htmx = answer(client, attempt, 1, [], headers=HX)
    assert htmx.status_code == 200 and "Pilih jawaban terlebih dahulu." in htmx.get_data(as_text=True)
    other = items_of(session, attempt.id)[1]
    foreign = answer(client, attempt, 1, right_ids(session, other))  # an option of another question
    assert foreign.status_code == 422 and "tidak dikenal" in foreign.get_data(as_text=True)
    assert items_of(session, attempt.id)[0].answered_at is None


def test_resume_after_closing_the_browser(client, login_as, login, session, bank):
    user = login_as("employee")
    start(client, bank.quiz)
    attempt = latest_attempt(session, user)
    items = items_of(session, attempt.id)
    answer(client, attempt, 1, right_ids(session, items[0]))
    order_before = [(i.version_id, i.option_order) for i in items]

    client.post("/logout")  # a new session, as after closing the browser
    login(user)
    index = client.get("/quiz/").get_data(as_text=True)
    assert "sedang dikerjakan" in index and f"/quiz/percobaan/{attempt.id}" in index
    page = client.get(f"/quiz/percobaan/{attempt.id}").get_data(as_text=True)
    assert "Soal 2 dari 3" in page and "1 dari 3 terjawab" in page
    # Pressing "Mulai" again resumes the same attempt with the same questions and option order.
    again = start(client, bank.quiz)
    assert again.headers["Location"] == f"/quiz/percobaan/{attempt.id}"
    assert session.exec(select(Attempt).where(Attempt.user_id == user.id)).all() == [attempt]
    assert [(i.version_id, i.option_order) for i in items_of(session, attempt.id)] == order_before


def test_immediate_feedback_answer_cannot_be_changed(client, login_as, session, bank):
    user = login_as("employee")
    start(client, bank.quiz)
    attempt = latest_attempt(session, user)
    first = items_of(session, attempt.id)[0]
    answer(client, attempt, 1, wrong_ids(session, first))
    changed = answer(client, attempt, 1, right_ids(session, first), headers=HX).get_data(as_text=True)
    assert "sudah tersimpan sebelumnya dan tidak diubah" in changed
    assert "Kurang tepat" in changed and "/handbook/bagian/netralitas-politik" in changed
    assert "Jawaban ini sudah tersimpan dan tidak dapat diubah." in changed
    assert items_of(session, attempt.id)[0].chosen == str(wrong_ids(session, first)[0])


def test_deferred_mode_hides_feedback_and_allows_changes_until_submit(client, login_as, session, bank):
    quiz = factories.make_quiz(session, [(bank.topics[0], 2)], title="Pre-test", feedback_mode="deferred")
    user = login_as("employee")
    start(client, quiz)
    attempt = latest_attempt(session, user)
    items = items_of(session, attempt.id)
    body = answer(client, attempt, 1, wrong_ids(session, items[0]), headers=HX).get_data(as_text=True)
    assert "Jawaban soal 1 tersimpan." in body and "Soal 2 dari 2" in body
    for hidden in ("Kurang tepat", "Benar!", "ASN wajib netral.", "Keliru: dilarang.", "Baca bagian pedoman"):
        assert hidden not in body
    # Back to question 1: the saved choice is checked and can be changed.
    page = client.get(f"/quiz/percobaan/{attempt.id}?no=1").get_data(as_text=True)
    assert f'value="{wrong_ids(session, items[0])[0]}" id="option-{wrong_ids(session, items[0])[0]}" checked' in page
    assert "Kurang tepat" not in page
    answer(client, attempt, 1, right_ids(session, items[0]))
    assert items_of(session, attempt.id)[0].chosen == str(right_ids(session, items[0])[0])
    summary = client.get(f"/quiz/percobaan/{attempt.id}?ringkasan=1").get_data(as_text=True)
    assert "Kumpulkan jawaban" in summary and "Soal yang belum dijawab" in summary
    client.post(f"/quiz/percobaan/{attempt.id}/selesai")
    late = answer(client, attempt, 2, right_ids(session, items[1]))
    assert late.headers["Location"].endswith("/hasil")
    assert items_of(session, attempt.id)[1].answered_at is None
    result = client.get(f"/quiz/percobaan/{attempt.id}/hasil").get_data(as_text=True)
    assert "Pembahasan per soal" in result and "ASN wajib netral." in result and "tidak dijawab" in result
    assert latest_attempt(session, user).score == 50


def test_replayed_answer_counts_once(client, login_as, session, bank):
    user = login_as("employee")
    start(client, bank.quiz)
    attempt = latest_attempt(session, user)
    items = items_of(session, attempt.id)
    for _ in range(2):
        assert answer(client, attempt, 1, right_ids(session, items[0])).status_code == 303
    first = items_of(session, attempt.id)[0]
    answered_at = first.answered_at
    answer(client, attempt, 1, right_ids(session, items[0]))
    assert items_of(session, attempt.id)[0].answered_at == answered_at
    client.post(f"/quiz/percobaan/{attempt.id}/selesai")
    client.post(f"/quiz/percobaan/{attempt.id}/selesai")  # a replayed finish changes nothing
    done = latest_attempt(session, user)
    assert round(done.score, 2) == 33.33
    assert session.exec(select(Certificate)).all() == []


def test_answering_concurrently_from_two_sessions_counts_once(app, session, bank):
    user = factories.make_user(session)
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        assert c.post("/login", data={"username": user.username, "password": factories.PASSWORD}).status_code == 302
    assert start(clients[0], bank.quiz).status_code == 303
    attempt = latest_attempt(session, user)
    item = items_of(session, attempt.id)[0]
    picks = [right_ids(session, item), wrong_ids(session, item)]
    attempt = SimpleNamespace(id=attempt.id)  # plain values only inside the threads
    session.rollback()
    barrier = threading.Barrier(2)
    outcomes = []

    def go(index):
        barrier.wait()
        outcomes.append(answer(clients[index], attempt, 1, picks[index]).status_code)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == [303, 303]
    stored = items_of(session, attempt.id)[0]
    assert stored.chosen in (str(picks[0][0]), str(picks[1][0]))
    # Exactly one answer stands; a further answer is refused by the compare-and-set.
    assert attempts.answer(session, attempts.lock(session, attempt.id), 1, picks[1], page=False).saved is False
    assert items_of(session, attempt.id)[0].chosen == stored.chosen


def test_an_attempt_finished_meanwhile_takes_no_answer(app, session, bank):
    from portal.errors import DomainError

    user = factories.make_user(session)
    attempt = factories.make_attempt(session, user, bank.quiz, finish=False)
    item = items_of(session, attempt.id)[0]
    open_attempt = session.get(Attempt, attempt.id)
    prepared = attempts.prepare_answer(session, open_attempt, 1, right_ids(session, item), page=False)
    session.commit()
    with Session(app.extensions["db_engine"], expire_on_commit=False) as other:  # another request finishes it
        attempts.finish(other, user, attempts.lock(other, attempt.id))
        other.commit()
    locked = attempts.lock(session, attempt.id)
    assert locked is open_attempt and locked.finished_at is not None and locked.score is not None
    with pytest.raises(DomainError):
        attempts.save_answer(session, locked, prepared)
    session.rollback()
    assert items_of(session, attempt.id)[0].answered_at is None


def transactions_of(engine, send):
    """The SQL statements the database received while `send()` ran, grouped by transaction: [[sql, ...], ...]
    (BEGIN statements are not counted; a transaction ends at its commit or rollback)."""
    groups = [[]]

    def statement(_conn, _cursor, sql, *_args):
        if not sql.lstrip().upper().startswith("BEGIN"):
            groups[-1].append(sql)

    def end(_conn):
        groups.append([])

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    try:
        response = send()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", end)
        event.remove(engine, "rollback", end)
    return response, [group for group in groups if group]


@pytest.mark.parametrize("mode", ["immediate", "deferred"])
def test_answering_a_question_costs_at_most_twelve_statements_and_locks_for_its_write_alone(
        app, client, login_as, session, bank, mode):
    quiz = bank.quiz if mode == "immediate" else factories.make_quiz(session, [(bank.topics[0], 2)],
                                                                      feedback_mode="deferred")
    user = login_as("employee")
    start(client, quiz)
    attempt_id = latest_attempt(session, user).id
    picks = [str(i) for i in right_ids(session, items_of(session, attempt_id)[0])]
    session.rollback()
    response, transactions = transactions_of(app.extensions["db_engine"], lambda: client.post(
        f"/quiz/percobaan/{attempt_id}/soal/1", data={"option": picks}, headers=HX))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("Benar!" in body) if mode == "immediate" else ("Soal 2 dari 2" in body)
    statements = [sql for group in transactions for sql in group]
    assert len(statements) <= 12, "\n".join(statements)
    # The attempt, the answer's check and the next page's question are read first, locking nothing; then the
    # attempt is locked, the answer saved with its compare-and-set UPDATE and the person's generation moved, and
    # nothing else. SQLite: the reads are a transaction of their own, the write one holds the write lock for those
    # three statements alone. PostgreSQL (no lock up front, no snapshot kept): one transaction, the attempt's row
    # locked from its FOR UPDATE on.
    writing = [group for group in transactions if any(sql.lstrip().upper().startswith(("UPDATE", "INSERT"))
                                                        for sql in group)]
    assert len(writing) == 1, transactions
    if app.extensions["db_engine"].dialect.name == "sqlite":
        locked = writing[0]
        reads = [i for i, group in enumerate(transactions) if any("quiz_question_version" in sql for sql in group)]
        assert len(reads) == 1 and reads[0] < transactions.index(writing[0]), transactions
    else:
        start_lock = next(i for i, sql in enumerate(writing[0]) if "FOR UPDATE" in sql)
        locked = writing[0][start_lock:]
        assert any("quiz_question_version" in sql for sql in writing[0][:start_lock]), writing[0]
    assert [sql.split()[0].upper() for sql in locked] == ["SELECT", "UPDATE", "INSERT"], locked
    assert "FROM quiz_attempt " in locked[0] and "quiz_attempt_question" in locked[1]
    assert items_of(session, attempt_id)[0].answered_at is not None


def test_finishing_sends_attempt_finished_with_the_person_and_the_outcome(client, login_as, session, bank):
    received = []

    def receiver(sender, **kwargs):
        received.append((sender, kwargs))

    events.attempt_finished.connect(receiver)
    try:
        user = login_as("employee")
        start(client, bank.quiz)
        attempt = latest_attempt(session, user)
        for item in items_of(session, attempt.id):
            answer(client, attempt, item.position, right_ids(session, item))
        client.post(f"/quiz/percobaan/{attempt.id}/selesai")
        client.post(f"/quiz/percobaan/{attempt.id}/selesai")  # a replay sends nothing more
    finally:
        events.attempt_finished.disconnect(receiver)
    assert len(received) == 1
    _sender, kwargs = received[0]
    assert kwargs["actor"].id == user.id and kwargs["attempt"].id == attempt.id and kwargs["passed"] is True


def test_someone_elses_attempt_is_not_found(client, login_as, login, session, bank):
    owner = factories.make_user(session)
    attempt = factories.make_attempt(session, owner, bank.quiz, right=3)
    open_one = factories.make_attempt(session, owner, factories.make_quiz(session, [(bank.topics[1], 1)]),
                                      finish=False)
    login_as("employee")
    for url in (f"/quiz/percobaan/{attempt.id}", f"/quiz/percobaan/{attempt.id}/hasil",
                f"/quiz/sertifikat/{attempt.id}", f"/quiz/percobaan/{open_one.id}"):
        assert client.get(url).status_code == 404, url
    item = items_of(session, open_one.id)[0]
    assert answer(client, open_one, 1, right_ids(session, item)).status_code == 404
    assert client.post(f"/quiz/percobaan/{open_one.id}/selesai").status_code == 404
    assert items_of(session, open_one.id)[0].answered_at is None
    session.expire_all()
    assert session.get(Attempt, open_one.id).finished_at is None


def test_attempt_limit_is_enforced_with_a_clear_message(client, login_as, session, bank):
    quiz = factories.make_quiz(session, [(bank.topics[0], 1)], title="Sekali saja", max_attempts=1)
    user = login_as("employee")
    factories.make_attempt(session, user, quiz, right=0)
    response = start(client, quiz)
    assert response.status_code == 303 and response.headers["Location"] == "/quiz/"
    page = client.get("/quiz/").get_data(as_text=True)
    assert "Anda sudah memakai semua 1 kesempatan mengerjakan kuis ini." in page
    assert len(session.exec(select(Attempt).where(Attempt.user_id == user.id)).all()) == 1


def test_cool_down_is_enforced_with_a_clear_message(client, login_as, session, bank):
    quiz = factories.make_quiz(session, [(bank.topics[0], 1)], title="Jeda", cooldown_hours=2)
    user = login_as("employee")
    factories.make_attempt(session, user, quiz, right=0, now=utcnow() - timedelta(minutes=30))
    start(client, quiz)
    page = client.get("/quiz/").get_data(as_text=True)
    assert "Anda dapat mencoba lagi mulai" in page and "WIB" in page
    assert len(session.exec(select(Attempt).where(Attempt.user_id == user.id)).all()) == 1
    # After the cool-down a new attempt starts.
    factories.make_attempt(session, factories.make_user(session), quiz, right=0)
    older = latest_attempt(session, user)
    older.finished_at = utcnow() - timedelta(hours=3)
    session.add(older)
    session.commit()
    assert start(client, quiz).headers["Location"].startswith("/quiz/percobaan/")
    assert len(session.exec(select(Attempt).where(Attempt.user_id == user.id)).all()) == 2


# --- versions and scoring -------------------------------------------------------------------------------------------

def edit_form(session, question, **changes):
    version = session.get(QuestionVersion, question.current_version_id)
    options = question_bank.version_options(session, version.id)
    data = {"topic_id": question.topic_id, "name": question.name, "kind": version.kind,
            "difficulty": question.difficulty, "stem": version.stem, "explanation": version.explanation,
            "section_ids": [str(i) for i in question_bank.question_section_ids(session, question.id)]}
    for i in range(6):
        option = options[i] if i < len(options) else None
        data[f"options-{i}-text"] = option.text if option else ""
        data[f"options-{i}-weight"] = str(round(option.fraction * 100)) if option else "0"
        data[f"options-{i}-feedback"] = option.feedback if option else ""
    data.update(changes)
    return data


def test_editing_an_answered_question_creates_a_new_version(client, login_as, session, bank):
    employee = factories.make_user(session)
    old = factories.make_attempt(session, employee, bank.quiz, right=3)
    login_as("admin")
    response = client.post(f"/quiz/kelola/soal/{bank.n1.id}", data=edit_form(
        session, bank.n1, stem="Bolehkah ASN **membagikan** unggahan calon?", **{"options-0-weight": "100",
                                                                                 "options-1-weight": "0"}))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert "disimpan sebagai versi baru" in client.get(response.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    versions = session.exec(select(QuestionVersion).where(QuestionVersion.question_id == bank.n1.id)
                            .order_by(QuestionVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert session.get(Question, bank.n1.id).current_version_id == versions[1].id

    # The old attempt keeps its wording and score.
    client.post("/logout")
    client.post("/login", data={"username": employee.username, "password": factories.PASSWORD})
    result = client.get(f"/quiz/percobaan/{old.id}/hasil").get_data(as_text=True)
    assert "<strong>menyukai</strong>" in result and "membagikan" not in result
    assert latest_attempt(session, employee).score == 100
    # A new attempt draws the new version.
    new = factories.make_attempt(session, factories.make_user(session), bank.quiz, finish=False)
    assert items_of(session, new.id)[0].version_id == versions[1].id


def test_editing_an_unanswered_question_updates_it_in_place(client, login_as, session, bank):
    login_as("admin")
    response = client.post(f"/quiz/kelola/soal/{bank.n1.id}", data=edit_form(session, bank.n1,
                                                                              stem="Teks yang diperbaiki."))
    assert response.status_code == 303
    session.expire_all()
    versions = session.exec(select(QuestionVersion).where(QuestionVersion.question_id == bank.n1.id)).all()
    assert len(versions) == 1 and versions[0].stem == "Teks yang diperbaiki."
    assert versions[0].stem_html == "<p>Teks yang diperbaiki.</p>\n"


def test_multiple_response_scoring_with_negative_weights_never_below_zero(session, bank):
    version = session.get(QuestionVersion, bank.h1.current_version_id)
    options = question_bank.version_options(session, version.id)
    by_id = {o.id: o for o in options}
    a, b, c = options  # 50%, 50%, -50%
    assert kinds.score_choice("multi", by_id, [a.id, b.id]) == 1
    assert kinds.score_choice("multi", by_id, [a.id]) == 0.5
    assert kinds.score_choice("multi", by_id, [a.id, c.id]) == 0
    assert kinds.score_choice("multi", by_id, [c.id]) == 0
    assert kinds.score_choice("multi", by_id, [a.id, b.id, c.id]) == 0.5
    assert kinds.score_choice("multi", by_id, []) == 0
    # Through an attempt: only the multiple-response question, answered A + C.
    quiz = factories.make_quiz(session, [(bank.topics[1], 1)], title="Ganda")
    user = factories.make_user(session)
    attempt = attempts.lock(session, attempts.start(session, user, quiz).id)
    attempts.answer(session, attempt, 1, [a.id, c.id], page=False)
    assert attempts.finish(session, user, attempt).score == 0


def test_humas_proposal_is_a_draft_never_drawn_until_activated(client, login_as, session, bank):
    humas = login_as("humas")
    response = client.post("/quiz/kelola/soal/baru", data={
        "topic_id": str(bank.topics[1].id), "kind": "single", "difficulty": "2", "stem": "Usulan soal humas?",
        "options-0-text": "Ya", "options-0-weight": "100", "options-1-text": "Tidak", "options-1-weight": "0",
        "activate": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    session.expire_all()
    proposal = session.exec(select(Question).where(Question.proposed_by_id == humas.id)).one()
    assert proposal.status == "draft"  # humas cannot activate, even when the box is sent
    # Humas edits their own draft but not someone else's question, and cannot change statuses.
    assert client.get(f"/quiz/kelola/soal/{proposal.id}").status_code == 200
    assert client.get(f"/quiz/kelola/soal/{bank.n1.id}").status_code == 403
    assert client.post(f"/quiz/kelola/soal/{proposal.id}/status", data={"status": "active"}).status_code == 403
    for _ in range(5):
        attempt = factories.make_attempt(session, factories.make_user(session), factories.make_quiz(
            session, [(bank.topics[1], 5)]), finish=False)
        drawn = {session.get(QuestionVersion, i.version_id).question_id for i in items_of(session, attempt.id)}
        assert proposal.id not in drawn
    client.post("/logout")
    login_as("admin")
    assert client.post(f"/quiz/kelola/soal/{proposal.id}/status", data={"status": "active"}).status_code == 303
    session.expire_all()
    assert session.get(Question, proposal.id).status == "active"


def test_question_form_rejects_a_single_choice_without_a_right_answer(client, login_as, bank):
    login_as("admin")
    response = client.post("/quiz/kelola/soal/baru", data={
        "topic_id": str(bank.topics[0].id), "kind": "single", "difficulty": "2", "stem": "Tanpa jawaban benar?",
        "options-0-text": "Ya", "options-0-weight": "0", "options-1-text": "Tidak", "options-1-weight": "0"})
    assert response.status_code == 422
    assert "Pilihan tunggal memerlukan satu jawaban benar" in response.get_data(as_text=True)


# --- statistics -----------------------------------------------------------------------------------------------------

def test_statistics_match_a_hand_calculation(session, bank):
    """Four finished attempts over the three questions (fixed order N1, N2, H1) with these credits:

        attempt  N1  N2   H1    total
        a        1   1    1     3
        b        1   0    0.5   1.5
        c        0   1    0     1
        d        0   0    0     0

    N1: facility 0.5; rest of test = (2, 0.5, 1, 0), mean 0.875. Deviations x: (.5, .5, -.5, -.5),
    y: (1.125, -.375, .125, -.875); sxy = 0.75, sxx = 1, syy = 2.1875; r = 0.75 / sqrt(2.1875) = 0.5071.
    """
    quiz = bank.quiz
    plans = [  # per question: option index (in stored order) or list for multi
        {"N1": [0], "N2": [1], "H1": [0, 1]},
        {"N1": [0], "N2": [0], "H1": [0]},
        {"N1": [1], "N2": [1], "H1": [2]},
        {"N1": [2], "N2": [0], "H1": [0, 2]},
    ]
    for plan in plans:
        user = factories.make_user(session)
        attempt = attempts.lock(session, attempts.start(session, user, quiz).id)
        for item in attempts.attempt_items(session, attempt):
            version = session.get(QuestionVersion, item.version_id)
            name = session.get(Question, version.question_id).name
            stored = question_bank.version_options(session, version.id)
            attempts.answer(session, attempt, item.position, [stored[i].id for i in plan[name]], page=False)
        attempts.finish(session, user, attempt)
    stats = {s.question.name: s for s in reports.question_stats(session, quiz, None)}
    n1, n2, h1 = stats["N1"], stats["N2"], stats["H1"]
    assert (n1.n, n2.n, h1.n) == (4, 4, 4)
    assert n1.facility == pytest.approx(0.5)
    assert n2.facility == pytest.approx(0.5)
    assert h1.facility == pytest.approx(0.375)
    assert n1.discrimination == pytest.approx(0.75 / 2.1875 ** 0.5, abs=1e-4)
    # N2: scores 1,0,1,0; rest 2,1.5,0,0 -> mean 0.875; sxy = .5*1.125 -.5*.625 + .5*-.875 -.5*-.875 = 0.25
    assert n2.discrimination == pytest.approx(0.25 / (1 * (1.125**2 + 0.625**2 + 0.875**2 * 2)) ** 0.5, abs=1e-4)
    assert [round(o.share, 2) for o in n1.options] == [0.5, 0.25, 0.25]
    assert [round(o.share, 2) for o in h1.options] == [0.75, 0.25, 0.5]  # multi: shares add up to more than 1
    assert n1.unanswered == 0
    # Section roll-up: N1 links netralitas-politik (2 of 4 wrong), H1 links hoaks-dan-verifikasi (3 of 4 wrong).
    rollup = reports.section_rollup(session, quiz, None)
    assert [(s.slug, s.attempts, s.wrong) for s in rollup] == [("hoaks-dan-verifikasi", 4, 3),
                                                              ("netralitas-politik", 4, 2)]
    assert rollup[0].share_wrong == pytest.approx(0.75)
    assert reports.score_histogram(session, quiz, None) == [1, 0, 0, 1, 0, 1, 0, 0, 0, 1]


def test_the_report_sums_the_answers_in_the_database(app, client, login_as, session, bank):
    """The report's per-question statistics and sections are summed in the database (per version, per distinct
    answer): reading every answer row into Python took 50 s for 200,000 attempts (three million rows)."""
    from sqlalchemy import event

    quiz = bank.quiz
    for right in (0, 1, 2):
        factories.make_attempt(session, factories.make_user(session), quiz, right=right)
    session.commit()
    login_as("admin")
    read = []
    engine = app.extensions["db_engine"]

    def record(_conn, _cursor, sql, *_args):
        if "quiz_attempt_question" in sql and sql.lstrip().upper().startswith(("SELECT", "WITH")):
            read.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/quiz/laporan?kuis={quiz.id}").status_code == 200
        assert client.get(f"/quiz/laporan/soal?kuis={quiz.id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert read, "the report read no answers"
    assert all(" GROUP BY " in sql for sql in read), [sql[:200] for sql in read if " GROUP BY " not in sql]


def test_flags_for_too_hard_too_easy_and_low_discrimination():
    stat = reports.QuestionStat(question=None, version=None, topic=None, n=12, facility=0.2, discrimination=0.1,
                                unanswered=0)
    assert [code for code, _label in stat.flags] == ["hard", "discrimination"]
    stat.facility, stat.discrimination, stat.n = 0.97, 0.5, 12
    assert [code for code, _label in stat.flags] == ["easy"]
    stat.facility, stat.discrimination, stat.n = 0.6, 0.05, 9  # too few answers to judge discrimination
    assert stat.flags == []


# --- reports: scope and exports --------------------------------------------------------------------------------------

@pytest.fixture
def units(session):
    root = factories.make_unit(session, code="ROOT", name="Sekretariat Uji")
    mine = factories.make_unit(session, code="MINE", name="Biro Saya", parent=root)
    child = factories.make_unit(session, code="CHILD", name="Bagian Anak", parent=mine)
    other = factories.make_unit(session, code="OTHER", name="Biro Lain", parent=root)
    return SimpleNamespace(root=root, mine=mine, child=child, other=other)


def test_supervisor_sees_only_their_unit_tree(client, login_as, session, bank, units):
    for unit, right in ((units.mine, 3), (units.child, 1), (units.other, 2)):
        factories.make_attempt(session, factories.make_user(session, unit=unit), bank.quiz, right=right)
    login_as("supervisor", unit=units.mine)
    page = client.get("/quiz/laporan").get_data(as_text=True)
    assert "Biro Saya" in page and "Bagian Anak" in page and "Biro Lain" not in page
    assert client.get(f"/quiz/laporan?unit={units.child.id}").status_code == 200
    assert client.get(f"/quiz/laporan?unit={units.other.id}").status_code == 403
    assert client.get(f"/quiz/laporan/soal?unit={units.other.id}").status_code == 403
    assert client.get(f"/quiz/laporan/unit.csv?unit={units.other.id}").status_code == 403
    attempts_csv = client.get("/quiz/laporan/percobaan.csv").get_data(as_text=True)
    assert attempts_csv.count("\n") == 3  # header and the two attempts in scope
    assert "OTHER" not in attempts_csv
    stats = client.get("/quiz/laporan/soal").get_data(as_text=True)
    assert "N1" in stats and "Kemudahan" in stats


def _main(page):
    """The report page's numbers and tables, without the note on when they were counted."""
    main = page[page.index("<main"):page.index("</main>")]
    return re.sub(r">\s+<", "><", re.sub(r'<form class="counted-note.*?</form>', "", main, flags=re.S))


def test_a_large_report_is_counted_by_the_worker_and_kept_for_its_scope(client, login_as, session, bank, units):
    for unit, right in ((units.mine, 3), (units.child, 1), (units.other, 2), (units.mine, 0)):
        factories.make_attempt(session, factories.make_user(session, unit=unit), bank.quiz, right=right)
    supervisor = login_as("supervisor", unit=units.mine)
    at_once = {path: _main(client.get(path).get_data(as_text=True)) for path in ("/quiz/laporan", "/quiz/laporan/soal")}
    client.application.config["QUIZ_REPORT_JOB_MIN_ATTEMPTS"] = 2  # the supervisor's scope holds three attempts
    offer = client.get("/quiz/laporan").get_data(as_text=True)
    assert "Laporan ini membaca 3 percobaan selesai" in offer and "Hitung laporan" in offer
    assert "Sebaran nilai" not in offer
    job_url = client.post(f"/quiz/laporan/hitung?kuis={bank.quiz.id}").headers["Location"]
    job_page = client.get(job_url).get_data(as_text=True)
    assert "Angka laporan sudah dihitung." in job_page and f"/quiz/laporan?kuis={bank.quiz.id}" in job_page
    assert "Buka laporan" in job_page
    for path, page in at_once.items():
        kept = client.get(path).get_data(as_text=True)
        assert "dihitung di latar belakang pada" in kept and "Hitung ulang" in kept
        assert _main(kept) == page  # the same numbers as counted in the request
    # kept for the same quiz, scope and unit only: the child unit (one attempt) is counted in the request
    child = client.get(f"/quiz/laporan?unit={units.child.id}").get_data(as_text=True)
    assert "Sebaran nilai" in child and "dihitung di latar belakang" not in child
    client.post("/logout")
    login_as("admin")  # every unit: four attempts, another scope
    assert "Laporan ini membaca 4 percobaan selesai" in client.get("/quiz/laporan/soal").get_data(as_text=True)
    # after QUIZ_REPORT_KEEP_MINUTES the kept numbers are not used
    client.post("/logout")
    client.post("/login", data={"username": supervisor.username, "password": factories.PASSWORD})
    session.execute(update(Job).where(Job.kind == report_numbers.JOB_KIND).values(
        finished_at=Job.finished_at - timedelta(minutes=61)))
    session.commit()
    assert "Hitung laporan" in client.get("/quiz/laporan").get_data(as_text=True)


def test_report_numbers_survive_their_json(session, bank, units):
    for unit, right in ((units.mine, 3), (units.child, 1), (units.other, 2)):
        factories.make_attempt(session, factories.make_user(session, unit=unit), bank.quiz, right=right)
    counted = report_numbers.count(session, bank.quiz, None)
    assert counted.versions and counted.answers and sum(counted.histogram) == 3
    again = report_numbers.ReportNumbers.from_json(json.loads(json.dumps(counted.to_json())), None)
    assert again == counted


def test_employee_cannot_open_reports(client, login_as, bank):
    login_as("employee")
    assert client.get("/quiz/laporan").status_code == 403
    assert client.get("/quiz/laporan/unit.xlsx").status_code == 403


def test_csv_and_xlsx_exports_open(client, login_as, session, bank, units):
    sneaky = factories.make_user(session, unit=units.mine, full_name="=HYPERLINK(\"http://x\")")
    factories.make_attempt(session, sneaky, bank.quiz, right=3)
    login_as("admin")
    csv_response = client.get("/quiz/laporan/percobaan.csv")
    assert csv_response.mimetype == "text/csv" and "attachment" in csv_response.headers["Content-Disposition"]
    text = csv_response.data.decode("utf-8")
    assert text.startswith("\ufeffnip;nama;unit_kode")
    assert "'=HYPERLINK" in text  # formula injection neutralised
    for kind in reports.EXPORT_KINDS:
        response = client.get(f"/quiz/laporan/{kind}.xlsx")
        assert response.status_code == 200, kind
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        assert sheet.column_dimensions["A"].width > 8
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/quiz/laporan/percobaan.xlsx").data)).active
    assert [c.value for c in sheet[1]][:4] == ["nip", "nama", "unit_kode", "unit"]
    # Text stays text: no formula, and no apostrophe showing in the cell.
    assert sheet["B2"].value == "=HYPERLINK(\"http://x\")" and sheet["B2"].data_type == "s"
    assert sheet["I2"].value == 100
    units_sheet = openpyxl.load_workbook(io.BytesIO(client.get("/quiz/laporan/unit.xlsx").data)).active
    rows = {row[0]: row for row in units_sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["MINE"][2:5] == (1, 1, 1)
    assert client.get("/quiz/laporan/tidakada.csv").status_code == 404
    # read from more attempts than EXPORT_JOB_MIN_ROWS, the same sheet is prepared by the job worker
    client.application.config["EXPORT_JOB_MIN_ROWS"] = 0
    assert "Siapkan berkas XLSX" in client.get("/quiz/laporan/percobaan.xlsx").get_data(as_text=True)
    job_url = client.post("/quiz/laporan/percobaan.xlsx").headers["Location"]
    file_url = re.search(r'href="(/jobs/\d+/berkas)"', client.get(job_url).get_data(as_text=True)).group(1)
    prepared = openpyxl.load_workbook(io.BytesIO(client.get(file_url).data)).active
    assert list(prepared.iter_rows(values_only=True)) == list(sheet.iter_rows(values_only=True))
    assert client.post("/quiz/laporan/tidakada.csv").status_code == 404


def test_report_page_shows_chart_with_text_alternative(client, login_as, session, bank):
    factories.make_attempt(session, factories.make_user(session), bank.quiz, right=3)
    login_as("admin")
    page = client.get("/quiz/laporan").get_data(as_text=True)
    assert '<svg viewBox=' in page and 'role="img"' in page and "<desc" in page and "Data grafik" in page
    assert "Bagian pedoman yang paling sering terlewat" in page


# --- scenario images -------------------------------------------------------------------------------------------------

def jpeg_with_exif():
    image = Image.new("RGB", (64, 48), "#3366aa")
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x0131] = "LokasiRahasia"  # Software
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload_form(bank, session, image_bytes, filename):
    data = edit_form(session, bank.n1, image_alt="Tiruan unggahan media sosial")
    data["image"] = (io.BytesIO(image_bytes), filename)
    return data


def test_scenario_image_is_cleaned_and_served_with_safe_headers(client, login_as, session, bank):
    raw = jpeg_with_exif()
    assert b"KameraRahasia" in raw
    login_as("admin")
    response = client.post(f"/quiz/kelola/soal/{bank.n1.id}", data=upload_form(bank, session, raw, "post.jpg"),
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    session.expire_all()
    version = session.get(QuestionVersion, session.get(Question, bank.n1.id).current_version_id)
    assert version.image.endswith(".jpg") and version.image_alt == "Tiruan unggahan media sosial"
    client.post("/logout")
    login_as("employee")
    served = client.get(f"/quiz/gambar/{version.image}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert b"KameraRahasia" not in served.data and b"LokasiRahasia" not in served.data
    assert not Image.open(io.BytesIO(served.data)).getexif()
    assert client.get("/quiz/gambar/" + "0" * 64 + ".jpg").status_code == 404
    assert client.get("/quiz/gambar/..%2Fsecret_key").status_code == 404


@pytest.mark.parametrize("case", ["renamed", "oversized", "bomb"])
def test_bad_uploads_are_refused_with_a_clear_message(client, login_as, session, bank, case):
    if case == "renamed":
        raw, name, message = b"%PDF-1.4 bukan gambar", "foto.png", "bukan gambar yang valid"
    elif case == "oversized":
        raw, name, message = b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10), "besar.jpg", "paling besar 5 MB"
    else:
        buffer = io.BytesIO()
        Image.new("1", (20000, 20000)).save(buffer, "PNG")  # 400 megapixels in a few kilobytes
        raw, name, message = buffer.getvalue(), "bom.png", "terlalu besar"
    login_as("admin")
    response = client.post(f"/quiz/kelola/soal/{bank.n1.id}", data=upload_form(bank, session, raw, name),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(QuestionVersion, bank.n1.current_version_id).image is None


# --- certificate and dashboard --------------------------------------------------------------------------------------

def test_pass_issues_a_certificate_with_qr_and_verification_code(client, login_as, session, bank):
    user = login_as("employee", full_name="Ratna Sari")
    attempt = factories.make_attempt(session, user, bank.quiz, right=3)
    cert = session.exec(select(Certificate).where(Certificate.ref_id == attempt.id)).one()
    assert cert.kind == "quiz" and cert.holder_name == "Ratna Sari" and cert.title == "Kuis Uji"
    assert cert.valid_until is not None and (cert.valid_until - attempt.finished_at).days >= 364
    page = client.get(f"/quiz/sertifikat/{attempt.id}").get_data(as_text=True)
    assert "Ratna Sari" in page and f"/verify/{cert.code}/qr.svg" in page
    assert f"http://localhost/verify/{cert.code}" in page
    assert "certificate-print.css" in page and "<script>" not in page
    failed = factories.make_attempt(session, user, factories.make_quiz(session, [(bank.topics[0], 1)]), right=0)
    assert client.get(f"/quiz/sertifikat/{failed.id}").status_code == 404


def test_dashboard_card_says_what_to_do_next(client, login_as, session, bank):
    user = login_as("employee")
    page = client.get("/").get_data(as_text=True)
    assert "Kerjakan kuis" in page
    attempt = factories.make_attempt(session, user, bank.quiz, right=3)
    page = client.get("/").get_data(as_text=True)
    assert "Kuis Uji: lulus" in page and "berlaku sampai" in page
    attempt = session.get(Attempt, attempt.id)
    attempt.valid_until = utcnow() + timedelta(days=10, hours=2)
    session.add(attempt)
    session.commit()
    assert "Sertifikat Anda kedaluwarsa dalam 10 hari, ulangi kuis" in client.get("/").get_data(as_text=True)
    attempt.valid_until = utcnow() - timedelta(days=1)
    session.add(attempt)
    session.commit()
    assert "sudah kedaluwarsa" in client.get("/").get_data(as_text=True)


# --- many employees at once ------------------------------------------------------------------------------------------

def test_fifty_employees_answering_at_once_lose_nothing_and_count_nothing_twice(app, session, bank):
    employees = [factories.make_user(session) for _ in range(50)]
    quiz = bank.quiz
    quiz_id = quiz.id
    started = {}
    for user in employees:
        attempt = attempts.start(session, user, quiz)
        started[user.id] = (SimpleNamespace(id=attempt.id), attempts.attempt_items(session, attempt))
    session.commit()
    plans = {user.id: [(item.position, right_ids(session, item)) for item in started[user.id][1]]
             for user in employees}
    logins = {user.id: user.username for user in employees}
    employees = [SimpleNamespace(id=user.id, username=logins[user.id]) for user in employees]
    session.rollback()
    session.close()
    clients = {}
    for user in employees:
        c = app.test_client()
        assert c.post("/login", data={"username": user.username, "password": factories.PASSWORD}).status_code == 302
        clients[user.id] = c
    barrier = threading.Barrier(len(employees))
    errors = []

    def work(user):
        try:
            c, (attempt, _items) = clients[user.id], started[user.id]
            barrier.wait()
            for position, ids in plans[user.id]:
                for _ in range(2):  # every answer sent twice (a double click)
                    status = answer(c, attempt, position, ids, headers=HX).status_code
                    assert status == 200, status
            assert c.post(f"/quiz/percobaan/{attempt.id}/selesai").status_code == 303
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(user,)) for user in employees]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    with Session(app.extensions["db_engine"]) as check:
        rows = check.exec(select(Attempt).where(Attempt.quiz_id == quiz_id)).all()
        assert len(rows) == 50 and all(a.finished_at and a.score == 100 for a in rows)
        answered = check.exec(select(AttemptQuestion).where(AttemptQuestion.answered_at.is_not(None))).all()
        assert len(answered) == 150
        assert len(check.exec(select(Certificate)).all()) == 50


def test_quiz_models_are_registered(app):
    assert Quiz.__tablename__ == "quiz" and User.__tablename__ == "user"


# --- short answer, numerical, matching and essay questions -----------------------------------------------------------

@pytest.fixture
def typed(session):
    """One question of each typed kind in a fixed order (short answer, numerical, matching, essay), a description
    (never drawn) and an immediate-feedback quiz drawing them all."""
    topic = factories.make_topic(session, "Jenis Lain")
    short = factories.make_question(session, topic, kind="shortanswer", name="T1",
                                    stem="Apa singkatan dari Aparatur Sipil Negara?")
    number = factories.make_question(session, topic, kind="numerical", name="T2",
                                     stem="Pada tahun berapa UU ITE pertama kali diundangkan?")
    matching = factories.make_question(session, topic, kind="matching", name="T3", stem="Pasangkan istilahnya.",
                                       options=[("Hoaks", 0, "", "kabar bohong"),
                                                ("Doxing", 0, "", "menyebar data pribadi"),
                                                ("Swafoto", 0, "", "foto diri"), ("", 0, "", "iklan berbayar")])
    essay = factories.make_question(session, topic, kind="essay", name="T4", stem="Ceritakan pengalaman Anda.",
                                    explanation="Tetap tenang, lalu laporkan akunnya.")
    factories.make_question(session, topic, kind="description", name="T0", stem="Bacalah bab 4 dahulu.")
    quiz = factories.make_quiz(session, [(topic, 10)], title="Kuis Jenis")
    return SimpleNamespace(topic=topic, short=short, number=number, matching=matching, essay=essay, quiz=quiz)


def send(client, attempt_id, position, headers=None, **data):
    return client.post(f"/quiz/percobaan/{attempt_id}/soal/{position}", data=data, headers=headers or {})


def partner_ids(session, item):
    """{partner text: offered partner option id} of a drawn matching question."""
    from portal.quiz import kinds as kind_rules

    options = {o.id: o for o in session.exec(select(QuestionOption)
                                             .where(QuestionOption.version_id == item.version_id)).all()}
    return {options[i].match_text: i for i in kind_rules.ids(item.match_order)}


def item_ids(session, item):
    """{item text: option id} of a drawn matching question."""
    return {o.text: o.id for o in options_of(session, item)}


def test_typed_kinds_are_answered_and_scored_through_htmx(client, login_as, session, typed):
    user = login_as("employee")
    assert "4 soal" in client.get("/quiz/").get_data(as_text=True)  # the description is never drawn
    start(client, typed.quiz, headers=HX)
    attempt = latest_attempt(session, user)
    items = items_of(session, attempt.id)
    assert [session.get(QuestionVersion, i.version_id).kind for i in items] == [
        "shortanswer", "numerical", "matching", "essay"]

    page = client.get(f"/quiz/percobaan/{attempt.id}", headers=HX).get_data(as_text=True)
    assert '<label for="response">Jawaban Anda</label>' in page and 'name="response"' in page
    body = send(client, attempt.id, 1, HX, response="  asn ").get_data(as_text=True)  # case and spacing ignored
    assert "Benar!" in body and "Tepat." in body and "Jawaban yang diterima" in body and "asn" in body

    page = client.get(f"/quiz/percobaan/{attempt.id}", headers=HX).get_data(as_text=True)
    assert 'inputmode="decimal"' in page
    body = send(client, attempt.id, 2, HX, response="2007").get_data(as_text=True)  # within 2008 ± 1: half
    assert "Sebagian benar (50%)" in body and "Hampir." in body and "2008 ± 1" in body

    page = client.get(f"/quiz/percobaan/{attempt.id}", headers=HX).get_data(as_text=True)
    ids, partners = item_ids(session, items[2]), partner_ids(session, items[2])
    assert page.count("<select ") == 3 and f'aria-labelledby="match-label-{ids["Hoaks"]}"' in page
    assert "iklan berbayar" in page  # the distractor is offered too
    body = send(client, attempt.id, 3, HX, **{
        f"match-{ids['Hoaks']}": partners["kabar bohong"], f"match-{ids['Doxing']}": partners["menyebar data pribadi"],
        f"match-{ids['Swafoto']}": partners["iklan berbayar"]}).get_data(as_text=True)
    assert "Sebagian benar (67%)" in body and "Pasangan yang benar" in body

    page = client.get(f"/quiz/percobaan/{attempt.id}", headers=HX).get_data(as_text=True)
    assert "<textarea" in page
    body = send(client, attempt.id, 4, HX, response="Saya abaikan,\nlalu laporkan.").get_data(as_text=True)
    assert "Jawaban tersimpan" in body and "Contoh jawaban" in body and "Tetap tenang" in body
    assert "Selesai dan lihat hasil" in body

    client.post(f"/quiz/percobaan/{attempt.id}/selesai")
    finished = latest_attempt(session, user)
    assert finished.score == pytest.approx(100 * (1 + 0.5 + 2 / 3) / 3, abs=0.01)  # the essay does not count
    stored = items_of(session, attempt.id)
    assert [i.score for i in stored][:3] == [1.0, 0.5, pytest.approx(2 / 3)] and stored[3].score is None
    assert stored[0].response == "asn" and stored[3].response == "Saya abaikan,\nlalu laporkan."
    result = client.get(f"/quiz/percobaan/{attempt.id}/hasil").get_data(as_text=True)
    assert "72,2" in result and "tidak dinilai" in result and "Contoh jawaban" in result


def test_typed_kinds_without_javascript_explain_bad_answers(client, login_as, session, typed):
    user = login_as("employee")
    start(client, typed.quiz)
    attempt = latest_attempt(session, user)
    items = items_of(session, attempt.id)

    empty = send(client, attempt.id, 1, response="   ")
    assert empty.status_code == 422 and "Tulis jawaban Anda terlebih dahulu." in empty.get_data(as_text=True)
    assert 'aria-invalid="true"' in empty.get_data(as_text=True)
    posted = send(client, attempt.id, 1, response="Aparatur Sipil Negara")  # the wildcard answer, half credit
    assert posted.status_code == 303 and posted.headers["Location"] == f"/quiz/percobaan/{attempt.id}?no=1"
    assert "Sebagian benar (50%)" in client.get(posted.headers["Location"]).get_data(as_text=True)

    words = send(client, attempt.id, 2, response="dua ribu delapan")
    assert words.status_code == 422 and "Tulis jawaban berupa angka" in words.get_data(as_text=True)
    assert send(client, attempt.id, 2, response="2.008,0").status_code == 303  # Indonesian thousands and comma
    assert "Benar!" in client.get(f"/quiz/percobaan/{attempt.id}?no=2").get_data(as_text=True)

    ids, partners = item_ids(session, items[2]), partner_ids(session, items[2])
    missing = send(client, attempt.id, 3, **{f"match-{ids['Hoaks']}": partners["kabar bohong"]})
    assert missing.status_code == 422 and "Pilih pasangan untuk setiap pernyataan." in missing.get_data(as_text=True)
    foreign = send(client, attempt.id, 3, **{f"match-{i}": 99999 for i in ids.values() if i})
    assert foreign.status_code == 422 and "Pasangan jawaban tidak dikenal." in foreign.get_data(as_text=True)
    assert items_of(session, attempt.id)[2].answered_at is None
    right = {f"match-{ids[text]}": partners[partner] for text, partner in (
        ("Hoaks", "kabar bohong"), ("Doxing", "menyebar data pribadi"), ("Swafoto", "foto diri"))}
    assert send(client, attempt.id, 3, **right).status_code == 303
    assert send(client, attempt.id, 4, response="x" * 5001).status_code == 422
    assert send(client, attempt.id, 4, response="Jawaban saya.").status_code == 303
    client.post(f"/quiz/percobaan/{attempt.id}/selesai")
    assert latest_attempt(session, user).score == pytest.approx(100 * 2.5 / 3, abs=0.01)


def test_typed_answers_can_be_changed_until_submitted_in_exam_mode(client, login_as, session, typed):
    quiz = factories.make_quiz(session, [(typed.topic, 10)], title="Ujian Jenis", feedback_mode="deferred")
    user = login_as("employee")
    start(client, quiz)
    attempt = latest_attempt(session, user)
    items = items_of(session, attempt.id)
    body = send(client, attempt.id, 1, HX, response="ASN").get_data(as_text=True)
    assert "Jawaban soal 1 tersimpan." in body and "Soal 2 dari 4" in body and "Tepat." not in body
    ids, partners = item_ids(session, items[2]), partner_ids(session, items[2])
    send(client, attempt.id, 3, **{f"match-{i}": partners["iklan berbayar"] for text, i in ids.items() if text})
    page = client.get(f"/quiz/percobaan/{attempt.id}?no=1").get_data(as_text=True)
    assert 'value="ASN"' in page and "Jawaban yang diterima" not in page
    page = client.get(f"/quiz/percobaan/{attempt.id}?no=3").get_data(as_text=True)
    assert page.count(f'<option value="{partners["iklan berbayar"]}" selected>') == 3
    send(client, attempt.id, 1, response="PNS")
    assert items_of(session, attempt.id)[0].response == "PNS"


def test_kind_rules_read_numbers_and_patterns_as_people_write_them():
    from portal.quiz import kinds as rules

    assert [rules.parse_number(t) for t in ("3.5", "3,5", "-2", " 1 822 ", "1.234,5", "1,234.5", "tiga", "")] == [
        3.5, 3.5, -2, 1822, 1234.5, 1234.5, None, None]
    assert rules.numeric_range("3:0.5") == (2.5, 3.5) and rules.numeric_range("1..5") == (1, 5)
    assert rules.numeric_range("5..1") is None and rules.numeric_range("3:-1") is None
    assert [rules.numeric_text(s) for s in ("3:0.5", "1..5", "2008:0", "0.7")] == ["3 ± 0,5", "1–5", "2008", "0,7"]
    option = SimpleNamespace
    accepted = [option(id=1, text="Jakarta", fraction=1.0), option(id=2, text="DKI*", fraction=0.5),
                option(id=3, text="2\\*2", fraction=0.25)]
    assert rules.matching_answer("shortanswer", accepted, "  jakarta ").id == 1
    assert rules.matching_answer("shortanswer", accepted, "DKI Jakarta").id == 2  # the wildcard, 50%
    assert rules.matching_answer("shortanswer", accepted, "2*2").id == 3
    assert rules.matching_answer("shortanswer", accepted, "2x2") is None
    ranges = [option(id=1, text="2008:0", fraction=1.0), option(id=2, text="2007..2009", fraction=0.5)]
    assert rules.matching_answer("numerical", ranges, "2008").id == 1
    assert rules.matching_answer("numerical", ranges, "2009").id == 2
    assert rules.matching_answer("numerical", ranges, "2010") is None
    pairs = [option(id=1, text="A", match_text="x"), option(id=2, text="B", match_text="x"),
             option(id=3, text="C", match_text="y"), option(id=4, text="", match_text="z")]
    assert rules.score_matching(pairs, {1: 2, 2: 1, 3: 4}) == pytest.approx(2 / 3)  # a shared partner counts
    assert rules.score("essay", [], response="apa saja").value is None


def test_reports_count_typed_answers_and_leave_essays_out(session, typed):
    for right in (4, 0, 4):
        factories.make_attempt(session, factories.make_user(session), typed.quiz, right=right)
    stats = {s.question.name: s for s in reports.question_stats(session, typed.quiz, None)}
    assert set(stats) == {"T1", "T2", "T3"}
    assert stats["T1"].facility == pytest.approx(2 / 3)
    assert [round(o.share, 2) for o in stats["T1"].options] == [0.67, 0.0]  # "ASN" matched twice
    assert stats["T3"].options == [] and stats["T1"].unanswered == 0


def test_the_editor_writes_every_kind(client, login_as, session, typed):
    login_as("admin")

    def post(**fields):
        data = {"topic_id": typed.topic.id, "difficulty": 2, "text_format": "markdown", "explanation": "",
                "stem": "Teks soal uji?", **fields}
        return client.post("/quiz/kelola/soal/baru", data=data)

    numeric = post(kind="numerical", name="Angka", **{"options-0-text": "3,5 : 0,5", "options-0-weight": "100",
                                                      "options-1-text": "1..10", "options-1-weight": "33.33333"})
    assert numeric.status_code == 303, numeric.get_data(as_text=True)[:3000]
    question = session.exec(select(Question).where(Question.name == "Angka")).one()
    stored = question_bank.version_options(session, question.current_version_id)
    assert [(o.text, o.fraction) for o in stored] == [("3.5:0.5", 1.0), ("1..10", 0.3333333)]
    bad = post(kind="numerical", name="Rusak", **{"options-0-text": "tiga", "options-0-weight": "100"})
    assert bad.status_code == 422 and "bukan jawaban numerik" in bad.get_data(as_text=True)

    matching = post(kind="matching", name="Jodoh", **{
        "options-0-text": "Hoaks", "options-0-match_text": "kabar bohong", "options-1-text": "Doxing",
        "options-1-match_text": "menyebar data", "options-2-match_text": "pengecoh"})
    assert matching.status_code == 303
    question = session.exec(select(Question).where(Question.name == "Jodoh")).one()
    assert [(o.text, o.match_text) for o in question_bank.version_options(session, question.current_version_id)] \
        == [("Hoaks", "kabar bohong"), ("Doxing", "menyebar data"), ("", "pengecoh")]

    essay = post(kind="essay", name="Esai", explanation="Contoh jawaban uji.", **{"options-0-text": "diabaikan"})
    assert essay.status_code == 303
    html = post(kind="single", name="Html", text_format="html", stem='<p><b>Tebal</b><script>x()</script></p>',
                **{"options-0-text": "<i>Ya</i>", "options-0-weight": "100", "options-1-text": "Tidak"})
    assert html.status_code == 303
    question = session.exec(select(Question).where(Question.name == "Html")).one()
    version = session.get(QuestionVersion, question.current_version_id)
    assert version.stem == "<p><b>Tebal</b></p>" and version.text_format == "html"

    # Opening and saving an HTML question unchanged keeps its format and makes no new version.
    page = client.get(f"/quiz/kelola/soal/{question.id}").get_data(as_text=True)
    assert '<option selected value="html">' in page or '<option value="html" selected>' in page
    unchanged = client.post(f"/quiz/kelola/soal/{question.id}", data={
        "topic_id": typed.topic.id, "difficulty": 2, "text_format": "html", "kind": "single", "name": "Html",
        "stem": version.stem, "explanation": "", "options-0-text": "<i>Ya</i>", "options-0-weight": "100",
        "options-1-text": "Tidak", "options-1-weight": "0"})
    assert unchanged.status_code == 303
    assert "Tidak ada perubahan." in client.get(unchanged.headers["Location"]).get_data(as_text=True)


def test_question_preview_shows_every_kind(client, login_as, session, typed):
    login_as("admin")
    for question, shown in ((typed.short, "aparatur*"), (typed.number, "2008 ± 1"), (typed.matching, "(pengecoh)"),
                            (typed.essay, "contoh jawaban")):
        page = client.get(f"/quiz/kelola/soal/{question.id}/pratinjau").get_data(as_text=True)
        assert shown in page, question.name


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_migration_keeps_old_questions_and_attempts_valid(empty_database_url):
    """A bank and an answered attempt made before the GIFT kinds existed still read the same afterwards."""
    from sqlalchemy import text

    from portal import migrate
    from portal.db import make_engine

    engine = make_engine(empty_database_url)
    try:
        migrate.upgrade(engine, "0006")
        now = "2026-01-05 03:00:00"
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO unit (id, code, name, path, created_at) "
                              "VALUES (1, 'U', 'Unit', '/1/', :now)"), {"now": now})
            conn.execute(text("INSERT INTO \"user\" (id, username, full_name, unit_id, password_hash, active, "
                              "preferred_language, auth_version, created_at) VALUES (1, 'u', 'U', 1, 'x', true, "
                              "'id', 0, :now)"), {"now": now})
            conn.execute(text("INSERT INTO quiz_topic (id, name, description, position, created_at) "
                              "VALUES (1, 'Lama', '', 1, :now)"), {"now": now})
            conn.execute(text("INSERT INTO quiz_question (id, topic_id, name, kind, difficulty, status, "
                              "current_version_id, created_at, updated_at) VALUES (1, 1, 'Q', 'single', 2, 'active', "
                              "1, :now, :now)"), {"now": now})
            conn.execute(text("INSERT INTO quiz_question_version (id, question_id, number, kind, stem, stem_html, "
                              "explanation, explanation_html, image_alt, created_at) VALUES (1, 1, 1, 'single', "
                              "'**Soal**', '<p><strong>Soal</strong></p>', '', '', '', :now)"), {"now": now})
            conn.execute(text("INSERT INTO quiz_option (id, version_id, position, text, text_html, fraction, feedback) "
                              "VALUES (1, 1, 0, 'Ya', 'Ya', 1.0, 'Baris satu\nbaris <dua>'), "
                              "(2, 1, 1, 'Tidak', 'Tidak', 0.0, '')"))
            conn.execute(text("INSERT INTO quiz (id, title, description, shuffle_questions, shuffle_options, "
                              "pass_mark, cooldown_hours, feedback_mode, certificate, active, position, created_at) "
                              "VALUES (1, 'Kuis', '', false, false, 70, 0, 'immediate', false, true, 1, :now)"),
                         {"now": now})
            conn.execute(text("INSERT INTO quiz_topic_rule (quiz_id, topic_id, count) VALUES (1, 1, 1)"))
            conn.execute(text("INSERT INTO quiz_attempt (id, quiz_id, user_id, number, feedback_mode, pass_mark, "
                              "started_at, finished_at, score, passed) VALUES (1, 1, 1, 1, 'immediate', 70, :now, "
                              ":now, 100, true)"), {"now": now})
            conn.execute(text("INSERT INTO quiz_attempt_question (id, attempt_id, position, version_id, topic_id, "
                              "option_order, chosen, answered_at, score) VALUES (1, 1, 1, 1, 1, '1,2', '1', :now, 1)"),
                         {"now": now})
        migrate.upgrade(engine)
        with Session(engine) as session:
            version = session.get(QuestionVersion, 1)
            assert version.text_format == "markdown" and version.stem == "**Soal**"
            option = session.get(QuestionOption, 1)
            assert option.feedback_html == "Baris satu<br>\nbaris &lt;dua&gt;" and option.match_text == ""
            item = session.get(AttemptQuestion, 1)
            assert item.response is None and item.match_order is None and item.chosen == "1"
            shown = attempts.shown_questions(session, [item], links=False)[0]
            assert shown.credit == 1.0 and shown.final_verdict == "right"
            question = session.get(Question, 1)
            assert question.id_number == "" and question.tags == ""
            # Rebuilding the topic table (SQLite) kept what points at topics, and topics are nested now.
            assert session.exec(select(QuizTopicRule)).all() == [QuizTopicRule(quiz_id=1, topic_id=1, count=1)]
            session.add(QuizTopic(id=2, name="Anak", parent_id=1))  # ids given: the rows above set no sequence
            session.add(QuizTopic(id=3, name="Anak"))  # the same name elsewhere in the tree
            session.commit()
    finally:
        engine.dispose()
