"""people: press_contact_agreed (the press contact is shown to readers only with the person's agreement)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing contacts were entered without recorded agreement: they stay hidden until an editor ticks it.
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('press_contact_agreed', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('press_contact_agreed')
