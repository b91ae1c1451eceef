"""Where newsflow reads and writes: a local folder or an `s3://bucket/prefix`, same operations.

    store = open_storage("s3://lake/news")        # or open_storage("/data/news")
    store.list("raw/crawl_date=2025-03-18")        # [Entry(key, size, mtime)], recursive
    with store.open_read(key) as stream: ...       # streaming, resumes after a broken read
    store.write_json("_runs/x.json", {...}); store.read_json(...)
    store.publish_partition(staged, "articles/crawl_date=D", run_id, manifest)

Keys are "/"-separated and relative to the root. Local storage is a thin layer over the file
system and keeps the atomic `renameat2(RENAME_EXCHANGE)` directory swap. S3 has no rename, so
a partition is published under a per-partition lock object by copying the run's files in
under run-specific names, replacing the partition manifest with a conditional write, and
deleting every other object of the partition; docs/s3.md has the design and its failure cases.

S3 settings come from the standard AWS chain (env, profile, config files, instance roles) plus
`S3Options` / NEWSFLOW_S3_* environment variables for the endpoint (MinIO, SeaweedFS, R2),
path-style addressing and retries. No secret is ever part of a message, URI or record here:
only the bucket, keys and the endpoint without user info.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import io
import json
import logging
import os
import random
import shutil
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from tasks.errors import safe_error_text

MANIFEST_NAME = "_newsflow.json"
log = logging.getLogger(__name__)
LOCKS = "_locks"

# Errors of a read that broke off mid-body (truncated response, reset, timeout): the open
# stream resumes with a ranged GET instead of failing the whole input file.
_RESUMABLE_READ_ATTEMPTS = 6
_SKIP_BY_READING = 4 << 20  # a forward seek up to this far reads on instead of a new GET


class StorageError(RuntimeError):
    """A storage operation failed for good (after retries): the run must stop, clearly.

    Deliberately not an OSError: a dead endpoint or wrong credentials must fail the run, not
    turn every input into a quarantined `io_error` row and publish an empty partition.
    """


class LockHeld(StorageError):
    """`commit_lock(..., wait=False)` found the lock held by a live owner."""


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # relative to the storage root
    size: int
    mtime: float  # seconds since the epoch (S3: LastModified)
    etag: str | None = None  # S3 only: identifies this version of the object


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class S3Options:
    """How to reach S3. Unset fields fall back to NEWSFLOW_S3_* variables, then the AWS chain.

    endpoint_url: NEWSFLOW_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (boto3's own).
    addressing_style: NEWSFLOW_S3_ADDRESSING ("path", "virtual", "auto"); "path" when an
        endpoint is given (MinIO and SeaweedFS need it), boto3's default otherwise.
    region / profile: AWS_REGION, AWS_PROFILE as usual.
    max_attempts: NEWSFLOW_S3_MAX_ATTEMPTS (default 8): botocore "standard" retry mode,
        exponential backoff with jitter on 5xx, SlowDown/throttling and connection errors.
    lock_lease_s: NEWSFLOW_S3_LOCK_LEASE_S (default 600): how long a partition commit lock is
        honoured before another run may take it over (a dead process on the same host is
        recognised at once).
    """

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    addressing_style: str | None = None
    max_attempts: int | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    lock_lease_s: float | None = None

    def resolved(self) -> S3Options:
        env = os.environ.get
        endpoint = self.endpoint_url or env("NEWSFLOW_S3_ENDPOINT") or None
        return replace(
            self,
            endpoint_url=endpoint,
            addressing_style=self.addressing_style
            or env("NEWSFLOW_S3_ADDRESSING")
            or ("path" if endpoint else None),
            max_attempts=self.max_attempts or int(env("NEWSFLOW_S3_MAX_ATTEMPTS", "8")),
            connect_timeout=self.connect_timeout or float(env("NEWSFLOW_S3_CONNECT_TIMEOUT", "10")),
            read_timeout=self.read_timeout or float(env("NEWSFLOW_S3_READ_TIMEOUT", "60")),
            lock_lease_s=self.lock_lease_s or float(env("NEWSFLOW_S3_LOCK_LEASE_S", "600")),
        )


def safe_endpoint(url: str | None) -> str | None:
    """The endpoint for messages: user info (a secret some people put in URLs) removed."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def is_s3_uri(location: object) -> bool:
    return isinstance(location, str) and location.startswith("s3://")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """ "s3://bucket/a/b/" -> ("bucket", "a/b")."""
    if not is_s3_uri(uri):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri}")
    return bucket, prefix.strip("/")


