"""people.surname_key: the editors' possible duplicates read a surname group at a time; ix_publications_created_by:
a member's dashboard reads their own uploads from an index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:40:00
"""
from alembic import op
import sqlalchemy as sa

from archive.names import SURNAME_KEY_LENGTH, person_surname_key


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

SURNAME_KEY = sa.String(length=SURNAME_KEY_LENGTH).with_variant(
    sa.String(length=SURNAME_KEY_LENGTH, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('surname_key', SURNAME_KEY, server_default='', nullable=False))
    # Every existing person's key, from the same function the app uses when it writes a person.
    people = sa.table('people', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('surname', sa.String), sa.column('surname_key', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(people.c.id, people.c.name, people.c.surname)).all()
    for i in range(0, len(rows), 1000):
        conn.execute(people.update().where(people.c.id == sa.bindparam('pid')).values(
            surname_key=sa.bindparam('key')),
            [{'pid': pid, 'key': person_surname_key(name or '', surname or '')}
             for pid, name, surname in rows[i:i + 1000]])
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_surname_key', ['surname_key', 'merged_into_id', 'id'], unique=False)
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index('ix_publications_created_by', ['created_by_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publications_created_by')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_surname_key')
        batch_op.drop_column('surname_key')
