"""Help desks as tenants: dependencies, help desks, their groups and coordinators, and versioned protocols.

Verbs take an Actor and run one transaction each. An administrator manages every help desk, a coordinator only
the ones they coordinate (`access.ensure_may_manage`, enforcing engine.services.people.policy). May import
engine.db, engine.helpdesk, engine.mail.outbox, engine.services.people and the shared service context, errors and
views.
"""
