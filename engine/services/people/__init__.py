"""People and access.

Users, roles, groups, API tokens, login throttling, help desks and the one permission policy. May import engine.db
only (and the shared service context/errors/views).
"""
