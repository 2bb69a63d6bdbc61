"""GET /api/v1/export.xes and /export.csv: streamed downloads for auditors, owners and administrators."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree

from engine.clock import FixedClock
from engine.services.context import ServiceContext
from tests.conftest import FIXTURES
from tests.helpers import walk_to_ticket
from tests.web.api_support import Api, expect, expect_error

SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "xes" / "xes.xsd")))


@pytest.fixture
def api(ctx: ServiceContext, clock: FixedClock) -> Api:
    """The API over SQLite and PostgreSQL with a case reported on 1 and on 2 December (Bogotá)."""
    walk_to_ticket(ctx)
    clock.advance(timedelta(days=1))
    walk_to_ticket(ctx)
    return Api(ctx)


def _traces(body: bytes) -> list[dict[str, Any]]:
    document = etree.fromstring(body)
    SCHEMA.assertValid(document)
    return [{a.get("key"): a.get("value") for a in trace if a.get("key")} for trace in document.iter("trace")]


def test_auditors_download_the_xes_as_a_streamed_attachment(api: Api) -> None:
    response = api.get("auditor", "/export.xes")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mesa-ayuda.xes"'
    assert response.headers["Cache-Control"] == "no-store"
    assert [t["concept:name"] for t in _traces(response.get_data())] == ["TI-2026-000001", "TI-2026-000002"]


def test_the_csv_has_one_row_per_event(api: Api) -> None:
    response = api.get("dueno", "/export.csv", help_desk="ti")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mesa-ayuda.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 12 and {r["ticket"] for r in rows} == {"TI-2026-000001", "TI-2026-000002"}
    assert rows[0]["timestamp"] == "2026-12-01T09:00:00.000-05:00"


def test_query_parameters_filter_the_log(api: Api) -> None:
    one_day = api.get("admin", "/export.xes", **{"from": "2026-12-02", "to": "2026-12-02"})
    assert [t["case_id"] for t in _traces(one_day.get_data())] == ["2"]
    everything = {"help_desk": "ti", "process": "mesa_de_ayuda", "version": "1", "transitions": "all",
                  "from": "2026-12-01T00:00:00-05:00", "to": "2026-12-01"}
    assert [t["case_id"] for t in _traces(api.get("auditor", "/export.xes", **everything).get_data())] == ["1"]
    assert _traces(api.get("auditor", "/export.xes", version="2").get_data()) == []


@pytest.mark.parametrize("user", ["nivel1", "solicitante"])
def test_agents_and_requesters_are_forbidden(api: Api, user: str) -> None:
    for path in ("/export.xes", "/export.csv"):
        assert "exportar" in expect_error(api.get(user, path, **{"from": "ayer"}), 403)


def test_a_token_is_required(api: Api) -> None:
    expect_error(api.get(None, "/export.xes"), 401)


@pytest.mark.parametrize("query", [
    {"from": "ayer"}, {"to": "2026-12-01T09:00:00"}, {"version": "0"}, {"transitions": "start"}, {"mesa": "ti"},
])
def test_bad_parameters_are_400(api: Api, query: dict[str, str]) -> None:
    expect_error(api.get("auditor", "/export.xes", **query), 400)


def test_the_downloads_are_documented_with_every_parameter_accepted(api: Api) -> None:
    doc = expect(api.get(None, "/openapi.json"), 200)
    for path, media_type in (("/export.xes", "application/xml"), ("/export.csv", "text/csv")):
        operation = doc["paths"][path]["get"]
        assert set(operation["responses"]["200"]["content"]) == {media_type}
        assert {"401", "403", "400", "500"} <= set(operation["responses"])
        query = {p["name"]: _sample(p["schema"]) for p in operation["parameters"]}
        assert api.get("auditor", path, **query).status_code == 200


def _sample(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(schema["enum"][-1])
    return "1" if schema["type"] == "integer" else "2026-12-01"  # a date is also valid text for the others
