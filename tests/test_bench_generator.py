"""The benchmark's data generator (small size): every pillar gets rows, ids stay consistent, the portal reads them."""

import pytest
from sqlalchemy import create_engine, func, select

from bench.generate import BENCH_QUIZ, ROSTER_PARTICIPANTS, SMALL, generate
from portal.demo.people import STAFF_COUNT
from portal.models import Attempt, Quiz, ToolkitItem, Unit, User, Workshop, WorkshopParticipant


@pytest.fixture
def database_url(tmp_path):
    import os

    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'bench.db'}"


def test_small_generation_fills_every_pillar(tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the generator's PostgreSQL path is exercised by `make bench`")
    facts = generate(database_url, SMALL, tmp_path / "instance", progress=lambda message: None)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        def count(model, *where):
            return connection.execute(select(func.count()).select_from(model).where(*where)).scalar()

        assert count(User) >= SMALL.users
        assert count(Unit) >= SMALL.units
        assert count(ToolkitItem) >= SMALL.toolkit
        assert count(Attempt) >= SMALL.attempts
        assert count(Workshop) >= SMALL.workshops
        assert count(WorkshopParticipant, WorkshopParticipant.workshop_id == facts["roster_workshop_id"]) \
            == min(ROSTER_PARTICIPANTS, count(User, User.active, User.nip.is_not(None)) - STAFF_COUNT)
        assert connection.execute(select(Quiz.id).where(Quiz.title == BENCH_QUIZ)).scalar() == facts["quiz_id"]
        # generated employees can be found through the user search index (the triggers saw the bulk insert)
        hits = connection.exec_driver_sql("SELECT count(*) FROM fts_user WHERE fts_user MATCH ?",
                                          (f'"{facts["employees"][0]}"',)).scalar()
        assert hits == 1
    engine.dispose()
    assert len(facts["employees"]) >= 64
