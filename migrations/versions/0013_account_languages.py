"""the language of each account (its e-mails are written in it), and of a deletion's
completion e-mail

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfservice_account_languages',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('updated_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_selfservice_account_languages'))
    )
    with op.batch_alter_table('selfservice_deletions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    """The recorded languages go: e-mails are written in English again until each customer
    signs in (nothing else depends on them)."""
    with op.batch_alter_table('selfservice_deletions', schema=None) as batch_op:
        batch_op.drop_column('notify_language')
    op.drop_table('selfservice_account_languages')
