"""Commit locks: one writer of a crawl date at a time, across processes and hosts.

Local disk: flock on `_locks/<name>.lock` (the kernel releases it when the holder dies).
S3: a lease object created with If-None-Match: * and taken over with If-Match when it
expired or its owner on this host is gone (boto3: pyarrow.fs has no conditional writes).
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.errors import safe_error_text
from tasks.storage.errors import LockHeld, PreconditionFailed, StorageError, best_effort
from tasks.storage.fs import json_bytes

if TYPE_CHECKING:
    from tasks.storage.fs import S3Storage

log = logging.getLogger(__name__)


@contextmanager
def file_lock(path: Path, wait: bool = True) -> Iterator[None]:
    """flock on `path`: released by the kernel when the holder dies, so no lease (nor renewal)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise LockHeld(f"{path} is held by another process") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class LeaseLock:
    """A lease on one crawl date, held in an S3 object created with If-None-Match: *.

    Only one commit of a date is between "copy files in" and "delete the others" at a time,
    so the latter never deletes files of a commit still in progress, and the date's articles
    and quarantine partitions always come from the same run. A lock whose lease
    expired, or whose owner process on this host is gone, is taken over with If-Match.
    With `renew`, a thread extends the lease every third of it while the lock is held.
    """

    def __init__(
        self, store: S3Storage, key: str, owner: str, wait: bool = True, renew: bool = False
    ) -> None:
        self.store, self.key, self.owner = store, key, owner
        self.wait, self.renew = wait, renew
        self.etag: str | None = None
        self.lease = float(store.options.lock_lease_s or 600)
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def _body(self) -> bytes:
        return json_bytes(
            {
                "owner": self.owner,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "expires_at": time.time() + self.lease,
            }
        )

    def __enter__(self) -> LeaseLock:
        self._acquire()
        if self.renew:
            self._keeper = threading.Thread(target=self._keep, name="lock-lease", daemon=True)
            self._keeper.start()
        return self

    def _keep(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.etag = self.store.put(self.key, self._body(), IfMatch=self.etag)
            except Exception as err:  # noqa: BLE001 - logged; the holder's work goes on
                log.warning(
                    "could not renew %s: %s", self.store.uri_of(self.key), safe_error_text(err)
                )
                if isinstance(err, PreconditionFailed) or not isinstance(err, StorageError):
                    return  # taken over (or gone): renewing would fail forever

    def _acquire(self) -> None:
        deadline = time.monotonic() + self.lease + 60
        pause = 0.05
        while True:
            body = self._body()
            try:
                self.etag = self.store.put(self.key, body, IfNoneMatch="*")
                return
            except PreconditionFailed:
                pass
            holder, etag = self.store.read_json_etag(self.key)
            if holder is None and etag is None:
                continue  # released meanwhile: try again at once
            if holder is not None and holder.get("owner") == self.owner:
                self.etag = etag  # our own create, retried after a lost response
                return
            if holder is None or _lock_is_dead(holder):
                try:
                    self.etag = self.store.put(self.key, body, IfMatch=etag)
                    return
                except PreconditionFailed:
                    continue
            held = (
                f"{self.store.uri_of(self.key)} is held by {holder.get('owner')} "
                f"(pid {holder.get('pid')} on {holder.get('host')})"
            )
            if not self.wait:
                raise LockHeld(held)
            if time.monotonic() > deadline:
                raise StorageError(f"{held}; gave up waiting")
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 2.0)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join()
        # If-Match: never delete a lock somebody took over from us.
        best_effort(lambda: self.store.delete_if_match(self.key, self.etag))


def _lock_is_dead(holder: dict[str, Any]) -> bool:
    if float(holder.get("expires_at", 0)) < time.time():
        return True
    if holder.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(holder.get("pid", 0)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False
    return False
