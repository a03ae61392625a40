"""Test data builders. Passwords are hashed once per run: scrypt is deliberately slow."""

import itertools

from werkzeug.security import generate_password_hash

from portal.models import Unit, User, UserRole

PASSWORD = "kata-sandi-uji-123"
_HASH = generate_password_hash(PASSWORD, method="scrypt")
_seq = itertools.count(1)


def make_unit(session, code=None, name=None, parent=None):
    n = next(_seq)
    unit = Unit(code=code or f"U{n}", name=name or f"Unit Uji {n}", parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.commit()
    return unit


def make_user(session, username=None, roles=(), unit=None, active=True, nip=None, full_name=None, email=None,
              password_hash=_HASH):
    n = next(_seq)
    unit = unit or make_unit(session)
    user = User(username=username or f"user{n}", full_name=full_name or f"Pegawai Uji {n}", unit_id=unit.id,
                password_hash=password_hash, active=active, nip=nip, email=email)
    user.role_links = [UserRole(role=r) for r in roles if r != "employee"]
    session.add(user)
    session.commit()
    return user


def valid_nip(n=1, gender=1):
    """A plausible NIP: born 1990-05-17, appointed 2015-03, gender, sequence n."""
    return f"19900517201503{gender}{n:03d}"
