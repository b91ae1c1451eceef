"""Polite, guarded HTTP fetching for `collect` (asyncio + aiohttp).

What a crawler owes the sites it visits, and what it owes the machine it runs on:

- **Politeness per host** (`host:port`): at most `per_host_concurrency` requests at a time
  (1 by default) and at least `min_host_delay` seconds (or the robots.txt Crawl-delay, capped at
  `max_crawl_delay`) between the end of one response and the start of the next request. A 429
  or 503 with Retry-After pushes the whole host back, not just the one URL.
- **Global concurrency**: at most `concurrency` requests in flight over all hosts, so one
  slow site never serialises the crawl.
- **Bounded work per URL**: connect/read timeouts, a total time per request, `max_retries`
  retries with exponential backoff (or Retry-After, up to `max_retry_after`) for 429, 5xx and
  network errors, `max_redirects` hops followed here (never by the client) so every hop is
  checked, `max_body_bytes` read from the stream and then stopped, a Content-Type check before
  the body is read.
- **SSRF guard**: a URL whose host is, or resolves to, a loopback, private, link-local,
  multicast or reserved address is refused before any connection is made, unless an
  allow-list (`allow_private`) names the address or its network. Names are checked inside the
  resolver aiohttp connects with (`GuardedResolver`), so the addresses checked are the
  addresses connected to (no DNS-rebinding window); IP literals are checked before the request.

Every outcome is a `Fetch` (one per hop and attempt, for the WARC) grouped in a `FetchResult`
with a `reason` when the URL failed; nothing here raises for a bad URL or a bad server.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

__all__ = [
    "Fetch",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "GuardedResolver",
    "SSRFRefused",
    "host_key",
]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Feeds, sitemaps and robots.txt come in many types (and often a wrong one): not checked.
ANY_TYPE: tuple[str, ...] = ()
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(slots=True)
class FetchSettings:
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    concurrency: int = 16  # requests in flight over all hosts
    per_host_concurrency: int = 1
    min_host_delay: float = 1.0  # seconds between requests to one host
    max_crawl_delay: float = 30.0  # a robots.txt Crawl-delay above this is capped
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # between two reads of the socket
    total_timeout: float = 60.0  # one request: connect, headers and body
    max_body_bytes: int = 10 * 2**20
    max_redirects: int = 5
    max_retries: int = 3  # after the first attempt
    backoff_base: float = 1.0  # 1, 2, 4 ... seconds when no Retry-After is given
    max_retry_after: float = 120.0  # a longer Retry-After fails the URL (rate_limited)
    allow_private: tuple[str, ...] = ()  # IPs or CIDR networks exempt from the SSRF guard
    resolve: dict[str, str] = field(default_factory=dict)  # host -> IP, like curl --resolve

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.per_host_concurrency < 1:
            raise ValueError("concurrency and per_host_concurrency must be >= 1")
        for name in ("min_host_delay", "max_crawl_delay", "backoff_base", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        if self.max_body_bytes < 1 or self.max_redirects < 0 or self.max_retries < 0:
            raise ValueError("max_body_bytes must be >= 1, max_redirects/max_retries >= 0")
        # fail on a typo in the allow-list now, not on the first refused URL
        self.allow_private = tuple(
            str(ipaddress.ip_network(a, strict=False)) for a in self.allow_private
        )
        for ip in self.resolve.values():
            ipaddress.ip_address(ip)


@dataclass(slots=True)
class Fetch:
    """One HTTP exchange that produced a response (a hop, a retried attempt or the final one)."""

    url: str
    started_at: datetime  # when the request was sent (UTC): the WARC-Date
    status: int
    reason: str
    headers: list[tuple[str, str]]  # response headers as received, in order
    request_headers: list[tuple[str, str]]
    body: bytes  # as transferred (still content-encoded); empty when not read
    complete: bool  # the whole body was read
    peer_ip: str | None = None
    elapsed: float = 0.0
    protocol: str = "HTTP/1.1"  # of the response status line

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass(slots=True)
class FetchResult:
    """Everything that happened for one requested URL."""

    url: str
    exchanges: list[Fetch] = field(default_factory=list)
    final_url: str | None = None
    reason: str | None = None  # None: success; else e.g. "timeout", "http_404", "ssrf_refused"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def final(self) -> Fetch | None:
        return self.exchanges[-1] if self.exchanges else None


class SSRFRefused(OSError):
    """The host resolves only to addresses the SSRF guard refuses."""


class _Failed(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail or reason


def host_key(url: str) -> str:
    """The politeness unit: host:port (so two ports of one address are two sites)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # an invalid port: the fetch fails it as bad_url
        return "invalid:0"
    return f"{(parts.hostname or '').lower()}:{port}"


