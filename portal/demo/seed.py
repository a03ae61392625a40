"""`flask seed-demo`: the demo ministry and the content of every pillar. Idempotent."""

from sqlmodel import select
from werkzeug.security import generate_password_hash

from portal.accounts import services
from portal.demo.people import DEMO_ACCOUNTS, DEMO_PASSWORD, UNITS, demo_staff
from portal.models import Unit, User

# Each pillar lists its seeder (`<pillar>/demo.py`, `seed(session) -> str | None`) in portal/pillars.py; they run in
# that order. Their content (Markdown, JSON) lives in portal/demo/<pillar>/.


def seed_people(session):
    if session.exec(select(User).where(User.username == "admin")).first() is not None:
        return "people: already there"
    units = {}
    for code, name, parent in UNITS:
        units[code] = services.create_unit(session, None, code, name, units[parent].id if parent else None)
    password_hash = generate_password_hash(DEMO_PASSWORD, method="scrypt")  # hashed once, shared by all demo users
    for username, full_name, unit_code, roles in DEMO_ACCOUNTS:
        user = services.create_user(session, None, username, full_name, units[unit_code].id, roles=roles,
                                    email=f"{username}@kementerian.go.id")
        user.password_hash = password_hash
    for nip, full_name, unit_code, email in demo_staff():
        user = services.create_user(session, None, nip, full_name, units[unit_code].id, nip=nip, email=email)
        user.password_hash = password_hash
    session.commit()
    return f"people: {len(UNITS)} units, {len(DEMO_ACCOUNTS) + len(demo_staff())} users"


def seed_demo(session):
    """Every pillar's demo content. Run inside a request context when called from the CLI: seeding goes through the
    pillars' own services, and some build links (url_for) for the notices they send."""
    import contextlib

    from flask import current_app, has_request_context

    from portal.pillars import pillars

    context = contextlib.nullcontext() if has_request_context() else current_app.test_request_context()
    with context:
        lines = [seed_people(session)]
        for pillar in pillars():
            if pillar.seed_demo is not None:
                result = pillar.seed_demo(session)
                if result:
                    lines.append(result)
    return "\n".join(lines)


def demo_unit(session, code):
    return session.exec(select(Unit).where(Unit.code == code)).one()
