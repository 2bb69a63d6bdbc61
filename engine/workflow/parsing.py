"""Turn a (safely parsed) BPMN tree into a process spec with SpiffWorkflow."""

from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.workflow.camunda import MesaParser
from engine.workflow.runtime import ProcessSpec


class ParseFailure(ValueError):
    """SpiffWorkflow could not build the process."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id


def parse_process(tree: etree._ElementTree, file: str) -> ProcessSpec:
    """Parse the single executable process of a file (one parser per version: ids repeat across versions)."""
    parser = MesaParser()
    try:
        parser.add_bpmn_xml(tree, file)
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            raise ParseFailure(
                "el archivo debe tener exactamente un proceso ejecutable (isExecutable=\"true\"); "
                f"tiene {len(process_ids)}"
            )
        spec = parser.get_spec(process_ids[0])
        subprocess_specs = parser.get_subprocess_specs(process_ids[0])
    except ValidationException as exc:
        raise ParseFailure(f"{exc.tag or 'elemento'}: {exc}", exc.id or None) from exc
    except SpiffWorkflowException as exc:
        raise ParseFailure(str(exc)) from exc
    return ProcessSpec(spec, subprocess_specs)