class AddressPolicy:
    """Which resolved addresses may be connected to."""

    def __init__(self, allow: Iterable[str]) -> None:
        self._allow = [ipaddress.ip_network(a, strict=False) for a in allow]

    def permits(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self._allow):
            return True
        return ip.is_global and not ip.is_multicast


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that drops refused addresses (and applies `resolve` overrides).

    Raising an OSError subclass makes aiohttp report a connector error without connecting.
    """

    def __init__(self, policy: AddressPolicy, overrides: dict[str, str]) -> None:
        self._policy = policy
        self._overrides = {host.lower(): ip for host, ip in overrides.items()}
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        override = self._overrides.get(host.lower())
        if override is not None:
            ip = ipaddress.ip_address(override)
            found: list[ResolveResult] = [
                {
                    "hostname": host,
                    "host": override,
                    "port": port,
                    "family": socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            ]
        else:
            found = await self._inner.resolve(host, port, family)
        allowed = [entry for entry in found if self._policy.permits(entry["host"])]
        if not allowed:
            addresses = ", ".join(sorted({entry["host"] for entry in found}))
            raise SSRFRefused(f"{host} resolves to refused address(es) {addresses}")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


class HostGate:
    """Per-host politeness: a bounded number of requests at a time and a delay between them."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self.delay = delay
        self.not_before = 0.0  # monotonic time before which no request may start
        self.last_end = 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            while (wait := self.not_before - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                # measured from the end of this exchange: the server sees the gap it is owed
                self.last_end = time.monotonic()
                self.not_before = max(self.not_before, self.last_end + self.delay)

    def set_delay(self, delay: float) -> None:
        self.delay = delay
        self.not_before = max(self.not_before, self.last_end + delay)

    def back_off(self, seconds: float) -> None:
        self.not_before = max(self.not_before, time.monotonic() + seconds)


class Fetcher:
    """One aiohttp session with the guard, the per-host gates and the global limit.

    Use as `async with Fetcher(settings) as fetcher: await fetcher.fetch(url)`.
    """

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._policy = AddressPolicy(settings.allow_private)
        self._global = asyncio.Semaphore(settings.concurrency)
        self._gates: dict[str, HostGate] = {}
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # HTTP requests sent (all attempts and hops)

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self._policy, s.resolve),
            limit=s.concurrency,
            limit_per_host=s.per_host_concurrency,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            # Bodies are archived as transferred (Content-Encoding kept); tasks.load decodes.
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(
                total=s.total_timeout, sock_connect=s.connect_timeout, sock_read=s.read_timeout
            ),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def gate(self, url: str) -> HostGate:
        key = host_key(url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = HostGate(
                self.settings.per_host_concurrency, self.settings.min_host_delay
            )
        return gate

    def set_crawl_delay(self, url: str, crawl_delay: float | None) -> None:
        """Apply a robots.txt Crawl-delay (capped) on top of the minimum delay."""
        if crawl_delay:
            capped = min(float(crawl_delay), self.settings.max_crawl_delay)
            self.gate(url).set_delay(max(self.settings.min_host_delay, capped))

    async def fetch(
        self,
        url: str,
        accept: tuple[str, ...] = HTML_TYPES,
        allowed: Callable[[str], Awaitable[str | None]] | None = None,
        max_redirects: int | None = None,
    ) -> FetchResult:
        """Fetch `url`, following redirects; never raises for network or HTTP trouble.

        `accept`: Content-Types whose body is read (empty: any). `allowed`: an async callable
        url -> reason or None, asked before every hop (robots.txt); a reason fails the URL.
        """
        result = FetchResult(url=url)
        hops = self.settings.max_redirects if max_redirects is None else max_redirects
        current = url
        visited: set[str] = set()
        try:
            for _ in range(hops + 1):
                self._check_url(current)
                if allowed is not None and (refusal := await allowed(current)):
                    raise _Failed(refusal, f"{refusal}: {current}")
                visited.add(current)
                exchange = await self._fetch_with_retries(current, accept, result)
                location = exchange.header("Location")
                if exchange.status in REDIRECT_STATUSES and location:
                    current = urljoin(current, location.strip())
                    if current in visited:
                        raise _Failed("redirect_loop", f"redirect loop back to {current}")
                    continue
                result.final_url = current
                if not 200 <= exchange.status < 300:
                    raise _Failed(f"http_{exchange.status}", f"HTTP {exchange.status}")
                return result
            raise _Failed("too_many_redirects", f"more than {hops} redirects")
        except _Failed as failed:
            result.reason, result.detail = failed.reason, failed.detail
        return result

    def _check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for an invalid port
        except ValueError as error:
            raise _Failed("bad_url", f"{error}: {url[:200]}") from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Failed("bad_url", f"not an http(s) URL: {url[:200]}")
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return  # a name: checked by GuardedResolver on the addresses it resolves to
        if not self._policy.permits(str(literal)):
            raise _Failed("ssrf_refused", f"refused address {literal}")

    async def _fetch_with_retries(
        self, url: str, accept: tuple[str, ...], result: FetchResult
    ) -> Fetch:
        s = self.settings
        gate = self.gate(url)
        for attempt in range(s.max_retries + 1):
            last = attempt == s.max_retries
            try:
                async with gate.slot(), self._global:
                    exchange = await self._exchange(url, accept)
            except _Failed as failed:
                if failed.reason not in ("timeout", "connection_error") or last:
                    raise
                gate.back_off(s.backoff_base * 2**attempt)
                continue
            result.exchanges.append(exchange)
            if exchange.status not in RETRY_STATUSES or last:
                return exchange
            wait = _retry_after(exchange.header("Retry-After"))
            if wait is None:
                wait = s.backoff_base * 2**attempt
            elif wait > s.max_retry_after:
                raise _Failed("rate_limited", f"Retry-After {wait:.0f} s over the limit")
            gate.back_off(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _exchange(self, url: str, accept: tuple[str, ...]) -> Fetch:
        assert self._session is not None, "use Fetcher as an async context manager"
        started = datetime.now(UTC)
        clock = time.monotonic()
        self.requests += 1
        try:
            async with self._session.get(url, allow_redirects=False) as response:
                peer = (
                    response.connection.transport.get_extra_info("peername")
                    if (response.connection and response.connection.transport)
                    else None
                )
                exchange = Fetch(
                    url=url,
                    started_at=started,
                    status=response.status,
                    reason=response.reason or "",
                    headers=[
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers
                    ],
                    request_headers=list(response.request_info.headers.items()),
                    body=b"",
                    complete=False,
                    peer_ip=peer[0] if peer else None,
                    protocol=f"HTTP/{response.version.major}.{response.version.minor}"
                    if response.version
                    else "HTTP/1.1",
                )
                await self._read_body(response, exchange, accept)
        except _Failed:
            raise
        except aiohttp.ClientConnectorError as error:
            if _is_ssrf(error):
                raise _Failed("ssrf_refused", str(_ssrf_cause(error))) from error
            if isinstance(error, aiohttp.ClientConnectorDNSError):
                raise _Failed("dns_error", str(error)) from error
            raise _Failed("connection_error", str(error)) from error
        except TimeoutError as error:
            raise _Failed("timeout", f"no complete response within the timeouts: {url}") from error
        except (aiohttp.ClientError, OSError) as error:
            raise _Failed("connection_error", f"{type(error).__name__}: {error}") from error
        exchange.elapsed = time.monotonic() - clock
        return exchange

    async def _read_body(
        self, response: aiohttp.ClientResponse, exchange: Fetch, accept: tuple[str, ...]
    ) -> None:
        limit = self.settings.max_body_bytes
        status = response.status
        if accept and 200 <= status < 300:
            mime = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if mime and mime not in accept:
                raise _Failed("not_html", f"Content-Type {mime}")
        declared = response.content_length
        if declared is not None and declared > limit:
            raise _Failed("too_large", f"Content-Length {declared} over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise _Failed("too_large", f"body over {limit} bytes (stopped reading)")
            chunks.append(chunk)
        exchange.body = b"".join(chunks)
        exchange.complete = True


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _ssrf_cause(error: BaseException) -> BaseException | None:
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 10:
        if isinstance(current, SSRFRefused):
            return current
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
        seen += 1
    return None


def _is_ssrf(error: BaseException) -> bool:
    return _ssrf_cause(error) is not None
