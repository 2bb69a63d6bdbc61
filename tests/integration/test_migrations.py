"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engine.db.models import Base
from engine.db.schema import alembic_config, upgrade
from engine.db.session import Database

# SQLite cannot reflect expression indexes (migration 0002), so Alembic cannot compare them; both say so.
pytestmark = [
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
]


def test_migrated_schema_matches_the_models(database: Database) -> None:
    upgrade(database)
    with database.write_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_inbox_sort_indexes_exist_and_downgrade_removes_everything(database: Database) -> None:
    upgrade(database)
    with database.write_engine.connect() as connection:
        indexes = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index'" if database.is_sqlite
            else "SELECT indexname FROM pg_indexes WHERE tablename = 'inbox_tasks'").scalars())
    assert {f"ix_inbox_tasks_open_by_{order}" for order in ("due", "priority", "created")} <= indexes
    config = alembic_config()
    with database.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(database.write_engine).get_table_names()) <= {"alembic_version"}
    upgrade(database)  # and back up again
    assert "cases" in inspect(database.write_engine).get_table_names()
