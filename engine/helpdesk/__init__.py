"""The help-desk procedure's own rules.

The service-task handlers (effects), ticket numbers, priority, escalation matrix, business-day deadlines,
calendar, and a help desk's protocol document (protocol*.py: read, validated, compared). May import engine.config,
engine.db, engine.mail.outbox and engine.workflow.script_engine; never the services.
"""
