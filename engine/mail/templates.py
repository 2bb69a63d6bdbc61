"""Spanish email templates: 'Asunto: ...' on the first line, then a blank line, then the body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template


class TemplateError(KeyError):
    """A template is missing or refers to a value the caller did not give."""


@dataclass(frozen=True)
class RenderedEmail:
    """Subject and plain-text body ready for the outbox."""

    subject: str
    body: str


@cache
def _load(name: str) -> tuple[Template, Template]:
    try:
        text = resources.files("engine.mail").joinpath("templates", f"{name}.txt").read_text("utf-8")
    except FileNotFoundError as exc:
        raise TemplateError(f"no existe la plantilla de correo {name!r}") from exc
    head, _, body = text.partition("\n\n")
    if not head.startswith("Asunto: "):
        raise TemplateError(f"la plantilla {name!r} debe empezar con 'Asunto: '")
    return Template(head.removeprefix("Asunto: ").strip()), Template(body)


def render(name: str, values: Mapping[str, object]) -> RenderedEmail:
    """Fill a template; every $name it uses must be given."""
    subject, body = _load(name)
    context = {k: "" if v is None else str(v) for k, v in values.items()}
    try:
        return RenderedEmail(subject.substitute(context), body.substitute(context))
    except KeyError as exc:
        raise TemplateError(f"la plantilla {name!r} usa ${exc.args[0]} y no se entregó") from exc
