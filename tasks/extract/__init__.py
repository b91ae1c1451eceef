"""Extract stage: see docs/architecture.md."""
