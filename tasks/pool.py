"""A pool of extraction worker processes that can be killed and replaced.

Why not `concurrent.futures.ProcessPoolExecutor`: it cannot stop one runaway call. A
pathological page can keep trafilatura busy for minutes, and a thread or task timeout
does not interrupt a blocking call. Here each worker handles one batch at a time and
sends back one result per document in order, so the parent knows which document is
running and for how long. When a document exceeds its time limit the worker process is
killed, the document becomes a `Failure(stage="extract", error_type="timeout")`, and a
fresh worker carries on with the rest of the batch. A worker that dies by itself
(segfault, out of memory) is handled the same way with `error_type="worker_crashed"`.

Workers come from a `forkserver`, which imports the extraction code once: replacing a
killed worker costs a fork, not a fresh interpreter importing trafilatura.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from tasks.records import Failure, RawRecord

Result = Any  # whatever `handler` returns for one record (an article row or a Failure)
Handler = Callable[[RawRecord, Any], Result]

_PRELOAD = ["tasks.worker_init"]  # imported once in the forkserver, inherited by every worker


def start_forkserver() -> None:
    """Start the forkserver now, so its imports (~1 s) overlap with the caller's own
    start-up instead of delaying the first batch. Optional: pools start it when needed."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    from multiprocessing import forkserver

    forkserver.ensure_running()


def _worker_main(conn: Connection, handler: Handler | str, context: Any) -> None:
    """Worker loop: receive a batch, send back one result per record, in order."""
    if isinstance(handler, str):
        module, name = handler.split(":")
        handler = getattr(importlib.import_module(module), name)
    while True:
        try:
            batch = conn.recv()
        except EOFError:
            return
        if batch is None:
            return
        for record in batch:
            conn.send(handler(record, context))


class _Worker:
    def __init__(
        self, ctx: multiprocessing.context.BaseContext, handler: Handler | str, context: Any
    ):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, handler, context), daemon=True)
        self.process.start()
        child.close()
        self.docs_done = 0

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # already gone: nothing to tell
            self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """`workers` extraction processes; `run_batch` is thread-safe (one worker per call).

    `handler(record, context)` runs in the worker and must not raise: it returns a result
    for every record (errors become Failure values). Give it as "module:function" to keep
    its imports out of the calling process. `doc_timeout` is the wall-clock limit
    for one record. Workers are recycled after `max_docs_per_worker` records so that any
    slow growth in a library's caches cannot accumulate over a long run.
    """

    def __init__(
        self,
        workers: int,
        handler: Handler | str,
        context: Any,
        doc_timeout: float = 60.0,
        max_docs_per_worker: int = 20_000,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(_PRELOAD)
        self._handler = handler
        self._context = context
        self.doc_timeout = doc_timeout
        self.max_docs_per_worker = max_docs_per_worker
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._spawn_lock = threading.Lock()
        self._spawned = 0
        self.replaced = 0  # workers killed for a timeout or found dead
        self.workers = workers

    def _take(self) -> _Worker:
        # Workers start on first use: a pool whose batches all run elsewhere (a Dask
        # cluster) never starts a process, and a small run starts only what it needs.
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._spawn_lock:
            if self._spawned < self.workers:
                self._spawned += 1
                return self._spawn()
        return self._idle.get()

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self._handler, self._context)

    def run_batch(self, records: Sequence[RawRecord]) -> list[Result]:
        """Results for `records`, in order; never raises for a bad record."""
        worker = self._take()
        try:
            results, worker = self._run_on(worker, list(records))
        except BaseException:
            worker.kill()
            worker = self._spawn()
            raise
        finally:
            self._idle.put(worker)
        return results

    def _run_on(self, worker: _Worker, records: list[RawRecord]) -> tuple[list[Result], _Worker]:
        if worker.docs_done >= self.max_docs_per_worker:
            worker.stop()
            worker = self._spawn()
        results: list[Result] = []
        while len(results) < len(records):
            pending = records[len(results) :]
            worker.conn.send(pending)
            for record in pending:
                outcome = self._receive(worker)
                if isinstance(outcome, _Lost):
                    results.append(outcome.as_failure(record, self.doc_timeout))
                    worker.kill()
                    worker = self._spawn()
                    self.replaced += 1
                    break  # resend what is left of the batch to the new worker
                results.append(outcome)
                worker.docs_done += 1
        return results, worker

    def _receive(self, worker: _Worker) -> Result:
        deadline = time.monotonic() + self.doc_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _Lost("timeout")
            try:
                if worker.conn.poll(min(remaining, 1.0)):
                    return worker.conn.recv()
            except (EOFError, OSError):
                return _Lost("worker_crashed", _exit_code(worker))
            if not worker.process.is_alive() and not worker.conn.poll(0):
                return _Lost("worker_crashed", _exit_code(worker))

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            worker.stop()

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

    def __init__(self, reason: str, exitcode: int | None = None):
        self.reason = reason
        self.exitcode = exitcode

    def as_failure(self, record: RawRecord, doc_timeout: float) -> Failure:
        if self.reason == "timeout":
            message = f"extraction took longer than {doc_timeout:g} s; worker killed"
        else:
            message = f"extraction worker died (exit code {self.exitcode})"
        return Failure(
            source_uri=record.source_uri,
            input_format=record.input_format,
            stage="extract",
            error_type=self.reason,
            error_message=message,
            url=record.url,
            raw_size=record.raw_size,
        )
