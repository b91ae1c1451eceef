"""The Parquet contract analysts rely on: explicit Arrow schemas, versioned.

Changing a column means bumping the schema version and writing a note in docs/data-dictionary.md.
"""

from schemas.articles import ARTICLES_SCHEMA, ARTICLES_SCHEMA_VERSION
from schemas.quarantine import QUARANTINE_SCHEMA

__all__ = ["ARTICLES_SCHEMA", "ARTICLES_SCHEMA_VERSION", "QUARANTINE_SCHEMA"]
