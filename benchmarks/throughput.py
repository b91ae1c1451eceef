"""End-to-end throughput against a bare trafilatura loop, on the same corpus, in one run.

Builds a WARC of N records cycling over the 181 benchmark pages (distinct URLs), then times
  (a) a bare single-process loop of trafilatura.bare_extraction(html, with_metadata=True)
  (b) `newsflow process corpus.warc.gz` end to end (a subprocess: CLI start-up, loading,
      extraction, normalisation, Parquet commit; the CLI's default plain run, see
      benchmarks/orchestration.py for the cost of a Prefect flow), with 1 worker and
      with all cores,
and prints docs/s, the ratios (b)/(a) and the peak memory (PSS, see _tree_pss_bytes) of
the whole process tree of (b). Each measurement is the median of --repeats runs; the
runs alternate between (a) and (b) so that drift in machine load hits both.

    python benchmarks/throughput.py --records 5000 --repeats 3 [--ceiling]
    # memory flatness:
    python benchmarks/throughput.py --records 20000 --repeats 1 --skip-bare --workers 2
Targets on a 2-core machine: ratio >= 0.9 (1 worker), >= 1.7 (2 workers); memory < 1 GB, flat.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trafilatura  # noqa: E402
from corpus import pages, repeat, write_warc  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
NEWSFLOW = Path(sys.executable).with_name("newsflow")


def build_corpus(records: int) -> Path:
    path = CACHE / f"corpus-{records}.warc.gz"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_warc(tmp, repeat(pages(), records), datetime(2025, 3, 18, 6, tzinfo=UTC))
        tmp.rename(path)
    return path


def bare_loop(records: int, share: int = 0, shares: int = 1) -> float:
    """Seconds for the reference loop over the same documents (held in memory one at a
    time); with `shares` > 1, only every `shares`-th document starting at `share`."""
    started = time.perf_counter()
    for n, (url, html) in enumerate(repeat(pages(), records)):
        if n % shares == share:
            trafilatura.bare_extraction(html, url=url, with_metadata=True)
    return time.perf_counter() - started


def bare_parallel(records: int, processes: int) -> float:
    """Seconds for `processes` bare loops side by side, each over its share of the corpus:
    what this machine gives two busy processes right now, with no pipeline at all. The
    2-worker ratio cannot exceed this one; on a shared VM it moves between runs."""
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        list(pool.map(bare_loop, [records] * processes, range(processes), [processes] * processes))
    return time.perf_counter() - started


def _tree_pss_bytes(pid: int) -> int:
    """Proportional set size of a process and all its descendants (Linux /proc).

    PSS, not RSS: the extraction workers are forked from one forkserver and share its
    pages (trafilatura, lxml, the language model); summing their RSS would count those
    pages once per worker, PSS splits each shared page between the processes sharing it.
    """
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def pipeline_run(corpus: Path, workers: int) -> tuple[float, int]:
    """(seconds, peak PSS bytes of the process tree) for one `newsflow process` run."""
    output = Path(tempfile.mkdtemp(prefix="newsflow-bench-"))
    command = [str(NEWSFLOW), "process", str(corpus), "--date", "2025-03-18"]
    command += ["--output", str(output), "--workers", str(workers)]
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_pss_bytes(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    shutil.rmtree(output, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"newsflow process failed ({proc.returncode}):\n{out}\n{err}")
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-bare", action="store_true", help="only the pipeline runs")
    parser.add_argument(
        "--workers", type=int, action="append", help="worker counts to run (default: 1 and all)"
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also time bare loops on all cores side by side (the machine's own speed-up)",
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    corpus = build_corpus(args.records)
    size_mib = corpus.stat().st_size / 2**20
    print(f"corpus: {args.records} records, {size_mib:.0f} MiB WARC.gz; {cores} cores")

    bare_name, ceiling_name = "bare trafilatura loop", f"bare loops, {cores} side by side"
    names = [] if args.skip_bare else [bare_name]
    names += [ceiling_name] if args.ceiling else []
    worker_counts = sorted(set(args.workers or [1, cores]))
    names += [f"newsflow process, {w} worker(s)" for w in worker_counts]
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in names}
    for repeat_no in range(1, args.repeats + 1):
        if not args.skip_bare:
            runs[bare_name].append((bare_loop(args.records), 0))
        if args.ceiling:
            runs[ceiling_name].append((bare_parallel(args.records, cores), 0))
        for workers in worker_counts:
            runs[f"newsflow process, {workers} worker(s)"].append(pipeline_run(corpus, workers))
        # every run, not only the medians: on a shared VM the spread is the story
        print(f"run {repeat_no}: " + ", ".join(f"{n} {rs[-1][0]:.1f} s" for n, rs in runs.items()))
    results = {
        name: (statistics.median(r[0] for r in rs), max(r[1] for r in rs))
        for name, rs in runs.items()
    }

    bare = results.get(bare_name, (None, 0))[0]
    print(f"{'':36} {'seconds':>8} {'docs/s':>7} {'ratio':>6} {'peak PSS':>9}")
    for name, (seconds, rss) in results.items():
        ratio = f"{bare / seconds:6.2f}" if bare else "     -"
        memory = f"{rss / 2**20:6.0f} MB" if rss else "        -"
        print(f"{name:36} {seconds:8.1f} {args.records / seconds:7.1f} {ratio} {memory}")
    print(f"median of {args.repeats} run(s) each")


if __name__ == "__main__":
    main()
