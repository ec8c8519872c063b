"""link_hit.ended: visits of a link after it was disabled or expired, counted apart

Revision ID: 0006_hit_ended
Revises: 0005_hit_spool
Create Date: 2026-11-23 16:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_hit_ended'
down_revision = "0005_hit_spool"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('link_hit') as batch_op:
        batch_op.add_column(sa.Column('ended', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('link_hit') as batch_op:
        batch_op.drop_column('ended')
