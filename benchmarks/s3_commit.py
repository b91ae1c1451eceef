"""Write and commit one crawl date of N articles: local disk vs a local S3 server.

Starts SeaweedFS (`weed mini`) and the counting proxy of tests/s3harness.py on loopback,
stages N synthetic articles in batches of 200 (as the pipeline does), commits the date, and
commits it a second time (a rerun, which also deletes the first generation). Reports the
median wall time of each step over --repeat rounds and the S3 requests per committed
partition by operation, counted in the proxy. Also compares writing one final Parquet file
with pyarrow's S3FileSystem against a local temp file + one boto3 PUT (what tasks/process/write.py
does).

    .venv/bin/python benchmarks/s3_commit.py [--articles 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import pyarrow.parquet as pq  # noqa: E402
from s3harness import ACCESS_KEY, SECRET_KEY, FaultProxy, SeaweedServer  # noqa: E402

from tasks.inspect.read import arrow_filesystem  # noqa: E402
from tasks.process.write import (  # noqa: E402
    RunContext,
    articles_table,
    commit_partitions,
    remove_staging,
    write_staged_batch,
)
from tasks.storage.fs import open_storage  # noqa: E402
from tasks.storage.options import S3Options  # noqa: E402

DAY = date(2025, 3, 18)
BATCH = 200
WORDS = [f"w{n}" for n in range(5000)] + ["the", "a", "of", "to", "in", "and", "said"] * 300


def article(n: int, rng: random.Random) -> dict:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(300, 900)))
    domain = f"site{n % 40}.example"
    return {
        "article_id": f"{n:016x}",
        "url": f"https://{domain}/news/{n}",
        "canonical_url": f"https://{domain}/news/{n}",
        "source_domain": domain,
        "site_name": domain,
        "title": f"Headline number {n}",
        "description": text[:200],
        "authors": ["A. Writer"],
        "published_at": datetime(2025, 3, 17, n % 24, n % 60, tzinfo=UTC),
        "modified_at": None,
        "published_at_source": "json-ld",
        "language": "en",
        "section": "News",
        "tags": ["x", "y"],
        "text": text,
        "page_type": "article",
        "word_count": len(text.split()),
        "content_hash": f"{n:032x}",
        "simhash": n,
        "fetched_at": datetime(2025, 3, 18, 6, tzinfo=UTC),
        "source_uri": f"s3://raw/crawl.warc.gz#offset={n * 4096}",
        "input_format": "warc",
        "charset": "utf-8",
        "charset_source": "http",
        "crawl_date": DAY,
        "pipeline_version": "bench",
        "schema_version": 2,
    }


def write_and_commit(location, tables, run_id: str, proxy: FaultProxy | None) -> dict:
    ctx = RunContext(output=location, crawl_date=DAY, run_id=run_id, pipeline_version="bench")
    started = time.perf_counter()
    for number, table in enumerate(tables):
        write_staged_batch(ctx, number, table, [])
    staged = time.perf_counter()
    before = Counter(proxy.counts) if proxy else Counter()
    commit_partitions(ctx, sum(t.num_rows for t in tables))
    remove_staging(ctx)
    done = time.perf_counter()
    commit_ops = (Counter(proxy.counts) - before) if proxy else Counter()
    return {"stage_s": staged - started, "commit_s": done - staged, "ops": commit_ops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(7)
    rows = [article(n, rng) for n in range(args.articles)]
    tables = [articles_table(rows[i : i + BATCH])[0] for i in range(0, len(rows), BATCH)]
    arrow_mb = sum(t.nbytes for t in tables) / 2**20
    print(f"{args.articles} articles, {len(tables)} batches, {arrow_mb:.1f} MB in Arrow")

    os.environ.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    server = SeaweedServer().start()
    proxy = FaultProxy(server.port).start()
    try:
        bucket = server.create_bucket("bench")
        options = S3Options(endpoint_url=proxy.endpoint)
        results: dict[str, list[dict]] = {"local": [], "s3": [], "s3-rerun": []}
        for round_no in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                results["local"].append(write_and_commit(Path(tmp), tables, f"l{round_no}", None))
            store = open_storage(f"s3://{bucket}/round{round_no}", options)
            proxy.reset()
            first = write_and_commit(store, tables, f"first{round_no}", proxy)
            first["all_ops"] = Counter(proxy.counts)
            results["s3"].append(first)
            proxy.reset()
            again = write_and_commit(store, tables, f"rerun{round_no}", proxy)
            again["all_ops"] = Counter(proxy.counts)
            results["s3-rerun"].append(again)

        print(f"\nmedian of {args.repeat} rounds (seconds)")
        print(f"{'target':<10} {'stage':>8} {'commit':>8} {'total':>8}")
        for name, runs in results.items():
            stage = statistics.median(r["stage_s"] for r in runs)
            commit = statistics.median(r["commit_s"] for r in runs)
            print(f"{name:<10} {stage:8.2f} {commit:8.2f} {stage + commit:8.2f}")
        for name in ("s3", "s3-rerun"):
            run = results[name][-1]
            print(
                f"\n{name}: requests for staging + commit: {dict(sorted(run['all_ops'].items()))}"
            )
            print(f"{name}: requests of the commit itself: {dict(sorted(run['ops'].items()))}")

        # one final file: pyarrow S3FileSystem vs temp file + boto3 PUT
        table = articles_table(rows)[0]
        fs = arrow_filesystem(f"s3://{bucket}", options)
        store = open_storage(f"s3://{bucket}/cmp", options)
        timings: dict[str, list[float]] = {"pyarrow.fs": [], "tempfile+boto3": []}
        counts: dict[str, Counter] = {}
        for _ in range(args.repeat):
            proxy.reset()
            t0 = time.perf_counter()
            pq.write_table(table, f"{bucket}/cmp/arrow.parquet", filesystem=fs, compression="zstd")
            timings["pyarrow.fs"].append(time.perf_counter() - t0)
            counts["pyarrow.fs"] = Counter(proxy.counts)
            proxy.reset()
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "f.parquet"
                pq.write_table(table, path, compression="zstd")
                store.upload(path, "boto.parquet")
            timings["tempfile+boto3"].append(time.perf_counter() - t0)
            counts["tempfile+boto3"] = Counter(proxy.counts)
        print("\none final file of all articles:")
        for name, values in timings.items():
            print(f"  {name:<15} {statistics.median(values):6.2f} s  {dict(counts[name])}")
    finally:
        proxy.stop()
        server.stop()


if __name__ == "__main__":
    main()
