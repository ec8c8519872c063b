"""hit spool: the names of spool files already moved into link_hit; visits after a link ended

Revision ID: 0005_hit_spool
Revises: 0004_channels
Create Date: 2026-11-23 15:55:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import shopbridge.db


revision = '0005_hit_spool'
down_revision = "0004_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('link_hit_batch',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('at', shopbridge.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('link_hit') as batch_op:
        batch_op.add_column(sa.Column('ended', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('link_hit') as batch_op:
        batch_op.drop_column('ended')
    op.drop_table('link_hit_batch')
