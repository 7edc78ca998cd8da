"""the heads of the audit trail's streams

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

Each stream's head starts at its last event as the trail holds it now: what was cut off a
stream before this revision cannot be known; from now on it is noticed.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfservice_audit_heads',
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_selfservice_audit_heads'))
    )
    op.execute(
        "INSERT INTO selfservice_audit_heads (stream, seq, hash) "
        "SELECT e.stream, e.seq, e.hash FROM selfservice_audit_events e "
        "WHERE e.seq = (SELECT MAX(m.seq) FROM selfservice_audit_events m "
        "WHERE m.stream = e.stream)")


def downgrade() -> None:
    op.drop_table('selfservice_audit_heads')
