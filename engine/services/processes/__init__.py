"""Deployed processes.

Deploy a BPMN with its forms, list and compare versions, migrate open cases between versions. May import engine.db,
engine.deployment, engine.workflow and the permission policy (engine.services.people).
"""
