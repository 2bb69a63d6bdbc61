"""What every command shares: a service context from the environment and domain errors as clean exits."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import click

from engine.clock import FixedClock, SystemClock
from engine.config import ConfigError, Settings
from engine.db.session import Database
from engine.deployment import DeploymentError
from engine.services.context import ServiceContext
from engine.services.errors import FormValidationError, ServiceError

T = TypeVar("T")


@contextmanager
def service_context(clock_at: datetime | None = None) -> Iterator[ServiceContext]:
    """A ServiceContext from the environment's settings; the database is disposed on exit."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    db = Database(settings.database_url)
    try:
        yield ServiceContext(db, settings, FixedClock(clock_at) if clock_at else SystemClock())
    finally:
        db.dispose()


def run_service(action: Callable[[], T]) -> T:
    """Run a service call, turning domain errors into a clean non-zero exit."""
    try:
        return action()
    except DeploymentError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    except FormValidationError as exc:
        lines = [f"  {field}: {' '.join(messages)}" for field, messages in exc.errors.items()]
        raise click.ClickException("datos inválidos:\n" + "\n".join(lines)) from exc
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
