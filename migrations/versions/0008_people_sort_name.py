"""people.index_letter and people.sort_name: the alphabetical index of authors read a page at a time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 00:20:00
"""
from alembic import op
import sqlalchemy as sa

from archive.collation import SORT_NAME_LENGTH, initial, sort_name


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SORT_NAME = sa.String(length=SORT_NAME_LENGTH).with_variant(
    sa.String(length=SORT_NAME_LENGTH, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_letter', sa.String(length=2), server_default='', nullable=False))
        batch_op.add_column(sa.Column('sort_name', SORT_NAME, server_default='', nullable=False))
    # Every existing person's key, from the same functions the app uses when it writes a person.
    people = sa.table('people', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('index_letter', sa.String), sa.column('sort_name', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(people.c.id, people.c.name)).all()
    for i in range(0, len(rows), 1000):
        conn.execute(people.update().where(people.c.id == sa.bindparam('pid')).values(
            index_letter=sa.bindparam('letter'), sort_name=sa.bindparam('key')),
            [{'pid': pid, 'letter': initial(name or ''), 'key': sort_name(name or '')}
             for pid, name in rows[i:i + 1000]])
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_index_letter_sort_name', ['index_letter', 'sort_name', 'id'], unique=False)
        batch_op.create_index('ix_people_sort_name', ['sort_name', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_sort_name')
        batch_op.drop_index('ix_people_index_letter_sort_name')
        batch_op.drop_column('sort_name')
        batch_op.drop_column('index_letter')
