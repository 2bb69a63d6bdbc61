"""Format versions of what the engine stores: the deployed spec JSON and each case's instance JSON.

Both carry `mesa_format` plus the SpiffWorkflow release and serializer version that wrote them. Loading checks
them first: a known older format is migrated, anything else is refused with StoredFormatError naming what was
being loaded. SpiffWorkflow's own serializer would otherwise pass an unknown version through without a word.

Format 1 is what installations on SpiffWorkflow 3.2.0 stored before the key existed: the same documents without
it (instances with the spec by reference, serializer 1.5). Format 2 adds the stamp; the content is unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FORMAT_KEY = "mesa_format"
SPIFF_KEY = "spiff_version"
SERIALIZER_KEY = "serializer_version"  # SpiffWorkflow's own key in an instance document
CURRENT_FORMAT = 2
LEGACY_SPIFF, LEGACY_SERIALIZER = "3.2.0", "1.5"  # the only release that ever wrote format 1
# The stamp is written as the document's first bytes and SpiffWorkflow writes its version last, so a load
# reads both without parsing the (large) document twice.
_HEAD = re.compile(r'\{"mesa_format": (\d+), "spiff_version": "([^"]*)", ')
_TAIL = re.compile(r'"serializer_version": "([^"]*)"\}\s*$')


class StoredFormatError(ValueError):
    """Stored state in a format this installation cannot read; nothing was loaded or changed."""

    def __init__(self, subject: str, detail: str) -> None:
        super().__init__(
            f"{subject} se guardó en un formato que esta instalación no sabe leer ({detail}); no se cargó ni se "
            "modificó. Avise al administrador: debe instalar la versión de Mesa de Ayuda con que se guardó o "
            "agregar la migración de ese formato (engine/workflow/stored.py)")
        self.subject = subject
        self.detail = detail


@dataclass(frozen=True)
class Stamp:
    """Who wrote a stored document: our format and SpiffWorkflow's release and serializer version."""

    format: int
    spiff_version: str
    serializer_version: str


@dataclass(frozen=True)
class Installed:
    """The SpiffWorkflow release and serializer version of this installation."""

    spiff_version: str
    serializer_version: str

    def stamp_instance(self, text: str) -> str:
        """Put the current stamp in front of an instance document SpiffWorkflow wrote."""
        return f'{{"{FORMAT_KEY}": {CURRENT_FORMAT}, "{SPIFF_KEY}": "{self.spiff_version}", ' + text[1:]

    def spec_document(self, spec: dict[str, Any], subprocess_specs: dict[str, Any]) -> dict[str, Any]:
        """A spec document with the current stamp."""
        return {FORMAT_KEY: CURRENT_FORMAT, SPIFF_KEY: self.spiff_version,
                SERIALIZER_KEY: self.serializer_version, "spec": spec, "subprocess_specs": subprocess_specs}

    def check_instance(self, text: str, subject: str) -> str:
        """The instance document in the current format (migrated if older); refuses what it cannot read."""
        stamp = instance_stamp(text)
        self.check(stamp, subject)
        migrated = text
        for version in range(stamp.format, CURRENT_FORMAT):
            migrated = INSTANCE_MIGRATIONS[version](migrated)
        return migrated

    def check_spec(self, document: dict[str, Any], subject: str) -> dict[str, Any]:
        """The spec document in the current format (migrated if older); refuses what it cannot read."""
        stamp = spec_stamp(document)
        self.check(stamp, subject)
        for version in range(stamp.format, CURRENT_FORMAT):
            document = SPEC_MIGRATIONS[version](document)
        return document

    def check(self, stamp: Stamp, subject: str) -> None:
        """Refuse a format we do not know, another serializer version, or a newer SpiffWorkflow release."""
        if not 1 <= stamp.format <= CURRENT_FORMAT:
            found = f"formato {stamp.format}" if stamp.format else "sin un formato reconocible"
            raise StoredFormatError(subject, f"{found}; esta instalación lee los formatos 1 a {CURRENT_FORMAT}")
        # Spiff's migrations of older serializer versions expect the spec inside the document: ours is stored
        # by reference, so any other version needs a migration of our own before it can load.
        if stamp.serializer_version != self.serializer_version:
            raise StoredFormatError(subject, f"serializador de SpiffWorkflow {stamp.serializer_version}; esta "
                                             f"instalación usa el {self.serializer_version}")
        # An older release may read a newer one's save and silently lose task data (3.1.2 reading 3.2.0 does).
        if _release(stamp.spiff_version) > _release(self.spiff_version):
            raise StoredFormatError(subject, f"SpiffWorkflow {stamp.spiff_version}, más reciente que el "
                                             f"{self.spiff_version} instalado")


def instance_stamp(text: str) -> Stamp:
    """The stamp of an instance document (format 1 when it has none), reading only its ends when it can."""
    head, tail = _HEAD.match(text), _TAIL.search(text[-80:])
    if tail is not None and head is not None:
        return Stamp(int(head[1]), head[2], tail[1])
    if tail is not None and f'"{FORMAT_KEY}"' not in text:
        return Stamp(1, LEGACY_SPIFF, tail[1])
    try:  # not as we write it (e.g. re-indented): read the whole document
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return Stamp(0, "?", "?")
    return Stamp(_format_of(document), str(document.get(SPIFF_KEY, LEGACY_SPIFF)),
                 str(document.get(SERIALIZER_KEY, "?")))


def spec_stamp(document: dict[str, Any]) -> Stamp:
    """The stamp of a spec document (format 1, written by 3.2.0 with serializer 1.5, when it has none)."""
    if FORMAT_KEY not in document:
        return Stamp(1, LEGACY_SPIFF, LEGACY_SERIALIZER)
    return Stamp(_format_of(document), str(document.get(SPIFF_KEY, "?")), str(document.get(SERIALIZER_KEY, "?")))


def _format_of(document: dict[str, Any]) -> int:
    value = document.get(FORMAT_KEY, 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def _instance_from_1(text: str) -> str:
    """Format 1 → 2: same content; stamped with the release that wrote format 1."""
    return f'{{"{FORMAT_KEY}": 2, "{SPIFF_KEY}": "{LEGACY_SPIFF}", ' + text.lstrip()[1:]


def _spec_from_1(document: dict[str, Any]) -> dict[str, Any]:
    """Format 1 → 2: same spec and sub-process specs; stamped with the release that wrote format 1."""
    return {FORMAT_KEY: 2, SPIFF_KEY: LEGACY_SPIFF, SERIALIZER_KEY: LEGACY_SERIALIZER,
            "spec": document["spec"], "subprocess_specs": document["subprocess_specs"]}


# Migrations from format N to N+1, applied in order; a new format adds its predecessor's step here.
INSTANCE_MIGRATIONS: dict[int, Callable[[str], str]] = {1: _instance_from_1}
SPEC_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _spec_from_1}
