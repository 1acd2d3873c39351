"""users' credentials epoch and must-change-password flag: a reset ends sessions and tokens, the next sign-in changes it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite takes one with a constant default): copying users in a batch would touch every
    # table that refers to it.
    op.add_column('users', sa.Column('credentials_epoch', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('credentials_epoch')
