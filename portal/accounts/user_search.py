"""Admin user search: substring search over name, username, NIP and e-mail through a trigram index (FTS5 on
SQLite, pg_trgm on PostgreSQL), never a table scan, with the page sorted by name."""

from typing import NamedTuple

from sqlalchemy import Integer, and_, func, or_, text, true
from sqlalchemy import column as sql_column
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlmodel import select

from portal import db
from portal.models import Unit, User, UserRole
from portal.models.accounts import USER_SEARCH_COLUMN_PG


def _search_text(q):
    """The text a user search looks for: lower case, single spaces, no NUL (FTS5 ends the string at one,
    PostgreSQL refuses it)."""
    return " ".join(q.replace("\x00", "").strip().lower().split())


def _contains_on_row(q):
    """For an ASCII text of 3+ characters, the condition on the user's row that finds what the trigram index finds:
    name, username, NIP or e-mail contains it (SQLite's LIKE folds ASCII case, as the index does). None otherwise
    (the index also folds the case of other letters; LIKE does not)."""
    q = _search_text(q)
    if len(q) < 3 or not q.isascii():
        return None
    like = _contains_pattern(q)
    return or_(*(column.like(like, escape="\\") for column in (User.full_name, User.username, User.nip, User.email)))


def _contains_pattern(q):
    """A LIKE pattern (escape character a backslash) for text containing `q`."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching_user_ids(session, q):
    """A subquery of the ids of users whose name, username, NIP or e-mail contains `q` (3+ characters) through a
    trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL); one or two characters match the start of the name or the
    username through their indexes. Never a table scan."""
    q = _search_text(q)
    if not q:
        return select(User.id)
    if len(q) < 3:
        upper = q[:-1] + chr(ord(q[-1]) + 1)
        return select(User.id).where(or_(and_(func.lower(User.full_name) >= q, func.lower(User.full_name) < upper),
                                         and_(User.username >= q, User.username < upper)))
    if session.get_bind().dialect.name == "sqlite":
        return text("SELECT rowid AS id FROM fts_user WHERE fts_user MATCH :phrase").bindparams(
            phrase=_fts_phrase(q)).columns(sql_column("id", Integer))
    return select(User.id).where(_trigram_condition(q))


def _fts_phrase(q):
    """SQLite: `q` as one quoted FTS5 string (no FTS syntax from the user)."""
    return '"' + q.replace('"', '""') + '"'


def _trigram_condition(q):
    """PostgreSQL: the condition on the user's row that the pg_trgm index answers for a normalised text of 3+
    characters (name, username, NIP or e-mail contains it)."""
    # The column is our constant (the stored text the index reads); the user's text is a bound parameter.
    return text(f"{USER_SEARCH_COLUMN_PG} LIKE :like ESCAPE '\\'").bindparams(like=_contains_pattern(q))


# A text search matching more people than this walks the name index (see search_users). Below it, sorting the
# matches is cheaper: a first name's few thousand matches sit together in name order, far along the index
# ("Rina", "Wulan": 8-9 ms walking at 1,000, 2.5 ms sorted); above it they are dense enough to meet soon.
BROAD_MATCH = 5000
COUNT_CAP = 1000  # a text search counts this many matches, then says "more than" (total COUNT_CAP + 1)


class Listed(NamedTuple):
    """A person as the admin's user list shows them."""

    id: int
    full_name: str
    nip: str | None
    username: str
    active: bool
    unit_name: str
    roles: tuple  # sorted, "employee" included


def _listed(session, ids):
    """Listed rows of the users `ids` (a page's ids, as a list: a subquery would run the page's match again) in
    name order, as the page was cut: read as columns, with the unit's name, and their roles in a second statement.
    Loading the 25 people of a page as ORM objects with their unit and roles cost more than finding them
    (in-process ~1 ms of a 7.7 ms page)."""
    rows = session.execute(select(User.id, User.full_name, User.nip, User.username, User.active, Unit.name)
                           .join(Unit, Unit.id == User.unit_id).where(User.id.in_(ids))
                           .order_by(User.full_name, User.id)).all()
    roles = {}
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role)
                                         .where(UserRole.user_id.in_([row.id for row in rows]))).all():
        roles.setdefault(user_id, set()).add(role)
    return [Listed(*row, roles=tuple(sorted(roles.get(row.id, set()) | {"employee"}))) for row in rows]


