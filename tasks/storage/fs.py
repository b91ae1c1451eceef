"""Where newsflow reads and writes: a local folder or an `s3://bucket/prefix`, same operations.

    store = open_storage("s3://lake/news")        # or open_storage("/data/news")
    store.list("raw/crawl_date=2025-03-18")        # [Entry(key, size, mtime, ...)], recursive
    with store.open_read(key) as stream: ...       # streaming, resumes after a broken read
    store.write_json("_runs/x.json", {...}); store.read_json(...)
    store.publish_partition(staged, "articles/crawl_date=D", run_id, manifest)

Keys are "/"-separated and relative to the root. Every local-versus-S3 decision of the
pipeline is a method here; callers never ask which backend they hold.

Local storage lists through pyarrow's LocalFileSystem and keeps the atomic
`renameat2(RENAME_EXCHANGE)` directory swap (tasks/storage/swap.py). S3 has no rename, so a
partition is published under a per-partition lock object (tasks/storage/lock.py) by copying
the run's files in under run-specific names, replacing the partition manifest with a
conditional write, and deleting every other object of the partition; docs/s3.md has the
design and its failure cases. S3 stays on boto3 rather than pyarrow.fs: the manifest and the
lease need conditional PUTs (If-None-Match / If-Match), inputs are identified by ETag (not in
pyarrow's FileInfo) and read pinned to it (If-Match on a resumed GET), deletes go 1,000 to a
request, and every error is translated without quoting a secret (tasks/storage/errors.py).
pyarrow.fs reaches S3 for the Parquet readers (`Storage.arrow_filesystem`).

S3 settings come from the standard AWS chain plus `S3Options` (tasks/storage/options.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tasks.storage.errors import PreconditionFailed, StorageError, best_effort, translate
from tasks.storage.options import S3Options, arrow_s3_filesystem, make_s3_client
from tasks.storage.reader import S3Reader
from tasks.storage.swap import fsync_dir, publish_directory
from tasks.storage.uri import is_s3_uri, split_s3_uri

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs

MANIFEST_NAME = "_newsflow.json"
LOCKS = "_locks"
# One PUT per object: S3 refuses single PUTs over 5 GiB.
S3_MAX_PUT_BYTES = 4 << 30
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored file. `version` says which content it is: the ETag on S3, the mtime in ns
    on local disk; `identity` (size + version) is what pieces compare between runs."""

    key: str  # relative to the storage root
    size: int
    mtime: float  # seconds since the epoch (S3: LastModified)
    version: str

    @property
    def identity(self) -> str:
        return f"{self.size}-{self.version}"

    @property
    def name(self) -> str:
        return name_of(self.key)


# `Storage.list` shadows the builtin inside the classes: their annotations use these names
Entries = list[Entry]
Names = list[str]


def open_storage(location: str | Path | Storage, s3: S3Options | None = None) -> Storage:
    """Storage rooted at a local folder or an s3://bucket/prefix URI."""
    if isinstance(location, Storage):
        return location
    if is_s3_uri(location):
        bucket, prefix = split_s3_uri(str(location))
        return S3Storage(bucket, prefix, (s3 or S3Options()).resolved())
    return LocalStorage(Path(location))


def json_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=2, sort_keys=True, default=str).encode("utf-8")


