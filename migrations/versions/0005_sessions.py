"""server-side sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfservice_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=60), nullable=False),
    sa.Column('revoked_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_sessions'))
    )
    with op.batch_alter_table('selfservice_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfservice_sessions_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('selfservice_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfservice_sessions_account_id'))

    op.drop_table('selfservice_sessions')
