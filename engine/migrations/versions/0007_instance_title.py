"""every instance has a title: what it is about, by its start event's instanceTitle; existing ones from their data

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 19:00:00
"""
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MAX_TITLE = 300
# What the shipped processes' instanceTitle expressions read when this revision was written, frozen here
# as plain rules over an instance's data so that later model changes cannot change the back-fill.
TEXT_FIELD = {
    'baseline_adjustment': 'description', 'communication': 'subject', 'competence_training': 'topic',
    'compliance_reevaluation': 'title', 'corrective_action': 'title', 'document_control': 'subject',
    'internal_audit': 'audit_title', 'management_programme': 'programme_title',
    'management_review': 'review_title', 'policy_approval': 'policy_title', 'reduction_measure': 'title',
    'service_provider': 'service_title',
}
YEARLY = {  # process: (the year field, what the year is of)
    'carbon_asset_compliance': ('compliance_year', '年度履约 Compliance year'),
    'emissions_accounting': ('reporting_year', '年度碳排放核算 Emissions accounting'),
}


def title_from(process_id: str, data: dict[str, Any]) -> str | None:
    """The title the instance's start event would have given it, from the data it holds now."""
    text = data.get(TEXT_FIELD.get(process_id, ''))
    if isinstance(text, str) and text.strip():
        return ' '.join(text[:80 if process_id == 'baseline_adjustment' else MAX_TITLE].split()) or None
    if process_id in YEARLY:
        field, what = YEARLY[process_id]
        if data.get(field) is not None:
            return f'{data[field]} {what}'
    return None


def upgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=MAX_TITLE), nullable=True))
    instances = sa.table('process_instances', sa.column('id', sa.Integer), sa.column('process_id', sa.String),
                         sa.column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')),
                         sa.column('title', sa.String))
    connection = op.get_bind()
    last = 0
    while True:  # in batches: a plant's years of instances need not fit in memory at once
        rows = connection.execute(sa.select(instances.c.id, instances.c.process_id, instances.c.data)
                                  .where(instances.c.id > last).order_by(instances.c.id).limit(1000)).all()
        for row in rows:
            title = title_from(row.process_id, row.data or {})
            if title is not None:
                connection.execute(instances.update().where(instances.c.id == row.id).values(title=title))
        if len(rows) < 1000:
            break
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_column('title')