def name_of(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _hidden_below(key: str, skip: Callable[[str], bool]) -> bool:
    """Whether `skip` refuses the file `key` or any folder above it."""
    parts = key.split("/")
    return any(skip("/".join(parts[: n + 1])) for n in range(len(parts)))


# --------------------------------------------------------------------------- interface


class Storage:
    """The few operations the pipeline needs, on a local folder or an S3 prefix."""

    uri: str

    def uri_of(self, key: str) -> str:
        return f"{self.uri.rstrip('/')}/{key}" if key else self.uri

    def list(self, prefix: str = "") -> Entries:
        """Every file at or under `prefix` (recursive), sorted by key. Missing: []."""
        raise NotImplementedError

    def list_dirs(self, prefix: str) -> Names:
        """The immediate sub-folders of `prefix` (names only), sorted."""
        raise NotImplementedError

    def stat(self, key: str) -> Entry | None:
        raise NotImplementedError

    def walk(self, prefix: str, skip: Callable[[str], bool]) -> Entries:
        """The files under `prefix`, sorted, without those `skip(key)` refuses or that lie in
        a folder it refuses (local: not even entered; symlinks followed, each real file and
        folder once). A `prefix` naming one file returns it, refused or not. Nothing there
        raises FileNotFoundError (an empty local folder is there: [])."""
        found = self.list(prefix)
        if not found:
            one = self.stat(prefix)
            if one is None:
                raise FileNotFoundError(f"input not found: {self.uri_of(prefix)}")
            return [one]
        return [e for e in found if not _hidden_below(e.key, skip)]

    def open_read(self, key: str, version: str | None = None) -> IO[bytes]:
        """A binary stream of one file. A missing file raises FileNotFoundError. With the
        `version` of a listing, a store that `pins_reads` fails a read of any other content."""
        raise NotImplementedError

    # S3 reads are pinned to the listed ETag; a local file must be compared before and after
    pins_reads = False
    # the largest file one `publish_file` may store (None: no limit)
    max_put_bytes: int | None = None

    def read_bytes(self, key: str) -> bytes:
        with self.open_read(key) as stream:
            return stream.read()

    def write_bytes(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def upload(self, local: Path, key: str) -> None:
        """Store the local file `local` at `key` (S3; local disk is written in place)."""
        raise NotImplementedError

    def local_path(self, key: str) -> Path | None:
        """Where `key` lives on local disk, or None (S3): write there directly when local."""
        return None

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        """A local path to write the file `key` at: the file itself on local disk (the
        caller fsyncs it), a temporary file on S3, uploaded in one PUT when the block ends
        without an error (an object is absent or complete)."""
        local = self.local_path(key)
        if local is not None:
            local.parent.mkdir(parents=True, exist_ok=True)
            yield local
            return
        with tempfile.TemporaryDirectory(prefix="newsflow-put-") as tmp:
            path = Path(tmp) / key.replace("/", "~")  # keeps the key visible in the path
            yield path
            self.upload(path, key)

    def open_arrow(self, key: str) -> pa.NativeFile:
        """A random-access pyarrow file of `key` (for Parquet readers): the file itself on
        local disk (pyarrow.fs), the object read whole on S3 (boto3: resumed, pinned)."""
        import pyarrow as pa

        return pa.BufferReader(self.read_bytes(key))

    def last_activity(self, prefix: str) -> float | None:
        """When anything under the folder `prefix` last changed (epoch seconds), None when it
        is gone: the newest object on S3; on disk the folder and its direct entries (a file
        landing in a sub-folder bumps that folder's mtime)."""
        return max((e.mtime for e in self.list(prefix)), default=None)

    def spool_dir(self) -> Path:
        """A local folder for files on their way to this storage (`publish_file`): the
        storage itself on local disk, a per-root folder of the temp dir for S3, so a rerun on
        this host finds what a crashed run left."""
        local = self.local_path("")
        if local is not None:
            return local
        digest = hashlib.blake2b(self.uri.encode(), digest_size=8).hexdigest()
        # the name collect has always used: after an upgrade a rerun still finds the files
        return Path(tempfile.gettempdir()) / "newsflow-collect-spool" / digest

    def publish_file(self, local: Path, key: str) -> None:
        """Store the finished local file `local` (under `spool_dir`) at `key` whole, and drop
        the local copy: a rename on local disk, one PUT on S3. Readers see it complete or not
        at all."""
        self.upload(local, key)
        local.unlink()

    def committed_names(self, partition: str) -> Names:
        """The file names of the committed generation of `partition`: its manifest's list.
        Without a manifest, a store that swaps partitions whole (local disk) has one
        generation in the folder (quarantine partitions written before manifests existed);
        S3 has nothing committed."""
        manifest = self.read_json(f"{partition}/{MANIFEST_NAME}")
        return list(manifest.get("files", [])) if manifest is not None else []

    def arrow_filesystem(self) -> pafs.FileSystem:
        """A pyarrow FileSystem that reaches this storage (S3: same endpoint, credentials)."""
        raise NotImplementedError

    def arrow_path(self, key: str) -> str:
        """`key` as a path of `arrow_filesystem()`."""
        raise NotImplementedError

    def read_json(self, key: str) -> dict[str, Any] | None:
        """A small JSON object, or None when it is missing or unreadable."""
        try:
            return json.loads(self.read_bytes(key))
        except (FileNotFoundError, ValueError):
            return None

    def write_json(self, key: str, payload: dict[str, Any]) -> None:
        self.write_bytes(key, json_bytes(payload))

    def delete(self, keys: Iterable[str]) -> None:
        raise NotImplementedError

    def delete_prefix(self, prefix: str) -> None:
        self.delete(e.key for e in self.list(prefix))

    def commit_lock(
        self, name: str, owner: str, wait: bool = True, renew: bool = False
    ) -> AbstractContextManager[Any]:
        """Exclusive lock `name` (e.g. "crawl_date=2025-03-18") across processes and hosts,
        held while a date's partitions are published, so two commits never interleave.

        `wait=False` raises `LockHeld` at once instead of waiting for a live holder;
        `renew=True` keeps an S3 lease alive for a holder that may outlast it (`collect`)."""
        raise NotImplementedError

    def publish_partition(
        self, staged: str, partition: str, run_id: str, manifest: dict[str, Any]
    ) -> Names:
        """Replace the partition folder `partition` with the files staged under `staged`.

        Atomic for readers that honour the manifest, which is written with `files` set to the
        published names (returned). No staged files removes the partition. The caller holds
        `commit_lock` for the partition's date.
        """
        raise NotImplementedError

    def repair_partition(self, partition: str, older_than_s: float, dry_run: bool = False) -> Names:
        """Delete files of `partition` that its manifest does not list (left by a dead commit)
        and that are older than `older_than_s`; returns their keys (`dry_run`: only lists
        them). Local partitions cannot hold such files (they are swapped whole), so only S3
        does anything."""
        return []


# --------------------------------------------------------------------------- local disk


@dataclass(slots=True)
class LocalStorage(Storage):
    root: Path

    @property
    def uri(self) -> str:  # type: ignore[override]
        return str(self.root)

    def local_path(self, key: str) -> Path:
        return self.root / key if key else self.root

    def list(self, prefix: str = "") -> Entries:
        # the store's own files, which it may delete: a symlinked folder is not entered, so
        # that no delete reaches through it to files outside the root
        try:
            return self._files(prefix, lambda key: False, follow_links=False)
        except FileNotFoundError:
            return []

    def walk(self, prefix: str, skip: Callable[[str], bool]) -> Entries:
        return self._files(prefix, skip, follow_links=True)

    def _files(self, prefix: str, skip: Callable[[str], bool], follow_links: bool) -> Entries:
        base = self.local_path(prefix)
        if not base.is_dir():
            one = self.stat(prefix)
            if one is None:
                raise FileNotFoundError(f"input not found: {base}")
            return [one]

        def fail(error: OSError) -> None:
            raise error  # a folder that cannot be listed: not a run on part of its inputs

        def taken(folder: str, name: str) -> str | None:
            """The key of `name` when the walk takes it: not refused, not reached before."""
            path = os.path.join(folder, name)
            key = Path(path).relative_to(self.root).as_posix()
            if skip(key):
                return None
            try:
                info = os.stat(path)
            except OSError:
                return key  # a broken symlink: listed, so that it is quarantined
            if (info.st_dev, info.st_ino) in seen:
                return None
            seen.add((info.st_dev, info.st_ino))
            return key

        root = base.stat()  # a link back to the root is a loop too
        seen = {(root.st_dev, root.st_ino)}
        found = []
        # os.walk, not pyarrow's selector: symlinked folders are followed (inputs), and a
        # folder reached twice (a loop, two links to one folder) is walked once
        for folder, dirnames, filenames in os.walk(base, onerror=fail, followlinks=follow_links):
            # sorted, so the first name of a folder is the same every run
            dirnames[:] = [name for name in sorted(dirnames) if taken(folder, name)]
            for key in filter(None, (taken(folder, name) for name in sorted(filenames))):
                # a broken symlink: listed with no version, so that it is quarantined
                found.append(self.stat(key) or Entry(key, 0, 0.0, ""))
        return sorted(found, key=lambda e: e.key)

    def list_dirs(self, prefix: str) -> Names:
        base = self.local_path(prefix)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir())

    def stat(self, key: str) -> Entry | None:
        try:
            info = self.local_path(key).stat()
        except FileNotFoundError:
            return None
        return Entry(key, info.st_size, info.st_mtime, str(info.st_mtime_ns))

    def open_read(self, key: str, version: str | None = None) -> IO[bytes]:
        return open(self.local_path(key), "rb")  # noqa: SIM115 - the caller closes it

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, path)

    def publish_file(self, local: Path, key: str) -> None:
        final = self.local_path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local, final)
        fsync_dir(final.parent)

    def open_arrow(self, key: str) -> pa.NativeFile:
        import pyarrow.fs as pafs

        return pafs.LocalFileSystem().open_input_file(str(self.local_path(key)))

    def last_activity(self, prefix: str) -> float | None:
        folder = self.local_path(prefix)
        try:
            return max(p.stat().st_mtime for p in [folder, *folder.iterdir()])
        except FileNotFoundError:
            return None

    def committed_names(self, partition: str) -> Names:
        manifest = self.read_json(f"{partition}/{MANIFEST_NAME}")
        if manifest is not None:
            return list(manifest.get("files", []))
        names = sorted(e.name for e in self.list(partition))
        return [n for n in names if n.endswith(".parquet") and not n.startswith((".", "_"))]

    def arrow_filesystem(self) -> pafs.FileSystem:
        import pyarrow.fs as pafs

        return pafs.LocalFileSystem()

    def arrow_path(self, key: str) -> str:
        return self.uri_of(key)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.local_path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        path = self.local_path(prefix)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def commit_lock(
        self, name: str, owner: str, wait: bool = True, renew: bool = False
    ) -> AbstractContextManager[Any]:
        from tasks.storage.lock import file_lock

        return file_lock(self.local_path(f"{LOCKS}/{name}.lock"), wait)

    def publish_partition(
        self, staged: str, partition: str, run_id: str, manifest: dict[str, Any]
    ) -> Names:
        new = self.local_path(staged)
        new.mkdir(parents=True, exist_ok=True)
        names = sorted(p.name for p in new.glob("*.parquet"))
        if names:
            self.write_json(f"{staged}/{MANIFEST_NAME}", {**manifest, "files": names})
        publish_directory(new, self.local_path(partition))
        return names


