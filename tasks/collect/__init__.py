"""Collect stage: see docs/architecture.md."""
