"""Persistence: the SQLAlchemy models, sessions and transactions (SQLite WAL / PostgreSQL), Alembic schema
upgrades and the hash-chained audit events. Imports nothing else of the project.
"""