def open_storage(location: str | Path | Storage, s3: S3Options | None = None) -> Storage:
    """Storage rooted at a local folder or an s3://bucket/prefix URI."""
    if isinstance(location, Storage):
        return location
    if is_s3_uri(location):
        bucket, prefix = split_s3_uri(str(location))
        return S3Storage(bucket, prefix, (s3 or S3Options()).resolved())
    return LocalStorage(Path(location))


# --------------------------------------------------------------------------- interface


class Storage:
    """The few operations the pipeline needs, on a local folder or an S3 prefix."""

    uri: str

    def uri_of(self, key: str) -> str:
        return f"{self.uri.rstrip('/')}/{key}" if key else self.uri

    def list(self, prefix: str = "") -> list[Entry]:
        """Every file at or under `prefix` (recursive), sorted by key. Missing: []."""
        raise NotImplementedError

    def list_dirs(self, prefix: str) -> list[str]:
        """The immediate sub-folders of `prefix` (names only), sorted."""
        raise NotImplementedError

    def stat(self, key: str) -> Entry | None:
        raise NotImplementedError

    def open_read(self, key: str) -> IO[bytes]:
        """A binary stream of one file. A missing file raises FileNotFoundError."""
        raise NotImplementedError

    def read_bytes(self, key: str) -> bytes:
        with self.open_read(key) as stream:
            return stream.read()

    def write_bytes(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def upload(self, local: Path, key: str) -> None:
        """Store the local file `local` at `key`."""
        raise NotImplementedError

    def local_path(self, key: str) -> Path | None:
        """Where `key` lives on local disk, or None (S3): write there directly when local."""
        return None

    def read_json(self, key: str) -> dict[str, Any] | None:
        """A small JSON object, or None when it is missing or unreadable."""
        try:
            return json.loads(self.read_bytes(key))
        except (FileNotFoundError, ValueError):
            return None

    def write_json(self, key: str, payload: dict[str, Any]) -> None:
        self.write_bytes(key, _json_bytes(payload))

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
    ) -> list[str]:
        """Replace the partition folder `partition` with the files staged under `staged`.

        Atomic for readers that honour the manifest, which is written with `files` set to the
        published names (returned). No staged files removes the partition. The caller holds
        `commit_lock` for the partition's date.
        """
        raise NotImplementedError

    def repair_partition(
        self, partition: str, older_than_s: float, dry_run: bool = False
    ) -> list[str]:
        """Delete files of `partition` that its manifest does not list (left by a dead commit)
        and that are older than `older_than_s`; returns their keys (`dry_run`: only lists
        them). Local partitions cannot hold such files (they are swapped whole), so only S3
        does anything."""
        return []


def _json_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, indent=2, sort_keys=True, default=str).encode("utf-8")


def _name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


# --------------------------------------------------------------------------- local disk


