"""duplicate keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:44:51.434268
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_key', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('simhash', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_publications_simhash'), ['simhash'], unique=False)
        batch_op.create_index(batch_op.f('ix_publications_title_key'), ['title_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publications_title_key'))
        batch_op.drop_index(batch_op.f('ix_publications_simhash'))
        batch_op.drop_column('simhash')
        batch_op.drop_column('title_key')

