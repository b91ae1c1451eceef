"""Fixed start-up cost of an ad-hoc `newsflow process`: wall time on a 10-record input,
without and with a Prefect server configured (PREFECT_API_URL). Target: under 3 s.

    python benchmarks/cli_startup.py --repeats 5

Also times `--prefect` (a tracked flow run on the configured server) for comparison.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throughput import NEWSFLOW, build_corpus  # noqa: E402

from flows.local_server import local_prefect_server  # noqa: E402


def wall(corpus: Path, env: dict[str, str], extra: list[str]) -> float:
    output = Path(tempfile.mkdtemp(prefix="newsflow-startup-"))
    command = [str(NEWSFLOW), "process", str(corpus), "--date", "2025-03-18", "-o", str(output)]
    started = time.perf_counter()
    proc = subprocess.run(command + extra, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    shutil.rmtree(output, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"newsflow process failed:\n{proc.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    corpus = build_corpus(10)
    with (
        tempfile.TemporaryDirectory(prefix="newsflow-startup-prefect-") as home,
        local_prefect_server(Path(home)) as server_env,
    ):
        no_server = {k: v for k, v in server_env.items() if k != "PREFECT_API_URL"}
        cases = {
            "no Prefect server configured": (no_server, []),
            "Prefect server configured": (server_env, []),
            "--prefect (tracked flow run)": (server_env, ["--prefect"]),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeats):
            for name, (env, extra) in cases.items():
                times[name].append(wall(corpus, env, extra))
    print("newsflow process on 10 records, wall time (target < 3 s for the first two)")
    for name, runs in times.items():
        each = ", ".join(f"{t:.2f}" for t in runs)
        print(f"  {name:30} median {statistics.median(runs):5.2f} s  [{each}]")


if __name__ == "__main__":
    main()
