"""publication_topics.published_at: a topic's feed reads its newest confirmed records from an index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publication_topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    # Every existing link gets its publication's publication time (the app keeps it so from now on).
    links = sa.table('publication_topics', sa.column('publication_id', sa.Integer),
                     sa.column('published_at', sa.DateTime(timezone=True)))
    pubs = sa.table('publications', sa.column('id', sa.Integer), sa.column('published_at', sa.DateTime(timezone=True)))
    op.get_bind().execute(links.update().values(
        published_at=sa.select(pubs.c.published_at).where(pubs.c.id == links.c.publication_id).scalar_subquery()))
    with op.batch_alter_table('publication_topics', schema=None) as batch_op:
        batch_op.create_index('ix_publication_topics_topic_published',
                              ['topic_id', 'suggested', 'published_at', 'publication_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publication_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_topics_topic_published')
        batch_op.drop_column('published_at')
