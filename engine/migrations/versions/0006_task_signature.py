"""a task's electronic signature, declared in its BPMN: what the signature means, or none; versions deployed
before keep the old rule

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 18:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Before this revision the engine guessed: a task of top management whose form had a field
# approval_decision, approved or *_approved needed a signature. These are the form keys that rule
# matched in forms/ when this revision was written, frozen here so that later changes to forms/
# cannot change what the back-fill marks.
DECISION_FORM_KEYS = (
    'baseline_adjustment.approve_baseline',
    'carbon_asset_compliance.approve_plan',
    'compliance_reevaluation.approve_report',
    'document_control.approve',
    'emissions_accounting.approve_report',
    'internal_audit.approve_programme',
    'management_programme.approve',
    'policy_approval.approve',
    'reduction_measure.decide',
    'service_provider.approve_selection',
)
SIGNING_ROLE = 'top_management'
DEFAULT_MEANING = 'approval'


def upgrade() -> None:
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.String(length=80), nullable=True))
    # The versions deployed so far declare no signature: their instances' next tasks keep the old rule.
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declares_signatures', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    # The columns as this revision knows them (not the model, which later revisions may change).
    tasks = sa.table('human_tasks', sa.column('role', sa.String), sa.column('form_key', sa.String),
                     sa.column('signature', sa.String))
    op.execute(tasks.update()
               .where(tasks.c.role == SIGNING_ROLE, tasks.c.form_key.in_(DECISION_FORM_KEYS))
               .values(signature=DEFAULT_MEANING))


def downgrade() -> None:
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('declares_signatures')
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('signature')
