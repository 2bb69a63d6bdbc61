"""A whole protocol as one JSON or YAML file: export a version, import a file as the help desk's draft.

The file wraps the document with the version's data: {mesa, version, estado, notas, proxima_revision, protocolo}.
Importing reads only notas, proxima_revision and protocolo (the rest says where the file came from) and never
publishes by itself. YAML is read with `safe_load` only: a file can hold data, never objects.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from engine.helpdesk.protocol import Problem
from engine.helpdesk.protocol_read import Reader
from engine.services.context import ServiceContext
from engine.services.helpdesks.access import ensure_may_manage, ensure_may_read
from engine.services.helpdesks.errors import ProtocolRejectedError
from engine.services.helpdesks.events import record
from engine.services.helpdesks.protocols import checked_document, draft_row, people_of, today, version_view, write_draft
from engine.services.helpdesks.queries import CURRENT, version_row
from engine.services.helpdesks.views import ProtocolVersionView
from engine.services.views import Actor

FORMATS = ("json", "yaml")
MAX_BYTES = 1_000_000
_WRAPPER = ("mesa", "version", "estado", "notas", "proxima_revision")


def export_protocol(ctx: ServiceContext, actor: Actor, code: str, fmt: str = "yaml",
                    which: str | int = CURRENT) -> str:
    """The version as a JSON or YAML text that `import_protocol` reads back."""
    if fmt not in FORMATS:
        raise ProtocolRejectedError([Problem("formato", f"formato '{fmt}' desconocido; use json o yaml")])
    with ctx.db.read() as session:
        ensure_may_read(session, actor, code)
        view = version_view(version_row(session, code, which))
    data = {"mesa": code, "version": view.number, "estado": view.status, "notas": view.notes,
            "proxima_revision": view.next_review.isoformat() if view.next_review else None,
            "protocolo": view.document.to_dict()}
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def import_protocol(ctx: ServiceContext, actor: Actor, code: str, text: str, fmt: str) -> ProtocolVersionView:
    """Make a file the help desk's draft (replacing the draft it had); nothing is stored if anything is wrong."""
    data = parse(text, fmt)
    reader = Reader()
    wrapper = reader.mapping(data, "", ("protocolo",), _WRAPPER)
    if wrapper is None:
        raise ProtocolRejectedError(reader.problems)
    notes = reader.text(wrapper.get("notas", ""), "notas", empty=True, limit=4000)
    review = wrapper.get("proxima_revision")
    next_review = reader.day(review, "proxima_revision") if review is not None else None
    with ctx.db.write() as session:
        ensure_may_manage(session, actor, code)
        document = checked_document(session, code, wrapper.get("protocolo"), today(ctx), next_review,
                                    prefix="protocolo.", earlier=reader.problems)
        row = write_draft(session, actor, code, document.with_people(people_of(session, code)), ctx.clock.now(),
                          notes=notes or "", next_review=next_review, row=draft_row(session, code))
        record(session, actor, "protocolo.importado", code, ctx.clock.now(), formato=fmt,
               origen=wrapper.get("mesa"), version_origen=wrapper.get("version"))
        return version_view(row)


def parse(text: str, fmt: str) -> Any:
    """The plain data of a JSON or YAML text, or ProtocolRejectedError saying where it is malformed."""
    if fmt not in FORMATS:
        raise ProtocolRejectedError([Problem("formato", f"formato '{fmt}' desconocido; use json o yaml")])
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ProtocolRejectedError([Problem("", f"el archivo pasa de {MAX_BYTES // 1000} kB")])
    try:
        return json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ProtocolRejectedError([Problem("", f"JSON inválido: {exc.msg} (línea {exc.lineno}, "
                                                 f"columna {exc.colno})")]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" en la línea {mark.line + 1}, columna {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "no se pudo leer"
        raise ProtocolRejectedError([Problem("", f"YAML inválido{where}: {reason}")]) from exc
