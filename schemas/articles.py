"""Articles table, schema version 3. Column meanings live in docs/data-dictionary.md."""

import pyarrow as pa

ARTICLES_SCHEMA_VERSION = 3

_UTC_US = pa.timestamp("us", tz="UTC")

ARTICLES_SCHEMA = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("canonical_url", pa.string()),
        pa.field("source_domain", pa.string()),
        pa.field("site_name", pa.string()),
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
        pa.field("authors", pa.list_(pa.string()), nullable=False),
        pa.field("published_at", _UTC_US),
        pa.field("published_at_utc_offset_minutes", pa.int16()),
        pa.field("modified_at", _UTC_US),
        pa.field("published_at_source", pa.string(), nullable=False),
        pa.field("language", pa.string()),
        pa.field("section", pa.string()),
        pa.field("tags", pa.list_(pa.string()), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("page_type", pa.string(), nullable=False),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("simhash", pa.uint64(), nullable=False),
        pa.field("fetched_at", _UTC_US),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("input_format", pa.string(), nullable=False),
        pa.field("charset", pa.string()),
        pa.field("charset_source", pa.string()),
        pa.field("crawl_date", pa.date32(), nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        pa.field("schema_version", pa.int16(), nullable=False),
    ],
    metadata={
        "newsflow.table": "articles",
        "newsflow.schema_version": str(ARTICLES_SCHEMA_VERSION),
    },
)

# Values `page_type` may take (tasks/extract/pagetype.py PAGE_TYPES).
PAGE_TYPES = ("article", "listing", "collection", "forum", "product", "documentation", "service")
