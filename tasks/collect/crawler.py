"""`collect`: fetch the day's news politely into the raw zone as WARC (no Prefect inside).

    sources (TOML) -> homepages -> feeds + sitemaps (indexes followed) + URL lists
      -> article-like URLs (courlan) -> minus URLs already in the raw zone (seen index)
      -> polite fetches (tasks.collect.fetch)
      -> WARC files + a log line per URL (tasks.collect.rawzone)

`run_collect(config)` is the one entry point: the CLI and the Prefect flow call it. It returns
a summary dict (also written next to the log) and never raises for a bad URL or server: those
end as log lines with a reason. Config format: docs/collect.md, infra/sources.example.toml.
"""

from __future__ import annotations

import asyncio
import time
import tomllib
import typing
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from protego import Protego
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from tasks.collect import discover
from tasks.collect.fetch import (
    ANY_TYPE,
    HTML_TYPES,
    Fetch,
    Fetcher,
    FetchResult,
    FetchSettings,
    host_key,
)
from tasks.collect.rawzone import RawZone, RollingWarcWriter, SeenIndex
from tasks.errors import safe_error_text
from tasks.records import new_run_id
from tasks.storage.options import S3Options

__all__ = ["CollectConfig", "Sources", "load_config", "run_collect"]

_T = TypeVar("_T")

Progress = Callable[[int, int], None]  # (article URLs done, article URLs to fetch)


@dataclass(slots=True)
class Sources:
    url_lists: list[str] = field(default_factory=list)  # files, one URL per line ('#' comments)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    homepages: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CollectConfig:
    sources: Sources
    crawl_date: date
    raw_root: str
    fetch: FetchSettings = field(default_factory=FetchSettings)
    refetch: bool = False  # fetch URLs archived on other dates again
    respect_robots: bool = True
    max_urls: int = 0  # article URLs fetched per run, 0: no limit
    max_sitemap_depth: int = 3  # index -> sitemap -> ... levels followed
    max_sitemaps: int = 1000
    warc_max_bytes: int = 1_000_000_000  # a WARC file is closed once past this size
    seen_window_days: int = 0  # other dates' seen URLs loaded: within N days; 0 = all
    run_id: str = ""
    # raw_root may be s3://bucket/prefix; None: NEWSFLOW_S3_* and the AWS chain
    s3: S3Options | None = None


def load_config(
    path: str | Path, crawl_date: date, raw_root: str | Path, refetch: bool = False
) -> CollectConfig:
    """Read a sources TOML file (see infra/sources.example.toml). Raises ValueError naming
    the file, the table and the key when it is invalid."""
    path = Path(path)
    with open(path, "rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not valid TOML: {error}") from error
    data = dict(data)
    tables = {name: data.pop(name, {}) for name in ("sources", "fetch", "collect")}
    if data:
        raise ValueError(f"{path}: unknown table(s) {sorted(data)}")
    sources = _validated(Sources, tables["sources"], f"{path} [sources]")
    # URL list files are relative to the config file
    sources.url_lists = [str((path.parent / p).resolve()) for p in sources.url_lists]
    settings = _validated(FetchSettings, tables["fetch"], f"{path} [fetch]")
    options = _table_model(CollectConfig, _NOT_CONFIG_KEYS)
    return CollectConfig(
        sources=sources,
        crawl_date=crawl_date,
        raw_root=str(raw_root),
        fetch=settings,
        refetch=refetch,
        **_checked(options, tables["collect"], f"{path} [collect]"),
    )


# CollectConfig fields set by the run, never by the sources file
_NOT_CONFIG_KEYS = frozenset(
    {"sources", "crawl_date", "raw_root", "fetch", "refetch", "run_id", "s3"}
)


