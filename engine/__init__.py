"""Mesa de Ayuda's engine: everything that is not HTTP. No Flask, and never `web`.

Layers, from the bottom: db (models, session, audit chain) and the pure rule packages (expressions, forms,
helpdesk, deployment, workflow — the only importer of SpiffWorkflow); services (one verb per use case) and
replay over them; cli and the scheduler on top. ARCHITECTURE.md draws the graph.
"""
