"""Incremental reruns, resume and Dask against the local pool (issue 14 targets).

On 10 CC-NEWS-like WARCs of --records pages in all (benchmarks/ccnews_like.py, in /tmp):

    full      a run of the date into an empty output (local pool, --workers)
    unchanged the same date again: every piece is reused          target >= 10x faster
    one       1 of the 10 files rewritten with other pages        target <= 20 % of full
    resume    a CLI run SIGKILLed once half its pieces are staged, then run again:
              the second run's time                               target <= 60 % of full
    dask      the full run on a LocalCluster (2 workers x 1 thread, prefect-dask) into an
              empty output: docs/s against the local pool's (run record timings)

    python benchmarks/incremental.py --records 5000 [--repeats 2] [--dask]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from ccnews_like import build  # noqa: E402

from tasks.process.pipeline import ProcessConfig, run_local  # noqa: E402

DAY = date(2025, 3, 18)
NEWSFLOW = Path(sys.executable).with_name("newsflow")
FILES = 10


def timed(raw: Path, out: Path, workers: int) -> tuple[float, dict]:
    started = time.perf_counter()
    record = run_local(
        ProcessConfig(input=str(raw), crawl_date=DAY, output=str(out), workers=workers)
    )
    return time.perf_counter() - started, record


def kill_at_half(raw: Path, out: Path, workers: int, pieces: int) -> float:
    """Start the CLI, SIGKILL its process group once half the pieces are complete; the
    seconds it ran."""
    args = [str(NEWSFLOW), "process", str(raw), "--date", DAY.isoformat(), "-o", str(out)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*args, "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while proc.poll() is None:
        if len(list((out / "_pieces").glob("*/*/*/_done.json"))) >= pieces / 2:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    return time.perf_counter() - started


def dask_run(raw: Path, out: Path) -> dict:
    import dask
    from distributed import LocalCluster
    from prefect.testing.utilities import prefect_test_harness

    from flows.process import process_flow

    with (
        prefect_test_harness(server_startup_timeout=120),
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
    ):
        address = cluster.scheduler_address
        config = ProcessConfig(input=str(raw), crawl_date=DAY, output=str(out))
        return process_flow(address)(config=config, dask_address=address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--dask-only", action="store_true", help="only the Dask comparison")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp/newsflow-incremental"))
    args = parser.parse_args()
    raw = args.tmp / f"raw-{args.records}"
    build(raw, args.records, FILES)
    ratios: dict[str, list[float]] = {"unchanged": [], "one": [], "resume": []}
    for repeat in range(0 if args.dask_only else args.repeats):
        out = args.tmp / "out"
        shutil.rmtree(out, ignore_errors=True)
        full, record = timed(raw, out, args.workers)
        pieces = record["counts"]["batches"]
        print(
            f"[{repeat}] full       {full:7.1f} s  {record['counts']['records_in']} records, "
            f"{pieces} pieces, {record['timings']['docs_per_s']} docs/s, "
            f"peak {record['peak_rss_mb']} MB",
            flush=True,
        )
        unchanged, record = timed(raw, out, args.workers)
        ratios["unchanged"].append(full / unchanged)
        print(
            f"[{repeat}] unchanged  {unchanged:7.1f} s  reused "
            f"{record['reused']['batches']}/{pieces}: {full / unchanged:.1f}x faster",
            flush=True,
        )
        # one file changed: other pages, so its rows really change
        changed = sorted(raw.glob("*.warc.gz"))[0]
        moved = raw.with_name(raw.name + "-moved")
        shutil.rmtree(moved, ignore_errors=True)
        other = build(moved, args.records // FILES, 1, offset=args.records + repeat)[0]
        original = changed.read_bytes()
        shutil.copyfile(other, changed)
        one, record = timed(raw, out, args.workers)
        changed.write_bytes(original)
        ratios["one"].append(one / full)
        print(
            f"[{repeat}] 1 changed  {one:7.1f} s  reused "
            f"{record['reused']['batches']}/{record['counts']['batches']}: "
            f"{100 * one / full:.0f} % of full",
            flush=True,
        )
        # resume
        resume_out = args.tmp / "resume"
        shutil.rmtree(resume_out, ignore_errors=True)
        killed_after = kill_at_half(raw, resume_out, args.workers, pieces)
        rest, record = timed(raw, resume_out, args.workers)
        ratios["resume"].append(rest / full)
        print(
            f"[{repeat}] resume     {rest:7.1f} s  (killed after {killed_after:.1f} s) "
            f"reused {record['reused']['batches']}/{pieces}: "
            f"{100 * rest / full:.0f} % of full",
            flush=True,
        )
    for name, values in ratios.items() if not args.dask_only else ():
        print(
            f"{name:10} median {statistics.median(values):.2f}  "
            f"range {min(values):.2f}-{max(values):.2f}  (n={len(values)})"
        )
    if args.dask or args.dask_only:
        local_out, dask_out = args.tmp / "local", args.tmp / "dask"
        for path in (local_out, dask_out):
            shutil.rmtree(path, ignore_errors=True)
        _, local = timed(raw, local_out, args.workers)
        dask_record = dask_run(raw, dask_out)
        ratio = dask_record["timings"]["docs_per_s"] / local["timings"]["docs_per_s"]
        print(
            f"dask {dask_record['timings']['docs_per_s']} docs/s, local pool "
            f"{local['timings']['docs_per_s']} docs/s: {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
