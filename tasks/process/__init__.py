"""Process stage: see docs/architecture.md."""
