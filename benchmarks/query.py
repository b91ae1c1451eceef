"""Analyst query benchmark: DuckDB over 30 crawl dates x 5,000 articles.

    python benchmarks/query.py [--dates 30] [--per-date 5000] [--output DIR] [--repeat 5]

The dataset is synthesised row by row with the articles schema (no extraction: 150,000
extractions would take hours and measure the extractor, not the layout) and written with
the pipeline's own writer (tasks/process/write.py: staged batch, sort by source/published_at, row
groups of 2,000, zstd, manifest, atomic publish), so files and row groups are laid out
exactly as a nightly run lays them out.

For each query it reports the median wall time over --repeat runs (after one warm-up) and
how much was read: files DuckDB scanned (from its profiler, which does not count row
groups), and the files / row groups that survive partition pruning and row-group
statistics (pyarrow dataset fragments), with and without the crawl_date / published_at
filter.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schemas import ARTICLES_FILE_SCHEMA, ARTICLES_SCHEMA_VERSION, PARTITIONING  # noqa: E402
from tasks.normalise.hashes import article_id, content_hash  # noqa: E402
from tasks.process.write import RunContext, commit_partitions, write_staged_batch  # noqa: E402

FIRST_DATE = date(2025, 1, 1)
LANGUAGES = {"en": 0.70, "de": 0.10, "fr": 0.08, "es": 0.06, "it": 0.03, "pt": 0.03}
SOURCES = 60
NEEDLE = "ceasefire"  # the ILIKE search term: in about 1 % of articles
NEEDLE_SHARE = 0.01
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "de", "pa", "gu", "ri", "on"]


def _vocabulary(rng: np.random.Generator, size: int = 6000) -> np.ndarray:
    words = {"".join(rng.choice(SYLLABLES, size=rng.integers(1, 5))) for _ in range(size * 2)} - {
        NEEDLE
    }
    return np.array(sorted(words)[:size], dtype=object)  # object: room for NEEDLE


def synthesise(day: date, n: int, rng: np.random.Generator, vocab: np.ndarray) -> pa.Table:
    """`n` article rows of one crawl date, with realistic skew in sources and languages."""
    zipf = 1 / np.arange(1, SOURCES + 1)
    sources = rng.choice(SOURCES, size=n, p=zipf / zipf.sum())
    languages = rng.choice(list(LANGUAGES), size=n, p=list(LANGUAGES.values()))
    lengths = np.clip(rng.lognormal(np.log(450), 0.6, size=n), 40, 8000).astype(int)
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    rows = []
    for i in range(n):
        words = vocab[rng.integers(0, len(vocab), size=lengths[i])]
        if rng.random() < NEEDLE_SHARE:
            words[rng.integers(0, len(words))] = NEEDLE.capitalize()
        text = " ".join(words)
        domain = f"source{sources[i]:02d}.example.com"
        url = f"https://www.{domain}/{day:%Y/%m/%d}/story-{i}"
        published = None
        if rng.random() > 0.05:  # 5 % of pages do not say when they were published
            published = midnight - timedelta(seconds=int(rng.integers(0, 2 * 86400)))
        text_hash = content_hash(text)
        rows.append(
            {
                "article_id": article_id(url, text_hash),
                "url": url,
                "canonical_url": url,
                "source_domain": domain,
                "site_name": f"Source {sources[i]:02d}",
                "title": " ".join(words[:8]).capitalize(),
                "description": " ".join(words[8:30]),
                "authors": [f"Author {rng.integers(0, 400)}"] if rng.random() > 0.2 else [],
                "published_at": published,
                "modified_at": None,
                "published_at_source": "json-ld" if published else "none",
                "language": str(languages[i]),
                "section": "news",
                "tags": [str(w) for w in words[:3]],
                "text": text,
                "page_type": "article",
                "word_count": int(lengths[i]),
                "content_hash": text_hash,
                "simhash": int(rng.integers(0, 2**63)),  # random: not part of these queries
                "fetched_at": midnight + timedelta(hours=5),
                "source_uri": f"raw/crawl_date={day}/crawl.warc.gz#offset={i * 4096}",
                "input_format": "warc",
                "charset": "utf-8",
                "charset_source": "http",
                "pipeline_version": "benchmark",
                "schema_version": ARTICLES_SCHEMA_VERSION,
            }
        )
    return pa.Table.from_pylist(rows, schema=ARTICLES_FILE_SCHEMA)


def generate(output: Path, dates: int, per_date: int, seed: int = 7) -> list[date]:
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)
    days = [FIRST_DATE + timedelta(days=i) for i in range(dates)]
    for day in days:
        ctx = RunContext(output, day, f"bench-{day}", "benchmark")
        write_staged_batch(ctx, 0, synthesise(day, per_date, rng, vocab), [])
        commit_partitions(ctx, records_in=per_date)
        shutil.rmtree(ctx.staging, ignore_errors=True)
    return days


@dataclass
class Query:
    name: str
    sql: str
    pruning: ds.Expression | None  # what pyarrow can prune on (None: nothing)


def queries(days: list[date]) -> list[Query]:
    day, week = days[len(days) // 2], days[len(days) // 2 : len(days) // 2 + 7]
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    since = pa.scalar(midnight - timedelta(days=2), pa.timestamp("us", "UTC"))
    source = "source03.example.com"
    on_day = ds.field("crawl_date") == day
    in_week = (ds.field("crawl_date") >= week[0]) & (ds.field("crawl_date") <= week[-1])
    is_source = ds.field("source_domain") == source
    published = (ds.field("published_at") >= since) & (
        ds.field("published_at") < pa.scalar(midnight, pa.timestamp("us", "UTC"))
    )
    pub_sql = (
        f"published_at >= TIMESTAMPTZ '{since.as_py().isoformat()}' "
        f"AND published_at < TIMESTAMPTZ '{midnight.isoformat()}'"
    )
    one_day = "SELECT article_id, title, published_at, word_count FROM articles WHERE"
    search = "SELECT crawl_date, source_domain, title FROM articles WHERE"
    week_sql = f"DATE '{week[0]}' AND DATE '{week[-1]}'"
    # DuckDB's ILIKE lower-cases every character of the text; RE2's case-insensitive
    # matching does not, and is several times faster on long texts
    regexp = f"regexp_matches(text, '(?i){NEEDLE}')"
    return [
        Query(
            "1. one day, one source (crawl_date filter)",
            f"{one_day} crawl_date = DATE '{day}' AND source_domain = '{source}'",
            on_day & is_source,
        ),
        Query(
            "1b. same source, published_at window only (no partition filter)",
            f"{one_day} {pub_sql} AND source_domain = '{source}'",
            published & is_source,
        ),
        Query(
            "1c. same source, no date filter at all",
            f"{one_day} source_domain = '{source}'",
            is_source,
        ),
        Query(
            "2. count per day per language, whole range",
            "SELECT crawl_date, language, count(*) AS n FROM articles GROUP BY ALL ORDER BY ALL",
            None,
        ),
        Query(
            f"3. text ILIKE '%{NEEDLE}%' over one week",
            f"{search} crawl_date BETWEEN {week_sql} AND text ILIKE '%{NEEDLE}%'",
            in_week,
        ),
        Query(
            f"3r. same search as regexp_matches(text, '(?i){NEEDLE}'), one week",
            f"{search} crawl_date BETWEEN {week_sql} AND {regexp}",
            in_week,
        ),
        Query(
            "3b. same regexp search, whole range (no partition filter)",
            f"{search} {regexp}",
            None,
        ),
    ]


def connect(output: Path) -> duckdb.DuckDBPyConnection:
    """The view docs/analysts.md recommends."""
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")
    con.sql(
        f"CREATE VIEW articles AS SELECT * FROM read_parquet('{output}/articles/*/*.parquet', "
        "hive_partitioning = true, hive_types = {'crawl_date': DATE})"
    )
    return con


def profile(con: duckdb.DuckDBPyConnection, sql: str, scratch: Path) -> dict[str, object]:
    """Result rows and files scanned, from DuckDB's own profiler."""
    target = scratch / "profile.json"
    con.sql("PRAGMA enable_profiling = 'json'")
    con.sql(f"PRAGMA profiling_output = '{target}'")
    rows = len(con.sql(sql).fetchall())
    con.sql("PRAGMA disable_profiling")
    tree = json.loads(target.read_text())
    scans = []

    def walk(node: dict) -> None:
        if node.get("extra_info", {}).get("Function") == "READ_PARQUET":
            scans.append(node)
        for child in node.get("children", []):
            walk(child)

    walk(tree)
    info = scans[0]["extra_info"]
    return {
        "result_rows": rows,
        "duckdb_files": info.get("Scanning Files") or info.get("Total Files Read", "?"),
    }


