"""Verify the audit chains of one or all cases."""

from __future__ import annotations

from sqlalchemy import select

from engine.db.audit import ChainProblem, verify_case
from engine.db.models import Case
from engine.services.context import ServiceContext
from engine.services.errors import NotFoundError


def verify_chains(ctx: ServiceContext, case_id: int | None = None) -> tuple[int, list[ChainProblem]]:
    """(cases checked, problems): each problem names the case and its first bad event."""
    with ctx.db.read() as session:
        if case_id is not None:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFoundError(f"el caso {case_id} no existe")
            heads = [(case.id, case.audit_head)]
        else:
            heads = list(session.execute(select(Case.id, Case.audit_head).order_by(Case.id)).tuples())
        problems = [p for cid, head in heads if (p := verify_case(session, cid, head)) is not None]
        return len(heads), problems
