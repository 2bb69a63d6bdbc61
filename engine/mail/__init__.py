"""Email: the transactional outbox (queued inside a step), its templates, SMTP delivery with retries, the demo sink.

May import engine.db, engine.config and the service context; never the case services.
"""
