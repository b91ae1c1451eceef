"""The raw zone as `collect` writes it: WARC files, the seen-URL index, the collection log.

```
RAWROOT/crawl_date=D/newsflow-D-<run>-00000.warc.gz   article responses (+ request records)
RAWROOT/crawl_date=D/_aux/newsflow-aux-D-<run>-00000.warc.gz
                                      everything else fetched: robots.txt, feeds, sitemaps,
                                      homepages, redirect hops, retried and error responses
RAWROOT/crawl_date=D/_collect/<run>.jsonl   one line per URL: fetched / skipped / failed + why
RAWROOT/crawl_date=D/_collect/<run>.summary.json
RAWROOT/_seen/crawl_date=D/<warc file name>.urls   the URLs archived in that WARC file
```

Crash safety: a WARC file is written as `<name>.part` and renamed to `<name>` only once it is
complete and fsynced (`tasks.load.list_inputs` ignores `.part` files, and `_`-folders), and its
seen-URL list is written (temp + rename) *before* that rename. On start, `.part` files left by a
crashed run are deleted and seen lists whose WARC file does not exist are dropped, so the
index names exactly the URLs in committed WARC files: nothing is skipped that is not in the raw
zone, and a rerun never archives a URL twice for the same date.

All path handling is in this module (`partition_dir`, `seen_dir`, ...): the S3 raw zone will
replace these few functions.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.fetch import Fetch

__all__ = [
    "CollectLog",
    "RollingWarcWriter",
    "SeenIndex",
    "collect_lock",
    "log_dir",
    "partition_dir",
    "seen_dir",
]

PART = ".part"


def partition_dir(raw_root: str | Path, crawl_date: date) -> Path:
    return Path(raw_root) / f"crawl_date={crawl_date.isoformat()}"


def aux_dir(raw_root: str | Path, crawl_date: date) -> Path:
    return partition_dir(raw_root, crawl_date) / "_aux"


def log_dir(raw_root: str | Path, crawl_date: date) -> Path:
    return partition_dir(raw_root, crawl_date) / "_collect"


def seen_dir(raw_root: str | Path, crawl_date: date | None = None) -> Path:
    root = Path(raw_root) / "_seen"
    return root if crawl_date is None else root / f"crawl_date={crawl_date.isoformat()}"


@contextmanager
def collect_lock(raw_root: str | Path, crawl_date: date) -> Iterator[None]:
    """One `collect` per raw root and date at a time (its crash clean-up would hurt another)."""
    folder = partition_dir(raw_root, crawl_date)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "_collect.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise RuntimeError(f"another collect is running for {folder}") from error
        yield


def recover(raw_root: str | Path, crawl_date: date) -> list[str]:
    """Delete what a crashed run left: `.part` WARCs and seen lists without their WARC file."""
    removed = []
    for folder in (partition_dir(raw_root, crawl_date), aux_dir(raw_root, crawl_date)):
        if folder.is_dir():
            for part in sorted(folder.glob(f"*{PART}")):
                part.unlink()
                removed.append(str(part))
    seen = seen_dir(raw_root, crawl_date)
    if seen.is_dir():
        committed = partition_dir(raw_root, crawl_date)
        for listing in sorted(seen.iterdir()):
            warc_name = listing.name.removesuffix(".urls")
            if listing.name.endswith(".tmp") or not (committed / warc_name).exists():
                listing.unlink()
                removed.append(str(listing))
    return removed


def url_key(url: str) -> int:
    """64-bit key of a URL: the index holds ints, not strings (millions of URLs fit in RAM)."""
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest(), "big")


class SeenIndex:
    """URLs already archived in the raw zone, split into this date's and other dates'.

    `window_days` > 0 only loads other dates within that many days of `crawl_date` (memory
    grows with the number of URLs loaded, ~70 bytes each); 0 loads every date.
    """

    def __init__(self, raw_root: str | Path, crawl_date: date, window_days: int = 0) -> None:
        self.same_date: set[int] = set()
        self.other_dates: set[int] = set()
        root = seen_dir(raw_root)
        if not root.is_dir():
            return
        this_date = seen_dir(raw_root, crawl_date).name
        for folder in sorted(root.iterdir()):
            if window_days and folder.name != this_date:
                try:
                    day = date.fromisoformat(folder.name.removeprefix("crawl_date="))
                except ValueError:
                    continue  # not a date folder of ours
                if abs((day - crawl_date).days) > window_days:
                    continue
            target = self.same_date if folder.name == this_date else self.other_dates
            for listing in sorted(folder.glob("*.urls")):
                with open(listing, encoding="utf-8") as lines:
                    target.update(url_key(line.rstrip("\n")) for line in lines if line.strip())

    def status(self, url: str, refetch: bool) -> str | None:
        """'seen_today' / 'seen_earlier' when the URL must be skipped, else None."""
        key = url_key(url)
        if key in self.same_date:
            return "seen_today"  # even with --refetch: the raw zone never holds a URL twice a day
        if key in self.other_dates and not refetch:
            return "seen_earlier"
        return None

    def add(self, urls: Iterable[str]) -> None:
        self.same_date.update(url_key(url) for url in urls)


class RollingWarcWriter:
    """WARC files of bounded size, each written as `.part` and renamed when complete.

    Every record is its own gzip member (so a record's offset can be seeked to, as in Common
    Crawl's files), compressed at level 6: warcio's writer uses level 9, which cost ~11 ms
    per 180 kB page here for ~3 % smaller files. `on_commit(path, urls)` runs before the
    rename (the seen lists are written there). Not thread-safe: `collect` calls it from one
    writer thread.
    """

    def __init__(
        self,
        folder: Path,
        stem: str,
        max_bytes: int,
        warcinfo: dict[str, str],
        on_commit: Callable[[Path, list[str]], None] | None = None,
    ) -> None:
        self.folder = folder
        self.stem = stem
        self.max_bytes = max_bytes
        self.warcinfo = warcinfo
        self.on_commit = on_commit
        self.committed: list[Path] = []
        self._seq = 0
        self._stream: IO[bytes] | None = None
        self._urls: list[str] = []
        self._name = ""

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
        """Commit the open file (if any): fsync, seen list, rename."""
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()
        final = self.folder / self._name
        if self.on_commit is not None:
            self.on_commit(final, self._urls)
        os.replace(final.with_name(final.name + PART), final)
        _fsync_dir(self.folder)
        self.committed.append(final)
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
    writer = _BUILDER
    date = exchange.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = exchange.url.split("/", 3)
    path = "/" + (parts[3] if len(parts) > 3 else "")
    request_headers = StatusAndHeaders(
        f"GET {path} HTTP/1.1", exchange.request_headers, is_http_request=True
    )
    request = writer.create_warc_record(
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
    response = writer.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )
    return request, response


def write_seen_list(raw_root: str | Path, crawl_date: date, warc: Path, urls: list[str]) -> None:
    folder = seen_dir(raw_root, crawl_date)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{warc.name}.urls"
    temp = target.with_name(target.name + ".tmp")
    with open(temp, "w", encoding="utf-8") as out:
        out.writelines(f"{url}\n" for url in urls)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, target)


class CollectLog:
    """JSON lines, one per URL outcome, flushed as it goes (a crash keeps what was logged)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, entry: dict[str, Any]) -> None:
        self._out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self._out.flush()

    def close(self) -> None:
        self._out.close()


def read_log(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
