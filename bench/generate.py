"""Benchmark data for every pillar, on top of the demo content, inserted in bulk.

    python bench/generate.py --database-url sqlite:////path/bench.db [--small]

Full size: 300 extra units, 50,000 employees (85% of them have acknowledged the handbook), 500 handbook sections
(published), 100,000 toolkit items, 200,000 finished quiz attempts (with their drawn questions), 2,000 workshops
(sessions, participants, attendance). `--small` makes a few hundred of each, for the test. Every generated employee
has the demo password, so the load tool can sign in as any of them. Progress goes to stdout.
"""

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import DateTime, func, insert, text
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import create_app, db  # noqa: E402
from portal.demo.people import DEMO_PASSWORD, FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES, TITLES, make_nip  # noqa: E402
from portal.models import (  # noqa: E402
    Acknowledgement,
    Attempt,
    AttemptQuestion,
    Edition,
    EditionSection,
    Quiz,
    QuizTopicRule,
    Section,
    Unit,
    User,
    UserRole,
    Workshop,
    WorkshopAttendance,
    WorkshopParticipant,
    WorkshopSession,
    WorkshopTrainer,
)

BENCH_QUIZ = "Kuis uji beban (bench)"  # deferred feedback, unlimited attempts: the quiz-answer scenario's quiz
ROSTER_PARTICIPANTS = 400  # the first generated workshop: the roster scenario's page


@dataclass(frozen=True)
class Size:
    units: int
    users: int
    sections: int
    toolkit: int
    attempts: int
    workshops: int


FULL = Size(units=300, users=50_000, sections=500, toolkit=100_000, attempts=200_000, workshops=2_000)
SMALL = Size(units=20, users=400, sections=10, toolkit=300, attempts=600, workshops=8)
DEMO = Size(units=0, users=0, sections=0, toolkit=0, attempts=0, workshops=0)  # the demo content only


class Progress:
    def __init__(self, out=print):
        self.out, self.started = out, time.perf_counter()

    def __call__(self, message):
        self.out(f"[{time.perf_counter() - self.started:7.1f}s] {message}", flush=True)


def _bulk(session, model, rows, batch=5000):
    if not rows:
        return
    for start in range(0, len(rows), batch):
        session.execute(insert(model), rows[start:start + batch])


def _raw_insert(session, table, columns, rows):
    """executemany straight to the driver: for millions of plain rows, where the ORM's per-row work is the cost.
    Datetimes go through the dialect's own bind processor (SQLite stores them as text)."""
    if not rows:
        return
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join([mark] * len(columns))})'
    connection.exec_driver_sql(sql, rows)


def _next_id(session, model):
    return (session.exec(select(func.max(model.id))).one() or 0) + 1


