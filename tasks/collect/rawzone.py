"""The raw zone as `collect` writes it: WARC files, the seen-URL index, the collection log.

```
RAWROOT/crawl_date=D/newsflow-D-<run>-00000.warc.gz   article responses (+ request records)
RAWROOT/crawl_date=D/_aux/newsflow-aux-D-<run>-00000.warc.gz
                                      everything else fetched: robots.txt, feeds, sitemaps,
                                      homepages, redirect hops, retried and error responses
RAWROOT/crawl_date=D/_collect/<run>.jsonl   one line per URL: fetched / skipped / failed + why
RAWROOT/crawl_date=D/_collect/<run>.summary.json
RAWROOT/_seen/crawl_date=D/<warc file name>.urls   the URLs archived in that WARC file
RAWROOT/_locks/collect-crawl_date=D.lock|.json     one collect per raw root and date
```

RAWROOT is a local folder or `s3://bucket/prefix` (`RawZone`, on `tasks.storage.fs`). A WARC
file is written as `<name>.part` (in the partition folder when local, in a spool folder under
the temp dir for S3) and committed only once complete: its seen-URL list is stored first, then
the file is renamed (local) or uploaded in one PUT (S3: the object is complete or absent).
`tasks.ingest.listing.list_inputs` ignores `.part` files and `_`-folders. On start, `.part`
files left by a crashed run are deleted and seen lists whose WARC file does not exist are
dropped, so the index names exactly the URLs in committed WARC files: nothing is skipped that
is not in the raw zone, and a rerun never archives a URL twice for the same date.

All raw-zone path handling is in this module.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from schemas import partition_name
from tasks.collect.fetch import Fetch
from tasks.normalise.urls import normalise_url
from tasks.storage.errors import LockHeld
from tasks.storage.fs import open_storage
from tasks.storage.options import S3Options
from tasks.storage.uri import split_location

PART = ".part"
SEEN = "_seen"


def partition_location(raw_root: str | Path, crawl_date: date) -> str:
    """The partition of one crawl date, local path or s3:// URI (what `process` reads)."""
    return open_storage(str(raw_root)).uri_of(partition_name(crawl_date))


