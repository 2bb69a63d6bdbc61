"""Priority from impact × urgency (ITIL matrix), named for people and valued for the inbox."""

from __future__ import annotations

# Higher value = more urgent, as Camunda task priorities are sorted.
LEVELS = {"critica": 90, "alta": 70, "media": 50, "baja": 30, "planificada": 10}
_MATRIX = {
    ("alto", "alta"): "critica", ("alto", "media"): "alta", ("alto", "baja"): "media",
    ("medio", "alta"): "alta", ("medio", "media"): "media", ("medio", "baja"): "baja",
    ("bajo", "alta"): "media", ("bajo", "media"): "baja", ("bajo", "baja"): "planificada",
}


def priority_of(impact: object, urgency: object) -> tuple[str, int]:
    """(name, value) for an impact (alto|medio|bajo) and urgency (alta|media|baja); media when unknown."""
    name = _MATRIX.get((str(impact), str(urgency)), "media")
    return name, LEVELS[name]


def default_matrix() -> dict[tuple[str, str], str]:
    """A copy of the built-in matrix: the one a brand-new help-desk protocol starts from."""
    return dict(_MATRIX)
