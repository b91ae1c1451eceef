"""The Parquet contract: data dictionary == Arrow schema; round-trip through readers."""

from __future__ import annotations

import re

import pyarrow as pa
from conftest import REPO

from schemas import ARTICLES_SCHEMA, QUARANTINE_SCHEMA

DICTIONARY = REPO / "docs" / "data-dictionary.md"


def documented_columns(table: str) -> list[tuple[str, str, bool]]:
    text = DICTIONARY.read_text(encoding="utf-8")
    section = text.split(f"## {table} (schema version")[1].split("\n## ")[0]
    rows = re.findall(r"^\| (\w+) \| ([^|]+) \| (yes|no) \|", section, flags=re.M)
    return [(name, kind.strip(), nullable == "yes") for name, kind, nullable in rows]


def schema_columns(schema: pa.Schema) -> list[tuple[str, str, bool]]:
    def type_name(t: pa.DataType) -> str:
        if pa.types.is_list(t):
            return f"list<{t.value_type}>"
        if pa.types.is_timestamp(t):
            return f"timestamp[{t.unit}, tz={t.tz}]"
        return str(t)

    return [(f.name, type_name(f.type), f.nullable) for f in schema]


def test_articles_dictionary_matches_schema() -> None:
    assert documented_columns("articles") == schema_columns(ARTICLES_SCHEMA)


def test_quarantine_dictionary_matches_schema() -> None:
    assert documented_columns("quarantine") == schema_columns(QUARANTINE_SCHEMA)


def test_schema_version_in_dictionary_matches_code() -> None:
    from schemas import ARTICLES_SCHEMA_VERSION

    text = DICTIONARY.read_text(encoding="utf-8")
    assert f"## articles (schema version {ARTICLES_SCHEMA_VERSION})" in text
    assert f"| {ARTICLES_SCHEMA_VERSION} |" in text.split("## Schema versions")[1]
