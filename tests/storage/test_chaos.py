"""A short run of benchmarks/chaos.py: SIGKILLs of real `newsflow process` runs at random
moments, each followed by a rerun and `newsflow cleanup`, on local disk and on S3. Every
check of the script must hold: one complete generation per partition, the clean run's rows,
counts that close. (The long version: `python benchmarks/chaos.py --kills 20`.)"""

from __future__ import annotations

import os
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import chaos  # noqa: E402

KILLS = 2


def test_sigkill_at_random_moments_never_leaves_a_broken_partition(backend) -> None:
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    if backend.options is not None:  # S3: the subprocesses reach the same endpoint
        env["NEWSFLOW_S3_ENDPOINT"] = backend.options.endpoint_url
    name = "s3" if backend.options is not None else "local"
    report = chaos.run_chaos(
        name,
        backend.location,
        env,
        KILLS,
        seed=3,
        s3=backend.options,
        log=lambda *_: None,
        articles=15,
    )
    assert report.violations == []
    assert report.kills >= 1 and report.runs == 2 + 2 * KILLS  # clean, timing, kill + rerun
