"""deletion, legal holds and retention sweeps

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfservice_legal_holds',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('placed_by', sa.String(length=64), nullable=True),
    sa.Column('placed_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.String(length=64), nullable=True),
    sa.Column('release_reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_legal_holds'))
    )
    with op.batch_alter_table('selfservice_legal_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfservice_legal_holds_account_id'), ['account_id'], unique=False)

    op.create_table('selfservice_retention_sweeps',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('cutoff', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('planned', sa.BigInteger(), nullable=True),
    sa.Column('deleted', sa.BigInteger(), nullable=False),
    sa.Column('held_accounts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_retention_sweeps'))
    )
    with op.batch_alter_table('selfservice_retention_sweeps', schema=None) as batch_op:
        batch_op.create_index('ix_selfservice_retention_sweeps_rule', ['source', 'rule', 'started_at'], unique=False)

    op.create_table('selfservice_deletions',
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('pseudonym', sa.String(length=40), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_for', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('canceled_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('irreversible', sa.JSON(), nullable=False),
    sa.Column('notify_email', sa.String(length=254), nullable=True),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('certificate', sa.JSON(), nullable=True),
    sa.Column('certificate_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['selfservice_privacy_requests.id'], name=op.f('fk_selfservice_deletions_request_id_selfservice_privacy_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_selfservice_deletions')),
    sa.UniqueConstraint('pseudonym', name=op.f('uq_selfservice_deletions_pseudonym'))
    )
    with op.batch_alter_table('selfservice_deletions', schema=None) as batch_op:
        batch_op.create_index('ix_selfservice_deletions_account', ['account_id'], unique=False)

    op.create_table('selfservice_erasure_steps',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('legal_basis', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('retain_days', sa.Integer(), nullable=True),
    sa.Column('retained_until', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('irreversible', sa.Text(), nullable=False),
    sa.Column('planned_records', sa.BigInteger(), nullable=True),
    sa.Column('records_before', sa.BigInteger(), nullable=True),
    sa.Column('records', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('hold_id', sa.String(length=32), nullable=True),
    sa.Column('confirmed_by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('receipt', sa.String(length=200), nullable=True),
    sa.CheckConstraint("action IN ('erase', 'anonymise', 'retain', 'manual')", name=op.f('ck_selfservice_erasure_steps_action')),
    sa.CheckConstraint("kind IN ('source', 'recipient', 'account')", name=op.f('ck_selfservice_erasure_steps_kind')),
    sa.CheckConstraint("status IN ('pending', 'running', 'done', 'retained', 'held', 'failed')", name=op.f('ck_selfservice_erasure_steps_status')),
    sa.ForeignKeyConstraint(['request_id'], ['selfservice_deletions.request_id'], name=op.f('fk_selfservice_erasure_steps_request_id_selfservice_deletions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_erasure_steps')),
    sa.UniqueConstraint('request_id', 'kind', 'name', name='uq_selfservice_erasure_steps')
    )
    with op.batch_alter_table('selfservice_erasure_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfservice_erasure_steps_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('selfservice_erasure_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfservice_erasure_steps_request_id'))

    op.drop_table('selfservice_erasure_steps')
    with op.batch_alter_table('selfservice_deletions', schema=None) as batch_op:
        batch_op.drop_index('ix_selfservice_deletions_account')

    op.drop_table('selfservice_deletions')
    with op.batch_alter_table('selfservice_retention_sweeps', schema=None) as batch_op:
        batch_op.drop_index('ix_selfservice_retention_sweeps_rule')

    op.drop_table('selfservice_retention_sweeps')
    with op.batch_alter_table('selfservice_legal_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfservice_legal_holds_account_id'))

    op.drop_table('selfservice_legal_holds')
