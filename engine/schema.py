"""Create or migrate the database schema with Alembic."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


# Text search lives beside the models, written by migration 0014 for each backend: FTS5 tables on SQLite,
# trigram indexes on PostgreSQL. Comparing the schema with the models leaves them out.
TEXT_SEARCH_TABLES = ("human_task_search", "instance_search")


def is_modelled(item: Any, name: str | None, kind: str, _reflected: bool, _compare_to: Any) -> bool:
    """Whether a schema object is one the models describe (Alembic's include_object)."""
    if kind == "table" and name and name.startswith(TEXT_SEARCH_TABLES):
        return False
    return not (kind == "index" and name and name.endswith("_trgm"))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database at this URL to the newest schema (idempotent)."""
    command.upgrade(alembic_config(url), "head")
