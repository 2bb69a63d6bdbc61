"""Readable, unique ticket numbers: PREFIX-YEAR-000123, safe under concurrent registrations."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.db.models import TicketSequence


def next_ticket(session: Session, prefix: str, year: int) -> str:
    """Take the next number of (prefix, year) inside the caller's transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(TicketSequence).values(prefix=prefix, year=year, last_value=0).on_conflict_do_nothing()
    )
    # A single UPDATE ... RETURNING increments atomically; the row lock serialises concurrent steps.
    value = session.execute(
        update(TicketSequence)
        .where(TicketSequence.prefix == prefix, TicketSequence.year == year)
        .values(last_value=TicketSequence.last_value + 1)
        .returning(TicketSequence.last_value)
    ).scalar_one()
    return f"{prefix}-{year}-{value:06d}"
