"""Types without surprises: every tool reads crawl_date as a date, timestamps as UTC, lists
as lists, with the options docs/analysts.md gives; and the surprises those options avoid.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from analyst_data import (
    assert_analyst_types,
)

from schemas import PARTITIONING

# DuckDB 1.5's .df() calls a pandas API that pandas 3.1 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")

UTC_US = pa.timestamp("us", tz="UTC")


# --- each tool, with the documented options ----------------------------------------------


def test_pyarrow_with_the_schemas_partitioning(analyst_data) -> None:
    dataset = ds.dataset(analyst_data.output / "articles", partitioning=PARTITIONING)
    assert dataset.schema.field("crawl_date").type == pa.date32()
    table = dataset.to_table(filter=ds.field("crawl_date") == analyst_data.dates[0])
    assert assert_analyst_types(table) == [analyst_data.dates[0]]


def test_pandas_through_pyarrow(analyst_data) -> None:
    df = pd.read_parquet(
        analyst_data.output / "articles", partitioning=PARTITIONING, dtype_backend="pyarrow"
    )
    assert df["crawl_date"].dtype == pd.ArrowDtype(pa.date32())
    assert df["published_at"].dtype == pd.ArrowDtype(UTC_US)
    assert df["simhash"].dtype == pd.ArrowDtype(pa.uint64())
    assert assert_analyst_types(df) == list(analyst_data.dates)


def test_pandas_numpy_backend_keeps_dates_and_utc(analyst_data) -> None:
    df = pd.read_parquet(analyst_data.output / "articles", partitioning=PARTITIONING)
    assert isinstance(df["published_at"].dtype, pd.DatetimeTZDtype)
    assert str(df["published_at"].dt.tz) == "UTC"
    assert all(type(v) is date for v in df["crawl_date"])
    # lists arrive as NumPy arrays here (docs/analysts.md says so): list-like, of str
    assert all(all(isinstance(a, str) for a in v) for v in df["authors"])
    assert df.explode("authors")["authors"].notna().any()


def test_polars_with_hive_options(analyst_data) -> None:
    df = pl.read_parquet(
        f"{analyst_data.output}/articles/*/*.parquet",
        hive_partitioning=True,
        hive_schema={"crawl_date": pl.Date},
    )
    assert assert_analyst_types(df) == list(analyst_data.dates)
    assert str(df["published_at"].drop_nulls()[0].tzinfo) == "UTC"
    assert isinstance(df["authors"].to_list()[0], list)


def test_duckdb_with_hive_types_in_a_utc_session(analyst_data) -> None:
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")
    relation = con.sql(
        f"SELECT * FROM read_parquet('{analyst_data.output}/articles/*/*.parquet', "
        "hive_partitioning = true, hive_types = {'crawl_date': DATE})"
    )
    assert assert_analyst_types(relation) == list(analyst_data.dates)
    authors = relation.select("authors").fetchall()
    assert all(isinstance(a, list) for (a,) in authors)


# --- what the options are for --------------------------------------------------------------


def test_the_surprises_the_recipes_avoid(analyst_data) -> None:
    root = analyst_data.output / "articles"
    glob = f"{root}/*/*.parquet"
    # pyarrow's inferred hive partitioning and plain pandas: a string, not a date
    assert ds.dataset(root, partitioning="hive").schema.field("crawl_date").type == pa.string()
    assert isinstance(pd.read_parquet(root)["crawl_date"].dtype, pd.CategoricalDtype)
    # polars: a glob without hive_partitioning loses the column; a folder is refused
    assert "crawl_date" not in pl.read_parquet(glob).columns
    with pytest.raises(pl.exceptions.InvalidOperationError, match="_newsflow.json"):
        pl.scan_parquet(root, hive_partitioning=True).collect_schema()
    # DuckDB converts timestamps to the session's time zone
    con = duckdb.connect()
    con.sql("SET TimeZone = 'Asia/Tokyo'")
    df = con.sql(f"SELECT published_at FROM read_parquet('{glob}')").df()
    assert str(df["published_at"].dt.tz) == "Asia/Tokyo"
