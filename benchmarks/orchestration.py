"""Orchestration overhead: the same crawl date through the deployed-style Prefect flow
(a real `prefect server` on 127.0.0.1, every batch a tracked task run) and through the
bare task functions (tasks.process.pipeline.run_local, no orchestrator), alternating, in one run.

    python benchmarks/orchestration.py --records 5000 --repeats 3 --batch-size 200

Prints seconds for each, the ratio prefect/bare (target <= 1.05) and the overhead per
batch task ((prefect - bare) / batches). Each side runs in its own fresh interpreter, as
a worker would start a deployed run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throughput import build_corpus  # noqa: E402

from flows.local_server import local_prefect_server  # noqa: E402

DAY = "2025-03-18"

# One run in a fresh interpreter; prints the run record as JSON on its last line.
RUNNER = """
import json, sys
from datetime import date
corpus, output, mode, workers, batch_size = sys.argv[1:6]
from tasks.process.pipeline import ProcessConfig, run_local
config = ProcessConfig(input=corpus, crawl_date=date.fromisoformat("{day}"), output=output,
                       workers=int(workers), batch_size=int(batch_size))
if mode == "prefect":
    from flows.process import process
    record = process(config=config)
else:
    record = run_local(config)
print(json.dumps(record))
""".replace("{day}", DAY)


def one_run(
    corpus: Path, mode: str, workers: int, batch_size: int, env: dict
) -> tuple[float, dict]:
    output = Path(tempfile.mkdtemp(prefix="newsflow-orch-"))
    command = [sys.executable, "-c", RUNNER, str(corpus), str(output), mode]
    command += [str(workers), str(batch_size)]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    shutil.rmtree(output, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{proc.stderr[-4000:]}")
    return elapsed, json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    corpus = build_corpus(args.records)
    times: dict[str, list[float]] = {"bare": [], "prefect": []}
    batches = 0
    with (
        tempfile.TemporaryDirectory(prefix="newsflow-orch-prefect-") as home,
        local_prefect_server(Path(home)) as server_env,
    ):
        bare_env = {k: v for k, v in server_env.items() if k != "PREFECT_API_URL"}
        for _ in range(args.repeats):  # alternate, so drift in machine load hits both
            for mode, env in (("bare", bare_env), ("prefect", server_env)):
                seconds, record = one_run(corpus, mode, args.workers, args.batch_size, env)
                times[mode].append(seconds)
                batches = record["counts"]["batches"]
                assert record["orchestrator"]["name"] == (
                    "prefect" if mode == "prefect" else "local"
                )
    bare, prefect = statistics.median(times["bare"]), statistics.median(times["prefect"])
    print(f"{args.records} records, {batches} batches of {args.batch_size}, {args.workers} workers")
    for name, seconds, runs in (
        ("bare task functions", bare, times["bare"]),
        ("prefect flow, server", prefect, times["prefect"]),
    ):
        each = ", ".join(f"{t:.1f}" for t in runs)
        print(f"{name:21} {seconds:7.1f} s  {args.records / seconds:6.1f} docs/s  [{each}]")
    print(f"{'ratio prefect/bare':21} {prefect / bare:7.3f}    (target <= 1.05)")
    print(f"{'overhead per batch':21} {(prefect - bare) / batches * 1000:7.0f} ms")
    print(f"median of {args.repeats} alternating run(s) each, wall time incl. interpreter start")


if __name__ == "__main__":
    main()