# --------------------------------------------------------------------------- S3


@dataclass
class S3Storage(Storage):
    bucket: str
    prefix: str
    options: S3Options = field(default_factory=lambda: S3Options().resolved())

    # boto3 clients do not pickle; a batch task on another process builds its own.
    def __reduce__(self) -> tuple[Any, ...]:
        return S3Storage, (self.bucket, self.prefix, self.options)

    @property
    def uri(self) -> str:  # type: ignore[override]
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @cached_property
    def client(self) -> Any:
        return make_s3_client(self.options)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix and key else (self.prefix or key)

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def _call(self, what: str, key: str, fn: Any, **kwargs: Any) -> Any:
        """One boto3 call (botocore retries transient errors) with a clear, secret-free error."""
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except Exception as err:  # noqa: BLE001 - translated, never swallowed
            error = translate(err, what, self.uri_of(key), self.options.endpoint_url)
        # raised outside the handler: the client's exception, whose text may quote a
        # credential, is not even attached as the context of ours
        raise error

    # --- listing and reading

    def _listing(self, prefix: str, **options: str) -> list[dict[str, Any]]:
        """Every page of a LIST below `prefix` (1,000 keys each; boto3's paginator)."""
        full = self._key(prefix)
        paginate = self.client.get_paginator("list_objects_v2").paginate

        def pages(**kwargs: Any) -> list[dict[str, Any]]:
            return list(paginate(**kwargs))

        return self._call("list", prefix, pages, Prefix=full and f"{full}/", **options)

    def list(self, prefix: str = "") -> Entries:
        found = [
            self._entry(self._rel(obj["Key"]), obj["Size"], obj["LastModified"], obj.get("ETag"))
            for page in self._listing(prefix)
            for obj in page.get("Contents", [])
        ]
        if not found and prefix:
            one = self.stat(prefix)
            return [one] if one else []
        return sorted(found, key=lambda e: e.key)

    def list_dirs(self, prefix: str) -> Names:
        return sorted(
            p["Prefix"].rstrip("/").rsplit("/", 1)[-1]
            for page in self._listing(prefix, Delimiter="/")
            for p in page.get("CommonPrefixes", [])
        )

    def stat(self, key: str) -> Entry | None:
        if not self._key(key):
            return None  # the bucket itself is no object
        try:
            head = self._call("head", key, self.client.head_object, Key=self._key(key))
        except FileNotFoundError:
            return None
        return self._entry(key, head["ContentLength"], head["LastModified"], head.get("ETag"))

    @staticmethod
    def _entry(key: str, size: int, modified: Any, etag: str | None) -> Entry:
        mtime = modified.timestamp()
        return Entry(key, size, mtime, etag or repr(mtime))

    pins_reads = True
    max_put_bytes = S3_MAX_PUT_BYTES

    def open_read(self, key: str, version: str | None = None) -> IO[bytes]:
        """A stream of the object; with the listed ETag as `version`, a read of any other
        version fails (StorageError: precondition failed) instead of mixing two versions."""
        etag = version if version and version.startswith('"') else None  # ETags are quoted
        return io.BufferedReader(S3Reader(self, key, etag), buffer_size=1 << 20)

    def arrow_filesystem(self) -> pafs.FileSystem:
        return arrow_s3_filesystem(self.options)

    def arrow_path(self, key: str) -> str:
        return self.uri_of(key)[len("s3://") :]

    def get_object(self, key: str, start: int, etag: str | None) -> Any:
        ranged = {"Range": f"bytes={start}-"} if start else {}
        pinned = {"IfMatch": etag} if etag else {}  # a resumed read must not splice two versions
        return self._call(
            "read", key, self.client.get_object, Key=self._key(key), **ranged, **pinned
        )

    def read_json_etag(self, key: str) -> tuple[dict[str, Any] | None, str | None]:
        """A small JSON object and its ETag (for a conditional write); (None, None) if missing.
        A body that breaks off resumes pinned to that ETag, as every read (S3Reader)."""
        try:
            with S3Reader(self, key) as reader:
                data = reader.readall()
        except FileNotFoundError:
            return None, None
        try:
            return json.loads(data), reader.etag
        except ValueError:
            return None, reader.etag

    # --- writing and deleting

    def write_bytes(self, key: str, data: bytes) -> None:
        self.put(key, data)

    def put(self, key: str, data: bytes | IO[bytes], **condition: str | None) -> str:
        """Put an object, conditionally with `IfMatch=<etag>` or `IfNoneMatch="*"` (None: no
        condition): PreconditionFailed when it does not hold. Returns the new ETag."""
        given = {name: value for name, value in condition.items() if value is not None}
        put = self.client.put_object
        return str(self._call("write", key, put, Key=self._key(key), Body=data, **given)["ETag"])

    def upload(self, local: Path, key: str) -> None:
        with open(local, "rb") as body:
            self.put(key, body)

    def delete_if_match(self, key: str, etag: str | None) -> None:
        """Delete `key` only while it is still the version `etag` (a lock never deletes a
        lease somebody took over)."""
        self._call("unlock", key, self.client.delete_object, Key=self._key(key), IfMatch=etag)

    def copy(self, source: str, target: str) -> None:
        source_object = {"Bucket": self.bucket, "Key": self._key(source)}
        copy = self.client.copy_object
        self._call("copy", target, copy, Key=self._key(target), CopySource=source_object)

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), 1000):  # the DeleteObjects limit
            batch = {"Objects": [{"Key": self._key(k)} for k in keys[start : start + 1000]]}
            delete = self.client.delete_objects
            reply = self._call("delete", keys[start], delete, Delete={**batch, "Quiet": True})
            errors = [e for e in reply.get("Errors", []) if e.get("Code") != "NoSuchKey"]
            if errors:
                first = errors[0]
                raise StorageError(  # the code, not the server's free-text message
                    f"S3 delete of {len(errors)} object(s) failed, e.g. "
                    f"s3://{self.bucket}/{first.get('Key')}: {first.get('Code')}"
                )

    # --- publishing a partition (see docs/s3.md)

    def publish_partition(
        self, staged: str, partition: str, run_id: str, manifest: dict[str, Any]
    ) -> Names:
        staged_files = [e.key for e in self.list(staged) if e.key.endswith(".parquet")]
        # part-00000.parquet -> part-<run id>-00000.parquet: two generations never share a
        # name, so copying in never overwrites a file a reader of the old manifest needs.
        published = [name_of(k).replace("part-", f"part-{run_id}-", 1) for k in staged_files]
        manifest_key = f"{partition}/{MANIFEST_NAME}"
        _, old_etag = self.read_json_etag(manifest_key)
        if not published and old_etag is None:  # nothing before, nothing now: no partition
            self.delete(e.key for e in self.list(partition))  # a dead commit's leftovers
            return published
        copied: Names = []
        try:
            for source, name in zip(staged_files, published, strict=True):
                target = f"{partition}/{name}"
                self.copy(source, target)
                copied.append(target)
            self._replace_manifest(manifest_key, {**manifest, "files": published}, old_etag, run_id)
        except BaseException:
            # nothing was published: take our copies out again so a plain glob of the
            # partition shows the old generation only (best effort: the next commit of
            # the date or `newsflow cleanup` removes whatever a dead process leaves)
            best_effort(lambda: self.delete(copied))
            raise
        # Committed. Removing the previous generation can no longer undo that, so a failure
        # here is a warning: a plain glob shows it until the next commit of the date or
        # `newsflow cleanup` (readers of the manifest never see it).
        keep = {*published, MANIFEST_NAME}
        try:
            self.delete(e.key for e in self.list(partition) if e.name not in keep)
            if not published:  # an empty date: no partition, as on local disk
                self.delete([manifest_key])
        except StorageError as err:
            log.warning("committed %s, but the old generation stays for now: %s", partition, err)
        return published

    def _replace_manifest(
        self, key: str, manifest: dict[str, Any], old_etag: str | None, run_id: str
    ) -> None:
        try:  # replace the manifest read, or create one where there was none
            self.put(
                key, json_bytes(manifest), IfMatch=old_etag, IfNoneMatch=None if old_etag else "*"
            )
        except PreconditionFailed:
            # A retried PUT whose first attempt did land sees its own manifest; anything else
            # means another run committed while we held the lock (ours was taken over).
            current, _ = self.read_json_etag(key)
            if not current or current.get("run_id") != run_id:
                raise StorageError(
                    f"commit of {self.uri_of(key)} lost a race: run "
                    f"{(current or {}).get('run_id')} committed while {run_id} held the lock"
                ) from None

    def repair_partition(self, partition: str, older_than_s: float, dry_run: bool = False) -> Names:
        cutoff = time.time() - older_than_s
        owner = f"cleanup-{os.getpid()}-{random.getrandbits(32):x}"
        with self.commit_lock(name_of(partition), owner):
            manifest = self.read_json(f"{partition}/{MANIFEST_NAME}") or {}
            keep = {*manifest.get("files", []), MANIFEST_NAME}
            orphans = [
                e.key for e in self.list(partition) if e.name not in keep and e.mtime < cutoff
            ]
            if not dry_run:
                self.delete(orphans)
        return orphans

    # --- the per-date commit lock

    def commit_lock(
        self, name: str, owner: str, wait: bool = True, renew: bool = False
    ) -> AbstractContextManager[Any]:
        from tasks.storage.lock import LeaseLock

        return LeaseLock(self, f"{LOCKS}/{name}.json", owner, wait, renew)
