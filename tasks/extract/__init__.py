"""Extract: one raw record -> one article row or one Failure (one parse, metadata, text, type)."""
