"""The personal dashboard: each pillar contributes cards saying what this person should do next.

A pillar lists its `dashboard_cards(session, user) -> list[dict]` in `portal/pillars.py`. A card is {"title",
"body", "url", "action", "progress" (0-100 or None), "tone"}.
"""

from flask import current_app


def dashboard_cards(session, user):
    cards = []
    for pillar in current_app.extensions["pillars"]:
        if pillar.dashboard_cards is not None:
            cards.extend(pillar.dashboard_cards(session, user) or [])
    return cards
