"""Cases and their tasks.

Report, complete, claim/release/assign, comments, attachments, timers, and the reads behind the case pages. May
import engine.db, engine.workflow (through its façade), engine.forms, engine.expressions, engine.helpdesk,
engine.mail.outbox and the sibling services people/inbox.
"""
