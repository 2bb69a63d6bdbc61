"""The help-desk procedure's own rules.

The service-task handlers (effects), ticket numbers, priority, escalation matrix, business-day deadlines and
calendar. May import engine.db, engine.mail.outbox and engine.workflow.script_engine; never the services.
"""
