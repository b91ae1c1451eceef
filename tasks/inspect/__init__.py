"""Inspect: read committed output back (readers, `show`, `stats`)."""
