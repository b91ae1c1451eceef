"""Normalise stage: see docs/architecture.md."""
