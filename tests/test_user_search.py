"""Admin user search: substring search over name, username, NIP and e-mail through an index, never a table scan."""

import pytest
from sqlalchemy import text
from sqlmodel import select

from portal.accounts import user_search
from portal.accounts.user_search import _matching_user_ids
from portal.models import User
from tests import factories
from tests.statements import recorded


@pytest.fixture
def people(session):
    unit = factories.make_unit(session)
    rows = [("Ratna Sari Dewi", "ratna.sari", factories.valid_nip(11), "ratna@kementerian.go.id"),
            ("Budi Santoso", "budi", factories.valid_nip(12), "budi.s@kementerian.go.id"),
            ("Siti 100% \"Aman\"", "siti_aman", None, None),
            ("Raden Ajeng", "r.ajeng", None, "ajeng@contoh.id")]
    users = [factories.make_user(session, full_name=name, username=username, nip=nip, email=email, unit=unit)
             for name, username, nip, email in rows]
    return {u.username: u for u in users}


def found(session, q):
    users, total = user_search.search_users(session, q)
    assert total == len(users)
    return {u.username for u in users}



def test_substrings_of_every_field(session, people):
    assert found(session, "sari d") == {"ratna.sari"}  # inside the name
    assert found(session, "SANTOSO") == {"budi"}  # any case
    assert found(session, factories.valid_nip(12)[10:]) == {"budi"}  # part of a NIP
    assert found(session, "contoh.id") == {"r.ajeng"}  # part of an e-mail
    assert found(session, "ra") == {"ratna.sari", "r.ajeng"}  # short: the start of a name or username
    assert found(session, "zzz") == set()


@pytest.mark.parametrize("q", ['100% "aman"', '"', "%", "_", "a*", "NEAR(", "\\", "' OR 1=1 --"])
def test_special_characters_are_just_text(session, people, q):
    result = found(session, q)  # no error, and the characters are matched literally
    if q == '100% "aman"':
        assert result == {"siti_aman"}
    else:
        assert result == set()


def test_the_index_follows_renames(session, people):
    user = people["budi"]
    user.full_name = "Budiman Wicaksono"
    session.add(user)
    session.commit()
    assert found(session, "wicaks") == {"budi"} and found(session, "santoso") == set()


def test_the_search_reads_an_index_not_the_table(session, people):
    dialect = session.get_bind().dialect.name
    for q in ("ratna", "ra"):
        statement = select(User.id).where(User.id.in_(_matching_user_ids(session, q)))
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if dialect == "sqlite":
            plan = " | ".join(row[3] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all())
            assert "SCAN user" not in plan.replace("SCAN user USING COVERING INDEX", ""), plan
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " | ".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")).all())
            assert 'Seq Scan on "user"' not in plan and "Seq Scan on user" not in plan, plan
            session.rollback()


def test_a_broad_search_walks_the_name_index_and_answers_as_a_narrow_one(session, monkeypatch):
    """Beyond BROAD_MATCH matches (SQLite) the page is read in name order through the index instead of sorting
    every match; the people, their order, the total and the pages must be the same either way, filters included."""
    unit, other = factories.make_unit(session), factories.make_unit(session)
    names = ["Wati", "Agus", "Yusuf", "Bambang", "Citra", "Agus", "Dewi", "Eko", "Fajar", "Gita", "Hadi", "Indah"]
    for n, name in enumerate(names):
        factories.make_user(session, full_name=f"{name} Kementerian", username=f"orang{n}",
                            unit=unit if n % 3 else other, roles=("supervisor",) if n % 4 == 0 else ())
    session.commit()
    searches = [dict(q="kementerian"), dict(q="kementerian", page=2, per_page=5), dict(q="ment", unit_id=other.id),
                dict(q="kementerian", role="supervisor"), dict(q="kementerian", active=True), dict(q="agus")]
    with recorded(session.get_bind()) as statements:
        monkeypatch.setattr(user_search, "BROAD_MATCH", 10**9)
        narrow = [user_search.search_users(session, **s) for s in searches]
        monkeypatch.setattr(user_search, "BROAD_MATCH", 1)
        statements.clear()
        broad = [user_search.search_users(session, **s) for s in searches]
    for search_, (n_users, n_total), (b_users, b_total) in zip(searches, narrow, broad, strict=True):
        assert [u.id for u in b_users] == [u.id for u in n_users] and b_total == n_total, search_
    assert [u.full_name for u in narrow[0][0]][:3] == ["Agus Kementerian", "Agus Kementerian", "Bambang Kementerian"]
    assert narrow[0][1] == 12 and len(narrow[1][0]) == 5
    if session.get_bind().dialect.name == "sqlite":
        page_query, parameters = next(s for s in statements if "ORDER BY" in s[0] and "LIMIT" in s[0]
                                      and "WITH matched" not in s[0])  # (that one counts the match first)
        assert "LIKE" in page_query and "fts_user" not in page_query, page_query  # each person checked on the row
        plan = " | ".join(row[3] for row in session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + page_query, parameters).all())
        assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan  # read in name order, never sorted


