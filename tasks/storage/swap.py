"""The atomic directory swap of local partitions: renameat2(RENAME_EXCHANGE) on Linux, two
renames elsewhere; fsync of directories so a crash keeps a completed rename."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def publish_directory(new: Path, target: Path) -> None:
    """Make `new` visible at `target`, replacing what was there, in one atomic step.

    An empty `new` (no files) removes the old partition: the date now has no rows.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fsync_dir(new)
    has_files = any(new.iterdir())
    if not target.exists():
        if has_files:
            os.rename(new, target)
            fsync_dir(target.parent)
        return
    if has_files and _exchange(new, target):
        fsync_dir(target.parent)
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the previous generation
        return
    # An empty `new` just removes the partition. Without RENAME_EXCHANGE (not Linux, or a
    # filesystem without it): two renames, with a short window in which the date has no
    # partition; never a mix of old and new files.
    graveyard = new.with_name(new.name + ".old")
    os.rename(target, graveyard)
    if has_files:
        os.rename(new, target)
    shutil.rmtree(graveyard, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def fsync_dir(path: Path) -> None:
    """Make a rename or new entry in `path` durable (a crash after this keeps it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
