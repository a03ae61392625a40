"""Alembic, driven from the app: `upgrade()` brings the database to the newest schema."""

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(engine):
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine, revision="head"):
    command.upgrade(alembic_config(engine), revision)