def test_a_narrow_search_sorts_its_matches_from_the_names_index(session, people):
    """SQLite: a narrow text search (no other filter) sorts its matches' names from the (id, full_name) index, not
    their whole rows, and the page is the same as sorting the rows."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the SQLite FTS5 path; PostgreSQL sorts its trigram matches (tested below)")
    with recorded(session.get_bind()) as statements:
        users, total = user_search.search_users(session, "kementerian", per_page=1, page=2)
    expected = session.exec(select(User).where(User.email.like("%kementerian%")).order_by(User.full_name, User.id)
                            ).all()
    assert total == 2 and [u.id for u in users] == [expected[1].id]
    page_query, parameters = next(s for s in statements if "INDEXED BY" in s[0])
    plan = " | ".join(row[3] for row in session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + page_query, parameters).all())
    assert "COVERING INDEX ix_user_id_full_name" in plan, plan


def test_a_broad_text_search_counts_up_to_the_cap_and_says_more_than(session, client, login_as, people, monkeypatch):
    """Counting every match of a query that fits every e-mail address costs more than the page: at most
    COUNT_CAP + 1 are counted, and the page says "more than" and asks for a narrower search."""
    monkeypatch.setattr(user_search, "COUNT_CAP", 2)
    users, total = user_search.search_users(session, "kementerian")
    assert total == 2 and len(users) == 2  # two e-mail addresses: exactly the cap, still exact
    factories.make_user(session, full_name="Kartika", username="kartika", email="kartika@kementerian.go.id")
    users, total = user_search.search_users(session, "kementerian", per_page=1)
    assert total == 3 and len(users) == 1  # capped: COUNT_CAP + 1
    assert user_search.search_users(session, "kementerian", unit_id=people["budi"].unit_id)[1] == 2
    assert user_search.search_users(session)[1] == len(session.exec(select(User)).all())  # no text: exact
    login_as("admin")
    html = client.get("/admin/users?q=kementerian").get_data(as_text=True)
    assert "Lebih dari 2 pengguna ditemukan" in html and "Persempit pencarian" in html
    html = client.get("/admin/users?q=ratna").get_data(as_text=True)
    assert "1 pengguna ditemukan" in html and "Lebih dari" not in html


def test_the_unit_filter_follows_every_unit_change_at_once(session, client, login_as, people):
    """The unit choices are kept per process until a unit write moves the units' generation; a unit added behind
    the user_search' back (the count and highest id are in the key) shows too."""
    from portal.accounts.services import update_unit

    admin = login_as("admin")
    unit = people["budi"].unit
    assert f'<option value="{unit.id}">{unit.name} ({unit.code})</option>' in client.get("/admin/users").text
    update_unit(session, admin, unit, unit.code, "Biro <Baru> & Lama")
    session.commit()
    html = client.get(f"/admin/users?unit={unit.id}").text
    assert f'<option value="{unit.id}" selected>Biro &lt;Baru&gt; &amp; Lama ({unit.code})</option>' in html
    added = factories.make_unit(session, name="Unit Tambahan")
    assert f'<option value="{added.id}">Unit Tambahan' in client.get("/admin/users").text


def test_a_broad_search_for_letters_beyond_ascii_matches_as_the_index_does(session, monkeypatch):
    """The row check folds only ASCII case (SQLite's LIKE); a text with other letters keeps the index's match, which
    folds theirs too: "élise" finds "Élise" in a broad search as in a narrow one."""
    for n in range(3):
        factories.make_user(session, full_name=f"Élise Pratama {n}", username=f"elise{n}")
    session.commit()
    monkeypatch.setattr(user_search, "BROAD_MATCH", 1)
    users, total = user_search.search_users(session, q="élise")
    assert total == 3 and [u.full_name for u in users] == [f"Élise Pratama {n}" for n in range(3)]


def test_a_narrow_search_on_postgresql_sorts_its_matches_without_walking_the_name_index(session, people):
    """PostgreSQL's planner expects a text search's matches spread evenly along the (full_name, id) index and would
    walk it to the page: "rina" (1,026 people whose names sit together far along it) read 37,779 rows, 100 ms. A
    narrow search (up to BROAD_MATCH matches) is filtered on the row through the trigram index and sorted."""
    if session.get_bind().dialect.name == "sqlite":
        pytest.skip("PostgreSQL's plan (SQLite's is checked in the test above)")
    with recorded(session.get_bind()) as statements:
        users, total = user_search.search_users(session, "kementerian")
    assert {u.username for u in users} == {"ratna.sari", "budi"} and total == 2
    page_query, parameters = next(s for s in statements if "ORDER BY" in s[0] and "LIMIT" in s[0])
    assert '"user".id IN' not in page_query, page_query  # the match on the row, not the table joined to itself
    connection = session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: ask what the planner CAN do
    plan = " | ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + page_query, parameters).all())
    assert "ix_user_full_name_id" not in plan and "Sort" in plan, plan


def test_a_narrow_search_runs_its_match_once(session, people):
    """A text search of 3+ characters counts and cuts its page in one statement, and lists the page by its ids: the
    match (SQLite's trigram posting lists, PostgreSQL's recheck of every candidate row) is the statement's cost."""
    with recorded(session.get_bind()) as statements:
        users, total = user_search.search_users(session, "kementerian")
    assert {u.username for u in users} == {"ratna.sari", "budi"} and total == 2
    match = "fts_user MATCH" if session.get_bind().dialect.name == "sqlite" else "fts_search_text LIKE"
    assert sum(match in sql for sql, _parameters in statements) == 1, statements
