"""Attachments: size and type limits, stored outside the web root, shown only to who may see the case."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

from sqlalchemy import select

from engine.db.audit import NewEvent, append_events
from engine.db.models import Attachment, Case
from engine.services.cases.stepping import lock_case
from engine.services.context import ServiceContext
from engine.services.errors import FormValidationError, NotFoundError
from engine.services.people import policy
from engine.services.people.enforce import ensure_can_view
from engine.services.views import Actor

MAX_BYTES = 10 * 1024 * 1024
# Type by extension, confirmed by the file's first bytes: the browser's content type is never trusted.
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".txt": ("text/plain; charset=utf-8", ()),
    ".csv": ("text/csv; charset=utf-8", ()),
    ".log": ("text/plain; charset=utf-8", ()),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
}


@dataclass(frozen=True)
class AttachmentView:
    """An attachment's metadata."""

    id: str
    case_id: int
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    visibility: str
    created_at: datetime


def storage_dir(ctx: ServiceContext) -> Path:
    """Where attachment bytes live (inside the instance folder, never under web/static)."""
    return ctx.settings.instance_path / "attachments"


def add_attachment(ctx: ServiceContext, actor: Actor, case_id: int, filename: str, content: bytes,
                   visibility: str = "public") -> AttachmentView:
    """Check and store a file for a case; the bytes are written before the row and removed if it fails."""
    name, content_type = _checked(filename, content)
    now = ctx.clock.now()
    storage = uuid.uuid4().hex
    folder = storage_dir(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / storage
    path.write_bytes(content)
    try:
        with ctx.db.write() as session:
            case = lock_case(session, case_id)
            # A case the actor may not see is missing (404) before any rule about what they may write is told.
            ensure_can_view(session, actor, case)
            policy.ensure(policy.upload_refusal(actor, visibility))
            row = Attachment(id=str(uuid.uuid4()), case_id=case.id, uploaded_by=actor.username, filename=name,
                             content_type=content_type, size=len(content), visibility=visibility,
                             sha256=hashlib.sha256(content).hexdigest(), storage_name=storage, created_at=now)
            session.add(row)
            append_events(session, case, [NewEvent("attachment.added", actor.username, now, None, {
                "attachment_id": row.id, "filename": name, "size": len(content), "sha256": row.sha256,
                "visibility": visibility})])
            case.updated_at = now
            return _view(row)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _checked(filename: str, content: bytes) -> tuple[str, str]:
    name = PurePath(filename.replace("\\", "/")).name.strip()[:255]
    suffix = PurePath(name).suffix.lower()
    if not name or suffix not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise FormValidationError({"archivo": [f"Tipo de archivo no permitido; use: {allowed}."]})
    if not content or len(content) > MAX_BYTES:
        raise FormValidationError({"archivo": [f"El archivo debe tener entre 1 byte y {MAX_BYTES // 1048576} MB."]})
    content_type, signatures = ALLOWED[suffix]
    if signatures and not content.startswith(signatures):
        raise FormValidationError({"archivo": [f"El contenido no corresponde a un archivo {suffix}."]})
    if not signatures:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormValidationError({"archivo": ["El archivo de texto debe estar en UTF-8."]}) from exc
    return name, content_type


def list_attachments(ctx: ServiceContext, actor: Actor, case_id: int) -> list[AttachmentView]:
    """Attachments of a case the actor may see."""
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"el caso {case_id} no existe")
        ensure_can_view(session, actor, case)
        query = select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.created_at)
        if not policy.sees_internal(actor):
            query = query.where(Attachment.visibility == "public")
        return [_view(row) for row in session.scalars(query)]


def open_attachment(ctx: ServiceContext, actor: Actor, attachment_id: str) -> tuple[AttachmentView, Path]:
    """An attachment and the path of its bytes, for people who may see it (others get NotFound)."""
    with ctx.db.read() as session:
        row = session.get(Attachment, attachment_id)
        case = session.get(Case, row.case_id) if row is not None else None
        if row is None or case is None:
            raise NotFoundError("el adjunto no existe")
        ensure_can_view(session, actor, case)
        if row.visibility == "internal" and not policy.sees_internal(actor):
            raise NotFoundError("el adjunto no existe")
        return _view(row), storage_dir(ctx) / row.storage_name


def _view(row: Attachment) -> AttachmentView:
    return AttachmentView(row.id, row.case_id, row.filename, row.content_type, row.size, row.uploaded_by,
                          row.visibility, row.created_at)