class RawZone:
    """One crawl date of a raw root (local folder or s3://bucket/prefix), as collect writes it."""

    def __init__(self, raw_root: str | Path, crawl_date: date, s3: S3Options | None = None) -> None:
        self.store = open_storage(str(raw_root), s3)
        self.crawl_date = crawl_date
        self.partition = partition_name(crawl_date)
        self.aux = f"{self.partition}/_aux"
        self.logs = f"{self.partition}/_collect"
        self.seen = f"{SEEN}/{self.partition}"
        # files are written to the store's spool (the raw zone itself on local disk) and
        # published whole; a rerun of the date on this host finds what a crashed run left
        # there (the date's lock guards it)
        self._spool = self.store.spool_dir()

    @property
    def uri(self) -> str:
        return self.store.uri_of(self.partition)

    def folder(self, key: str) -> Path:
        """Where files for `key` are written before they are published (`Storage.spool_dir`)."""
        return self._spool / key

    @contextmanager
    def lock(self, owner: str) -> Iterator[None]:
        """One `collect` per raw root and date at a time (its crash clean-up would hurt
        another); a second one fails at once."""
        with ExitStack() as stack:
            try:
                stack.enter_context(
                    self.store.commit_lock(
                        f"collect-{self.partition}", owner, wait=False, renew=True
                    )
                )
            except LockHeld as error:
                raise RuntimeError(f"another collect is running for {self.uri}: {error}") from error
            yield

    def recover(self) -> list[str]:
        """Delete what a crashed run left: `.part` WARCs and seen lists without their WARC
        file. On S3, a crashed run's log (still in the spool) is uploaded first."""
        removed = []
        for key in (self.partition, self.aux):  # (a missing folder globs to nothing)
            for part in sorted(self.folder(key).glob(f"*{PART}")):
                part.unlink()
                removed.append(str(part))
        # a crashed run's log, unpublished (S3: still in the spool)
        for path in sorted(self.folder(self.logs).glob("*.jsonl")):
            self.store.publish_file(path, f"{self.logs}/{path.name}")
        committed = {entry.key for entry in self.store.list(self.partition)}
        for entry in self.store.list(self.seen):
            name = entry.key.rsplit("/", 1)[-1]
            warc = f"{self.partition}/{name.removesuffix('.urls')}"
            if name.endswith(".tmp") or warc not in committed:
                self.store.delete([entry.key])
                removed.append(self.store.uri_of(entry.key))
        return removed

    def writer(
        self, stem: str, max_bytes: int, warcinfo: dict[str, str], *, aux: bool
    ) -> RollingWarcWriter:
        """Rolling WARC files for the partition (articles: with seen lists) or `_aux/`."""
        limit = self.store.max_put_bytes
        if limit is not None and max_bytes > limit:
            raise ValueError(f"warc_max_bytes must be <= {limit} on {self.store.uri} (one PUT)")
        key = self.aux if aux else self.partition

        def commit(part: Path, urls: list[str]) -> str:
            return self.commit_warc(part, f"{key}/{part.name.removesuffix(PART)}", urls, not aux)

        return RollingWarcWriter(self.folder(key), stem, max_bytes, warcinfo, commit)

    def commit_warc(self, part: Path, key: str, urls: list[str], seen: bool) -> str:
        """Publish a complete `.part` file at `key`: seen list first, so the index never
        misses a committed WARC. Returns the WARC file's location."""
        if seen:
            self.write_seen(key.rsplit("/", 1)[-1], urls)
        self.store.publish_file(part, key)
        return self.store.uri_of(key)

    def write_seen(self, warc_name: str, urls: list[str]) -> None:
        data = "".join(f"{url}\n" for url in urls).encode("utf-8")
        self.store.write_bytes(f"{self.seen}/{warc_name}.urls", data)  # temp + rename / one PUT

    def open_log(self, run_id: str) -> CollectLog:
        name = f"{run_id}.jsonl"
        key = f"{self.logs}/{name}"
        publish = partial(self.store.publish_file, key=key)
        return CollectLog(self.folder(self.logs) / name, self.store.uri_of(key), publish)

    def write_summary(self, run_id: str, summary: dict[str, Any]) -> str:
        key = f"{self.logs}/{run_id}.summary.json"
        self.store.write_json(key, summary)
        return self.store.uri_of(key)


def url_key(url: str) -> int:
    """64-bit key of a URL: the index holds ints, not strings (millions of URLs fit in RAM).

    The URL is normalised by the rule of the articles' canonical_url (tasks.normalise.urls:
    lower-case host, no default port, fragment or tracking parameters), so that the
    collector's "seen" and the processed table's URL identity agree."""
    normal = normalise_url(url) or url.strip()
    return int.from_bytes(hashlib.blake2b(normal.encode("utf-8"), digest_size=8).digest(), "big")


class SeenIndex:
    """URLs already archived in the raw zone, split into this date's and other dates'.

    `window_days` > 0 only loads other dates within that many days of `crawl_date` (memory
    grows with the number of URLs loaded, ~70 bytes each); 0 loads every date.
    """

    def __init__(self, zone: RawZone, window_days: int = 0) -> None:
        self.same_date: set[int] = set()
        self.other_dates: set[int] = set()
        store = zone.store
        for folder in store.list_dirs(SEEN):
            if window_days and folder != zone.partition:
                try:
                    day = date.fromisoformat(folder.removeprefix("crawl_date="))
                except ValueError:
                    continue  # not a date folder of ours
                if abs((day - zone.crawl_date).days) > window_days:
                    continue
            target = self.same_date if folder == zone.partition else self.other_dates
            for entry in store.list(f"{SEEN}/{folder}"):
                if entry.key.endswith(".urls"):
                    lines = store.read_bytes(entry.key).decode("utf-8").splitlines()
                    target.update(url_key(line) for line in lines if line.strip())

    def status(self, url: str, refetch: bool) -> str | None:
        """'seen_today' / 'seen_earlier' when the URL must be skipped, else None."""
        key = url_key(url)
        if key in self.same_date:
            return "seen_today"  # even with --refetch: the raw zone never holds a URL twice a day
        if key in self.other_dates and not refetch:
            return "seen_earlier"
        return None


