"""engine.xmlsafe: untrusted XML is parsed with entities, DTDs and network access off (ARCHITECTURE decision 9)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from engine.xmlsafe import UnsafeXmlError, parse_xml
from tests.conftest import FIXTURES, ROOT

BAD = FIXTURES / "bad"
SECRET = "SECRETO-0f7c1d"
DOCTYPE_MESSAGE = "DOCTYPE"
BPMN_OPEN = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_1" '
    'targetNamespace="http://bpmn.io/schema/bpmn">'
)


def billion_laughs(levels: int, *, in_attribute: bool = False) -> bytes:
    """The classic entity bomb: each level repeats the previous one ten times (10**levels 'lol')."""
    entities = '<!ENTITY lol0 "lol">\n' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, levels + 1)
    )
    body = f'<d a="&lol{levels};"/>' if in_attribute else f"<d>&lol{levels};</d>"
    return f'<?xml version="1.0"?>\n<!DOCTYPE d [\n{entities}]>\n{body}'.encode()


@dataclass
class Spy:
    """A local HTTP server that records every request (the parser must never call it)."""

    port: int
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def spy_server() -> Iterator[Spy]:
    """An HTTP server on 127.0.0.1 serving a DTD that would define entity `y` as PWNED."""
    spy = Spy(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            spy.requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY y "PWNED">')

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    spy.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield spy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A local file whose content must never reach a parsed tree or an error message."""
    path = tmp_path / "secreto.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.fixture
def evil_dtd(tmp_path: Path) -> Path:
    """A local DTD file defining an entity (loading it would be a DTD fetch)."""
    path = tmp_path / "malo.dtd"
    path.write_text('<!ENTITY y "PWNED">', encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ accepted


def test_real_diagram_parses_with_source_lines() -> None:
    tree = parse_xml((ROOT / "bpmn" / "mesa_de_ayuda.bpmn").read_bytes())
    root = tree.getroot()
    assert etree.QName(root).localname == "definitions"
    task = root.xpath("//*[@id='Activity_RevisarRegistrar']")[0]
    expected = next(n for n, line in enumerate((ROOT / "bpmn" / "mesa_de_ayuda.bpmn").read_text().splitlines(), 1)
                    if 'id="Activity_RevisarRegistrar"' in line)
    assert task.sourceline == expected


def test_comments_and_processing_instructions_are_fine() -> None:
    content = f'<?xml version="1.0"?>\n<!-- hecho a mano -->\n<?pi algo?>\n{BPMN_OPEN}</bpmn:definitions>'.encode()
    assert etree.QName(parse_xml(content).getroot()).localname == "definitions"


def test_utf8_byte_order_mark_is_accepted() -> None:
    content = "\ufeff".encode() + f'<?xml version="1.0" encoding="UTF-8"?>\n{BPMN_OPEN}</bpmn:definitions>'.encode()
    assert parse_xml(content).getroot().get("id") == "Definitions_1"


def test_xinclude_is_never_processed(secret_file: Path) -> None:
    content = (f'<d xmlns:xi="http://www.w3.org/2001/XInclude">'
               f'<xi:include href="{secret_file.as_uri()}" parse="text"/></d>').encode()
    text = etree.tostring(parse_xml(content)).decode()
    assert SECRET not in text
    assert "xi:include" in text


# ------------------------------------------------------------------------------------------ malformed


@pytest.mark.parametrize(
    ("content", "line"),
    [
        pytest.param(b"", 1, id="empty-document"),
        pytest.param(b"<a>\n<b>\n</a>", 3, id="mismatched-end-tag"),
        pytest.param(b"<a>\n\n<b x=1/></a>", 3, id="unquoted-attribute"),
        pytest.param(b"<a/>\n<b/>", 2, id="two-root-elements"),
        pytest.param(b"<a>\n\n\n&nbsp;</a>", 4, id="undefined-entity"),
        pytest.param(b"<a>\n\xff\xfe</a>", 2, id="not-utf8"),
        pytest.param(b"<bpmn:definitions>\n</bpmn:definitions>", 1, id="undeclared-prefix"),
    ],
)
def test_malformed_xml_reports_the_line(content: bytes, line: int) -> None:
    with pytest.raises(UnsafeXmlError, match="XML mal formado") as caught:
        parse_xml(content)
    assert caught.value.line == line


def test_malformed_fixture_names_the_unclosed_element_and_line() -> None:
    with pytest.raises(UnsafeXmlError) as caught:
        parse_xml((BAD / "mal_formado.bpmn").read_bytes())
    assert caught.value.line == 9
    assert "endEvent" in str(caught.value)


def test_unsafe_xml_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="XML mal formado"):
        parse_xml(b"<a>")


