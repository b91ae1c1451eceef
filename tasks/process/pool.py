"""A pool of extraction worker processes that can be killed and replaced.

Why not `concurrent.futures.ProcessPoolExecutor`: it cannot stop one runaway call. A
pathological page can keep trafilatura busy for minutes, and a thread or task timeout
does not interrupt a blocking call. Here each worker runs one job at a time (`run_job`: a
piece of input it reads, extracts and stages itself); only the job and its small result
cross the pipe. Before each record the worker writes which record runs, and since when,
into shared memory (`_RecordState`), so the parent knows which document is running and
for how long. When a document exceeds its time limit the worker process is killed and
the job starts again on a fresh worker with that document skipped: the job makes it a
`Failure(stage="extract", error_type="timeout")`. A worker that dies by itself (segfault,
killed by the kernel) is handled the same way with `error_type="worker_crashed"`.

Memory is bounded per worker: each worker sets RLIMIT_AS to its address space at start
(the preloaded extraction code) plus `memory_limit_mb`. A page whose parse would grow past
it gets a MemoryError inside the worker (lxml and CPython both report a failed allocation
that way) instead of pushing the host into the OOM killer; the worker answers with a
marker and exits, the page becomes `Failure(stage="extract", error_type="memory_limit")`,
and a fresh worker runs the job again without it. RLIMIT_AS rather than an RSS
watchdog in the parent: a watchdog polls, and a 10 MB table page can allocate gigabytes
between two polls; the kernel refuses the allocation at the limit itself.

Workers come from a `forkserver`, which imports the extraction code once: replacing a
killed worker costs a fork, not a fresh interpreter importing trafilatura.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from tasks.process.options import check_doc_timeout

# imported once in the forkserver, inherited by every worker
_PRELOAD = ["tasks.process.worker_init"]

# Default per-worker memory: 80 % of the machine's memory shared by the workers, at most
# 2 GiB each (on top of the ~1.5 GB of address space, ~225 MB resident, a worker starts
# with). A generated 10 MB table page needs +1.0 GB; the adversarial run saw a 9.7 MB page
# take ~2 GB, and a few of those at once OOM a small host. The 20 % left is for the driver
# (~300 MB), the page cache and whatever else runs on the machine.
DEFAULT_WORKER_MEMORY_CAP_MB = 2048
DEFAULT_WORKER_MEMORY_SHARE = 0.8
MIN_WORKER_MEMORY_MB = 64  # below this not even a small page parses


def total_memory_mb() -> int:
    """Physical memory of this machine, in MiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def default_worker_memory_mb(workers: int) -> int:
    """min(2 GiB, 0.8 x total memory / workers), in MiB, never below the minimum."""
    share = DEFAULT_WORKER_MEMORY_SHARE * total_memory_mb() / max(workers, 1)
    return max(MIN_WORKER_MEMORY_MB, int(min(DEFAULT_WORKER_MEMORY_CAP_MB, share)))


def check_worker_memory_mb(value: int) -> int:
    """A usable per-worker memory limit in MiB; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_WORKER_MEMORY_MB:
        raise ValueError(f"worker memory must be at least {MIN_WORKER_MEMORY_MB} MiB, not {value}")
    return value


_LIVENESS_CHECK_S = 5.0


class PoolClosed(RuntimeError):
    """The pool was aborted (the run is being interrupted): no new work starts."""


# What a worker sends instead of a job's result when a record hit its memory limit.
_MEMORY_LIMIT = "newsflow:memory_limit"


def _limit_address_space(extra_mb: int | None) -> None:
    """Let this process grow by at most `extra_mb` MiB of address space from now on."""
    if not extra_mb:
        return
    with open("/proc/self/statm") as statm:  # first field: address space size, in pages
        current = int(statm.read().split()[0]) * resource.getpagesize()
    limit = current + extra_mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def start_forkserver() -> None:
    """Start the forkserver now, so its imports (~1 s) overlap with the caller's own
    start-up instead of delaying the first job. Optional: pools start it when needed."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    from multiprocessing import forkserver

    forkserver.ensure_running()