def _table_model(cls: type, exclude: frozenset[str] = frozenset()) -> type[BaseModel]:
    """A strict pydantic model of the dataclass `cls`'s fields (its one source of truth):
    TOML values are typed, so `concurrency = "16"` is a mistake to report, not to guess.
    Tuples are TOML arrays (lists)."""
    hints = typing.get_type_hints(cls)
    table: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in exclude:
            continue
        hint = hints[f.name]
        if typing.get_origin(hint) is tuple:
            hint = list[typing.get_args(hint)[0]]  # type: ignore[misc]
        table[f.name] = (hint, None)
    return create_model(
        f"{cls.__name__}Table",
        __config__=ConfigDict(extra="forbid", strict=True),
        **table,
    )


def _checked(model: type[BaseModel], table: dict[str, Any], where: str) -> dict[str, Any]:
    """The keys of `table` that were given, validated; ValueError names each bad key."""
    try:
        return model.model_validate(table).model_dump(exclude_unset=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: "
            + ("unknown key" if e["type"] == "extra_forbidden" else e["msg"])
            for e in error.errors()
        )
        raise ValueError(f"{where}: {problems}") from None


def _validated(cls: type[_T], table: dict[str, Any], where: str) -> _T:
    """A `cls` from its TOML table: types checked by the model, ranges by `cls` itself."""
    values = _checked(_table_model(cls), table, where)
    try:
        return cls(**values)
    except ValueError as error:  # the dataclass's own checks (ranges, IP networks)
        raise ValueError(f"{where}: {error}") from None


