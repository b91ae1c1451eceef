"""Inspect stage: see docs/architecture.md."""
