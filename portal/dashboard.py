"""The personal dashboard: each pillar contributes cards saying what this person should do next.

A pillar lists its `dashboard_cards(session, user) -> list[dict]` in `portal/pillars.py`. A card is {"title",
"body", "url", "action", "progress" (0-100 or None), "tone"}.

The dashboard is the page everyone opens first and most, and its cards cost a dozen statements across the pillars
(4-5 ms of the page's 5), so they are kept per process and person for DASHBOARD_CACHE_SECONDS, keyed by what moves
with every write they show:
- the person's counter (portal/generations.py `read_person`): moved by every write the person commits themselves
  (reading a section, answering a question, registering) and by any write to a row of theirs that a pillar follows
  (`generations.follow_people`: reads and acknowledgements, quiz attempts, workshop participation and
  certificates, the accounts they manage), whoever makes it;
- every subject's counter (`generations.read_every`: editions, the acknowledgement rule, the quiz bank, workshops
  and their sessions, the content plan, the toolkit, units), one statement the page shares;
- their unit, roles and language, and the day.
What none of these follows may show up to DASHBOARD_CACHE_SECONDS late: a supervisor's follow-up counts (kept that
long themselves) and cards that depend on the clock (a registration window or a session that starts meanwhile).
"""

from flask import current_app
from flask_babel import get_locale

from portal import cache, generations
from portal.timezone import today_wib


def dashboard_cards(session, user):
    key = (user.id, user.unit_id, tuple(sorted(user.roles)), str(get_locale()), today_wib(),
           generations.read_person(session, user.id), generations.read_every(session))
    return cache.remembered("dashboard.cards", key, "DASHBOARD_CACHE_SECONDS", lambda: _cards(session, user))


def _cards(session, user):
    cards = []
    for pillar in current_app.extensions["pillars"]:
        if pillar.dashboard_cards is not None:
            cards.extend(pillar.dashboard_cards(session, user) or [])
    return cards