def run_collect(config: CollectConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Collect one crawl date into `config.raw_root`; returns the summary."""
    if not config.run_id:
        config.run_id = new_run_id(config.crawl_date)
    zone = RawZone(config.raw_root, config.crawl_date, config.s3)
    with zone.lock(config.run_id):
        recovered = zone.recover()
        return asyncio.run(_Collector(config, zone, progress, recovered).run())


class _Robots:
    """robots.txt per host, fetched once (through the same gate) and cached for the run.

    2xx: parsed by protego (RFC 9309, with its `*` and `$` wildcards, which the stdlib's
    urllib.robotparser ignores), Crawl-delay applied; 4xx (not 429): no rules, everything
    allowed (RFC 9309);
    5xx, 429 after retries, timeouts, connection errors: the host is treated as fully
    disallowed for this run (RFC 9309 "unreachable"), its URLs fail with robots_unavailable.
    A host the SSRF guard refuses or DNS does not know fails its URLs with that reason.
    """

    def __init__(self, collector: _Collector) -> None:
        self._collector = collector
        self._rules: dict[str, Protego | str | None] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        agent = collector.config.fetch.user_agent
        self.agent = agent.split("/", 1)[0].split()[0] if agent.strip() else "*"

    async def refusal(self, url: str) -> str | None:
        if not self._collector.config.respect_robots:
            return None
        key = host_key(url)
        async with self._locks[key]:
            if key not in self._rules:
                self._rules[key] = await self._load(url)
        rules = self._rules[key]
        if isinstance(rules, str):
            return rules  # robots_unavailable, ssrf_refused or dns_error
        if isinstance(rules, Protego) and not rules.can_fetch(url, self.agent):
            return "robots_disallowed"
        return None

    def sitemaps(self, url: str) -> list[str]:
        rules = self._rules.get(host_key(url))
        if isinstance(rules, Protego):
            return list(rules.sitemaps)
        return []

    async def _load(self, url: str) -> Protego | str | None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        result = await self._collector.fetch_aux(robots_url, "robots", accept=ANY_TYPE)
        final = result.final
        if result.ok and final is not None:
            text = discover.body_text(
                final.body, final.header("Content-Encoding"), self._collector.limit
            )
            parser = Protego.parse(text)
            self._collector.fetcher.set_crawl_delay(url, parser.crawl_delay(self.agent))
            return parser
        if result.reason in ("ssrf_refused", "dns_error"):
            return result.reason  # the host itself is refused or does not exist
        if final is not None and 400 <= final.status < 500 and final.status != 429:
            return None
        return "robots_unavailable"


class _Collector:
    def __init__(
        self,
        config: CollectConfig,
        zone: RawZone,
        progress: Progress | None,
        recovered: list[str],
    ):
        self.config = config
        self.zone = zone
        self.progress = progress
        self.recovered = recovered
        self.limit = config.fetch.max_body_bytes
        self.fetcher = Fetcher(config.fetch)
        self.robots = _Robots(self)
        self.outcomes: Counter[str] = Counter()  # "fetched", "skipped/<why>", "failed/<why>"
        self.discovery: Counter[str] = Counter()
        # homepages, feeds, sitemaps that failed: "<reason>/<kind>" (the terminal
        # says why nothing was found, e.g. every source refused by the SSRF guard)
        self.source_failures: Counter[str] = Counter()
        self.bytes = 0
        self.articles_fetched = 0
        day, run = config.crawl_date.isoformat(), config.run_id
        info = {
            "software": "newsflow collect",
            "operator-user-agent": config.fetch.user_agent,
            "robots": "obey" if config.respect_robots else "ignore",
            "crawl-date": day,
            "run-id": run,
        }
        stamp = run.split("_", 1)[-1]
        size = config.warc_max_bytes
        self.articles = zone.writer(f"newsflow-{day}-{stamp}", size, info, aux=False)
        self.aux = zone.writer(f"newsflow-aux-{day}-{stamp}", size, info, aux=True)
        self.log = zone.open_log(run)
        # WARC writing (gzip, digests) is CPU work: one thread does it in order, off the event
        # loop (zlib and hashlib release the GIL), so fetching goes on meanwhile.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-writer")

    # ------------------------------------------------------------------ the run

    async def run(self) -> dict[str, Any]:
        started = time.monotonic()
        try:
            async with self.fetcher:
                candidates = await self._discover()
                to_fetch = self._select(candidates)
                done = 0

                async def fetch_one(url: str) -> None:
                    nonlocal done
                    await self._fetch_article(url)
                    done += 1
                    if self.progress:
                        self.progress(done, len(to_fetch))

                if self.progress:
                    self.progress(0, len(to_fetch))
                await _by_host(to_fetch, fetch_one, self.config.fetch.per_host_concurrency)
        finally:
            # after every queued write (one thread, in order)
            self._writer.submit(self.articles.close).result()
            self._writer.submit(self.aux.close).result()
            self._writer.shutdown()
            self.log.close()
        return self._summary(time.monotonic() - started, len(candidates), len(to_fetch))

    async def _discover(self) -> list[str]:
        """Every candidate article URL, in source order, before filtering."""
        sources = self.config.sources
        found: list[str] = []
        for list_file in sources.url_lists:
            found.extend(self._read_url_list(list_file))

        feeds = list(sources.feeds)
        sitemaps = list(sources.sitemaps)

        async def homepage(url: str) -> None:
            result = await self.fetch_aux(url, "homepage", accept=HTML_TYPES)
            if result.ok and result.final is not None:
                announced = discover.homepage_feeds(result.final_url or url, self._text(result))
                self.discovery["feeds_from_homepages"] += len(announced)
                feeds.extend(announced)
                if not announced:  # no feed: the sitemaps robots.txt lists
                    listed = self.robots.sitemaps(url)
                    self.discovery["sitemaps_from_robots"] += len(listed)
                    sitemaps.extend(listed)

        await _by_host(discover.unique(sources.homepages), homepage, 1)

        async def feed(url: str) -> None:
            result = await self.fetch_aux(url, "feed", accept=ANY_TYPE)
            if result.ok:
                links = discover.feed_links(result.final_url or url, self._text(result))
                self.discovery["links_from_feeds"] += len(links)
                found.extend(links)

        await _by_host(discover.unique(feeds), feed, 1)

        visited: set[str] = set()
        level = discover.unique(sitemaps)
        for _depth in range(self.config.max_sitemap_depth + 1):
            level = [u for u in level if u not in visited][
                : max(0, self.config.max_sitemaps - len(visited))
            ]
            if not level:
                break
            visited.update(level)
            nested: list[str] = []

            async def sitemap(url: str, nested: list[str] = nested) -> None:
                result = await self.fetch_aux(url, "sitemap", accept=ANY_TYPE)
                if result.ok:
                    pages, children = discover.sitemap_links(
                        result.final_url or url, self._text(result)
                    )
                    self.discovery["links_from_sitemaps"] += len(pages)
                    found.extend(pages)
                    nested.extend(children)

            await _by_host(level, sitemap, 1)
            level = discover.unique(nested)
        self.discovery["sitemaps_not_followed"] += len([u for u in level if u not in visited])
        return found

    def _read_url_list(self, path: str) -> list[str]:
        try:
            with open(path, encoding="utf-8") as lines:
                urls = [line.strip() for line in lines]
        except (OSError, UnicodeDecodeError) as error:
            self._log(path, "url_list", "failed", "unreadable_list", detail=safe_error_text(error))
            return []
        urls = [u for u in urls if u and not u.startswith("#")]
        self.discovery["links_from_url_lists"] += len(urls)
        return urls

    def _select(self, candidates: list[str]) -> list[str]:
        """Article-like, not yet archived, within max_urls. Every other candidate is logged.

        A URL the SSRF guard refuses outright (an IP literal in any spelling, a localhost
        name) is kept for the fetcher, which fails it as `ssrf_refused` before connecting:
        courlan drops IP hosts as "not article-like", which would hide the attempt.
        """
        config = self.config
        seen = SeenIndex(self.zone, config.seen_window_days)
        selected: dict[str, None] = {}
        refused: dict[str, None] = {}
        for raw_url in candidates:
            if self.fetcher.refusal(raw_url) is not None:
                if raw_url in refused:
                    self.discovery["duplicates_in_run"] += 1
                refused[raw_url] = None
                continue
            url = discover.article_url(raw_url)
            if url is None:
                self._log(raw_url, "article", "skipped", "not_article_like")
                continue
            if url in selected:
                self.discovery["duplicates_in_run"] += 1
                continue
            why = seen.status(url, self.config.refetch)
            if why is not None:
                self._log(url, "article", "skipped", why)
                continue
            if self.config.max_urls and len(selected) >= self.config.max_urls:
                self._log(url, "article", "skipped", "over_max_urls")
                continue
            selected[url] = None
        return [*selected, *refused]

    # ------------------------------------------------------------------ fetching

    async def fetch_aux(self, url: str, kind: str, accept: tuple[str, ...]) -> FetchResult:
        """Fetch a non-article (robots.txt, feed, sitemap, homepage): all of it to _aux."""
        allowed = None if kind == "robots" else self.robots.refusal
        result = await self.fetcher.fetch(url, accept=accept, allowed=allowed)
        for exchange in result.exchanges:
            if exchange.complete:
                await self._archive(self.aux, exchange)
        self.discovery[f"{kind}_{'fetched' if result.ok else 'failed'}"] += 1
        if not result.ok and kind != "robots":  # robots.txt outcomes show on its host's URLs
            self.source_failures[f"{result.reason}/{kind}"] += 1
        self._log_result(result, kind)
        return result

    async def _fetch_article(self, url: str) -> None:
        try:
            result = await self.fetcher.fetch(url, accept=HTML_TYPES, allowed=self.robots.refusal)
        except Exception as error:  # noqa: BLE001 - a bug must cost one URL, not the run
            detail = safe_error_text(error)  # never an HTTP client's text (tasks/errors.py)
            self._log(url, "article", "failed", "collect_error", detail=detail)
            return
        for exchange in result.exchanges:
            if not exchange.complete:
                continue
            if result.ok and exchange is result.final:
                await self._archive(self.articles, exchange, discover.unique([url, exchange.url]))
            else:  # hops, retried attempts, error pages: archived, but not as articles
                await self._archive(self.aux, exchange)
        if result.ok:
            self.articles_fetched += 1
        self._log_result(result, "article")

    async def _archive(
        self, writer: RollingWarcWriter, exchange: Fetch, urls: list[str] | None = None
    ) -> None:
        self.bytes += len(exchange.body)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, writer.write, exchange, urls)

    def _text(self, result: FetchResult) -> str:
        final = result.final
        assert final is not None
        return discover.body_text(final.body, final.header("Content-Encoding"), self.limit)

    # ------------------------------------------------------------------ accounting

    def _log_result(self, result: FetchResult, kind: str) -> None:
        final = result.final
        self._log(
            result.url,
            kind,
            "fetched" if result.ok else "failed",
            result.reason,
            detail=result.detail if not result.ok else "",
            final_url=result.final_url,
            status=final.status if final else None,
            fetched_at=final.started_at.isoformat() if final else None,
            bytes=len(final.body) if final else 0,
            attempts=len(result.exchanges),
        )

    def _log(self, url: str, kind: str, outcome: str, reason: str | None, **extra: Any) -> None:
        if kind == "article":
            self.outcomes[outcome if reason is None else f"{outcome}/{reason}"] += 1
        self.log.write({"url": url, "kind": kind, "outcome": outcome, "reason": reason, **extra})

    def _summary(self, elapsed: float, candidates: int, to_fetch: int) -> dict[str, Any]:
        config = self.config
        fetched = self.outcomes.get("fetched", 0)
        by: defaultdict[str, dict[str, int]] = defaultdict(dict)
        for name, count in sorted(self.outcomes.items()):
            if "/" in name:
                outcome, reason = name.split("/", 1)
                by[outcome][reason] = count
        summary = {
            "run_id": config.run_id,
            "crawl_date": config.crawl_date.isoformat(),
            "raw_root": str(config.raw_root),
            "candidates": candidates,
            "to_fetch": to_fetch,
            "fetched": fetched,
            "skipped": dict(by["skipped"]),
            "failed": dict(by["failed"]),
            "discovery": dict(sorted(self.discovery.items())),
            "source_failures": dict(sorted(self.source_failures.items())),
            "requests": self.fetcher.requests,
            "bytes": self.bytes,
            "elapsed_s": round(elapsed, 3),
            "requests_per_s": round(self.fetcher.requests / max(elapsed, 1e-9), 2),
            "pages_per_s": round(fetched / max(elapsed, 1e-9), 2),
            "warc_files": list(self.articles.committed),
            "aux_warc_files": list(self.aux.committed),
            "log": self.log.location,
            "recovered_from_crash": self.recovered,
            "config": {
                "fetch": {k: v for k, v in asdict(config.fetch).items() if k != "resolve"},
                "refetch": config.refetch,
                "respect_robots": config.respect_robots,
                "max_urls": config.max_urls,
            },
        }
        # every article URL that was selected ends fetched or failed: the accounting closes
        ended = fetched + sum(by["failed"].values())
        summary["accounted"] = ended == to_fetch
        summary["summary_file"] = self.zone.write_summary(config.run_id, summary)
        return summary


async def _by_host(
    urls: Iterable[str], handle: Callable[[str], Awaitable[None]], per_host: int
) -> None:
    """Run `handle` over `urls` with `per_host` workers per host, all hosts at once.

    One worker coroutine per host (not per URL): a million URLs do not become a million
    coroutines. The Fetcher's gates and global semaphore do the actual limiting.
    """
    queues: defaultdict[str, deque[str]] = defaultdict(deque)
    for url in urls:
        queues[host_key(url)].append(url)

    async def drain(queue: deque[str]) -> None:
        while queue:
            await handle(queue.popleft())

    await asyncio.gather(*(drain(q) for q in queues.values() for _ in range(per_host)))