@dataclass(slots=True)
class LocalStorage(Storage):
    root: Path

    @property
    def uri(self) -> str:  # type: ignore[override]
        return str(self.root)

    def uri_of(self, key: str) -> str:
        return str(self.root / key) if key else str(self.root)

    def local_path(self, key: str) -> Path:
        return self.root / key if key else self.root

    def list(self, prefix: str = "") -> list[Entry]:
        base = self.local_path(prefix)
        if base.is_file():
            st = base.stat()
            return [Entry(prefix, st.st_size, st.st_mtime)]
        found = []
        for dirpath, _, filenames in os.walk(base):
            for name in filenames:
                path = Path(dirpath, name)
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                key = path.relative_to(self.root).as_posix()
                found.append(Entry(key, st.st_size, st.st_mtime))
        return sorted(found, key=lambda e: e.key)

    def list_dirs(self, prefix: str) -> list[str]:
        base = self.local_path(prefix)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir())

    def stat(self, key: str) -> Entry | None:
        try:
            st = self.local_path(key).stat()
        except FileNotFoundError:
            return None
        return Entry(key, st.st_size, st.st_mtime)

    def open_read(self, key: str) -> IO[bytes]:
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

    def upload(self, local: Path, key: str) -> None:
        target = self.local_path(key)
        if Path(local) != target:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, target)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.local_path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        path = self.local_path(prefix)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    @contextmanager
    def commit_lock(
        self, name: str, owner: str, wait: bool = True, renew: bool = False
    ) -> Iterator[None]:
        # flock: released by the kernel when the holder dies, so no lease (nor renewal)
        path = self.local_path(f"{LOCKS}/{name}.lock")
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

    def publish_partition(
        self, staged: str, partition: str, run_id: str, manifest: dict[str, Any]
    ) -> list[str]:
        new = self.local_path(staged)
        new.mkdir(parents=True, exist_ok=True)
        names = sorted(p.name for p in new.glob("*.parquet"))
        if names:
            self.write_json(f"{staged}/{MANIFEST_NAME}", {**manifest, "files": names})
        publish_directory(new, self.local_path(partition))
        return names


# --- atomic directory swap (Linux renameat2) ----------------------------------------------

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
    if not has_files:
        graveyard = new.with_name(new.name + ".old")
        os.rename(target, graveyard)
        shutil.rmtree(graveyard, ignore_errors=True)
        return
    if _exchange(new, target):
        fsync_dir(target.parent)
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the previous generation
        return
    # No RENAME_EXCHANGE (not Linux, or a filesystem without it): two renames, with a short
    # window in which the date has no partition; never a mix of old and new files.
    graveyard = new.with_name(new.name + ".old")
    os.rename(target, graveyard)
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


# --------------------------------------------------------------------------- S3


