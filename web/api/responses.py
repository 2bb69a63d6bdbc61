"""Successful API responses: one object, a created object, or one page of a list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request

from web.api.params import integer


def page(args: dict[str, str], default: int, most: int) -> tuple[int, int]:
    """limit (1..most, default) and offset (0 or more) of a listing."""
    return integer(args, "limit", default, 1, most), integer(args, "offset", 0, 0, 10**9)


def listing(items: Sequence[Any], limit: int, offset: int) -> Response:
    """A JSON array; a full page links the next one (Link: rel="next"), a shorter page is the last."""
    response = jsonify(list(items))
    if len(items) >= limit:
        query = {**request.args.to_dict(), "limit": str(limit), "offset": str(offset + limit)}
        response.headers["Link"] = f'<{request.path}?{urlencode(query)}>; rel="next"'
    return response


def created(item: dict[str, Any], location: str) -> Response:
    """201 with the new resource and its address."""
    response = jsonify(item)
    response.status_code = 201
    response.headers["Location"] = location
    return response


