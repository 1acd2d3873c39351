"""sign-in sessions (ended by sign-out or revocation) and the count of wrong passwords per name and address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from engine.models.base import UtcDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_sessions',
        sa.Column('id_sha256', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('started_at', UtcDateTime(), nullable=False),
        sa.Column('expires_at', UtcDateTime(), nullable=False),
        sa.Column('ended_at', UtcDateTime(), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id_sha256', name=op.f('pk_sign_in_sessions')),
    )
    op.create_index(op.f('ix_sign_in_sessions_username'), 'sign_in_sessions', ['username'], unique=False)
    op.create_table(
        'password_throttles',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_password_throttles')),
    )


def downgrade() -> None:
    op.drop_table('password_throttles')
    op.drop_index(op.f('ix_sign_in_sessions_username'), table_name='sign_in_sessions')
    op.drop_table('sign_in_sessions')
