"""S3 end to end against a real SeaweedFS on loopback, through a fault-injecting proxy.

Raw input and output on S3, wrong credentials, transient and permanent faults, two writers
racing for one date, SIGKILL in the middle of a commit, the cleanup command, and the read
recipes of docs/s3.md (pandas, polars, DuckDB, pyarrow).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from conftest import DEMO_RAW, REPO, SAMPLE_TXT, TESTS, run_local
from runs import BOILERPLATE_HTML, DAY, assert_accounts_close, failure, row, warc_bytes
from s3harness import SECRET_KEY, Fault

from tasks.inspect.read import committed_files, duckdb_connect, polars_storage_options
from tasks.process.run_report import summary_markdown
from tasks.process.write import (
    RunContext,
    articles_table,
    commit_partitions,
    remove_staging,
    write_staged_batch,
)
from tasks.storage.errors import StorageError
from tasks.storage.fs import MANIFEST_NAME, json_bytes, open_storage
from tasks.storage.options import S3Options

HTML = "text/html"


def make_raw(root: Path) -> Path:
    """The demo raw zone plus a .warc.gz, a .jsonl.gz and a hidden file."""
    shutil.copytree(DEMO_RAW, root)
    page = BOILERPLATE_HTML.read_bytes()
    (root / "crawl.warc.gz").write_bytes(
        warc_bytes(
            [
                ("warcinfo", "", b"software: test", ""),
                (
                    "response",
                    "https://w.example/1",
                    page.replace(b"arid-41594010", b"w1"),
                    "text/html",
                ),
                (
                    "response",
                    "https://w.example/2",
                    page.replace(b"arid-41594010", b"w2"),
                    "text/html",
                ),
            ]
        )
    )
    line = {"url": "https://j.example/1", "text": SAMPLE_TXT.read_text(encoding="utf-8")}
    (root / "feed.jsonl.gz").write_bytes(gzip.compress((json.dumps(line) + "\n").encode()))
    (root / "_partial.html").write_bytes(page)  # skipped, as on disk
    return root


def relative_rows(table: pa.Table, raw_root: str) -> list[tuple]:
    rows = [
        (r["source_uri"].replace(raw_root, "RAW"), r["article_id"], r["title"], r["text"])
        for r in table.to_pylist()
    ]
    return sorted(rows)


def test_raw_and_output_on_s3_give_the_same_rows_as_local_disk(tmp_path: Path, s3) -> None:
    raw = make_raw(tmp_path / "raw")
    local = run_local(raw, tmp_path / "out", workers=2)
    raw_uri = s3.upload_dir(raw, f"raw/crawl_date={DAY}")
    remote = run_local(raw_uri, s3.location, workers=2, s3=s3.options)
    assert_accounts_close(remote)
    assert remote["counts"] == local["counts"]
    assert remote["counts"]["articles"] >= 15
    local_rows = relative_rows(ds.dataset(tmp_path / "out" / "articles").to_table(), str(raw))
    assert relative_rows(s3.plain_read("articles", DAY), raw_uri) == local_rows
    assert relative_rows(s3.committed("articles", DAY), raw_uri) == local_rows
    assert remote["outputs"]["articles"] == f"{s3.location}/articles/crawl_date={DAY}"
    assert remote["run_record"] == f"{s3.location}/_runs/{remote['run_id']}.json"
    assert s3.staging() == []
    # nothing in the partition but the manifest and the files it lists
    files = s3.files("articles", DAY)
    manifest = json.loads(files.pop(MANIFEST_NAME))
    assert sorted(files) == sorted(manifest["files"]) and len(files) == 1


def test_no_secret_in_run_records_manifests_artifacts_or_logs(tmp_path, s3, caplog) -> None:
    caplog.set_level("DEBUG", logger="tasks")
    record = run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)
    stored = [
        s3.store.read_bytes(k).decode()
        for k in [e.key for e in s3.store.list("")]
        if k.endswith(".json")
    ]
    texts = [json.dumps(record), summary_markdown(record), caplog.text, *stored]
    assert len(stored) >= 3  # run record + two manifests
    for text in texts:
        assert SECRET_KEY not in text
        assert os.environ["AWS_ACCESS_KEY_ID"] not in text


def test_wrong_credentials_fail_clearly_without_showing_the_secret(s3, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-0000")
    with pytest.raises(StorageError) as caught:
        run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)
    message = str(caught.value)
    assert "SignatureDoesNotMatch" in message and "credentials were refused" in message
    assert s3.location in message
    assert "wrong-secret-0000" not in message and SECRET_KEY not in message
    # the same through the CLI: exit 1, a one-line reason, no secret
    env = {**os.environ, "NEWSFLOW_S3_MAX_ATTEMPTS": "2"}
    proc = subprocess.run(
        [
            Path(sys.executable).with_name("newsflow"),
            "cleanup",
            "-o",
            s3.location,
            "--s3-endpoint",
            s3.proxy.endpoint,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "credentials were refused" in proc.stderr
    assert "wrong-secret-0000" not in proc.stdout + proc.stderr


def test_input_that_does_not_exist_on_s3_fails_clearly(s3) -> None:
    with pytest.raises(FileNotFoundError, match="input not found: s3://"):
        run_local(f"s3://{s3.bucket}/nothing/here", s3.location, s3=s3.options)


# --- faults ----------------------------------------------------------------------------


def test_transient_faults_are_retried_and_the_run_succeeds(s3) -> None:
    s3.proxy.add(
        Fault("status", op="put", status=503, first=1, times=2),  # SlowDown on staging
        Fault("reset", op="list", first=2),
        Fault("truncate", op="get", first=1),  # the first raw file breaks off mid-body
        Fault("reset_after", op="get", first=5),
        Fault("status", op="copy", status=500, first=1),
        Fault("reset_after", op="put", path_contains=MANIFEST_NAME),  # applied, answer lost
        Fault("delay", op="get", delay_s=0.3, first=3, times=3),
    )
    record = run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)
    fired = {(f.kind, f.op): f.fired for f in s3.proxy.faults}
    assert all(n >= 1 for n in fired.values()), fired
    assert_accounts_close(record)
    assert record["counts"]["articles"] == 13
    assert s3.plain_read("articles", DAY).num_rows == 13
    assert s3.committed("articles", DAY).num_rows == 13


def test_a_manifest_read_that_breaks_off_resumes_pinned_to_its_etag(s3) -> None:
    store = open_storage(s3.location, s3.options)
    key = f"articles/crawl_date={DAY}/{MANIFEST_NAME}"
    manifest = {"run_id": "r1", "files": [f"part-{n:05d}.parquet" for n in range(500)]}
    etag = store.put(key, json_bytes(manifest))
    s3.proxy.reset()
    s3.proxy.add(Fault("truncate", op="get", path_contains=MANIFEST_NAME))

    assert store.read_json_etag(key) == (manifest, etag)
    assert s3.proxy.faults[0].fired == 1
    assert s3.proxy.counts["get"] == 2  # the broken GET, then one ranged GET (If-Match)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", op="put", status=503, first=4, times=None),  # staging writes
        Fault("status", op="copy", status=500, path_contains="/articles/", times=None),
        Fault("reset", op="put", path_contains=f"articles/crawl_date={DAY}/", times=None),
    ],
    ids=["put-503", "copy-500", "manifest-reset"],
)
def test_a_permanent_fault_fails_the_run_and_leaves_the_old_partition(s3, fault) -> None:
    run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)
    before = s3.files("articles", DAY)
    before_q = s3.files("quarantine", DAY)
    rows_before = s3.plain_read("articles", DAY).sort_by("article_id")
    s3.proxy.add(fault)
    with pytest.raises(StorageError, match=r"S3 \w+ of s3://.* failed"):
        run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)
    assert fault.fired >= 4  # retried before giving up
    assert s3.files("articles", DAY) == before
    # quarantine is published before articles: it is the old or the new generation, whole
    after_q = s3.files("quarantine", DAY)
    listed = json.loads(after_q.pop(MANIFEST_NAME))["files"]
    assert sorted(after_q) == sorted(listed) and len(listed) == len(before_q) - 1
    assert s3.plain_read("articles", DAY).sort_by("article_id").equals(rows_before)
    assert len(s3.run_records()) == 1  # a failed run publishes no record


# --- concurrency -------------------------------------------------------------------------


def stage(out, run_id: str, ids: range, failures: int = 0, per_batch: int = 50) -> RunContext:
    """Stage rows `ids` (and `failures` quarantine rows) as batches of a run."""
    ctx = RunContext(output=out, crawl_date=DAY, run_id=run_id, pipeline_version="test")
    numbers = list(ids)
    for batch_no, start in enumerate(range(0, max(len(numbers), 1), per_batch)):
        table, _ = articles_table([row(n) for n in numbers[start : start + per_batch]])
        bad = [failure(n) for n in range(failures)] if batch_no == 0 else []
        write_staged_batch(ctx, batch_no, table, bad)
    return ctx


def test_two_racing_writers_last_committed_wins(backend, monkeypatch) -> None:
    store = backend.store
    published: list[str] = []  # run ids in the order their articles partition went live
    real_publish = type(store).publish_partition

    def recording_publish(self, staged, partition, run_id, manifest):
        names = real_publish(self, staged, partition, run_id, manifest)
        if partition.startswith("articles/"):
            published.append(run_id)
        return names

    monkeypatch.setattr(type(store), "publish_partition", recording_publish)
    commit_partitions(stage(store, "seed", range(3)), 3)
    if backend.options:  # slow every copy down: both commits overlap for sure
        backend.proxy.add(Fault("delay", op="copy", delay_s=0.3, times=None))
    contexts = {
        "run-a": stage(store, "run-a", range(0, 40), failures=2),
        "run-b": stage(store, "run-b", range(100, 130), failures=5),
    }
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(run_id: str) -> None:
        ctx = contexts[run_id]
        start.wait()
        try:
            commit_partitions(ctx, 42 if run_id == "run-a" else 35)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(r,)) for r in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert published[0] == "seed" and sorted(published[1:]) == ["run-a", "run-b"]
    winner = published[-1]
    expected = {"run-a": (40, 2), "run-b": (30, 5)}[winner]
    articles = backend.plain_read("articles", DAY)
    assert (articles.num_rows, backend.plain_read("quarantine", DAY).num_rows) == expected
    assert articles.num_rows == len(set(articles.column("article_id").to_pylist()))
    assert backend.committed("articles", DAY).num_rows == expected[0]
    assert store.read_json(f"articles/crawl_date={DAY}/{MANIFEST_NAME}")["run_id"] == winner
    assert store.read_json(f"quarantine/crawl_date={DAY}/{MANIFEST_NAME}")["run_id"] == winner
    if backend.options:  # S3 leases are deleted; local flock files stay (harmless)
        assert backend.store.list("_locks") == []


# --- SIGKILL in the middle of a commit ----------------------------------------------------

_KILLER = """
import os, signal, sys
sys.path[:0] = {paths!r}
from tasks.storage import fs as storage
from tasks.storage.options import S3Options
from tasks.process import write
from test_s3 import stage
from tasks.process.write import commit_partitions
write.MAX_FILE_BYTES = 20_000  # several files per partition
real = getattr(storage.S3Storage, {method!r})
calls = {{"n": 0}}
def killing(self, *args, **kwargs):
    result = real(self, *args, **kwargs)
    calls["n"] += 1
    if "articles" in str(args) and calls["n"] >= {after}:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(storage.S3Storage, {method!r}, killing)
