"""Schema migrations with Alembic, run from ``shopbridge db upgrade`` (and by the test fixtures).

The production path never calls ``create_all``: every table comes from a migration in
``shopbridge/migrations/versions``, so a shop upgrading shopbridge gets the same schema as a fresh install.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def pending(engine: Engine) -> set[str]:
    """Revisions not yet applied (empty when the database is current)."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return set(script.get_heads()) - current


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the difference between the models and the database (developers only)."""
    command.revision(alembic_config(engine), message=message, autogenerate=True)
