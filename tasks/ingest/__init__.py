"""Ingest: list raw inputs (local or S3), read them record by record, decode bytes to text."""
