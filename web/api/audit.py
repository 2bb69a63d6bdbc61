"""Auditing a case: verify its chain and replay (GET /cases/{id}/verify), and see it as it was after step k."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from engine.replay import service as replay
from web.api.bearer import actor, services
from web.api.serialize import JsonObject, instant, plain

bp = Blueprint("audit", __name__)


@bp.get("/cases/<int:case_id>/verify")
def verify_case(case_id: int) -> ResponseReturnValue:
    """Hash-chain verification and replay of the case: whether both agree with what is stored, and why not."""
    report = replay.replay_case(services(), actor(), case_id)
    return jsonify(verification_json(report))


@bp.get("/cases/<int:case_id>/at/<int:k>")
def case_at(case_id: int, k: int) -> ResponseReturnValue:
    """The case as it was after its k-th step (0: created, before any step)."""
    return jsonify(snapshot_json(replay.case_at(services(), actor(), case_id, k)))


def verification_json(report: replay.ReplayReport) -> JsonObject:
    """{"chain_ok", "replay_ok", "problems"} of a replay report."""
    return {"chain_ok": report.chain_ok, "replay_ok": report.replay_ok, "problems": list(report.problems)}


def snapshot_json(snapshot: replay.CaseSnapshot) -> JsonObject:
    """A case snapshot: data, state, the diagram's completed and active elements, the ready tasks."""
    return {
        "k": snapshot.k, "steps": snapshot.steps, "event_seq": snapshot.event_seq,
        "occurred_at": instant(snapshot.occurred_at), "data": plain(snapshot.data), "state": snapshot.state,
        "completed_elements": list(snapshot.completed_elements), "active_elements": list(snapshot.active_elements),
        "ready_tasks": [{"element_id": t.element_id, "name": t.name} for t in snapshot.ready_tasks],
        "version": snapshot.version,
    }
