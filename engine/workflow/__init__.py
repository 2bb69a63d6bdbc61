"""The only place that imports SpiffWorkflow: parsing, script engine, serialization, running.

The rest of the engine goes through `engine.workflow.facade` (a case's workflow as an opaque CaseWorkflow; ready
tasks, elements and fired timers as frozen dataclasses) and the plain-valued `script_engine`, `parsing` and
`replay` modules. Stored specs and instances carry a format version, checked by `engine.workflow.stored`.
"""