def pruning(dataset: ds.Dataset, expr: ds.Expression | None) -> dict[str, int]:
    """Files left after partition pruning, row groups left after their statistics."""
    fragments = list(
        dataset.get_fragments(filter=expr) if expr is not None else dataset.get_fragments()
    )
    groups = sum(
        len(f.split_by_row_group(expr, schema=dataset.schema) if expr is not None else f.row_groups)
        for f in fragments
    )
    return {"files": len(fragments), "row_groups": groups}


def timed(con: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat + 1):  # the first run warms the OS cache and DuckDB's metadata
        started = time.perf_counter()
        con.sql(sql).fetchall()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dates", type=int, default=30)
    parser.add_argument("--per-date", type=int, default=5000)
    parser.add_argument("--output", type=Path, help="keep the dataset here (default: temp)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="newsflow-query-bench-"))
    output = args.output or scratch / "out"
    try:
        started = time.perf_counter()
        if (output / "articles").exists():
            days = sorted(
                date.fromisoformat(p.name[11:]) for p in (output / "articles").glob("crawl_date=*")
            )
            print(f"re-using {output}: {len(days)} crawl dates")
        else:
            days = generate(output, args.dates, args.per_date)
            print(
                f"generated {len(days)} dates x {args.per_date:,} articles in "
                f"{time.perf_counter() - started:.0f} s -> {output}"
            )
        dataset = ds.dataset(output / "articles", partitioning=PARTITIONING)
        total = pruning(dataset, None)
        size = sum(f.stat().st_size for f in (output / "articles").rglob("*.parquet"))
        print(
            f"{dataset.count_rows():,} rows, {total['files']} files, {total['row_groups']} row "
            f"groups, {size / 2**20:.0f} MiB on disk; DuckDB {duckdb.__version__}\n"
        )
        con = connect(output)
        header = (
            "| query | result rows | first run (s) | median (s) | DuckDB files "
            "| files after pruning | row groups after stats |"
        )
        print(header)
        print("|---" * (header.count("|") - 1) + "|")
        for q in queries(days):
            first, median = timed(con, q.sql, args.repeat)
            prof = profile(con, q.sql, scratch)
            pruned = pruning(dataset, q.pruning)
            print(
                f"| {q.name} | {prof['result_rows']:,} | {first:.3f} | {median:.3f} | "
                f"{prof['duckdb_files']} | "
                f"{pruned['files']}/{total['files']} | "
                f"{pruned['row_groups']}/{total['row_groups']} |"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
