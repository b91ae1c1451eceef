"""Storage: local folders and s3:// prefixes behind one API; cleanup of what dead runs left."""
