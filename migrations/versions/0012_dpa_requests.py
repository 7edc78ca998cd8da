"""dpa requests (an organisation asks for changes to the DPA) and negotiated DPAs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import selfservice.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLE = 'selfservice_privacy_requests'
OLD_TYPES = ('export', 'deletion', 'correction', 'restriction', 'objection',
             'automated_decision_review', 'limit_sensitive_data', 'appeal')
NEW_TYPES = OLD_TYPES + ('dpa',)
#: the open-queue indexes (0011): partial, their condition word for word as the queue states it
IS_OPEN = "status IN ('received', 'verified', 'in_progress', 'scheduled')"


def _types(values: tuple[str, ...]) -> str:
    return "type IN ({})".format(", ".join(f"'{v}'" for v in values))


def _replace_type_check(values: tuple[str, ...]) -> None:
    """The CHECK constraint of the request types, with ``values``. On SQLite the table is
    copied into a new one (batch mode; env.py turns foreign keys off for it, so no timeline
    goes with the old table), and the partial open-queue indexes are made again as they were:
    the copy would make them whole."""
    with op.batch_alter_table(TABLE, schema=None, recreate='auto') as batch_op:
        batch_op.drop_constraint(op.f('ck_selfservice_privacy_requests_type'), type_='check')
        batch_op.create_check_constraint(op.f('ck_selfservice_privacy_requests_type'),
                                         sa.text(_types(values)))
    if op.get_context().dialect.name == 'sqlite':
        is_open = sa.text(IS_OPEN)
        op.drop_index('ix_selfservice_privacy_requests_open_type', table_name=TABLE)
        op.drop_index('ix_selfservice_privacy_requests_open', table_name=TABLE)
        op.create_index('ix_selfservice_privacy_requests_open', TABLE, ['deadline_at', 'id'], unique=False, sqlite_where=is_open)
        op.create_index('ix_selfservice_privacy_requests_open_type', TABLE, ['type', 'deadline_at', 'id'], unique=False, sqlite_where=is_open)


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.String(length=64), nullable=True))
    _replace_type_check(NEW_TYPES)
    op.create_table('selfservice_dpa_negotiated',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('org_name', sa.String(length=200), nullable=False),
    sa.Column('version_label', sa.String(length=120), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', selfservice.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('request_reference', sa.String(length=16), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('signatures', sa.JSON(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selfservice_dpa_negotiated')),
    sa.UniqueConstraint('org_id', 'file_sha256', name='uq_selfservice_dpa_negotiated_file')
    )
    with op.batch_alter_table('selfservice_dpa_negotiated', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfservice_dpa_negotiated_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    """Refused while dpa requests or negotiated DPAs exist: they are an organisation's
    contract negotiation, which a schema downgrade must not delete."""
    connection = op.get_bind()
    kept = connection.execute(sa.text(
        f"SELECT (SELECT COUNT(*) FROM {TABLE} WHERE type = 'dpa') + "
        "(SELECT COUNT(*) FROM selfservice_dpa_negotiated)")).scalar()
    if kept:
        raise RuntimeError(f"{kept} dpa requests and negotiated DPAs exist: a downgrade below "
                           "0012 would delete them. Export them first, then delete them "
                           "yourself if you mean to.")
    with op.batch_alter_table('selfservice_dpa_negotiated', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfservice_dpa_negotiated_org_id'))
    op.drop_table('selfservice_dpa_negotiated')
    _replace_type_check(OLD_TYPES)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_column('org_id')
