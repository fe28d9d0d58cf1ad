"""publication_references and work_keys: reference lists of publications, linked to archive works

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'publication_references',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('publication_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('list_heading', sa.String(length=200), nullable=False),
        sa.Column('raw', sa.Text(), nullable=False),
        sa.Column('authors', sa.JSON(), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('container', sa.Text(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('pages', sa.String(length=100), nullable=False),
        sa.Column('doi', sa.String(length=300), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('parse_status', sa.String(length=10), nullable=False),
        sa.Column('head_key', sa.String(length=100), nullable=False),
        sa.Column('target_publication_id', sa.Integer(), nullable=True),
        sa.Column('link_status', sa.String(length=10), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['publication_id'], ['publications.id'],
                                name=op.f('fk_publication_references_publication_id_publications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_publication_id'], ['publications.id'],
                                name=op.f('fk_publication_references_target_publication_id_publications'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_references')),
        sa.UniqueConstraint('publication_id', 'position', name=op.f('uq_publication_references_publication_id')),
    )
    with op.batch_alter_table('publication_references', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_references_head_key'), ['head_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_references_target_publication_id'),
                              ['target_publication_id'], unique=False)
    op.create_table(
        'work_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('publication_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['publication_id'], ['publications.id'],
                                name=op.f('fk_work_keys_publication_id_publications'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_work_keys')),
        sa.UniqueConstraint('publication_id', 'key', name=op.f('uq_work_keys_publication_id')),
    )
    with op.batch_alter_table('work_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_keys_key'), ['key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_keys_key'))
    op.drop_table('work_keys')
    with op.batch_alter_table('publication_references', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_references_target_publication_id'))
        batch_op.drop_index(batch_op.f('ix_publication_references_head_key'))
    op.drop_table('publication_references')
