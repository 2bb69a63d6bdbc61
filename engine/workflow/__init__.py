"""The only place that imports SpiffWorkflow: parsing, script engine, serialization, running."""
