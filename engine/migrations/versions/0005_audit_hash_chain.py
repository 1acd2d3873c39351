"""the audit trail as a hash chain: each event's sequence number, previous hash and hash; the chain's head

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 16:20:00
"""
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from engine.models.audit import GENESIS, event_hash
from engine.models.base import JsonData, UtcDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_events', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.add_column('audit_events', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_events', sa.Column('hash', sa.String(length=64), nullable=True))
    op.create_index('ix_audit_events_seq', 'audit_events', ['seq'], unique=True)
    op.create_table('audit_chain_head',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('seq', sa.BigInteger(), nullable=False),
                    sa.Column('hash', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')))
    seq, last = _seal_existing_events()
    op.execute(sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, :seq, :hash)")
               .bindparams(seq=seq, hash=last))


def _seal_existing_events() -> tuple[int, str]:
    """Chain the events written before the chain existed, in id order (append-only triggers paused)."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    else:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
    # The columns as this revision knows them (not the model, which later revisions may change).
    events = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('at', UtcDateTime),
                      sa.column('actor', sa.String), sa.column('action', sa.String),
                      sa.column('instance_id', sa.Integer), sa.column('task_id', sa.Integer),
                      sa.column('data', JsonData))
    seq, last = 0, GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        seq += 1
        prev, last = last, event_hash(SimpleNamespace(**row, seq=seq), last)
        bind.execute(sa.text("UPDATE audit_events SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = :id")
                     .bindparams(seq=seq, prev=prev, hash=last, id=row["id"]))
    if sqlite:
        op.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
    else:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change")
    return seq, last


def downgrade() -> None:
    op.drop_table('audit_chain_head')
    op.drop_index('ix_audit_events_seq', table_name='audit_events')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
