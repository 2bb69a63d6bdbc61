"""Event logs as XES (IEEE 1849-2016, written incrementally with lxml) or CSV (one row per event).

XES: `<log>` in no namespace (the standard's schema has no target namespace), xes.version 1849.2016 (the
schema types it xs:decimal), the Concept, Lifecycle (standard model), Organizational and Time extensions,
globals for what every trace and event carries, and three classifiers. Instants are written in the
configured time zone with their offset and milliseconds (2026-12-01T09:00:00.000-05:00).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

from engine.services.audit.log import LogEvent, LogTrace

XES_VERSION = "1849.2016"
XES_SITE = "http://www.xes-standard.org/"
EXTENSIONS = (("Concept", "concept"), ("Lifecycle", "lifecycle"), ("Organizational", "org"), ("Time", "time"))
UNKNOWN = "UNKNOWN"
EPOCH = "1970-01-01T00:00:00.000+00:00"
CLASSIFIERS = (("Actividad", "concept:name"), ("Actividad_y_transicion", "concept:name lifecycle:transition"),
               ("Recurso", "org:resource"))
CSV_COLUMNS = ("case_id", "ticket", "activity", "lifecycle", "timestamp", "resource", "group", "help_desk",
               "process_id", "process_version", "event_seq")


@dataclass(frozen=True)
class LogHeader:
    """What the log says about itself: a name, when it was exported, and the zone of its instants."""

    name: str
    exported_at: datetime
    zone: ZoneInfo


def instant(value: datetime, zone: ZoneInfo) -> str:
    """xs:dateTime in the zone, with milliseconds and offset."""
    return value.astimezone(zone).isoformat(timespec="milliseconds")


class _Chunks:
    """A file-like sink that hands back what was written since the last take()."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def xes_chunks(header: LogHeader, traces: Iterable[LogTrace]) -> Iterator[bytes]:
    """The XES document, one chunk per trace (plus the head and tail): never the whole log in memory."""
    sink = _Chunks()
    with etree.xmlfile(sink, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("log", {"xes.version": XES_VERSION}):
            xf.write("\n")
            for element in _preamble(header):
                xf.write(element, pretty_print=True)
            for trace in traces:
                xf.write(_trace(trace, header.zone), pretty_print=True)
                xf.flush()
                yield sink.take()
    yield sink.take()


def _preamble(header: LogHeader) -> Iterator[etree._Element]:
    for name, prefix in EXTENSIONS:
        yield etree.Element("extension", {"name": name, "prefix": prefix, "uri": f"{XES_SITE}{prefix}.xesext"})
    trace_globals = etree.Element("global", {"scope": "trace"})
    _add(trace_globals, "string", "concept:name", UNKNOWN)
    yield trace_globals
    event_globals = etree.Element("global", {"scope": "event"})
    for key, value in (("concept:name", UNKNOWN), ("lifecycle:transition", "complete"), ("org:resource", UNKNOWN)):
        _add(event_globals, "string", key, value)
    _add(event_globals, "date", "time:timestamp", EPOCH)
    yield event_globals
    for name, keys in CLASSIFIERS:
        yield etree.Element("classifier", {"name": name, "keys": keys})
    for tag, key, value in (("string", "concept:name", header.name), ("string", "lifecycle:model", "standard"),
                            ("date", "exported_at", instant(header.exported_at, header.zone))):
        yield _attribute(tag, key, value)


def _attribute(tag: str, key: str, value: str) -> etree._Element:
    return etree.Element(tag, {"key": key, "value": value})


def _add(parent: etree._Element, tag: str, key: str, value: str | int | None) -> None:
    if value is not None:
        etree.SubElement(parent, tag, {"key": key, "value": str(value)})


def _trace(trace: LogTrace, zone: ZoneInfo) -> etree._Element:
    element = etree.Element("trace")
    _add(element, "string", "concept:name", trace.name)
    _add(element, "int", "case_id", trace.case_id)
    _add(element, "string", "ticket", trace.ticket)
    _add(element, "string", "help_desk", trace.help_desk)
    _add(element, "string", "process_id", trace.process_id)
    _add(element, "int", "process_version", trace.version)
    _add(element, "string", "requester", trace.requester)
    _add(element, "string", "state", trace.state)
    _add(element, "date", "created_at", instant(trace.created_at, zone))
    _add(element, "date", "closed_at", instant(trace.closed_at, zone) if trace.closed_at else None)
    for event in trace.events:
        element.append(_event(event, zone))
    return element


def _event(event: LogEvent, zone: ZoneInfo) -> etree._Element:
    element = etree.Element("event")
    _add(element, "string", "concept:name", event.activity)
    _add(element, "string", "concept:instance", event.instance)
    _add(element, "string", "lifecycle:transition", event.transition)
    _add(element, "date", "time:timestamp", instant(event.timestamp, zone))
    _add(element, "string", "org:resource", event.resource)
    _add(element, "string", "org:group", event.group)
    _add(element, "int", "event_seq", event.seq)
    _add(element, "string", "element_id", event.element_id)
    return element


def csv_chunks(header: LogHeader, traces: Iterable[LogTrace]) -> Iterator[bytes]:
    """RFC 4180 CSV in UTF-8 (no BOM), a header row then one row per event; one chunk per trace."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for trace in traces:
        writer.writerows(_rows(trace, header.zone))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _rows(trace: LogTrace, zone: ZoneInfo) -> Iterator[tuple[str | int, ...]]:
    for event in trace.events:
        yield (trace.case_id, trace.ticket or "", event.activity, event.transition, instant(event.timestamp, zone),
               event.resource, event.group or "", trace.help_desk or "", trace.process_id, trace.version, event.seq)
