"""Listings of a year, language, kind or topic read a page at a time: (…, year, id) indexes, publication_topics.year

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publications_year')
        batch_op.create_index('ix_publications_year_id', ['year', 'id'], unique=False)
        batch_op.create_index('ix_publications_language_year', ['language', 'year', 'id'], unique=False)
        batch_op.create_index('ix_publications_kind_year', ['kind', 'year', 'id'], unique=False)
    with op.batch_alter_table('publication_topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year', sa.Integer(), nullable=True))
    # Every existing link gets its publication's year (the app keeps it so from now on).
    links = sa.table('publication_topics', sa.column('publication_id', sa.Integer), sa.column('year', sa.Integer))
    pubs = sa.table('publications', sa.column('id', sa.Integer), sa.column('year', sa.Integer))
    op.get_bind().execute(links.update().values(
        year=sa.select(pubs.c.year).where(pubs.c.id == links.c.publication_id).scalar_subquery()))
    with op.batch_alter_table('publication_topics', schema=None) as batch_op:
        batch_op.create_index('ix_publication_topics_topic_year', ['topic_id', 'year', 'publication_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publication_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_topics_topic_year')
        batch_op.drop_column('year')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publications_kind_year')
        batch_op.drop_index('ix_publications_language_year')
        batch_op.drop_index('ix_publications_year_id')
        batch_op.create_index('ix_publications_year', ['year'], unique=False)
