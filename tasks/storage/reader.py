"""The resumable S3 reader: a stream of one object whose body, when it breaks off, is resumed
with a ranged GET pinned to the object's ETag (If-Match), so two versions are never spliced.

boto3, not pyarrow.fs: pyarrow's input files cannot send If-Match, and a pinned read is what
lets pieces trust the size+ETag they were planned with.
"""

from __future__ import annotations

import io
import random
import time
from typing import TYPE_CHECKING, Any

from tasks.storage.errors import BROKEN_READ, StorageError, best_effort

if TYPE_CHECKING:
    from tasks.storage.fs import S3Storage

RESUMABLE_READ_ATTEMPTS = 6
_SKIP_BY_READING = 4 << 20  # a forward seek up to this far reads on instead of a new GET


class S3Reader(io.RawIOBase):
    """Streams one object; a body that breaks off is resumed with a ranged GET (If-Match)."""

    def __init__(self, store: S3Storage, key: str, etag: str | None = None) -> None:
        self.store, self.key = store, key
        self.pos = 0
        self.etag: str | None = etag
        self.size: int | None = None
        self.body: Any = None
        self._open()

    def _open(self) -> None:
        reply = self.store.get_object(self.key, self.pos, self.etag)
        self.etag = self.etag or reply.get("ETag")
        if self.size is None:
            self.size = reply["ContentLength"]
        self.body = reply["Body"]

    def readable(self) -> bool:
        return True

    # FastWARC seeks (to skip record bodies): short forward seeks read on, others re-open.
    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size or 0}[whence]
        target = max(base + offset, 0)
        if self.body is not None and 0 < target - self.pos <= _SKIP_BY_READING:
            scratch = bytearray(min(target - self.pos, 1 << 16))
            while self.pos < target:
                view = memoryview(scratch)[: target - self.pos]
                if not self.readinto(view):
                    break
        elif target != self.pos:
            self._drop_body()
            self.pos = target
        return self.pos

    def readinto(self, buffer: Any) -> int:
        if self.size is not None and self.pos >= self.size:
            return 0
        view = memoryview(buffer).cast("B")
        for attempt in range(RESUMABLE_READ_ATTEMPTS):
            try:
                if self.body is None:
                    self._open()
                chunk = self.body.read(len(view))
                if not chunk and self.pos < (self.size or 0):
                    raise ConnectionError(f"body ended at byte {self.pos} of {self.size}")
                view[: len(chunk)] = chunk
                self.pos += len(chunk)
                return len(chunk)
            except BROKEN_READ as err:
                self._drop_body()
                if attempt == RESUMABLE_READ_ATTEMPTS - 1:
                    raise StorageError(
                        f"S3 read of {self.store.uri_of(self.key)} broke off at byte "
                        f"{self.pos} {attempt + 1} times: {type(err).__name__}"
                    ) from None
                time.sleep(min(0.1 * 2**attempt, 5.0) * (0.5 + random.random()))
        return 0  # not reached

    def _drop_body(self) -> None:
        if self.body is not None:
            best_effort(self.body.close)
            self.body = None

    def close(self) -> None:
        self._drop_body()
        super().close()
