"""the deadline in force on each request, for the support queue's order

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('selfservice_privacy_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_at', selfservice.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE selfservice_privacy_requests "
               "SET deadline_at = COALESCE(extended_due_at, due_at)")
    with op.batch_alter_table('selfservice_privacy_requests', schema=None) as batch_op:
        batch_op.alter_column('deadline_at', existing_type=selfservice.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_index('ix_selfservice_privacy_requests_queue_type')
        batch_op.drop_index('ix_selfservice_privacy_requests_queue')
        batch_op.create_index('ix_selfservice_privacy_requests_queue', ['status', 'deadline_at', 'id'], unique=False)
        batch_op.create_index('ix_selfservice_privacy_requests_queue_type', ['status', 'type', 'deadline_at', 'id'], unique=False)
    # open requests: a partial index each, the condition word for word as the queue states it
    is_open = sa.text("status IN ('received', 'verified', 'in_progress', 'scheduled')")
    op.create_index('ix_selfservice_privacy_requests_open', 'selfservice_privacy_requests', ['deadline_at', 'id'], unique=False, sqlite_where=is_open, postgresql_where=is_open)
    op.create_index('ix_selfservice_privacy_requests_open_type', 'selfservice_privacy_requests', ['type', 'deadline_at', 'id'], unique=False, sqlite_where=is_open, postgresql_where=is_open)


def downgrade() -> None:
    op.drop_index('ix_selfservice_privacy_requests_open_type', table_name='selfservice_privacy_requests')
    op.drop_index('ix_selfservice_privacy_requests_open', table_name='selfservice_privacy_requests')
    with op.batch_alter_table('selfservice_privacy_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_selfservice_privacy_requests_queue_type')
        batch_op.drop_index('ix_selfservice_privacy_requests_queue')
        batch_op.create_index('ix_selfservice_privacy_requests_queue', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_selfservice_privacy_requests_queue_type', ['status', 'type', 'due_at', 'id'], unique=False)
        batch_op.drop_column('deadline_at')
