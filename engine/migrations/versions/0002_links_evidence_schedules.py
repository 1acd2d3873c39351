"""links between instances, evidence files, start schedules, department exclusion, required evidence

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:59:47.634819
"""
import sqlalchemy as sa
from alembic import op

import engine.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', engine.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_evidence_blobs'))
    )
    op.create_table('start_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('anchor_at', engine.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('next_run_at', engine.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('configured', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', engine.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_start_schedules')),
    sa.UniqueConstraint('process_id', name=op.f('uq_start_schedules_process_id'))
    )
    with op.batch_alter_table('start_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_start_schedules_next_run_at'), ['next_run_at'], unique=False)

    op.create_table('instance_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_instance_id', sa.Integer(), nullable=False),
    sa.Column('target_instance_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', engine.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_instance_id'], ['process_instances.id'], name=op.f('fk_instance_links_source_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['target_instance_id'], ['process_instances.id'], name=op.f('fk_instance_links_target_instance_id_process_instances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_links'))
    )
    with op.batch_alter_table('instance_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instance_links_source_instance_id'), ['source_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instance_links_target_instance_id'), ['target_instance_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=80), nullable=False),
    sa.Column('uploaded_at', engine.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_evidence_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['sha256'], ['evidence_blobs.sha256'], name=op.f('fk_evidence_sha256_evidence_blobs')),
    sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'], name=op.f('fk_evidence_task_id_human_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded_department', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('evidence_required', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    for table in APPEND_ONLY:
        _forbid_changes(table)
    if op.get_bind().dialect.name == "postgresql":
        # Row triggers do not see TRUNCATE: refuse it for the whole table.
        for table in ("audit_events", *APPEND_ONLY):
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")


# Evidence and links are records: once written, the database refuses to change or remove them.
APPEND_ONLY = ("evidence_blobs", "evidence", "instance_links")


def _forbid_changes(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END")
        return
    op.execute(f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN RAISE EXCEPTION '{table} are append-only'; END $$")
    op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
               f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")


def _allow_changes(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_events", *APPEND_ONLY):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in APPEND_ONLY:
        _allow_changes(table)
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('evidence_required')
        batch_op.drop_column('excluded_department')

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_task_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_sha256'))
        batch_op.drop_index(batch_op.f('ix_evidence_instance_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('instance_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_links_target_instance_id'))
        batch_op.drop_index(batch_op.f('ix_instance_links_source_instance_id'))

    op.drop_table('instance_links')
    with op.batch_alter_table('start_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_start_schedules_next_run_at'))

    op.drop_table('start_schedules')
    op.drop_table('evidence_blobs')
