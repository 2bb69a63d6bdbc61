"""Tampering with a real database is detected and reported with the case and the first bad event."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine.db.audit import chain_hash
from engine.db.models import CaseEvent
from engine.services.audit.chains import verify_chains
from engine.services.context import ServiceContext
from tests.helpers import ACCEPT, walk_to_validation


def _closed_case(ctx: ServiceContext) -> int:
    return walk_to_validation(ctx).complete("solicitante", ACCEPT, "Activity_ValidarSolucion").id


def _edit(session: Session, case_id: int) -> int:
    row = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "task.completed")
                         .order_by(CaseEvent.seq).limit(1))
    assert row is not None
    payload = json.loads(row.payload_json)
    payload["data"]["impacto"] = "bajo"  # someone lowers the recorded impact after the fact
    row.payload_json = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return row.seq


def _delete_middle(session: Session, case_id: int) -> int:
    session.execute(delete(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 3))
    return 4


def _insert(session: Session, case_id: int) -> int:
    last = session.scalar(select(CaseEvent.seq).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq.desc()))
    assert last is not None
    for seq in range(last, 3, -1):  # make room at 4 (descending keeps (case_id, seq) unique)
        session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == seq)
                        .values(seq=seq + 1))
    prev = session.scalar(select(CaseEvent.hash).where(CaseEvent.case_id == case_id, CaseEvent.seq == 3))
    assert prev is not None
    forged = CaseEvent(case_id=case_id, seq=4, kind="task.completed", actor="nivel2", element_id="Activity_X",
                       occurred_at=session.scalar(select(CaseEvent.occurred_at).where(CaseEvent.case_id == case_id)),
                       payload_json="{}", prev_hash=prev, hash=chain_hash(prev, "forged"))
    session.add(forged)
    return 4


def _reorder(session: Session, case_id: int) -> int:
    for seq, temp in ((2, -2), (3, 2), (-2, 3)):
        session.execute(update(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == seq).values(seq=temp))
    return 2


def _truncate(session: Session, case_id: int) -> int:
    last = session.scalar(select(CaseEvent.seq).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq.desc()))
    assert last is not None
    session.execute(delete(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq >= last - 1))
    return last - 2


TAMPERS: dict[str, Callable[[Session, int], int]] = {
    "edited": _edit, "deleted": _delete_middle, "inserted": _insert, "reordered": _reorder, "truncated": _truncate,
}


@pytest.mark.parametrize("tamper", list(TAMPERS), ids=list(TAMPERS))
def test_tampering_is_detected_with_case_and_first_bad_event(ctx: ServiceContext, tamper: str) -> None:
    untouched, target = _closed_case(ctx), _closed_case(ctx)
    assert verify_chains(ctx) == (2, [])
    with ctx.db.write() as session:
        first_bad = TAMPERS[tamper](session, target)
    checked, problems = verify_chains(ctx)
    assert checked == 2
    assert [(p.case_id, p.seq) for p in problems] == [(target, first_bad)], problems
    assert verify_chains(ctx, untouched) == (1, [])
