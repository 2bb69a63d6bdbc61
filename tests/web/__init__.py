"""Flask test-client tests of the web layer over a real SQLite database."""