store = storage.open_storage({location!r}, S3Options(endpoint_url={endpoint!r}))
commit_partitions(stage(store, "killed", range(200, 400)), 200)
"""


@pytest.mark.parametrize(
    ("method", "after"), [("copy", 2), ("_replace_manifest", 1)], ids=["mid-copy", "after-manifest"]
)
def test_sigkill_mid_commit_then_rerun_gives_one_clean_generation(s3, method, after) -> None:
    store = s3.store
    commit_partitions(stage(store, "old", range(10)), 10)
    script = _KILLER.format(
        paths=[str(Path(__file__).parent), str(TESTS), str(REPO)],
        method=method,
        after=after,
        location=s3.location,
        endpoint=s3.proxy.endpoint,
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    names = set(s3.files("articles", DAY))
    # the dead commit left files of two generations in the partition and its lock behind
    assert any("-killed-" in n for n in names) and any("-old-" in n for n in names)
    assert store.list("_locks")
    committed = s3.committed("articles", DAY).num_rows
    assert committed == (10 if method == "copy" else 200)  # manifest readers: one generation

    commit_partitions(stage(store, "rerun", range(500, 520)), 20)
    files = s3.files("articles", DAY)
    manifest = json.loads(files.pop(MANIFEST_NAME))
    assert manifest["run_id"] == "rerun" and sorted(files) == sorted(manifest["files"])
    assert all("-rerun-" in name for name in files)
    assert s3.plain_read("articles", DAY).num_rows == 20
    assert s3.committed("articles", DAY).num_rows == 20
    assert store.list("_locks") == []


def test_cleanup_command_removes_a_dead_commits_leftovers(s3) -> None:
    store = s3.store
    old = stage(store, "old", range(10))
    commit_partitions(old, 10)
    remove_staging(old)
    script = _KILLER.format(
        paths=[str(Path(__file__).parent), str(TESTS), str(REPO)],
        method="copy",
        after=2,
        location=s3.location,
        endpoint=s3.proxy.endpoint,
    )
    assert subprocess.run([sys.executable, "-c", script], capture_output=True).returncode == -9
    assert s3.plain_read("articles", DAY).num_rows > 10  # a plain glob sees the orphans
    newsflow = [str(Path(sys.executable).with_name("newsflow")), "cleanup", "-o", s3.location]
    young = subprocess.run(
        [*newsflow, "--s3-endpoint", s3.proxy.endpoint], capture_output=True, text=True, timeout=120
    )
    assert young.returncode == 0, young.stderr
    assert "removed 0 uncommitted partition file(s)" in young.stdout  # younger than 6 h
    done = subprocess.run(
        [*newsflow, "--older-than-hours", "0", "--s3-endpoint", s3.proxy.endpoint],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "removed staging of 1 run(s)" in done.stdout and "_staging/killed" in done.stdout
    assert s3.plain_read("articles", DAY).num_rows == 10
    assert s3.staging() == [] and store.list("_locks") == []


def test_cleanup_command_on_local_disk(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage(out, "dead", range(3))
    old = time.time() - 7 * 3600
    for p in [out / "_staging" / "dead", *(out / "_staging" / "dead").iterdir()]:
        os.utime(p, (old, old))
    stage(out, "alive", range(3))
    newsflow = [str(Path(sys.executable).with_name("newsflow")), "cleanup", "-o", str(out)]
    proc = subprocess.run(newsflow, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "_staging/dead" in proc.stdout
    assert sorted(p.name for p in (out / "_staging").iterdir()) == ["alive"]


# --- the read recipes of docs/s3.md -------------------------------------------------------


def test_read_recipes_return_the_committed_generation_once(s3) -> None:
    import pandas as pd
    import polars as pl

    from tasks.inspect.read import arrow_filesystem

    run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)
    run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)  # a second generation
    options = s3.options
    files = committed_files(s3.location, "articles", s3=options)
    assert len(files) == 1 and files[0].startswith(f"{s3.location}/articles/crawl_date={DAY}/")
    # pandas: committed files, or the plain folder
    fs = arrow_filesystem(s3.location, options)
    paths = [f.removeprefix("s3://") for f in files]
    assert len(pd.read_parquet(paths, filesystem=fs)) == 13
    plain = pd.read_parquet(f"{s3.bucket}/{s3.prefix}/articles", filesystem=fs)
    assert len(plain) == 13 and plain["crawl_date"].astype(str).unique().tolist() == [str(DAY)]
    # polars
    frame = pl.read_parquet(
        files, storage_options=polars_storage_options(options), hive_partitioning=True
    )
    assert frame.height == 13 and frame["crawl_date"].unique().to_list() == [DAY]
    glob = f"{s3.location}/articles/*/*.parquet"
    assert pl.read_parquet(glob, storage_options=polars_storage_options(options)).height == 13
    # DuckDB (httpfs from the duckdb-extension-httpfs package, offline)
    con = duckdb_connect(options)
    listed = ", ".join(f"'{f}'" for f in files)
    per_day = con.execute(
        f"SELECT crawl_date, count(*) FROM read_parquet([{listed}], hive_partitioning=true) "
        "GROUP BY ALL"
    ).fetchall()
    assert per_day == [(DAY, 13)]
    assert con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()[0] == 13
    # DuckDB alone: the manifests name the committed files (docs/s3.md)
    root = f"{s3.location}/articles"
    con.execute(
        "SET VARIABLE committed = (SELECT list(concat("
        f"'{root}/crawl_date=', crawl_date::VARCHAR, '/', f)) FROM ("
        f"SELECT crawl_date, unnest(files) AS f FROM read_json('{root}/*/_newsflow.json')))"
    )
    sql = "SELECT count(*) FROM read_parquet(getvariable('committed'), hive_partitioning=true)"
    assert con.execute(sql).fetchone()[0] == 13


def test_show_reads_a_committed_date_from_s3(s3) -> None:
    from tasks.inspect.show import first_articles, quarantine_reasons

    run_local(DEMO_RAW, s3.location, workers=1, s3=s3.options)
    os.environ["NEWSFLOW_S3_ENDPOINT"] = s3.proxy.endpoint
    try:
        assert len(first_articles(s3.location, DAY, 5)) == 5
        assert [r[:2] for r in quarantine_reasons(s3.location, DAY)] == [("load", "truncated_gzip")]
        assert first_articles(s3.location, date(2000, 1, 1), 5) == []
    finally:
        del os.environ["NEWSFLOW_S3_ENDPOINT"]


def test_storage_objects_survive_pickling_for_remote_workers(s3) -> None:
    import pickle

    store = open_storage(s3.location, S3Options(endpoint_url=s3.proxy.endpoint))
    store.write_json("x/y.json", {"a": 1})
    clone = pickle.loads(pickle.dumps(store))
    assert clone.read_json("x/y.json") == {"a": 1}
    assert SECRET_KEY.encode() not in pickle.dumps(store)


def test_prefect_flow_on_s3_keeps_secrets_out_of_the_api(prefect_harness, s3, monkeypatch) -> None:
    import asyncio

    from prefect import get_client

    from flows.process import process
    from tasks.process.pipeline import ProcessConfig
    from tasks.storage.options import S3Options

    config = ProcessConfig(
        input=str(DEMO_RAW),
        output=s3.location,
        crawl_date=DAY,
        workers=1,
        s3=S3Options(endpoint_url=s3.proxy.endpoint),  # what --s3-endpoint passes
    )
    record = process(config=config)
    assert record["counts"]["articles"] == 13
    assert s3.committed("articles", DAY).num_rows == 13

    async def stored_by_prefect() -> str:
        async with get_client() as client:
            run = await client.read_flow_run(record["orchestrator"]["flow_run_id"])
            artifacts = await client.read_artifacts()
            logs = await client.read_logs()
        return json.dumps(
            [run.parameters, [a.data for a in artifacts], [entry.message for entry in logs]],
            default=str,
        )

    stored = asyncio.run(stored_by_prefect())
    assert s3.location in stored and SECRET_KEY not in stored


def test_committed_files_on_local_disk_follow_the_manifest_or_the_folder(tmp_path) -> None:
    out = tmp_path / "out"
    run_local(DEMO_RAW, out, workers=1)
    [articles] = committed_files(out, "articles")
    assert articles == str(out / "articles" / f"crawl_date={DAY}" / "part-00000.parquet")
    # a quarantine partition from before manifests existed: the folder's Parquet files
    (out / "quarantine" / f"crawl_date={DAY}" / MANIFEST_NAME).unlink()
    assert [Path(f).name for f in committed_files(out, "quarantine")] == ["part-00000.parquet"]


@pytest.mark.parametrize("name", ["crawl.warc.gz", "feed.jsonl.gz", "0d46122928b6.html.gz"])
def test_a_raw_object_that_keeps_failing_mid_body_fails_the_run(tmp_path, s3, name) -> None:
    raw = make_raw(tmp_path / "raw")
    raw_uri = s3.upload_dir(raw, "raw")
    # the first GET breaks off half-way, every later one (the resumes) is reset
    s3.proxy.add(
        Fault("truncate", op="get", path_contains=name),
        Fault("reset", op="get", path_contains=name, times=None),
    )
    with pytest.raises(StorageError, match=rf"S3 read of {raw_uri}/{name} failed"):
        run_local(raw_uri, s3.location, workers=1, s3=s3.options)
    assert s3.store.list("articles") == []  # nothing published