def _fix_sequences(session, tables):
    """PostgreSQL: rows were inserted with explicit ids, so move each serial sequence past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))"))


def make_units(session, count, rng):
    first = _next_id(session, Unit)
    parents = list(session.exec(select(Unit.id, Unit.path)).all())
    rows = []
    for n in range(count):
        unit_id = first + n
        parent_id, parent_path = rng.choice(parents)
        path = f"{parent_path}{unit_id}/"
        rows.append({"id": unit_id, "code": f"BN-{n + 1:04d}", "name": f"Subbagian Uji {n + 1}",
                     "parent_id": parent_id, "path": path, "created_at": datetime.now(UTC)})
        if path.count("/") < 6:
            parents.append((unit_id, path))
    _bulk(session, Unit, rows)
    _fix_sequences(session, ["unit"])


def make_users(session, count, rng, password_hash):
    first = _next_id(session, User)
    units = session.exec(select(Unit.id)).all()
    used_nips = set(session.exec(select(User.nip).where(User.nip.is_not(None))).all())
    users, roles, now = [], [], datetime.now(UTC)
    for n in range(count):
        gender = rng.choice((1, 2))
        first_name = rng.choice(FIRST_NAMES_M if gender == 1 else FIRST_NAMES_F)
        last_name = rng.choice(LAST_NAMES)
        nip = make_nip(rng, gender)
        while nip in used_nips:
            nip = make_nip(rng, gender)
        used_nips.add(nip)
        title = rng.choice(TITLES)
        name = f"{first_name} {last_name}"
        user_id = first + n
        users.append({"id": user_id, "username": nip, "nip": nip, "full_name": f"{name}, {title}" if title else name,
                      "email": f"{first_name.lower().replace(' ', '')}.{last_name.lower()}.{n + 1}@kementerian.go.id",
                      "unit_id": rng.choice(units), "password_hash": password_hash, "active": rng.random() > 0.03,
                      "preferred_language": "id", "auth_version": 1,
                      "created_at": now - timedelta(days=rng.randint(0, 2000)), "last_login_at": None})
        if n % 40 == 0:
            roles.append({"user_id": user_id, "role": "supervisor"})
    _bulk(session, User, users)
    _bulk(session, UserRole, roles)
    _fix_sequences(session, ["user"])
    return [u["id"] for u in users if u["active"]]


def make_handbook(session, count, rng):
    from portal.handbook import demo as handbook_demo
    from portal.handbook import services as handbook

    humas = session.exec(select(User).where(User.username == "humas")).one()
    chapters = handbook_demo.load_chapters()
    bodies = [body for _t, _i, secs in chapters for _s, _st, body in secs]
    titles = [title for _t, _i, secs in chapters for _s, title, _b in secs]
    made = 0
    for c in range(max((count + 24) // 25, 1)):
        chapter = handbook.create_chapter(session, humas, f"Bab uji {c + 1}", slug=f"bab-uji-{c + 1}")
        for _ in range(25):
            if made >= count:
                break
            made += 1
            handbook.create_section(session, humas, chapter.id, f"{rng.choice(titles)} ({made})",
                                    rng.choice(bodies), slug=f"uji-{made}")
        session.flush()
    handbook.publish_edition(session, humas, "2026.90", "Edisi uji beban", material=False, index_now=True)


ACKNOWLEDGED = 0.85  # of the generated employees, who acknowledged the required edition (most, some time ago)
ACKNOWLEDGED_BEFORE = 0.6  # of those, who had also acknowledged the material edition before it


def make_acknowledgements(session, rng, user_ids):
    """Acknowledgements of the handbook as an institution has them some weeks after an edition: most people have
    acknowledged the required (latest material) edition, many of them the one before too (the report's counts and
    the follow-up lists then read the whole acknowledgement table, as they would there)."""
    material = session.exec(select(Edition).where(Edition.material)
                            .order_by(Edition.published_at.desc(), Edition.id.desc())).all()
    if not material:
        return 0
    already = set(session.exec(select(Acknowledgement.user_id, Acknowledgement.edition_id)).all())
    rows = []
    for user_id in user_ids:
        if rng.random() >= ACKNOWLEDGED:
            continue
        editions = material[:2] if len(material) > 1 and rng.random() < ACKNOWLEDGED_BEFORE else material[:1]
        for edition in editions:
            if (user_id, edition.id) not in already:
                rows.append({"user_id": user_id, "edition_id": edition.id,
                             "acknowledged_at": edition.published_at + timedelta(days=rng.randint(1, 60))})
    _bulk(session, Acknowledgement, rows)
    return len(rows)


def make_bench_quiz(session):
    """A deferred-feedback copy of the main demo quiz: answers may be changed until submitted, so every answer
    POST of the benchmark is a real write."""
    from portal.quiz import quizzes
    from portal.quiz.demo import MAIN_QUIZ

    admin = session.exec(select(User).where(User.username == "admin")).one()
    main = session.exec(select(Quiz).where(Quiz.title == MAIN_QUIZ)).one()
    rules = {r.topic_id: r.count for r in session.exec(select(QuizTopicRule).where(QuizTopicRule.quiz_id == main.id))}
    quizzes.save_quiz(session, admin, None, rules, title=BENCH_QUIZ, pass_mark=70, max_attempts=None,
                      cooldown_hours=0, feedback_mode="deferred", shuffle_questions=True, shuffle_options=True,
                      certificate=False, validity_months=None, active=True,
                      description="Kuis untuk pengukuran beban; jawaban boleh diubah sampai dikumpulkan.")
    return main


def make_attempts(session, count, rng, user_ids, main):
    from portal.models import Question as QuizQuestion
    from portal.models import QuestionOption, QuestionVersion

    rules = session.exec(select(QuizTopicRule).where(QuizTopicRule.quiz_id == main.id)).all()
    pool = {}  # topic -> [(version id, [option ids])]
    for rule in rules:
        versions = session.exec(select(QuestionVersion.id).join(
            QuizQuestion, QuizQuestion.current_version_id == QuestionVersion.id).where(
            QuizQuestion.topic_id == rule.topic_id, QuizQuestion.status == "active")).all()
        pool[rule.topic_id] = [(v, [o for o in session.exec(select(QuestionOption.id).where(
            QuestionOption.version_id == v).order_by(QuestionOption.position)).all()]) for v in versions]
    first = _next_id(session, Attempt)
    first_item = _next_id(session, AttemptQuestion)
    attempts, items, numbers, now = [], [], {}, datetime.now(UTC)
    stamp = DateTime().bind_processor(session.get_bind().dialect) or (lambda value: value)
    columns = ("id", "attempt_id", "position", "version_id", "topic_id", "option_order", "chosen", "answered_at",
               "score")
    for n in range(count):
        attempt_id = first + n
        user_id = rng.choice(user_ids)
        numbers[user_id] = numbers.get(user_id, 0) + 1
        started = now - timedelta(minutes=rng.randint(60, 365 * 24 * 60))
        finished = started + timedelta(minutes=rng.randint(4, 40))
        position, right, total = 0, 0, 0
        for rule in rules:
            for version_id, options in rng.sample(pool[rule.topic_id], min(rule.count, len(pool[rule.topic_id]))):
                position += 1
                total += 1
                order = options[:]
                rng.shuffle(order)
                ok = rng.random() < 0.75
                right += ok
                items.append((first_item + len(items), attempt_id, position, version_id, rule.topic_id,
                              ",".join(map(str, order)), str(order[0]) if order else None, stamp(finished),
                              1.0 if ok else 0.0))
        score = round(100 * right / max(total, 1), 1)
        attempts.append({"id": attempt_id, "quiz_id": main.id, "user_id": user_id, "number": numbers[user_id],
                         "feedback_mode": "immediate", "pass_mark": 70, "started_at": started,
                         "finished_at": finished, "score": score, "passed": score >= 70,
                         "valid_until": finished + timedelta(days=365) if score >= 70 else None})
        if len(attempts) >= 5000:
            _bulk(session, Attempt, attempts)
            _raw_insert(session, "quiz_attempt_question", columns, items)
            first_item += len(items)
            attempts, items = [], []
    _bulk(session, Attempt, attempts)
    _raw_insert(session, "quiz_attempt_question", columns, items)
    _fix_sequences(session, ["quiz_attempt", "quiz_attempt_question"])


def make_workshops(session, count, rng, user_ids):
    units = session.exec(select(Unit.id)).all()
    trainer = session.exec(select(User).where(User.username == "pelatih")).one()
    first_ws, first_session = _next_id(session, Workshop), _next_id(session, WorkshopSession)
    first_participant = _next_id(session, WorkshopParticipant)
    now = datetime.now(UTC)
    workshops, sessions, participants, attendance, trainers = [], [], [], [], []
    for n in range(count):
        ws_id = first_ws + n
        start = now + timedelta(days=rng.randint(-700, 120), hours=rng.randint(0, 8))
        status = "finished" if start < now - timedelta(days=3) else rng.choice(("open", "open", "draft", "closed"))
        size = ROSTER_PARTICIPANTS if n == 0 else rng.randint(8, 60)
        workshops.append({"id": ws_id, "title": f"Pelatihan Pengelola Media Sosial Angkatan {n + 1}",
                          "description": "Materi: pedoman bermedia sosial, foto kegiatan, tanggapan publik.",
                          "place": rng.choice(("Aula Gedung A", "Ruang Rapat Lt. 3", "Daring (Zoom)")),
                          "online_link": "", "unit_id": rng.choice(units), "capacity": size + rng.randint(0, 20),
                          "registration_opens_at": start - timedelta(days=30),
                          "registration_closes_at": start - timedelta(days=1), "status": status,
                          "completion_percent": 80, "require_post_test": False, "pre_quiz_id": None,
                          "post_quiz_id": None, "created_by_id": trainer.id, "created_at": start - timedelta(days=40)})
        trainers.append({"workshop_id": ws_id, "user_id": trainer.id})
        session_ids = []
        for s in range(rng.randint(1, 3)):
            session_id = first_session + len(sessions)
            begins = start + timedelta(days=s)
            sessions.append({"id": session_id, "workshop_id": ws_id, "starts_at": begins,
                             "ends_at": begins + timedelta(hours=3), "topic": f"Sesi {s + 1}"})
            session_ids.append(session_id)
        for user_id in rng.sample(user_ids, min(size, len(user_ids))):
            participant_id = first_participant + len(participants)
            participants.append({"id": participant_id, "workshop_id": ws_id, "user_id": user_id, "name": "",
                                 "institution": "", "position": "", "email": "", "phone": "",
                                 "status": "registered", "source": "self",
                                 "registered_at": start - timedelta(days=rng.randint(2, 29)),
                                 "promoted_at": None, "cancelled_at": None, "code": f"{rng.getrandbits(128):032x}"})
            if status == "finished" or n == 0:
                for session_id in session_ids:
                    attendance.append({"session_id": session_id, "participant_id": participant_id,
                                       "status": rng.choice(("hadir",) * 8 + ("terlambat", "izin", "tidak_hadir")),
                                       "note": "", "method": "manual", "marked_by_id": trainer.id,
                                       "marked_at": start})
    for model, rows in ((Workshop, workshops), (WorkshopTrainer, trainers), (WorkshopSession, sessions),
                        (WorkshopParticipant, participants), (WorkshopAttendance, attendance)):
        _bulk(session, model, rows)
    _fix_sequences(session, ["workshop", "workshop_session", "workshop_participant"])
    from portal import search
    from portal.workshops.catalog import SEARCH_KIND

    search.bulk_index(session, SEARCH_KIND, ((w["id"], w["title"], w["description"], w["place"]) for w in workshops))
    return first_ws


def generate(database_url, size, instance_path, progress=None, seed=7):
    """Migrate, seed the demo, then add `size` of every pillar. Returns facts the load runner needs."""
    from werkzeug.security import generate_password_hash

    from portal.demo.seed import seed_demo
    from portal.migrate import upgrade

    progress = progress or Progress()
    rng = random.Random(seed)
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance_path), "SECRET_KEY": "bench",
                      "JOBS_IMMEDIATE": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        engine = db.engine()
        upgrade(engine)
        with db.unit_of_work() as session:
            seed_demo(session)
        progress("demo content seeded")
        with db.unit_of_work() as session:
            make_units(session, size.units, rng)
        progress(f"{size.units} units")
        password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")
        with db.unit_of_work() as session:
            user_ids = make_users(session, size.users, rng, password_hash)
        progress(f"{size.users} employees")
        if size.sections:
            with db.unit_of_work() as session:
                make_handbook(session, size.sections, rng)
            progress(f"{size.sections} handbook sections, published")
        with db.unit_of_work() as session:
            acknowledged = make_acknowledgements(session, rng, user_ids)
        progress(f"{acknowledged} handbook acknowledgements")
        if size.toolkit:
            from bench.toolkit_data import generate_toolkit

            generate_toolkit(engine, size.toolkit)
            progress(f"{size.toolkit} toolkit items, indexed")
        with db.unit_of_work() as session:
            main = make_bench_quiz(session)
        with db.unit_of_work() as session:
            make_attempts(session, size.attempts, rng, user_ids, main)
        progress(f"{size.attempts} quiz attempts")
        with db.unit_of_work() as session:
            if size.workshops:
                roster_workshop = make_workshops(session, size.workshops, rng, user_ids)
            else:  # the demo's largest workshop
                roster_workshop = session.exec(select(WorkshopParticipant.workshop_id).group_by(
                    WorkshopParticipant.workshop_id).order_by(func.count().desc())).first()
        progress(f"{size.workshops} workshops")
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            else:
                connection.commit()
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        progress("analyzed")
        with db.unit_of_work(write=False) as session:
            bench_quiz = session.exec(select(Quiz.id).where(Quiz.title == BENCH_QUIZ)).one()
            sample = session.exec(select(User.username).where(User.id.in_(user_ids[:256]))).all() if user_ids else \
                session.exec(select(User.username).where(User.nip.is_not(None), User.active)).all()
            latest = session.exec(select(func.max(EditionSection.edition_id))).one()
            slugs = session.exec(select(Section.slug).join(EditionSection, EditionSection.section_id == Section.id)
                                 .where(EditionSection.edition_id == latest).order_by(EditionSection.position)).all()
        engine.dispose()
    return {"quiz_id": bench_quiz, "roster_workshop_id": roster_workshop, "employees": list(sample),
            "section_slugs": list(slugs)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory (removed after)")
    parser.add_argument("--small", action="store_true", help="a few hundred rows of each kind")
    parser.add_argument("--keep", metavar="DIR", help="keep the database (SQLite: DIR/bench.db; with --database-url "
                        "that one, its URL in DIR/database_url), with DIR/facts.json for `bench/run.py --data DIR`")
    args = parser.parse_args(argv)
    size = SMALL if args.small else FULL
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{Path(args.keep).resolve() / 'bench.db'}"
        facts = generate(url, size, Path(args.keep) / "instance")
        (Path(args.keep) / "facts.json").write_text(json.dumps(facts) + "\n")
        if args.database_url:
            (Path(args.keep) / "database_url").write_text(args.database_url + "\n")
        print(facts)
        return
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(generate(url, size, Path(tmp) / "instance"))


if __name__ == "__main__":
    main()
