"""text search of task titles and instance keys and titles: FTS5 trigram tables on SQLite, pg_trgm indexes on
PostgreSQL (engine/read/text_search.py reads them)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 05:30:00.000000
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# (search table, content table, columns): external-content FTS5 tables kept by triggers.
SQLITE_TABLES = (("human_task_search", "human_tasks", ("title", "title_en")),
                 ("instance_search", "process_instances", ("business_key", "title")))
PG_INDEXES = (("ix_human_tasks_title_trgm", "human_tasks", "title"),
              ("ix_human_tasks_title_en_trgm", "human_tasks", "title_en"),
              ("ix_process_instances_business_key_trgm", "process_instances", "business_key"),
              ("ix_process_instances_title_trgm", "process_instances", "title"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in PG_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
        return
    if not _has_trigram_tokenizer():
        return  # SQLite before 3.34: searches scan, as before
    for search, content, columns in SQLITE_TABLES:
        listed = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(f"CREATE VIRTUAL TABLE {search} USING fts5({listed}, content='{content}', content_rowid='id', "
                   "tokenize='trigram')")
        op.execute(f"INSERT INTO {search} (rowid, {listed}) SELECT id, {listed} FROM {content}")
        op.execute(f"CREATE TRIGGER {search}_ai AFTER INSERT ON {content} BEGIN "
                   f"INSERT INTO {search} (rowid, {listed}) VALUES (new.id, {new}); END")
        op.execute(f"CREATE TRIGGER {search}_ad AFTER DELETE ON {content} BEGIN "
                   f"INSERT INTO {search} ({search}, rowid, {listed}) VALUES ('delete', old.id, {old}); END")
        op.execute(f"CREATE TRIGGER {search}_au AFTER UPDATE OF {listed} ON {content} BEGIN "
                   f"INSERT INTO {search} ({search}, rowid, {listed}) VALUES ('delete', old.id, {old}); "
                   f"INSERT INTO {search} (rowid, {listed}) VALUES (new.id, {new}); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    for search, _content, _columns in SQLITE_TABLES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {search}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {search}")


def _has_trigram_tokenizer() -> bool:
    try:
        op.execute("CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize='trigram')")
    except Exception:  # noqa: BLE001 - an older SQLite names no such tokenizer
        return False
    op.execute("DROP TABLE temp.trigram_probe")
    return True
