"""sub-processor change notices and objections

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfservice_subprocessor_notices',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('change_id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_subprocessor_notices')),
    sa.UniqueConstraint('change_id', 'org_id', name='uq_selfservice_subprocessor_notices')
    )
    with op.batch_alter_table('selfservice_subprocessor_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfservice_subprocessor_notices_org_id'), ['org_id'], unique=False)

    op.create_table('selfservice_subprocessor_objections',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('change_id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('org_name', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_selfservice_subprocessor_objections_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_subprocessor_objections')),
    sa.UniqueConstraint('change_id', 'org_id', name='uq_selfservice_subprocessor_objections')
    )
    with op.batch_alter_table('selfservice_subprocessor_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfservice_subprocessor_objections_change_id'), ['change_id'], unique=False)

    op.create_table('selfservice_subprocessor_subscriptions',
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('subscribed_by', sa.String(length=64), nullable=True),
    sa.Column('subscribed_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_selfservice_subprocessor_subscriptions'))
    )


def downgrade() -> None:
    op.drop_table('selfservice_subprocessor_subscriptions')
    with op.batch_alter_table('selfservice_subprocessor_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfservice_subprocessor_objections_change_id'))

    op.drop_table('selfservice_subprocessor_objections')
    with op.batch_alter_table('selfservice_subprocessor_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfservice_subprocessor_notices_org_id'))

    op.drop_table('selfservice_subprocessor_notices')
