"""order money columns are 64-bit, like catalogue prices

A line of 20 items at the catalogue's highest price (10^11 minor units) overflows a 32-bit integer; on
PostgreSQL that was an error at checkout. SQLite's integers are 64-bit already (the batch copy is harmless).

Revision ID: 0009_order_money_64bit
Revises: 0008_chat_orders
Create Date: 2026-11-23 16:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_order_money_64bit'
down_revision = "0008_chat_orders"
branch_labels = None
depends_on = None

COLUMNS = {
    "shop_order": ["subtotal_minor", "shipping_minor", "discount_minor", "total_minor", "paid_minor",
                   "refunded_minor"],
    "order_line": ["unit_price_minor", "total_minor"],
    "discount_code": ["amount_minor"],
    "refund": ["amount_minor"],
}


def _alter(to_type, from_type) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=to_type, existing_type=from_type)


def upgrade() -> None:
    _alter(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _alter(sa.Integer(), sa.BigInteger())
