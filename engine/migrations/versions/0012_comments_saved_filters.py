"""comments on tasks and instances; inbox filters each user keeps; the tasks each user completed, by time

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 13:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from engine.models.base import JsonData, UtcDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=80), nullable=False),
        sa.Column('at', UtcDateTime(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('mentions', JsonData, nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'],
                                name=op.f('fk_comments_instance_id_process_instances')),
        sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'], name=op.f('fk_comments_task_id_human_tasks')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_comments')),
    )
    op.create_index('ix_comments_instance', 'comments', ['instance_id', 'id'], unique=False)
    op.create_table(
        'saved_filters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('query', JsonData, nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
        sa.UniqueConstraint('username', 'name', name=op.f('uq_saved_filters_username')),
    )
    op.create_index(op.f('ix_saved_filters_username'), 'saved_filters', ['username'], unique=False)
    op.create_index('ix_human_tasks_done', 'human_tasks', ['completed_by', 'completed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_human_tasks_done', table_name='human_tasks')
    op.drop_index(op.f('ix_saved_filters_username'), table_name='saved_filters')
    op.drop_table('saved_filters')
    op.drop_index('ix_comments_instance', table_name='comments')
    op.drop_table('comments')