@dataclass(slots=True)
class S3Storage(Storage):
    bucket: str
    prefix: str
    options: S3Options = field(default_factory=lambda: S3Options().resolved())
    _client: Any = field(default=None, repr=False, compare=False)

    # boto3 clients do not pickle; a batch task on another process builds its own.
    def __getstate__(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix, "options": self.options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.bucket, self.prefix, self.options = state["bucket"], state["prefix"], state["options"]
        self._client = None

    @property
    def uri(self) -> str:  # type: ignore[override]
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_s3_client(self.options)
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix and key else (self.prefix or key)

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def _call(self, what: str, key: str, fn: Any, **kwargs: Any) -> Any:
        """One boto3 call (botocore retries transient errors) with a clear, secret-free error."""
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except Exception as err:  # noqa: BLE001 - translated, never swallowed
            error = _translate(err, what, self.uri_of(key), self.options)
        # raised outside the handler: the client's exception, whose text may quote a
        # credential, is not even attached as the context of ours
        raise error

    # --- listing and reading

    def list(self, prefix: str = "") -> list[Entry]:
        full = self._key(prefix)
        found: list[Entry] = []
        token: dict[str, str] = {}
        while True:
            page = self._call(
                "list",
                prefix,
                self.client.list_objects_v2,
                Prefix=full + "/" if full else "",
                **token,
            )
            for obj in page.get("Contents", []):
                found.append(
                    Entry(
                        self._rel(obj["Key"]),
                        obj["Size"],
                        obj["LastModified"].timestamp(),
                        obj.get("ETag"),
                    )
                )
            if not page.get("IsTruncated"):
                break
            token = {"ContinuationToken": page["NextContinuationToken"]}
        if not found and prefix:
            one = self.stat(prefix)
            return [one] if one else []
        return sorted(found, key=lambda e: e.key)

    def list_dirs(self, prefix: str) -> list[str]:
        full = self._key(prefix)
        names: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = self._call(
                "list",
                prefix,
                self.client.list_objects_v2,
                Prefix=full + "/" if full else "",
                Delimiter="/",
                **token,
            )
            names += [
                p["Prefix"].rstrip("/").rsplit("/", 1)[-1] for p in page.get("CommonPrefixes", [])
            ]
            if not page.get("IsTruncated"):
                return sorted(names)
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def stat(self, key: str) -> Entry | None:
        try:
            head = self._call("head", key, self.client.head_object, Key=self._key(key))
        except FileNotFoundError:
            return None
        return Entry(key, head["ContentLength"], head["LastModified"].timestamp(), head.get("ETag"))

    def open_read(self, key: str, etag: str | None = None) -> IO[bytes]:
        """A stream of the object; with `etag`, a read of any other version fails
        (StorageError: precondition failed) instead of mixing two versions of an input."""
        return io.BufferedReader(_S3Reader(self, key, etag), buffer_size=1 << 20)

    def _get(self, key: str, start: int, etag: str | None) -> Any:
        kwargs: dict[str, Any] = {"Key": self._key(key)}
        if start:
            kwargs["Range"] = f"bytes={start}-"
        if etag:
            kwargs["IfMatch"] = etag  # a resumed read must not splice two versions
        return self._call("read", key, self.client.get_object, **kwargs)

    def read_json_etag(self, key: str) -> tuple[dict[str, Any] | None, str | None]:
        """A small JSON object and its ETag (for a conditional write); (None, None) if missing."""
        for attempt in range(_RESUMABLE_READ_ATTEMPTS):
            try:
                reply = self._get(key, 0, None)
            except FileNotFoundError:
                return None, None
            try:
                data = _read_body(reply)
                break
            except _BROKEN_READ as err:  # a small body: read it again whole
                if attempt == _RESUMABLE_READ_ATTEMPTS - 1:
                    raise _translate(err, "read", self.uri_of(key), self.options) from None
                time.sleep(min(0.1 * 2**attempt, 5.0))
        try:
            return json.loads(data), reply["ETag"]
        except ValueError:
            return None, reply["ETag"]

    # --- writing and deleting

    def write_bytes(self, key: str, data: bytes, **conditions: str) -> str:
        """Put an object; `IfMatch` / `IfNoneMatch` make it conditional. Returns the ETag."""
        reply = self._call(
            "write", key, self.client.put_object, Key=self._key(key), Body=data, **conditions
        )
        return reply["ETag"]

    def upload(self, local: Path, key: str) -> None:
        with open(local, "rb") as body:
            self._call("write", key, self.client.put_object, Key=self._key(key), Body=body)

    def copy(self, source: str, target: str) -> None:
        self._call(
            "copy",
            target,
            self.client.copy_object,
            Key=self._key(target),
            CopySource={"Bucket": self.bucket, "Key": self._key(source)},
        )

    def delete(self, keys: Iterable[str]) -> None:
        batch: list[str] = []
        for key in keys:
            batch.append(key)
            if len(batch) == 1000:  # the DeleteObjects limit
                self._delete_batch(batch)
                batch = []
        if batch:
            self._delete_batch(batch)

    def _delete_batch(self, keys: list[str]) -> None:
        reply = self._call(
            "delete",
            keys[0],
            self.client.delete_objects,
            Delete={"Objects": [{"Key": self._key(k)} for k in keys], "Quiet": True},
        )
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
    ) -> list[str]:
        staged_files = [e.key for e in self.list(staged) if e.key.endswith(".parquet")]
        # part-00000.parquet -> part-<run id>-00000.parquet: two generations never share a
        # name, so copying in never overwrites a file a reader of the old manifest needs.
        published = [_name(k).replace("part-", f"part-{run_id}-", 1) for k in staged_files]
        manifest_key = f"{partition}/{MANIFEST_NAME}"
        _, old_etag = self.read_json_etag(manifest_key)
        if not published and old_etag is None:  # nothing before, nothing now: no partition
            self.delete(e.key for e in self.list(partition))  # a dead commit's leftovers
            return published
        copied: list[str] = []
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
            _best_effort(lambda: self.delete(copied))
            raise
        # Committed. Removing the previous generation can no longer undo that, so a failure
        # here is a warning: a plain glob shows it until the next commit of the date or
        # `newsflow cleanup` (readers of the manifest never see it).
        keep = {*published, MANIFEST_NAME}
        try:
            self.delete(e.key for e in self.list(partition) if _name(e.key) not in keep)
            if not published:  # an empty date: no partition, as on local disk
                self.delete([manifest_key])
        except StorageError as err:
            log.warning("committed %s, but the old generation stays for now: %s", partition, err)
        return published

    def _replace_manifest(
        self, key: str, manifest: dict[str, Any], old_etag: str | None, run_id: str
    ) -> None:
        condition = {"IfMatch": old_etag} if old_etag else {"IfNoneMatch": "*"}
        try:
            self.write_bytes(key, _json_bytes(manifest), **condition)
        except _PreconditionFailed:
            # A retried PUT whose first attempt did land sees its own manifest; anything else
            # means another run committed while we held the lock (ours was taken over).
            current, _ = self.read_json_etag(key)
            if not current or current.get("run_id") != run_id:
                raise StorageError(
                    f"commit of {self.uri_of(key)} lost a race: run "
                    f"{(current or {}).get('run_id')} committed while {run_id} held the lock"
                ) from None

    def repair_partition(
        self, partition: str, older_than_s: float, dry_run: bool = False
    ) -> list[str]:
        cutoff = time.time() - older_than_s
        owner = f"cleanup-{os.getpid()}-{random.getrandbits(32):x}"
        with self.commit_lock(_name(partition), owner):
            manifest = self.read_json(f"{partition}/{MANIFEST_NAME}") or {}
            keep = {*manifest.get("files", []), MANIFEST_NAME}
            orphans = [
                e.key for e in self.list(partition) if _name(e.key) not in keep and e.mtime < cutoff
            ]
            if not dry_run:
                self.delete(orphans)
        return orphans

    # --- the per-date commit lock

    def commit_lock(self, name: str, owner: str, wait: bool = True, renew: bool = False) -> _Lock:
        return _Lock(self, f"{LOCKS}/{name}.json", owner, wait, renew)