# ------------------------------------------------------------------------------------------- DOCTYPE


def test_xxe_to_etc_passwd_is_rejected_as_doctype() -> None:
    with pytest.raises(UnsafeXmlError, match=DOCTYPE_MESSAGE) as caught:
        parse_xml((BAD / "xxe_passwd.bpmn").read_bytes())
    assert "root:" not in str(caught.value)
    assert caught.value.line is not None


def test_external_dtd_fixture_is_rejected() -> None:
    with pytest.raises(UnsafeXmlError, match=DOCTYPE_MESSAGE):
        parse_xml((BAD / "external_dtd.bpmn").read_bytes())


def test_doctype_without_any_entity_is_rejected() -> None:
    with pytest.raises(UnsafeXmlError, match=DOCTYPE_MESSAGE):
        parse_xml(f'<?xml version="1.0"?>\n<!DOCTYPE bpmn:definitions>\n{BPMN_OPEN}</bpmn:definitions>'.encode())


def test_internal_entity_is_rejected_even_when_harmless() -> None:
    content = b'<!DOCTYPE d [<!ENTITY nombre "Mesa">]>\n<d>&nombre;</d>'
    with pytest.raises(UnsafeXmlError, match=DOCTYPE_MESSAGE):
        parse_xml(content)


def test_small_entity_bomb_is_rejected_as_doctype() -> None:
    with pytest.raises(UnsafeXmlError, match=DOCTYPE_MESSAGE):
        parse_xml(billion_laughs(3))


def test_external_entity_to_a_local_file_never_leaks_it(secret_file: Path) -> None:
    for body in ("<d>&x;</d>", '<d a="&x;"/>'):
        content = f'<!DOCTYPE d [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]>\n{body}'.encode()
        with pytest.raises(UnsafeXmlError) as caught:
            parse_xml(content)
        assert SECRET not in str(caught.value)


def test_parameter_entity_from_a_local_file_is_not_loaded(evil_dtd: Path) -> None:
    content = f'<!DOCTYPE d [<!ENTITY % p SYSTEM "{evil_dtd.as_uri()}"> %p;]>\n<d>&y;</d>'.encode()
    with pytest.raises(UnsafeXmlError) as caught:
        parse_xml(content)
    assert "PWNED" not in str(caught.value)


@pytest.mark.parametrize(
    "template",
    [
        pytest.param('<!DOCTYPE d SYSTEM "{url}">\n<d/>', id="external-dtd"),
        pytest.param('<!DOCTYPE d SYSTEM "{url}">\n<d>&y;</d>', id="external-dtd-entity-used"),
        pytest.param('<!DOCTYPE d [<!ENTITY % p SYSTEM "{url}"> %p;]>\n<d>&y;</d>', id="parameter-entity"),
        pytest.param('<!DOCTYPE d [<!ENTITY x SYSTEM "{url}">]>\n<d>&x;</d>', id="external-entity"),
        pytest.param('<!DOCTYPE d PUBLIC "-//X//DTD X//EN" "{url}">\n<d/>', id="public-id"),
    ],
)
def test_network_is_never_contacted(spy_server: Spy, template: str) -> None:
    content = template.format(url=spy_server.url("malo.dtd")).encode()
    with pytest.raises(UnsafeXmlError) as caught:
        parse_xml(content)
    assert spy_server.requests == []
    assert "PWNED" not in str(caught.value)


@pytest.mark.parametrize("in_attribute", [False, True], ids=["in-content", "in-attribute"])
def test_billion_laughs_is_rejected_fast(in_attribute: bool) -> None:
    started = time.perf_counter()
    with pytest.raises(UnsafeXmlError):
        parse_xml(billion_laughs(9, in_attribute=in_attribute))
    assert time.perf_counter() - started < 1.0


def test_billion_laughs_fixture_is_rejected_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(UnsafeXmlError):
        parse_xml((BAD / "billion_laughs.bpmn").read_bytes())
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(billion_laughs(9), id="bomb-in-content"),
        pytest.param(billion_laughs(9, in_attribute=True), id="bomb-in-attribute"),
        pytest.param(b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d a="&x;"/>', id="xxe-in-attribute"),
    ],
)
def test_every_doctype_gets_the_doctype_message(content: bytes) -> None:
    with pytest.raises(UnsafeXmlError, match=DOCTYPE_MESSAGE):
        parse_xml(content)
