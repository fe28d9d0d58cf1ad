"""ix_publications_published_at: the home page's newest publications read from an index, not sorted from all

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 01:00:00
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index('ix_publications_published_at', ['published_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publications_published_at')
