"""The worker pool really stops a runaway document and survives a dying worker."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from runs import raw_record

from tasks.process.pool import WorkerPool
from tasks.records import RawRecord


def behave(record: RawRecord, context: object) -> object:
    """Test handler, run inside the worker: its behaviour is named by the record."""
    name = record.source_uri
    if name.startswith("hang"):
        while True:  # a pure-Python busy loop: no timeout inside the process can stop it
            pass
    if name.startswith("crash"):
        os._exit(9)
    return (name, os.getpid(), context)


def job(
    payload: list[str], context: object, skip: dict[int, tuple[str, str]], started: Any
) -> list[object]:
    """Test Job handler (WorkerPool.run_job): one `behave` per name; "raise" fails the
    job, "end-early" returns at once with its record still marked running."""
    out: list[object] = []
    for index, name in enumerate(payload):
        if index in skip:
            out.append(("skipped", *skip[index]))
            continue
        started(index)
        if name == "raise":
            raise ValueError("the handler failed")
        if name == "end-early":
            return out  # without started(-1): record `index` still marked running
        if name.startswith("slow"):
            time.sleep(0.3)
        out.append(behave(raw_record(name), context))
    started(-1)
    return out


JOB = "test_pool:job"


def test_results_come_back_in_order_with_context() -> None:
    with WorkerPool(2, "ctx", doc_timeout=30) as pool:
        names = [f"doc-{i}" for i in range(50)]
        results = pool.run_job(JOB, names)
    assert [r[0] for r in results] == names
    assert {r[2] for r in results} == {"ctx"}


def test_a_job_kills_its_runaway_record_and_finishes_the_rest() -> None:
    with WorkerPool(1, "ctx", doc_timeout=1.5) as pool:
        (first,) = pool.run_job(JOB, ["a"])  # the worker that will hit the runaway
        started = time.monotonic()
        out = pool.run_job(JOB, ["b", "hang-1", "c", "d"])
        elapsed = time.monotonic() - started
        assert pool.replaced == 1
        # the pool is still usable after the kill
        assert pool.run_job(JOB, ["e"])[0][0] == "e"
    assert [r[0] for r in out] == ["b", "skipped", "c", "d"]
    assert out[1][1] == "timeout" and "1.5 s" in out[1][2]
    assert elapsed < 15
    # the runaway process really is gone, not just abandoned
    killed = first[1]
    assert killed not in {r[1] for r in out if r[0] != "skipped"}
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)


def test_a_job_whose_worker_dies_skips_that_record_only() -> None:
    with WorkerPool(1, None, doc_timeout=30) as pool:
        out = pool.run_job(JOB, ["a", "b", "crash-now", "c"])
        assert pool.replaced == 1
    assert [r[0] for r in out] == ["a", "b", "skipped", "c"]
    assert out[2][1] == "worker_crashed" and "exit code 9" in out[2][2]


def test_a_job_that_ends_with_a_record_marked_running_does_not_time_out_the_next() -> None:
    # the first job returns without started(-1); once its last record's deadline has
    # passed, the next job on the same worker must not be timed out for that record
    with WorkerPool(1, None, doc_timeout=1.0) as pool:
        first = pool.run_job(JOB, ["a", "end-early"])
        time.sleep(1.5)
        second = pool.run_job(JOB, ["slow-b", "c"])
        assert pool.replaced == 0
    assert [r[0] for r in first] == ["a"]
    assert [r[0] for r in second] == ["slow-b", "c"]
    assert first[0][1] == second[0][1]


def test_a_failed_job_raises_and_the_pool_goes_on() -> None:
    with WorkerPool(1, None, doc_timeout=30) as pool:
        with pytest.raises(ValueError, match="handler failed"):
            pool.run_job(JOB, ["a", "raise"])
        assert [r[0] for r in pool.run_job(JOB, ["b"])] == ["b"]


def test_job_records_count_towards_the_worker_quota() -> None:
    with WorkerPool(1, None, doc_timeout=30, max_docs_per_worker=3) as pool:
        first = pool.run_job(JOB, ["x1", "x2"])
        second = pool.run_job(JOB, ["x3"])  # 2 < 3: same worker
        third = pool.run_job(JOB, ["x4"])  # 3 started: a fresh worker
    assert first[0][1] == second[0][1] != third[0][1]


def test_run_job_is_thread_safe_and_uses_every_worker() -> None:
    # each job starts with a slow record, so the first jobs overlap and both workers start
    jobs = [[f"slow-{b}", *(f"b{b}-{i}" for i in range(20))] for b in range(8)]
    with WorkerPool(2, None, doc_timeout=30) as pool, ThreadPoolExecutor(4) as threads:
        outputs = list(threads.map(lambda names: pool.run_job(JOB, names), jobs))
    for names, results in zip(jobs, outputs, strict=True):
        assert [r[0] for r in results] == names
        assert len({r[1] for r in results}) == 1  # one job, one worker
    assert len({r[1] for results in outputs for r in results}) == 2
