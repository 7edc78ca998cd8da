"""dpa: signed Data Processing Addenda, and new-version notices

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selfservice_dpa_notices',
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('signed_version', sa.String(length=40), nullable=False),
    sa.Column('created_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', 'org_id', name=op.f('pk_selfservice_dpa_notices'))
    )
    op.create_table('selfservice_dpa_signatures',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('org_name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('account_email', sa.String(length=254), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('registration_number', sa.String(length=64), nullable=True),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signer_title', sa.String(length=120), nullable=False),
    sa.Column('signer_email', sa.String(length=254), nullable=False),
    sa.Column('signed_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('authenticated_at', selfservice.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('certificate_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_dpa_signatures')),
    sa.UniqueConstraint('org_id', 'version', name='uq_selfservice_dpa_signatures_org')
    )


def downgrade() -> None:
    op.drop_table('selfservice_dpa_signatures')
    op.drop_table('selfservice_dpa_notices')