class _Lock:
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
        return _json_bytes(
            {
                "owner": self.owner,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "expires_at": time.time() + self.lease,
            }
        )

    def __enter__(self) -> _Lock:
        self._acquire()
        if self.renew:
            self._keeper = threading.Thread(target=self._keep, name="lock-lease", daemon=True)
            self._keeper.start()
        return self

    def _keep(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.etag = self.store.write_bytes(self.key, self._body(), IfMatch=self.etag)
            except Exception as err:  # noqa: BLE001 - logged; the holder's work goes on
                log.warning(
                    "could not renew %s: %s", self.store.uri_of(self.key), safe_error_text(err)
                )
                if isinstance(err, _PreconditionFailed) or not isinstance(err, StorageError):
                    return  # taken over (or gone): renewing would fail forever

    def _acquire(self) -> None:
        lease = self.lease
        deadline = time.monotonic() + lease + 60
        pause = 0.05
        while True:
            body = self._body()
            try:
                self.etag = self.store.write_bytes(self.key, body, IfNoneMatch="*")
                return
            except _PreconditionFailed:
                pass
            holder, etag = self.store.read_json_etag(self.key)
            if holder is None and etag is None:
                continue  # released meanwhile: try again at once
            if holder is not None and holder.get("owner") == self.owner:
                self.etag = etag  # our own create, retried after a lost response
                return
            if holder is None or _lock_is_dead(holder):
                try:
                    self.etag = self.store.write_bytes(self.key, body, IfMatch=etag)
                    return
                except _PreconditionFailed:
                    continue
            if not self.wait:
                raise LockHeld(
                    f"{self.store.uri_of(self.key)} is held by {holder.get('owner')} "
                    f"(pid {holder.get('pid')} on {holder.get('host')})"
                )
            if time.monotonic() > deadline:
                raise StorageError(
                    f"{self.store.uri_of(self.key)} is held by {holder.get('owner')} "
                    f"(pid {holder.get('pid')} on {holder.get('host')}); gave up waiting"
                )
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 2.0)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join()
        # If-Match: never delete a lock somebody took over from us.
        _best_effort(
            lambda: self.store._call(
                "unlock",
                self.key,
                self.store.client.delete_object,
                Key=self.store._key(self.key),
                IfMatch=self.etag,
            )
        )


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


