"""The input files of a run: listed from a local folder or an s3:// prefix the same way.

`list_inputs` returns `InputFile`s (store, key, size, version): a plain record of what was
listed, opened through its Storage, so nothing here knows which backend it reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tasks.storage.fs import Storage, name_of, open_storage
from tasks.storage.options import S3Options
from tasks.storage.uri import location_key, split_location

__all__ = ["InputFile", "input_file", "list_inputs", "output_locations"]


@dataclass(frozen=True, slots=True)
class InputFile:
    """One listed input: `size` and `version` as listed (None: it could not be stat'ed, and
    its reader quarantines it). Its `identity` (size + version: mtime in ns on disk, the ETag
    on S3) says whether it changed between runs; `open()` reads that version on a store that
    pins reads."""

    store: Storage
    key: str
    size: int | None
    version: str

    @property
    def name(self) -> str:
        return name_of(self.key) if self.key else name_of(self.store.uri.rstrip("/"))

    @property
    def uri(self) -> str:
        return self.store.uri_of(self.key)

    @property
    def identity(self) -> str:
        return "unreadable" if self.size is None else f"{self.size}-{self.version}"

    def __str__(self) -> str:
        return self.uri

    def stored_size(self) -> int:
        """The listed size; FileNotFoundError for a file that was not there to list."""
        if self.size is None:
            raise FileNotFoundError(f"input not found: {self.uri}")
        return self.size

    def open(self) -> IO[bytes]:
        return self.store.open_read(self.key, self.version)

    def current_identity(self) -> str:
        """The identity the file has now ("unreadable" when it is gone)."""
        entry = self.store.stat(self.key)
        return "unreadable" if entry is None else entry.identity


def input_file(
    location: str | os.PathLike[str] | InputFile, s3: S3Options | None = None
) -> InputFile:
    """One file by its path or URI (stat'ed now; a missing file is quarantined when read)."""
    if isinstance(location, InputFile):
        return location
    folder, name = split_location(location)
    store = open_storage(folder, s3)
    entry = store.stat(name)
    return InputFile(store, name, entry.size if entry else None, entry.version if entry else "")


def list_inputs(
    root: str | Path, s3: S3Options | None = None, exclude: Iterable[str] = ()
) -> list[InputFile]:
    """The input files under `root` (a file, or a folder walked recursively), sorted.

    `root` may be an s3://bucket/prefix URI (`s3` says how to reach the endpoint).

    Files and folders whose name starts with "." or "_" are skipped (hidden files, `_runs/`,
    `_SUCCESS`, `_temporary/`), and so are `*.part` files (a WARC that `collect` is still
    writing, or that a crashed run left), unless `root` itself names the file. Files with an
    unsupported suffix are returned too: `iter_records` turns them into an "unsupported_format"
    Failure instead of dropping them silently. Raises FileNotFoundError for a missing root and
    OSError for a folder that cannot be listed: a run must not go on with part of its inputs.

    Symlinked folders and files are followed. Each real folder and file is listed once, under
    the first name the sorted walk reaches it by, so a symlink loop neither hangs nor
    duplicates records. `exclude`: locations (local paths or s3:// URIs, see
    `output_locations`) never listed, nor anything below them: a run's own output. One that
    contains `root` itself is ignored (input OUT/raw with output OUT is fine).
    """
    store = open_storage(str(root), s3)
    # an excluded location that holds the root itself (input = OUT/raw) excludes nothing
    root_key = location_key(store.uri)
    excluded = [e for e in map(location_key, exclude) if not _is_below_any(root_key, [e])]

    def skip(key: str) -> bool:
        return _is_hidden(name_of(key)) or _is_below_any(location_key(store.uri_of(key)), excluded)

    entries = store.walk("", skip)
    # no version: listed but gone or unreadable (a broken symlink), quarantined when read
    return [InputFile(store, e.key, e.size if e.version else None, e.version) for e in entries]


def output_locations(output: object) -> list[str]:
    """What a run writes under its output root (a Storage, path or URI): to be excluded
    from its input listing, where an output inside the input folder would be read back."""
    store = output if isinstance(output, Storage) else open_storage(str(output))
    names = ("articles", "quarantine", "_staging", "_pieces", "_runs", "_locks")
    return [store.uri_of(""), *(store.uri_of(name) for name in names)]


def _is_below_any(location: str, prefixes: list[str]) -> bool:
    return any(location == p or location.startswith(p.rstrip("/") + "/") for p in prefixes)


def _is_hidden(name: str) -> bool:
    return name.startswith((".", "_")) or name.endswith(".part")
