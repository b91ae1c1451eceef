"""Driver cost per record: CPU and bytes of the driver process, before/after batches of
references (issue 14).

Runs `run_local` (2 workers) on a CC-NEWS-like WARC (benchmarks/ccnews_like.py) once per
code tree, each in a fresh child process whose PYTHONPATH is that tree, and reports for the
driver process alone (the extraction workers are its children and not counted):

    cpu_ms_per_1k   driver CPU (all its threads) per 1,000 records, before the commit pass
    commit_cpu_ms_per_1k  the same for the commit pass (reads the staged rows, both trees)
    read_mb / write_mb    bytes the driver read()/write() before the commit pass (/proc
                          self/io rchar, wchar: files, pipes and sockets)

    git archive <base> | tar -x -C /tmp/nf-before
    python benchmarks/driver_cost.py /tmp/inc_ccnews20k --tree before=/tmp/nf-before --tree after=.
    python benchmarks/driver_cost.py /tmp/inc_ccnews20k --plan-only     # this tree's planning
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, os, sys, time
from datetime import date


def io_counters():
    fields = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
    return int(fields["rchar"]), int(fields["wchar"])


def main():
    import importlib, importlib.util

    # trees from before the issue 12 layout have tasks/pipeline.py
    old_layout = importlib.util.find_spec("tasks.pipeline") is not None
    pipeline = importlib.import_module("tasks.pipeline" if old_layout else "tasks.process.pipeline")

    marks = {}
    commit = pipeline.commit_partitions

    def timed_commit(*args, **kwargs):
        marks["commit_start"] = (time.process_time(), *io_counters())
        try:
            return commit(*args, **kwargs)
        finally:
            marks["commit_end"] = (time.process_time(), *io_counters())

    pipeline.commit_partitions = timed_commit
    config = pipeline.ProcessConfig(
        input=sys.argv[1], crawl_date=date(2025, 3, 18), output=sys.argv[2], workers=2
    )
    start = (time.process_time(), *io_counters())
    wall = time.perf_counter()
    record = pipeline.run_local(config)
    wall = time.perf_counter() - wall
    end = (time.process_time(), *io_counters())
    c0, c1 = marks["commit_start"], marks["commit_end"]
    n = record["counts"]["records_in"]
    print(json.dumps({
        "records": n,
        "articles": record["counts"]["articles"],
        "batches": record["counts"]["batches"],
        "wall_s": round(wall, 1),
        "cpu_ms_per_1k": round((c0[0] - start[0]) * 1e6 / n, 1),
        "commit_cpu_ms_per_1k": round((c1[0] - c0[0]) * 1e6 / n, 1),
        "after_commit_cpu_ms_per_1k": round((end[0] - c1[0]) * 1e6 / n, 1),
        "read_mb": round((c0[1] - start[1]) / 2**20, 1),
        "write_mb": round((c0[2] - start[2]) / 2**20, 1),
        "commit_read_mb": round((c1[1] - c0[1]) / 2**20, 1),
        "peak_rss_mb": record["peak_rss_mb"],
    }))


if __name__ == "__main__":
    main()
"""


def plan_cost(warc: Path) -> dict:
    """The driver's whole share of work before extraction (list + plan), this tree only."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tasks.ingest.listing import list_inputs
    from tasks.process.pieces import plan_batches

    def io_counters() -> tuple[int, int]:
        fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
        return int(fields["rchar"]), int(fields["wchar"])

    cpu, (read, _) = time.process_time(), io_counters()
    batches = plan_batches(
        list_inputs(warc),
        batch_size=200,
        batch_bytes=8 * 2**20,
        max_record_bytes=10 * 2**20,
        warc_filter=None,
        versions={},
    )
    cpu, read = time.process_time() - cpu, io_counters()[0] - read
    size = sum(p.stat().st_size for p in ([warc] if warc.is_file() else warc.rglob("*")))
    return {
        "input_mb": round(size / 2**20),
        "batches": len(batches),
        "plan_cpu_ms": round(cpu * 1e3, 1),
        "plan_read_kb": round(read / 1024, 1),
    }


def run_tree(tree: Path, warc: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="driver-cost-") as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(CHILD)
        env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
        out = Path(tmp) / "out"
        done = subprocess.run(
            [sys.executable, str(script), str(warc), str(out)],
            env=env,
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
        shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="a WARC or a folder of them")
    parser.add_argument("--tree", action="append", default=[], help="name=path")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--plan-only", action="store_true", help="list + plan cost only")
    args = parser.parse_args()
    if args.plan_only:
        print("plan", json.dumps(plan_cost(args.input)))
        return
    for _ in range(args.repeats):
        for spec in args.tree:
            name, _, path = spec.partition("=")
            print(name, json.dumps(run_tree(Path(path), args.input)), flush=True)


if __name__ == "__main__":
    main()