def _worker_main(
    conn: Connection, context: Any, memory_limit_mb: int | None, state: _RecordState
) -> None:
    """Worker loop: run one Job at a time until told to stop (None) or the pipe closes."""
    # Ctrl-C reaches the whole process group: the parent decides what it means (abort the
    # run, remove its staging), a worker must not die half-way and look like a crash.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_address_space(memory_limit_mb)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None or not _run_job(conn, job, context, state):
            return


@dataclass(frozen=True, slots=True)
class Job:
    """Work a worker reads, extracts and stores itself (see `WorkerPool.run_job`).

    `handler` ("module:function") is called in the worker as
    `handler(payload, context, skip, started)`: it must call `started(i)` before it
    extracts its i-th record (the pool's per-record time limit runs from there; `started(-1)`
    stops it: no record is running), and for a
    record index in `skip` produce `skip[i]` = (error_type, message) as that record's
    extract Failure instead of extracting it. It returns a small picklable result.
    """

    handler: str
    payload: Any
    skip: dict[int, tuple[str, str]] = field(default_factory=dict)
    # The caller's S3 settings and AWS credential chain variables: workers fork from a
    # forkserver whose environment is frozen when it started, and the job opens S3 itself.
    env: dict[str, str] = field(default_factory=lambda: _storage_env(os.environ))


_ENV_PREFIXES = ("AWS_", "NEWSFLOW_S3_")


def _storage_env(environ: Any) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.startswith(_ENV_PREFIXES)}


_JOB_DONE, _JOB_ERROR = "newsflow:job_done", "newsflow:job_error"


def _run_job(conn: Connection, job: Job, context: Any, state: _RecordState) -> bool:
    """One Job in this worker; False when the worker must exit (its memory limit)."""
    for stale in _storage_env(os.environ).keys() - job.env.keys():
        del os.environ[stale]
    os.environ.update(job.env)
    module, name = job.handler.split(":")
    handler = getattr(importlib.import_module(module), name)
    try:
        result = handler(job.payload, context, job.skip, state.started)
    except MemoryError:
        # after a failed allocation the libraries' state is not to be trusted: report it
        # and exit (the pool replaces this worker); the state still names the record, so
        # the driver skips it
        conn.send(_MEMORY_LIMIT)
        return False
    except Exception as error:  # noqa: BLE001 - sent to the caller, who raises it
        # before the message: the driver's next job on this worker must not see a
        # record of this one still running (and time it out)
        state.started(-1)
        try:
            conn.send((_JOB_ERROR, error))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            conn.send((_JOB_ERROR, RuntimeError(f"{type(error).__name__}: {error}")))
        return True
    state.started(-1)  # as above: a handler that did not say so itself
    conn.send((_JOB_DONE, result))
    return True


class _RecordState:
    """Which record a worker's job is extracting and since when, in shared memory.

    The worker writes it at the start of every record; the driver reads it only when it
    wakes up (a message, a deadline, the liveness check). One pickled pipe message per
    record cost the driver ~0.1-0.2 ms of CPU each (a poll, a recv, a thread switch), more
    than the rest of its work per record; a shared write costs it nothing. The time limit
    stays exact: the driver sleeps until the running record's own deadline, and on waking
    kills the worker only if that same record is still running. CLOCK_MONOTONIC is one
    clock for every process of the machine, so the worker's start time is the driver's.
    """

    # slots: the record running (-1: none), its time.monotonic() start, records started
    _INDEX, _SINCE, _COUNT = range(3)

    def __init__(self, ctx: multiprocessing.context.ForkServerContext) -> None:
        self._lock = ctx.Lock()
        self._values = ctx.RawArray("d", [-1.0, 0.0, 0.0])

    def started(self, index: int) -> None:
        """In the worker: record `index` starts now (-1: no record runs any more)."""
        with self._lock:
            self._values[self._SINCE] = time.monotonic()
            self._values[self._INDEX] = index
            if index >= 0:
                self._values[self._COUNT] += 1

    def read(self) -> tuple[int | None, float, int]:
        """In the driver: (record running or None, since when, records started so far)."""
        # a worker killed inside `started` (a microsecond window) would hold the lock for
        # ever: read without it then, a torn read only delays a kill by one check
        locked = self._lock.acquire(timeout=1.0)
        try:
            index, since, count = self._values[:]
        finally:
            if locked:
                self._lock.release()
        return (int(index) if index >= 0 else None), since, int(count)


