"""The task inbox.

The projection of ready user tasks (written in each step) and its queries. May import engine.db, engine.expressions
and engine.workflow's façade; never loads a workflow to list tasks.
"""
