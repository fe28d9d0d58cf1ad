"""ix_publications_updated_at: OAI-PMH lists read in datestamp order from an index, an incremental harvest only
what changed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:40:00
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index('ix_publications_updated_at', ['updated_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publications_updated_at')
