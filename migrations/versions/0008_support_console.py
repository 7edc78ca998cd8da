"""support console

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfservice_request_notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.String(length=64), nullable=True),
    sa.Column('author_role', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['selfservice_privacy_requests.id'], name=op.f('fk_selfservice_request_notes_request_id_selfservice_privacy_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_request_notes'))
    )
    with op.batch_alter_table('selfservice_request_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfservice_request_notes_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('selfservice_privacy_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), server_default='console', nullable=False))
        batch_op.add_column(sa.Column('assignee', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('extended_due_at', selfservice.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extension_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('extended_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('decision_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('decided_at', selfservice.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('appeal_of', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_selfservice_privacy_requests_appeal_of'), ['appeal_of'], unique=False)
        batch_op.create_index('ix_selfservice_privacy_requests_metrics', ['type', 'created_at'], unique=False)
        batch_op.create_index('ix_selfservice_privacy_requests_queue', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_selfservice_privacy_requests_queue_type', ['status', 'type', 'due_at', 'id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_selfservice_privacy_requests_appeal_of_selfservice_privacy_requests'), 'selfservice_privacy_requests', ['appeal_of'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('selfservice_privacy_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_selfservice_privacy_requests_appeal_of_selfservice_privacy_requests'), type_='foreignkey')
        batch_op.drop_index('ix_selfservice_privacy_requests_queue_type')
        batch_op.drop_index('ix_selfservice_privacy_requests_queue')
        batch_op.drop_index('ix_selfservice_privacy_requests_metrics')
        batch_op.drop_index(batch_op.f('ix_selfservice_privacy_requests_appeal_of'))
        batch_op.drop_column('appeal_of')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by')
        batch_op.drop_column('decision_code')
        batch_op.drop_column('decision')
        batch_op.drop_column('extended_by')
        batch_op.drop_column('extension_reason')
        batch_op.drop_column('extended_due_at')
        batch_op.drop_column('assignee')
        batch_op.drop_column('channel')

    with op.batch_alter_table('selfservice_request_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfservice_request_notes_request_id'))

    op.drop_table('selfservice_request_notes')
