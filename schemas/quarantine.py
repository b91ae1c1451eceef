"""Quarantine table: one row for every input record that did not become an article."""

import pyarrow as pa

QUARANTINE_SCHEMA_VERSION = 1

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("input_format", pa.string()),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("error_type", pa.string(), nullable=False),
        pa.field("error_message", pa.string()),
        pa.field("raw_size", pa.int64()),
        pa.field("crawl_date", pa.date32(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
    ],
    metadata={
        "newsflow.table": "quarantine",
        "newsflow.schema_version": str(QUARANTINE_SCHEMA_VERSION),
    },
)
