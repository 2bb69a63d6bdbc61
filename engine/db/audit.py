"""Append-only, hash-chained audit events per case, and their verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Case, CaseEvent

GENESIS = "0" * 64


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended (the chain fields are computed on append)."""

    kind: str
    actor: str
    occurred_at: datetime
    element_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class ChainProblem:
    """The first event where a case's chain stops verifying."""

    case_id: int
    seq: int | None
    message: str


def canonical(case_id: int, seq: int, event: NewEvent) -> str:
    """The exact text that is hashed: sorted keys, no spaces, UTC ISO time, UTF-8."""
    body = {
        "case_id": case_id,
        "seq": seq,
        "kind": event.kind,
        "actor": event.actor,
        "occurred_at": event.occurred_at.isoformat(),
        "element_id": event.element_id,
        "payload": event.payload,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, text: str) -> str:
    """sha256 of the previous hash followed by the canonical event."""
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def append_events(session: Session, case: Case, events: Sequence[NewEvent]) -> list[CaseEvent]:
    """Append events at the end of the case's chain and move its head (inside the caller's transaction)."""
    case_id, seq, prev = case.id, case.audit_seq, case.audit_head
    rows = []
    for event in events:
        seq += 1
        text = canonical(case_id, seq, event)
        digest = chain_hash(prev, text)
        rows.append(CaseEvent(
            case_id=case_id, seq=seq, kind=event.kind, actor=event.actor, occurred_at=event.occurred_at,
            element_id=event.element_id, payload_json=json.dumps(event.payload, sort_keys=True, ensure_ascii=False,
                                                                 default=str),
            prev_hash=prev, hash=digest,
        ))
        prev = digest
    session.add_all(rows)
    case.audit_seq, case.audit_head = seq, prev
    return rows


def verify_chain(case_id: int, rows: Iterable[CaseEvent]) -> ChainProblem | None:
    """Recompute the chain: an edited, deleted, inserted or reordered event breaks it."""
    prev, expected_seq = GENESIS, 1
    for row in rows:
        if row.seq != expected_seq:
            return ChainProblem(case_id, row.seq, f"se esperaba el evento {expected_seq} y aparece el {row.seq}")
        if row.prev_hash != prev:
            problem = "el hash anterior no coincide (evento eliminado, insertado o reordenado)"
            return ChainProblem(case_id, row.seq, problem)
        event = NewEvent(row.kind, row.actor, row.occurred_at, row.element_id, json.loads(row.payload_json))
        if chain_hash(prev, canonical(case_id, row.seq, event)) != row.hash:
            return ChainProblem(case_id, row.seq, "el contenido del evento fue alterado (hash distinto)")
        prev, expected_seq = row.hash, expected_seq + 1
    if expected_seq == 1:
        return ChainProblem(case_id, None, "el caso no tiene eventos de auditoría")
    return None


def verify_case(session: Session, case_id: int, expected_last_hash: str | None = None) -> ChainProblem | None:
    """Verify one case's chain, optionally against the head hash recorded on the case (catches truncation)."""
    rows = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
    problem = verify_chain(case_id, rows)
    if problem is None and expected_last_hash is not None and rows[-1].hash != expected_last_hash:
        return ChainProblem(case_id, rows[-1].seq, "faltan eventos al final de la cadena (cola truncada)")
    return problem
