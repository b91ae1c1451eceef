"""Chaos: SIGKILL `newsflow process` at random moments, then rerun, clean up and check.

For each backend (a local output folder, and an s3:// prefix on a SeaweedFS server started
on loopback the way tests/s3harness.py does) the script first makes one clean run of a
small raw folder (the demo raw zone plus synthetic JSONL articles, a few bad lines and
duplicates) as the reference. Then, N times:

1. start `newsflow process` (a real subprocess in its own session) and SIGKILL its whole
   process group (driver, extraction workers, forkserver) after a random delay; half the
   delays fall in the last 40 % of a run, where the commit happens;
2. check what a reader sees now: each partition (articles, quarantine) is one complete
   generation: a manifest whose files all exist with the manifest's row count, or none;
3. rerun the same date to completion, then `newsflow cleanup -o OUT --older-than-hours 0`;
4. check: both partitions hold exactly the reference rows (quarantine without its run_id),
   are committed by the rerun (one generation, the same run for both tables), hold no file
   the manifest does not name, the rerun's counts close and equal the reference's, and no
   staging is left.

Prints runs, kills and violations per backend; exits 1 if there is any violation.

    .venv/bin/python benchmarks/chaos.py [--kills 20] [--backends local,s3] [--seed 1]

tests/storage/test_chaos.py runs a short version (a few kills per backend) in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import pyarrow as pa  # noqa: E402
from runs import kill_group_when, page  # noqa: E402

from tasks.inspect.read import read_committed  # noqa: E402
from tasks.storage.fs import MANIFEST_NAME, Storage, open_storage  # noqa: E402
from tasks.storage.options import S3Options  # noqa: E402

DAY = date(2025, 3, 18)
DEMO_RAW = REPO / "infra" / "demo" / "raw"
NEWSFLOW = str(Path(sys.executable).with_name("newsflow"))
TABLES = ("articles", "quarantine")


@dataclass
class ChaosReport:
    backend: str
    runs: int = 0
    kills: int = 0
    killed_before_commit: int = 0  # the killed run left the committed generation as it was
    killed_after_commit: int = 0  # the killed run had committed at least one table
    violations: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.backend:<6} runs {self.runs:>3}  kills {self.kills:>3}  "
            f"(before commit {self.killed_before_commit}, after {self.killed_after_commit})  "
            f"violations {len(self.violations)}"
        )


def make_raw(root: Path, articles: int = 40) -> Path:
    """The demo raw zone plus a JSONL of distinct synthetic articles, bad lines, duplicates."""
    raw = root / "raw"
    shutil.copytree(DEMO_RAW, raw)
    lines = []
    for n in range(articles):
        html = page(n)
        lines.append(json.dumps({"url": f"https://chaos.example/{n}", "html": html}))
        if n % 10 == 0:  # the same story again: a counted duplicate
            lines.append(json.dumps({"url": f"https://chaos.example/{n}", "html": html}))
    lines += ["{not json", '{"url": "https://chaos.example/none"}', "[1, 2]"]
    (raw / "synthetic.jsonl").write_text("\n".join(lines) + "\n")
    return raw


def process_args(raw: Path, out: str) -> list[str]:
    return [NEWSFLOW, "process", str(raw), "--date", DAY.isoformat(), "-o", out]


def run_to_end(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=REPO, capture_output=True, timeout=900)


def run_and_kill(args: list[str], env: dict[str, str], delay: float) -> bool:
    """Start the command in its own session, SIGKILL the whole group after `delay` s.
    False when it had already finished by then."""
    deadline = time.monotonic() + delay
    return kill_group_when(args, env, REPO, lambda: time.monotonic() >= deadline)


def partition_state(store: Storage, table: str) -> tuple[dict[str, Any] | None, list[str]]:
    """(manifest or None, names of the Parquet files in the date's partition)."""
    folder = f"{table}/crawl_date={DAY.isoformat()}"
    manifest = store.read_json(f"{folder}/{MANIFEST_NAME}")
    names = sorted(
        e.key.rsplit("/", 1)[-1] for e in store.list(folder) if e.key.endswith(".parquet")
    )
    return manifest, names


def check_one_generation(store: Storage, location: str, s3: S3Options | None) -> list[str]:
    """What a reader sees: each partition is one complete generation (or absent)."""
    problems = []
    for table in TABLES:
        manifest, names = partition_state(store, table)
        if manifest is None:
            if names and store.local_path("") is not None:
                problems.append(f"{table}: Parquet files without a manifest: {names}")
            continue
        missing = sorted(set(manifest.get("files", [])) - set(names))
        if missing:
            problems.append(f"{table}: manifest names missing files {missing}")
            continue
        rows = read_committed(location, table, [DAY], s3=s3).num_rows
        if rows != manifest.get("rows"):
            problems.append(f"{table}: {rows} rows readable, manifest says {manifest.get('rows')}")
    return problems


def comparable(table: pa.Table, name: str) -> pa.Table:
    """Rows that must be the same in every complete generation: sorted, no run_id."""
    if name == "quarantine":
        table = table.drop_columns(["run_id"])
        return table.sort_by([("source_uri", "ascending"), ("error_type", "ascending")])
    return table.sort_by("article_id")


def check_after_rerun(
    store: Storage,
    location: str,
    s3: S3Options | None,
    reference: dict[str, pa.Table],
    reference_counts: dict[str, int],
    record: dict[str, Any],
) -> list[str]:
    problems = check_one_generation(store, location, s3)
    counts = {k: record["counts"][k] for k in reference_counts}
    if counts != reference_counts:
        problems.append(f"rerun counts {counts} != reference {reference_counts}")
    c = record["counts"]
    if c["records_in"] != c["articles"] + c["quarantined"] + c["duplicates"]:
        problems.append(f"rerun counts do not close: {c}")
    for table in TABLES:
        manifest, names = partition_state(store, table)
        if manifest is None:
            problems.append(f"{table}: no manifest after the rerun")
            continue
        if manifest.get("run_id") != record["run_id"]:
            problems.append(f"{table}: committed by {manifest.get('run_id')}, not the rerun")
        if names != sorted(manifest.get("files", [])):
            problems.append(f"{table}: files {names} != manifest {manifest.get('files')}")
        rows = comparable(read_committed(location, table, [DAY], s3=s3), table)
        if not rows.equals(reference[table]):
            problems.append(f"{table}: rows differ from the clean run ({rows.num_rows} rows)")
    leftovers = [e.key for e in store.list("_staging")]
    if leftovers:
        problems.append(f"staging left after cleanup: {leftovers[:3]}")
    return problems


def last_run_record(store: Storage, before: set[str]) -> dict[str, Any]:
    new = sorted(e.key for e in store.list("_runs") if e.key not in before)
    if not new:
        raise RuntimeError("the rerun wrote no run record")
    return store.read_json(new[-1]) or {}


def run_chaos(
    name: str,
    location: str,
    env: dict[str, str],
    kills: int,
    seed: int = 1,
    s3: S3Options | None = None,
    log=print,  # noqa: ANN001 - a print-like callable
    articles: int = 40,
) -> ChaosReport:
    """Kill `kills` runs of one date at `location` at random moments; check after each.
    `articles`: synthetic JSONL articles beside the demo raw zone (longer runs)."""
    rng = random.Random(seed)
    report = ChaosReport(name)
    store = open_storage(location, s3)
    with tempfile.TemporaryDirectory(prefix="newsflow-chaos-") as tmp:
        raw = make_raw(Path(tmp), articles)
        args = [*process_args(raw, location), "--workers", "1", "--batch-size", "5"]
        clean = run_to_end(args, env)
        report.runs += 1
        if clean.returncode != 0:
            raise RuntimeError(f"clean run failed: {clean.stdout[-2000:]!r}")
        # the kills are timed on a --full rerun, which is what they interrupt: a first
        # run into an empty output is slower (cold caches), and kills timed on it would
        # land after the end of the runs they are meant to interrupt
        started = time.monotonic()
        run_to_end([*args, "--full"], env)
        duration = time.monotonic() - started
        report.runs += 1
        reference_record = last_run_record(store, set())
        reference_counts = {
            k: reference_record["counts"][k]
            for k in ("records_in", "articles", "quarantined", "duplicates")
        }
        reference = {t: comparable(read_committed(location, t, [DAY], s3=s3), t) for t in TABLES}
        log(f"{name}: clean run {duration:.1f} s, counts {reference_counts}")
        for n in range(kills):
            # half of the kills in the last third of a run (the commit points), but the
            # first in its first half: on a machine whose load drops after the timing run,
            # late kills can all land after the end, and a short run (the test's 2) would
            # kill nothing
            late = n > 0 and rng.random() < 0.5
            early_end = duration / 2 if n == 0 else duration
            delay = rng.uniform(0.6, 0.95) * duration if late else rng.uniform(0.2, early_end)
            before = {t: partition_state(store, t)[0] for t in TABLES}
            # --full: the killed run extracts everything again, as long as the clean run
            # did (without it, it would reuse the clean run's pieces and finish first);
            # the rerun after it reuses what any run staged (resume)
            started = time.monotonic()
            killed = run_and_kill([*args, "--full"], env, delay)
            report.runs += 1
            if not killed:  # it ended before its kill: time the next kills on this run
                duration = min(duration, time.monotonic() - started)
            if killed:
                report.kills += 1
                after = {t: partition_state(store, t)[0] for t in TABLES}
                changed = any(
                    (before[t] or {}).get("run_id") != (after[t] or {}).get("run_id")
                    for t in TABLES
                )
                if changed:
                    report.killed_after_commit += 1
                else:
                    report.killed_before_commit += 1
                for problem in check_one_generation(store, location, s3):
                    report.violations.append(f"kill {n + 1} at {delay:.2f} s: {problem}")
            runs_before = {e.key for e in store.list("_runs")}
            rerun = run_to_end(args, env)
            report.runs += 1
            if rerun.returncode != 0:
                report.violations.append(
                    f"rerun {n + 1} failed: {rerun.stdout.decode(errors='replace')[-500:]}"
                )
                continue
            cleanup = run_to_end(
                [NEWSFLOW, "cleanup", "-o", location, "--older-than-hours", "0"], env
            )
            if cleanup.returncode != 0:
                report.violations.append(f"cleanup {n + 1} failed: {cleanup.stderr[-500:]!r}")
            record = last_run_record(store, runs_before)
            for problem in check_after_rerun(
                store, location, s3, reference, reference_counts, record
            ):
                report.violations.append(f"after kill {n + 1} at {delay:.2f} s: {problem}")
            log(
                f"{name}: {n + 1}/{kills} delay {delay:.2f} s "
                f"{'killed' if killed else 'finished first'}, "
                f"violations so far {len(report.violations)}"
            )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs per backend")
    parser.add_argument("--backends", default="local,s3")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    reports = []
    for backend in options.backends.split(","):
        if backend == "local":
            with tempfile.TemporaryDirectory(prefix="newsflow-chaos-out-") as out:
                reports.append(run_chaos("local", out, env, options.kills, options.seed))
        elif backend == "s3":
            reports.append(_run_s3(env, options.kills, options.seed))
        else:
            parser.error(f"unknown backend {backend}")
    print()
    for report in reports:
        print(report.line())
        for violation in report.violations:
            print(f"  {violation}")
    return 1 if any(r.violations for r in reports) else 0


def _run_s3(env: dict[str, str], kills: int, seed: int) -> ChaosReport:
    from s3harness import ACCESS_KEY, SECRET_KEY, SeaweedServer

    server = SeaweedServer().start()
    try:
        bucket = server.create_bucket(f"chaos-{uuid.uuid4().hex[:8]}")
        s3_env = {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NEWSFLOW_S3_ENDPOINT": server.endpoint,
        }
        os.environ.update(s3_env)  # this process reads the partitions too
        options = S3Options(endpoint_url=server.endpoint)
        location = f"s3://{bucket}/lake"
        return run_chaos("s3", location, {**env, **s3_env}, kills, seed, s3=options)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
