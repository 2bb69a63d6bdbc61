"""Demo mail sink: an SMTP server on 127.0.0.1 that stores every message as an .eml file, and a reader.

Only for demonstrations: outgoing mail never leaves the machine, and a page of the app lists it so a
newcomer can read the notifications and follow their links.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
# <nanoseconds>-<random hex>.eml: names sort by arrival and cannot be made to point outside the folder.
_NAME = re.compile(r"\d{19,}-[0-9a-f]{32}\.eml")


def mail_folder(instance_path: Path) -> Path:
    """Where the sink of an instance keeps its messages."""
    return instance_path / "demo-mail"


@dataclass(frozen=True)
class StoredMail:
    """One received message, as the mailbox page shows it."""

    id: str
    sender: str
    to: str
    subject: str
    date: datetime | None
    body: str


class _StoreHandler:
    """aiosmtpd handler writing each accepted message to the folder (atomically: temp file, then rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        fd, temp = tempfile.mkstemp(dir=self.folder, suffix=".part")
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.replace(temp, self.folder / name)
        return "250 OK"


class MailSink:
    """The SMTP server; start() returns the smtp:// URL that MESA_SMTP_URL should point at."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or _free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """The MESA_SMTP_URL of this sink."""
        return f"smtp://{HOST}:{self.port}?timeout=10"

    def start(self) -> str:
        """Create the folder and listen on 127.0.0.1 (in a background thread)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_StoreHandler(self.folder), hostname=HOST, port=self.port)
        self._controller.start()
        return self.url

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def list_mail(folder: Path, limit: int = 200) -> list[StoredMail]:
    """The newest messages first."""
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if _NAME.fullmatch(p.name)), reverse=True)
    return [_read(folder / name) for name in names[:limit]]


def read_mail(folder: Path, mail_id: str) -> StoredMail | None:
    """One message by its id (the file name), or None when there is no such message."""
    if not _NAME.fullmatch(mail_id) or not (folder / mail_id).is_file():
        return None
    return _read(folder / mail_id)


def _read(path: Path) -> StoredMail:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = ""
    if isinstance(parsed, EmailMessage):
        part = parsed.get_body(preferencelist=("plain",))
        body = part.get_content() if isinstance(part, EmailMessage) else ""
    return StoredMail(id=path.name, sender=str(parsed.get("From", "")), to=str(parsed.get("To", "")),
                      subject=str(parsed.get("Subject", "")), date=_date(parsed.get("Date")),
                      body=body.replace("\r\n", "\n"))


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
