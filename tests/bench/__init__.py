"""Benchmarks (run as modules, never collected by pytest)."""
