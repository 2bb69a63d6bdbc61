"""Engine-side replay.

Rebuild a case from its deployed version and its audit events, check it step by step against what was stored, and
tell its story. May import engine.db, engine.workflow, engine.helpdesk.deadlines, the cases services' step rules and
the permission policy (engine.services.people).
"""
