"""Alembic environment: runs against the engine handed over by shopbridge.migrate."""

from alembic import context

import shopbridge.models  # noqa: F401  (registers every table on the metadata)
from shopbridge.db import metadata

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables there and is a no-op elsewhere.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
