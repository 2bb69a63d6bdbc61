"""Deployed processes.

Deploy a BPMN with its forms, list and compare versions, migrate open cases between versions. May import engine.db,
engine.deployment and engine.workflow.
"""
