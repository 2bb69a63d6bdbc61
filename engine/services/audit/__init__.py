"""The audit trail as auditors use it.

Hash-chain verification, the full history of a case and the event-log export (XES, CSV). May import engine.db,
engine.replay and the cases services.
"""