class _Worker:
    def __init__(
        self,
        ctx: multiprocessing.context.ForkServerContext,
        context: Any,
        memory_limit_mb: int | None = None,
    ):
        self.conn, child = ctx.Pipe(duplex=True)
        self.state = _RecordState(ctx)
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, context, memory_limit_mb, self.state),
            daemon=True,
        )
        self.process.start()
        child.close()
        self.docs_done = 0
        # abort() (another thread) and the job's own thread may both end this worker:
        # the pipe must be closed exactly once, or the second close hits EBADF, or worse,
        # a descriptor number the first close freed and something else reopened
        self._end_lock = threading.Lock()
        self._ended = False

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self._close_pipe()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # already gone: nothing to tell
            self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self._close_pipe()

    def _close_pipe(self) -> None:
        with self._end_lock:
            if self._ended:
                return
            self._ended = True
            self.conn.close()


class WorkerPool:
    """`workers` extraction processes; `run_job` is thread-safe (one worker per call).

    `context` is handed to every job's handler in the worker (the extraction options).
    `doc_timeout` is the wall-clock limit for one record of a job. Workers are recycled
    after `max_docs_per_worker` records so that any slow growth in a library's caches
    cannot accumulate over a long run. `memory_limit_mb`: address space a worker may add
    to what it has at start (None: unlimited); a record over it becomes an
    `extract/memory_limit` Failure and the worker is replaced. `abort()` kills every
    worker, busy ones included, and makes running `run_job` calls raise PoolClosed: an
    interrupted run stops at once instead of finishing its jobs.
    """

    def __init__(
        self,
        workers: int,
        context: Any,
        doc_timeout: float = 60.0,
        max_docs_per_worker: int = 20_000,
        memory_limit_mb: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        if memory_limit_mb is not None:
            check_worker_memory_mb(memory_limit_mb)
        check_doc_timeout(doc_timeout)
        self.memory_limit_mb = memory_limit_mb
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(_PRELOAD)
        self._context = context
        self.doc_timeout = doc_timeout
        self.max_docs_per_worker = max_docs_per_worker
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._spawn_lock = threading.RLock()  # _take holds it while spawning
        self._spawned = 0
        self.replaced = 0  # workers killed for a timeout or a memory limit, or found dead
        self.workers = workers
        self._closed = False
        self._live: set[_Worker] = set()  # every started worker not yet stopped or killed

    def _take(self) -> _Worker:
        # Workers start on first use: a pool whose jobs all run elsewhere (a Dask
        # cluster) never starts a process, and a small run starts only what it needs.
        self._check_open()  # an aborted pool's idle workers are dead
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._spawn_lock:
            if self._spawned < self.workers:
                self._spawned += 1
                return self._spawn()
        while True:  # with a timeout, so that an abort() is noticed by waiting callers
            self._check_open()
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue

    def _check_open(self) -> None:
        if self._closed:
            raise PoolClosed("the extraction pool was aborted")

    def _spawn(self) -> _Worker:
        with self._spawn_lock:
            self._check_open()
            worker = _Worker(self._ctx, self._context, self.memory_limit_mb)
            self._live.add(worker)
            return worker

    def _retire(self, worker: _Worker, kill: bool = True) -> None:
        with self._spawn_lock:
            self._live.discard(worker)
        worker.kill() if kill else worker.stop()

    def run_job(self, handler: str, payload: Any) -> Any:
        """Run `Job(handler, payload)` in a worker; returns what the handler returns.

        The worker reads its own input: only the job and its result cross the pipe (which
        record runs is in shared memory, see _RecordState).
        A record over the time or memory limit, or whose worker dies, is recorded and the
        job starts again on a fresh worker with that record skipped (it becomes an extract
        Failure): earlier records are extracted again, which costs time only in that rare
        case. A worker that dies outside a record fails the job (RuntimeError); an error
        the handler raises is raised here. PoolClosed when the pool is aborted while (or
        before) the job runs.
        """
        job = Job(handler, payload)
        worker = self._take()
        give_back = True  # the worker (or its replacement) returns to the idle queue
        try:
            while True:
                if worker.docs_done >= self.max_docs_per_worker:
                    self._retire(worker, kill=False)
                    worker = self._spawn()
                counted = worker.state.read()[2]
                worker.conn.send(job)
                outcome = self._await_job(worker)
                current, _, count = worker.state.read()
                worker.docs_done += count - counted
                if isinstance(outcome, _Lost):
                    if outcome.reason == "timeout":
                        current = outcome.record  # the record whose deadline passed
                    if current is None:
                        raise RuntimeError(
                            f"extraction worker lost outside a record ({outcome.reason}, "
                            f"exit code {outcome.exitcode})"
                        )
                    job.skip[current] = (outcome.reason, outcome.message(self))
                    self._retire(worker)
                    worker = self._spawn()
                    self.replaced += 1
                    continue
                kind, value = outcome
                if kind == _JOB_ERROR:
                    raise value
                return value
        except BaseException:
            self._retire(worker)
            if self._closed:
                give_back = False
            else:
                worker = self._spawn()
            raise
        finally:
            if give_back:
                self._idle.put(worker)

    def _await_job(self, worker: _Worker) -> Any:
        """The end of a job (its result or error message), or _Lost: the record running
        passed its time limit, hit its memory limit, or its worker died."""
        while True:
            current, since, _ = worker.state.read()
            deadline = since + self.doc_timeout if current is not None else float("inf")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _Lost("timeout", record=current)
            # Never sleep longer than one time limit: a record that starts just after the
            # read above is then seen (with its own start time) before its deadline, so
            # the kill comes at that deadline exactly. A wake-up costs a few microseconds,
            # once per min(limit, liveness check), not once per record.
            try:
                if worker.conn.poll(min(remaining, self.doc_timeout, _LIVENESS_CHECK_S)):
                    result = worker.conn.recv()
                    return _Lost("memory_limit") if result == _MEMORY_LIMIT else result
            except (EOFError, OSError):
                return _Lost("worker_crashed", _exit_code(worker))
            if not worker.process.is_alive() and not worker.conn.poll(0):
                return _Lost("worker_crashed", _exit_code(worker))
            # woken by a deadline or the interval: the loop reads the state again, and
            # kills only if a record has run past its own deadline

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            self._retire(worker, kill=False)

    def abort(self) -> None:
        """Kill every worker, busy or idle; running and later `run_job` calls raise
        PoolClosed. For an interrupted run: nothing more is extracted or staged."""
        with self._spawn_lock:
            self._closed = True
            workers = list(self._live)
            self._live.clear()
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.kill()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _exit_code(worker: _Worker) -> int | None:
    # the pipe closes a moment before the process is reaped: wait for the real exit code
    worker.process.join(timeout=5)
    return worker.process.exitcode


class _Lost:
    """A record whose worker had to be killed or died."""

    def __init__(self, reason: str, exitcode: int | None = None, record: int | None = None):
        self.reason = reason
        self.exitcode = exitcode
        self.record = record  # a job's record that passed its time limit

    def message(self, pool: WorkerPool) -> str:
        if self.reason == "timeout":
            return f"extraction took longer than {pool.doc_timeout:g} s; worker killed"
        if self.reason == "memory_limit":
            return (
                f"extraction needed more than the worker's {pool.memory_limit_mb} MiB "
                "memory limit; worker replaced"
            )
        return f"extraction worker died (exit code {self.exitcode})"
