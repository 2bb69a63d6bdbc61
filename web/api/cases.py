"""Cases: start one (any deployed process, or the help desk's), list them, read one, its audit events and ANS clocks."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask.typing import ResponseReturnValue

from engine.services.cases import queries as case_queries
from engine.services.cases import start as engine_cases
from engine.services.cases.clocks import case_clocks
from web.api import params
from web.api.bearer import actor, services
from web.api.responses import created, listing, page
from web.api.serialize import case_json, clock_json, events_json

bp = Blueprint("cases", __name__)
LIST_PARAMS = ("mine", "state", "open", "limit", "offset")
START_BODY = {"data": params.DATA, "requester": params.REQUESTER}


@bp.post("/cases")
def start_help_desk_case() -> ResponseReturnValue:
    """Report a help-desk case (process mesa_de_ayuda) with its start-form data."""
    return _start(engine_cases.MAIN_PROCESS)


@bp.post("/processes/<process_id>/cases")
def start_case(process_id: str) -> ResponseReturnValue:
    """Start a case of the newest version of a deployed process."""
    return _start(process_id)


def _start(process_id: str) -> ResponseReturnValue:
    sent = params.body(START_BODY)
    case = engine_cases.start_case(services(), actor(), sent["data"], process_id=process_id,
                                   requester=sent.get("requester"))
    return created(case_json(case, actor()), url_for(".get_case", case_id=case.id))


@bp.get("/cases")
def list_cases() -> ResponseReturnValue:
    """Cases the caller may see, newest first (mine, state and open filter them)."""
    args = params.query(LIST_PARAMS)
    limit, offset = page(args, 100, 500)
    found = case_queries.list_cases(services(), actor(), mine=bool(params.flag(args, "mine")),
                                    state=params.text(args, "state"), is_open=params.flag(args, "open"),
                                    limit=limit, offset=offset)
    return listing([case_json(case, actor()) for case in found], limit, offset)


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int) -> ResponseReturnValue:
    """One case with its data and ready tasks."""
    return jsonify(case_json(engine_cases.get_case(services(), actor(), case_id, with_history=False), actor()))


@bp.get("/cases/<int:case_id>/events")
def case_events(case_id: int) -> ResponseReturnValue:
    """The case's audit events the caller may read, oldest first."""
    return jsonify(events_json(engine_cases.get_case(services(), actor(), case_id, with_history=True), actor()))


@bp.get("/cases/<int:case_id>/ans")
def case_service_levels(case_id: int) -> ResponseReturnValue:
    """The case's ANS clocks as read now (DNP staff; an empty list for requesters and providers)."""
    return jsonify([clock_json(clock) for clock in case_clocks(services(), actor(), case_id)])