def _best_effort(action: Any) -> None:
    # clean-up on a path that already failed: the original error is the one to report
    with contextlib.suppress(Exception):
        action()


def _read_body(reply: Any) -> bytes:
    try:
        return reply["Body"].read()
    finally:
        reply["Body"].close()


class _S3Reader(io.RawIOBase):
    """Streams one object; a body that breaks off is resumed with a ranged GET (If-Match)."""

    def __init__(self, store: S3Storage, key: str, etag: str | None = None) -> None:
        self.store, self.key = store, key
        self.pos = 0
        self.etag: str | None = etag
        self.size: int | None = None
        self.body: Any = None
        self._open()

    def _open(self) -> None:
        reply = self.store._get(self.key, self.pos, self.etag)
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
            if self.body is not None:
                _best_effort(self.body.close)
                self.body = None
            self.pos = target
        return self.pos

    def readinto(self, buffer: Any) -> int:
        if self.size is not None and self.pos >= self.size:
            return 0
        view = memoryview(buffer).cast("B")
        for attempt in range(_RESUMABLE_READ_ATTEMPTS):
            try:
                if self.body is None:
                    self._open()
                chunk = self.body.read(len(view))
                if not chunk and self.pos < (self.size or 0):
                    raise ConnectionError(f"body ended at byte {self.pos} of {self.size}")
                view[: len(chunk)] = chunk
                self.pos += len(chunk)
                return len(chunk)
            except _BROKEN_READ as err:
                if self.body is not None:
                    _best_effort(self.body.close)
                    self.body = None
                if attempt == _RESUMABLE_READ_ATTEMPTS - 1:
                    raise StorageError(
                        f"S3 read of {self.store.uri_of(self.key)} broke off at byte "
                        f"{self.pos} {attempt + 1} times: {type(err).__name__}"
                    ) from None
                time.sleep(min(0.1 * 2**attempt, 5.0) * (0.5 + random.random()))
        return 0  # not reached

    def close(self) -> None:
        if self.body is not None:
            _best_effort(self.body.close)
            self.body = None
        super().close()


# --------------------------------------------------------------------------- boto3 glue