@dataclass
class RollingWarcWriter:
    """WARC files of bounded size, each written as `.part` and renamed when complete.

    Every record is its own gzip member (so a record's offset can be seeked to, as in Common
    Crawl's files), compressed at level 6: warcio's writer uses level 9, which cost ~11 ms
    per 180 kB page here for ~3 % smaller files. `commit(part, urls)` publishes a complete,
    fsynced `.part` file and returns its location (`RawZone.commit_warc`). Not thread-safe:
    `collect` calls it from one writer thread.
    """

    folder: Path
    stem: str
    max_bytes: int
    warcinfo: dict[str, str]
    commit: Callable[[Path, list[str]], str]
    committed: list[str] = field(default_factory=list, init=False)
    _seq: int = field(default=0, init=False)
    _stream: IO[bytes] | None = field(default=None, init=False)
    _urls: list[str] = field(default_factory=list, init=False)
    _name: str = field(default="", init=False)

    def write(self, exchange: Fetch, urls: list[str] | None = None) -> None:
        """Archive one exchange as a request + response pair; `urls` go to the seen list."""
        if self._stream is None:
            self._open()
        assert self._stream is not None
        request, response = _records(exchange)
        request.rec_headers.add_header(
            "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
        )
        self._write_record(request)
        self._write_record(response)
        self._urls.extend(urls or [exchange.url])
        if self._stream.tell() >= self.max_bytes:
            self.close()

    def close(self) -> None:
        """Commit the open file (if any): fsync, then seen list and rename / upload."""
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        self.committed.append(self.commit(self.folder / (self._name + PART), self._urls))
        self._urls = []

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._name = f"{self.stem}-{self._seq:05d}.warc.gz"
        self._seq += 1
        self._stream = open(self.folder / (self._name + PART), "wb")  # noqa: SIM115
        self._write_record(_BUILDER.create_warcinfo_record(self._name, self.warcinfo))

    def _write_record(self, record: Any) -> None:
        assert self._stream is not None
        plain = io.BytesIO()
        WARCWriter(plain, gzip=False, warc_version=WARC_VERSION).write_record(record)
        member = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        self._stream.write(member.compress(plain.getbuffer()) + member.flush())


WARC_VERSION = "WARC/1.1"  # microsecond WARC-Dates
_BUILDER = WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION)  # builds records


def _records(exchange: Fetch) -> tuple[Any, Any]:
    date = exchange.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = exchange.url.split("/", 3)
    path = "/" + (parts[3] if len(parts) > 3 else "")
    request_headers = StatusAndHeaders(
        f"GET {path} HTTP/1.1", exchange.request_headers, is_http_request=True
    )
    request = _BUILDER.create_warc_record(
        exchange.url, "request", http_headers=request_headers, warc_headers_dict={"WARC-Date": date}
    )
    # The body is stored de-chunked (aiohttp undoes chunking): the header is renamed the way
    # Common Crawl does, so readers do not try to de-chunk it again.
    headers = [
        ("X-Crawler-Transfer-Encoding", v) if k.lower() == "transfer-encoding" else (k, v)
        for k, v in exchange.headers
    ]
    http_headers = StatusAndHeaders(
        f"{exchange.status} {exchange.reason}".strip(), headers, protocol=exchange.protocol
    )
    warc_headers = {"WARC-Date": date}
    if exchange.peer_ip:
        warc_headers["WARC-IP-Address"] = exchange.peer_ip
    response = _BUILDER.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )
    return request, response


class CollectLog:
    """JSON lines, one per URL outcome, flushed as it goes (a crash keeps what was logged).

    Written to a local file (on S3: in the spool, uploaded by `publish` on close, or by the
    next run's `RawZone.recover` after a crash); `location` is where it ends up.
    """

    def __init__(
        self, path: Path, location: str, publish: Callable[[Path], None] | None = None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.location = location
        self._publish = publish
        self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, entry: dict[str, Any]) -> None:
        self._out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self._out.flush()

    def close(self) -> None:
        self._out.close()
        if self._publish is not None:
            self._publish(self.path)


def read_log(location: str | Path, s3: S3Options | None = None) -> list[dict[str, Any]]:
    """The entries of a collect log, from a local path or an s3:// URI."""
    folder, name = split_location(location)
    data = open_storage(folder, s3).read_bytes(name)
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
