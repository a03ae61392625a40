"""The personal dashboard: each pillar contributes cards saying what this person should do next.

A pillar adds a function `dashboard_card(session, user) -> dict | None` to its services module and lists it
in CARD_PROVIDERS. A card is {"title", "body", "url", "action", "progress" (0-100 or None), "tone"}.
"""

import importlib

CARD_PROVIDERS = (
    "portal.handbook.services",
    "portal.quiz.services",
    "portal.workshops.services",
    "portal.toolkit.services",
)


def dashboard_cards(session, user):
    cards = []
    for module_name in CARD_PROVIDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name and not module_name.startswith(f"{error.name}."):
                raise
            continue
        provider = getattr(module, "dashboard_cards", None)
        if provider is not None:
            cards.extend(provider(session, user) or [])
    return cards
