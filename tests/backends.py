"""One interface over a local output folder and an s3:// output prefix, for tests that must
make the same assertions on both (tests/conftest.py `backend` fixture)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from schemas import PARTITIONING
from tasks.inspect.read import arrow_filesystem, read_committed
from tasks.storage.fs import Storage, open_storage
from tasks.storage.options import S3Options


class Backend:
    location: str
    options: S3Options | None = None

    @property
    def store(self) -> Storage:
        return open_storage(self.location, self.options)

    def partition(self, table: str, day: date) -> str:
        return f"{table}/crawl_date={day.isoformat()}"

    def files(self, table: str, day: date) -> dict[str, bytes]:
        """Every object in the date's partition (manifest included), name -> bytes."""
        store = self.store
        return {
            e.key.rsplit("/", 1)[-1]: store.read_bytes(e.key)
            for e in store.list(self.partition(table, day))
        }

    def plain_read(self, table: str, day: date | None = None) -> pa.Table:
        """What a naive reader gets: every Parquet file below `table/`, no manifest."""
        store = self.store
        if not store.list(table):
            return pa.table({})
        root = store.uri_of(table).removeprefix("s3://")
        dataset = ds.dataset(
            root, filesystem=arrow_filesystem(store), format="parquet", partitioning=PARTITIONING
        )
        flt = None if day is None else ds.field("crawl_date") == day
        return dataset.to_table(filter=flt)

    def committed(self, table: str = "articles", day: date | None = None) -> pa.Table:
        return read_committed(self.store, table, None if day is None else [day])

    def run_records(self) -> list[str]:
        return [e.key for e in self.store.list("_runs")]

    def staging(self) -> list[str]:
        return [e.key for e in self.store.list("_staging")]


@dataclass
class LocalBackend(Backend):
    root: Path

    def __post_init__(self) -> None:
        self.location = str(self.root)
        self.options = None


@dataclass
class S3Backend(Backend):
    server: object
    proxy: object
    bucket: str
    prefix: str = field(default_factory=lambda: f"lake-{uuid.uuid4().hex[:6]}")
    max_attempts: int = 4

    def __post_init__(self) -> None:
        self.location = f"s3://{self.bucket}/{self.prefix}"
        self.options = S3Options(
            endpoint_url=self.proxy.endpoint, max_attempts=self.max_attempts, read_timeout=10
        )

    def upload_dir(self, local: Path, prefix: str) -> str:
        """Copy a local raw folder to s3://bucket/<prefix>/ with boto3; returns the URI."""
        client = self.server.client()
        for path in sorted(p for p in Path(local).rglob("*") if p.is_file()):
            key = f"{prefix}/{path.relative_to(local).as_posix()}"
            client.put_object(Bucket=self.bucket, Key=key, Body=path.read_bytes())
        return f"s3://{self.bucket}/{prefix}"