def make_s3_client(options: S3Options) -> Any:
    """A boto3 S3 client from the AWS chain plus `options` (already resolved)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=options.profile)
    config = Config(
        retries={"mode": "standard", "max_attempts": options.max_attempts},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        s3={"addressing_style": options.addressing_style} if options.addressing_style else {},
        # let S3-compatible servers without the newer checksum headers work; integrity of
        # reads is still checked against Content-Length, of Parquet files by their footer
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra="newsflow",
    )
    return session.client(
        "s3", endpoint_url=options.endpoint_url, region_name=options.region, config=config
    )


def aws_credentials(options: S3Options) -> Any:
    """Frozen credentials from the AWS chain (for pyarrow/DuckDB/polars readers), or None."""
    import boto3

    creds = boto3.session.Session(profile_name=options.profile).get_credentials()
    return creds.get_frozen_credentials() if creds else None


def _lazy_botocore_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import (
        ConnectionClosedError,
        EndpointConnectionError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )
    from urllib3.exceptions import ProtocolError

    return (
        IncompleteReadError,
        ResponseStreamingError,
        ReadTimeoutError,
        ConnectionClosedError,
        EndpointConnectionError,
        ProtocolError,
        ConnectionError,
    )


_BROKEN_READ = _lazy_botocore_errors()


class _PreconditionFailed(StorageError):
    """A conditional write (If-Match / If-None-Match) was refused."""


_CREDENTIAL_CODES = {
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidToken",
    "ExpiredToken",
    "AccessDenied",
    "InvalidClientTokenId",
}


def _translate(err: Exception, what: str, uri: str, options: S3Options) -> Exception:
    """A boto3/botocore error as FileNotFoundError or a StorageError without secrets."""
    from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError

    where = f" (endpoint {safe_endpoint(options.endpoint_url)})" if options.endpoint_url else ""
    if isinstance(err, ClientError):
        code = str(err.response.get("Error", {}).get("Code", ""))
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchKey", "404", "NotFound"):
            return FileNotFoundError(f"not found: {uri}")
        if code in ("PreconditionFailed", "ConditionalRequestConflict") or status == 412:
            return _PreconditionFailed(f"S3 {what} of {uri}: precondition failed ({code})")
        if code == "NoSuchBucket":
            return StorageError(f"S3 {what} of {uri} failed: the bucket does not exist{where}")
        hint = ""
        if code in _CREDENTIAL_CODES:
            hint = (
                ": the credentials were refused; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                " AWS_PROFILE or the instance role, and the endpoint"
            )
        return StorageError(f"S3 {what} of {uri} failed{where}: {code} (HTTP {status}){hint}")
    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        return StorageError(
            f"S3 {what} of {uri}: no usable AWS credentials found (environment, AWS_PROFILE,"
            " ~/.aws/credentials or an instance role)"
        )
    if isinstance(err, StorageError | FileNotFoundError):
        return err
    # connection refused/reset, timeouts, truncated bodies after botocore's retries, and
    # errors of the HTTP client itself: named by class only, never by their text, which can
    # quote request headers (see tasks/errors.py)
    return StorageError(
        f"S3 {what} of {uri} failed{where}: {safe_error_text(err)}{_client_error_hint(err)}"
    )


def _client_error_hint(err: Exception) -> str:
    """What to check when the HTTP client refused to send the request at all."""
    from botocore.exceptions import HTTPClientError

    cause = err.kwargs.get("error") if isinstance(err, HTTPClientError) else None
    if isinstance(cause, ValueError) and "header" in str(cause).lower():
        return (
            ": a request header held a character HTTP does not allow; check the AWS"
            " credentials (AWS_SESSION_TOKEN, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) for"
            " a stray CR or LF, e.g. from a .env file with Windows line ends"
        )
    return ""


# --------------------------------------------------------------------------- input files


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One input object on S3 with the part of `pathlib.Path`'s interface the loaders use."""

    store: Storage
    key: str
    size: int
    mtime: float
    etag: str | None = None

    @property
    def name(self) -> str:
        return _name(self.key)

    def __str__(self) -> str:
        return self.store.uri_of(self.key)

    def __fspath__(self) -> str:  # never a local path: refuse instead of opening a wrong file
        raise TypeError(f"{self} is not a local file")

    def stat(self) -> os.stat_result:
        return os.stat_result((0, 0, 0, 0, 0, 0, self.size, self.mtime, self.mtime, self.mtime))

    def open(self, mode: str = "rb") -> IO[bytes]:
        if mode != "rb":
            raise ValueError("stored inputs are read-only")
        if isinstance(self.store, S3Storage):
            return self.store.open_read(self.key, self.etag)
        return self.store.open_read(self.key)


def list_stored_files(uri: str, s3: S3Options | None = None) -> list[StoredFile]:
    """The objects under an s3:// URI, like `tasks.ingest.load.list_inputs` does for a folder.

    A URI naming one object returns it; otherwise everything below it, sorted, without names
    that start with "." or "_" below the root. Raises FileNotFoundError when there is nothing.
    """
    bucket, prefix = split_s3_uri(uri)
    store = S3Storage(bucket, "", (s3 or S3Options()).resolved())
    found = []
    for entry in store.list(prefix):
        below = entry.key[len(prefix) :].strip("/") if prefix else entry.key
        if entry.key != prefix and any(part.startswith((".", "_")) for part in below.split("/")):
            continue
        found.append(StoredFile(store, entry.key, entry.size, entry.mtime, entry.etag))
    if not found:
        raise FileNotFoundError(f"input not found: {uri}")
    return found
