"""open tasks counted per process and role, kept by the transactions that open and close tasks

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 05:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'open_task_counts',
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('open_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('process_id', 'role', name=op.f('pk_open_task_counts')),
    )
    op.execute("INSERT INTO open_task_counts (process_id, role, open_count) "
               "SELECT process_id, COALESCE(role, ''), COUNT(*) FROM human_tasks WHERE status = 'ready' "
               "GROUP BY process_id, COALESCE(role, '')")


def downgrade() -> None:
    op.drop_table('open_task_counts')
