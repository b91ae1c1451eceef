"""The Parquet contract analysts rely on: explicit Arrow schemas, versioned.

`crawl_date` is the Hive partition column: it is part of each table's logical schema but
lives in the directory name (`crawl_date=YYYY-MM-DD/`), not inside the files, as Spark and
Hive do; readers get it back as a date with `PARTITIONING` (pyarrow) or hive partitioning
(DuckDB, polars). Changing a column means bumping the schema version and writing a note in
docs/data-dictionary.md.
"""

from datetime import date

import pyarrow as pa
import pyarrow.dataset as ds

from schemas.articles import ARTICLES_SCHEMA, ARTICLES_SCHEMA_VERSION
from schemas.quarantine import QUARANTINE_SCHEMA

PARTITION_COLUMN = "crawl_date"
PARTITIONING = ds.partitioning(pa.schema([pa.field(PARTITION_COLUMN, pa.date32())]), flavor="hive")


def partition_name(crawl_date: date | str) -> str:
    """`crawl_date=YYYY-MM-DD`: one crawl date's folder in every table and in the raw zone."""
    day = crawl_date.isoformat() if isinstance(crawl_date, date) else crawl_date
    return f"{PARTITION_COLUMN}={day}"


def file_schema(schema: pa.Schema) -> pa.Schema:
    """The schema of the Parquet files themselves: the table's, without the partition column."""
    return schema.remove(schema.get_field_index(PARTITION_COLUMN))


ARTICLES_FILE_SCHEMA = file_schema(ARTICLES_SCHEMA)
QUARANTINE_FILE_SCHEMA = file_schema(QUARANTINE_SCHEMA)

__all__ = [
    "ARTICLES_FILE_SCHEMA",
    "ARTICLES_SCHEMA",
    "ARTICLES_SCHEMA_VERSION",
    "PARTITIONING",
    "PARTITION_COLUMN",
    "QUARANTINE_FILE_SCHEMA",
    "QUARANTINE_SCHEMA",
    "file_schema",
    "partition_name",
]
