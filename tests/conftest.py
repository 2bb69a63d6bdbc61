"""Shared fixtures: a real database (SQLite file and PostgreSQL), a fixed clock, the deployed process."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from engine.clock import FixedClock
from engine.config import Settings
from engine.db.models import Base
from engine.db.session import Database
from engine.services.context import ServiceContext
from engine.setup.bootstrap import initialise, seed_demo

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A Tuesday, 09:00 in Bogotá: business-day deadlines are easy to reason about from here.
T0 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
PG_ADMIN_URL = os.environ.get("MESA_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
_pg_state: dict[str, str] = {}


def _pg_unavailable(reason: str) -> None:
    _pg_state["unavailable"] = reason
    message = f"PostgreSQL no disponible en {PG_ADMIN_URL}: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (en CI esto es un fallo, no una omisión)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"mesa_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _pg_unavailable(str(exc).strip().splitlines()[0])
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when the PostgreSQL half of the suite did not run."""
    if "unavailable" in _pg_state:
        terminalreporter.section("POSTGRESQL NO DISPONIBLE", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"Las pruebas sobre PostgreSQL NO se ejecutaron: {_pg_state['unavailable']}")


def _fresh_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'mesa.db'}")
    db = Database(request.getfixturevalue("postgres_url"))
    with db.write_engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each kind (tests using it run twice)."""
    db = _fresh_database(request.param, tmp_path, request)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """An empty SQLite database file."""
    db = Database(f"sqlite:///{tmp_path / 'mesa.db'}")
    yield db
    db.dispose()


def make_settings(tmp_path: Path, url: str) -> Settings:
    """Settings for tests: database URL, instance folder, no SMTP."""
    return Settings.from_env({"MESA_INSTANCE_PATH": str(tmp_path / "instance"), "MESA_DATABASE_URL": url,
                              "MESA_BASE_URL": "http://127.0.0.1:5000"})


@pytest.fixture
def clock() -> FixedClock:
    """The tests' clock, at T0 until moved."""
    return FixedClock(T0)


@pytest.fixture
def ctx(database: Database, tmp_path: Path, clock: FixedClock) -> ServiceContext:
    """Services over each database kind with the process deployed and the demo help desk and users."""
    context = ServiceContext(database, make_settings(tmp_path, database.url), clock)
    initialise(context, "dueno")
    seed_demo(context)
    return context


@pytest.fixture
def sqlite_ctx(sqlite_database: Database, tmp_path: Path, clock: FixedClock) -> ServiceContext:
    """Like ctx, on SQLite only (for tests that are about something else than the database)."""
    context = ServiceContext(sqlite_database, make_settings(tmp_path, sqlite_database.url), clock)
    initialise(context, "dueno")
    seed_demo(context)
    return context


__all__ = ["FIXTURES", "ROOT", "T0", "Base"]
