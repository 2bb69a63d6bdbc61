"""Integration tests (real SQLite and PostgreSQL) and their helpers: a real SMTP server, case walks."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.db.models import OutboxMessage
from engine.services.context import ServiceContext
from tests.helpers import walk_to_ticket, walk_to_validation


def free_port() -> int:
    """A TCP port nobody listens on right now (closed again, so connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RecordingHandler:
    """aiosmtpd handler that keeps every accepted envelope; `reply` lets a test make DATA fail."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.reply = "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.reply

    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed."""
        parsed = [message_from_bytes(e.original_content or e.content, policy=policy.default)
                  for e in self.envelopes]
        return [m for m in parsed if isinstance(m, EmailMessage)]


@contextmanager
def smtp_server(handler: RecordingHandler | None = None,
                **controller_options: Any) -> Iterator[tuple[str, RecordingHandler]]:
    """A real aiosmtpd server on 127.0.0.1: yields its smtp:// URL and the handler; always stopped."""
    handler = handler or RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **controller_options)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}?timeout=5", handler
    finally:
        controller.stop()


def with_smtp(ctx: ServiceContext, url: str | None) -> ServiceContext:
    """The same services (database, clock) with another MESA_SMTP_URL."""
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, smtp_url=url))


def outbox(ctx: ServiceContext) -> list[OutboxMessage]:
    """Every outbox row, oldest first (detached copies)."""
    with ctx.db.read() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


__all__ = ["RecordingHandler", "free_port", "outbox", "smtp_server", "walk_to_ticket", "walk_to_validation",
           "with_smtp"]