@db.plans_for_values  # a rare name or every e-mail address; one unit or all
def search_users(session, q="", unit_id=None, role=None, active=None, page=1, per_page=25):
    """Filtered, paginated users sorted by name; returns ([Listed], total). A text search counts at most COUNT_CAP + 1
    people: beyond COUNT_CAP the page says "more than" and asks for a narrower search (counting every one of 50,000
    e-mail addresses that contain "kementerian" took longer than the rest of the page).

    A text search counts its matches through its index first. A broad one (a NIP prefix like "196", thousands of
    people) then walks the (full_name, id) index and stops at the page (on SQLite checking each person on the row,
    `_contains_on_row`), instead of sorting every match by name; a narrow one sorts its few matches. PostgreSQL's
    planner would walk the name index for those too, expecting the matches spread evenly along it: "rina" (1,026
    people whose names sit together far along it) read 37,779 rows there, 100 ms instead of 5; so a narrow match is
    sorted there too. Without other filters the count is the index's own."""
    query = select(User)
    matches = None
    order = (User.full_name, User.id)
    if q.strip():
        matching = _matching_user_ids(session, q)
        sqlite = session.get_bind().dialect.name == "sqlite"
        text_q = _search_text(q)
        # PostgreSQL: the match on the row itself (as `id IN (...)` the planner joined the table to itself and read
        # all 50,000 rows for 1,500 matches).
        condition = User.id.in_(matching) if sqlite or len(text_q) < 3 else _trigram_condition(text_q)
        if len(text_q) >= 3 and not unit_id and not role and active is None:
            matches, page_ids = _count_and_page(session, matching, text_q, sqlite, page, per_page)
            if page_ids is not None:
                return _listed(session, page_ids), min(matches, COUNT_CAP + 1)
        else:
            matches = _count_matches(session, matching)
        if sqlite and matches > BROAD_MATCH:
            # SQLite walks the name index in order, checks each person and stops at the page: on the row itself
            # when it can (materialising tens of thousands of matching ids cost more than the rest of the page),
            # else against the match ("+id IN (...)": the match may not drive the query by primary key).
            on_row = _contains_on_row(q)
            condition = on_row if on_row is not None else \
                UnaryExpression(User.id, operator=custom_op("+"), type_=Integer).in_(matching)
        elif not sqlite and matches <= BROAD_MATCH:
            # Sorted by an expression no index serves: the planner then sorts the matches instead of walking the
            # name index (same order: `full_name || ''` is full_name).
            order = (User.full_name.concat(""), User.id)
        query = query.where(condition)
    if unit_id:
        unit = session.get(Unit, unit_id)
        if unit is not None:
            query = query.join(Unit, Unit.id == User.unit_id).where(Unit.path.startswith(unit.path))
    if role == "employee":
        query = query.where(~User.id.in_(select(UserRole.user_id)))
    elif role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        query = query.where(User.active == active)
    if matches is not None and not unit_id and not role and active is None:
        total = min(matches, COUNT_CAP + 1)
    else:
        counted = query.with_only_columns(User.id)
        if q.strip():
            counted = counted.limit(COUNT_CAP + 1)
        total = session.exec(select(func.count()).select_from(counted.subquery())).one()
    ids = session.exec(query.with_only_columns(User.id).order_by(*order).offset((page - 1) * per_page)
                       .limit(per_page)).all()
    return _listed(session, list(ids)), total  # (PostgreSQL: `full_name || ''` sorts as full_name)


def _count_matches(session, matching):
    """How many people `matching` finds, counted up to the larger of COUNT_CAP and BROAD_MATCH, plus one (the total
    shown is exact up to COUNT_CAP; beyond BROAD_MATCH the search is broad)."""
    return session.execute(select(func.count()).select_from(
        select(matching.subquery()).limit(_match_count_limit()).subquery())).scalar_one()


def _match_count_limit():
    return max(COUNT_CAP, BROAD_MATCH) + 1


def _count_and_page(session, matching, text_q, sqlite, page, per_page):
    """(matches as `_count_matches` counts them, the ids of one page in name order) of a text search of 3+
    characters without other filters; the ids are None beyond BROAD_MATCH, where the caller reads the page along
    the name index instead.

    Both count and sort in one statement over one match (each run of the match costs: on SQLite the trigram
    index's posting lists, on PostgreSQL a recheck of every candidate row: "putra" 17 -> 8 ms). SQLite sorts the
    matches' names from the (id, full_name) index, not their whole rows ("putra", 4,499 people: 5.2 -> 1.9 ms), and
    is told to: its planner reads the rows otherwise. The page's ids are returned, not a subquery: `_listed` would
    run the match once more ("batubara": 2.0 ms counting, then 4.1 ms listing the page)."""
    if sqlite:
        rows = session.execute(text(
            "WITH matched AS MATERIALIZED (SELECT rowid AS id FROM fts_user WHERE fts_user MATCH :phrase LIMIT :cap), "
            "counted AS (SELECT count(*) AS total FROM matched) "
            "SELECT counted.total, paged.id FROM counted LEFT JOIN ("
            "SELECT u.id, u.full_name FROM matched JOIN user AS u INDEXED BY ix_user_id_full_name ON u.id = matched.id "
            "WHERE (SELECT total FROM counted) <= :broad ORDER BY u.full_name, u.id LIMIT :limit OFFSET :offset"
            ") AS paged ON 1 ORDER BY paged.full_name, paged.id"), {
            "phrase": _fts_phrase(text_q), "cap": _match_count_limit(), "broad": BROAD_MATCH, "limit": per_page,
            "offset": (page - 1) * per_page}).all()
        matches = rows[0].total
        return matches, [row.id for row in rows if row.id is not None] if matches <= BROAD_MATCH else None
    matched = select(User.id.label("id"), User.full_name.label("full_name")).where(
        _trigram_condition(text_q)).limit(_match_count_limit()).cte("matched")
    total = select(func.count().label("total")).select_from(matched)
    paged = (select(matched.c.id, matched.c.full_name)
             .where(total.scalar_subquery() <= BROAD_MATCH)  # a broad match: no page is sorted
             .order_by(matched.c.full_name, matched.c.id).limit(per_page).offset((page - 1) * per_page).subquery())
    counted = total.subquery()
    rows = session.execute(select(counted.c.total, paged.c.id).select_from(counted.outerjoin(paged, true()))
                           .order_by(paged.c.full_name, paged.c.id)).all()
    matches = rows[0].total
    return matches, [row.id for row in rows if row.id is not None] if matches <= BROAD_MATCH else None
