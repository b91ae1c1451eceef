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
  allow-list (`allow_private`) names the address or its network. The host checked is the one
  aiohttp connects to: the URL is parsed once with yarl (IDNA and NFKC: `127。0。0。1`,
  `①②⑦.⓪.⓪.①` and `１２７.０.０.１` are all 127.0.0.1) and that very `URL` object is
  requested. Numeric hosts in any IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1, 127.1) are
  read as the address they mean; IPv6 addresses that carry an IPv4 address (IPv4-mapped,
  IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that address. Names are
  checked inside the resolver aiohttp connects with (`GuardedResolver`), so the addresses
  checked are the addresses connected to (no DNS-rebinding window). Every redirect hop is
  checked the same way (redirects are followed here, one hop at a time).

Every outcome is a `Fetch` (one per hop and attempt, for the WARC) grouped in a `FetchResult`
with a `reason` when the URL failed; nothing here raises for a bad URL or a bad server.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import os
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

__all__ = [
    "Fetch",
    "FetchResult",
    "FetchSettings",
    "Fetcher",
    "GuardedResolver",
    "SSRFRefused",
    "host_address",
    "host_key",
]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Feeds, sitemaps and robots.txt come in many types (and often a wrong one): not checked.
ANY_TYPE: tuple[str, ...] = ()
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# A host made only of decimal, octal or hex numbers: an IPv4 address to inet_aton, to
# getaddrinfo and to browsers (2130706433, 0x7f.1, 0177.0.0.1, 127.1), never a name.
_NUMERIC_HOST = re.compile(r"(?:(?:0x[0-9a-f]*|[0-9]+)\.)*(?:0x[0-9a-f]*|[0-9]+)", re.I)
# What a host name may hold once yarl has IDNA-encoded it (`_` occurs in real hosts); yarl
# leaves `%31%32%37.0.0.1`, spaces and control characters as they are, and aiohttp would hand
# them to getaddrinfo
_HOST_NAME = re.compile(r"[a-z0-9_.-]+", re.I)
# IPv6 prefixes whose last 32 bits are an IPv4 address the packets end up at
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


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
    """The politeness unit: host:port (so two ports of one address are two sites).

    The host as it is connected to (yarl-normalised), so `Example.com`, `ｅｘａｍｐｌｅ.com`
    and `example.com.` share one gate and one robots.txt.
    """
    try:
        target = URL(url)
        host, port = target.raw_host, target.port
    except (ValueError, TypeError):  # the fetch fails such a URL as bad_url
        return "invalid:0"
    return f"{(host or '').rstrip('.')}:{port or 0}"


def host_address(host: str) -> IPAddress | None:
    """The IP address a URL host (yarl's `raw_host`) stands for, or None for a name.

    IPv6 literals lose their zone id; numeric hosts are read as inet_aton, getaddrinfo and
    browsers read them (decimal, octal, hex, short forms, trailing dots). Raises ValueError
    for a numeric host that is no address (999.0.0.1, 08): nothing would connect to it.
    """
    if ":" in host:
        return ipaddress.IPv6Address(host.split("%", 1)[0])
    bare = host.rstrip(".")
    if not _NUMERIC_HOST.fullmatch(bare):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError as error:
        raise ValueError(f"not an IPv4 address: {host}") from error


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to: IPv4-mapped, 6to4, NAT64, IPv4-compatible."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # not :: nor ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global and not (ip.is_multicast or ip.is_reserved)
    embedded = _embedded_ipv4(ip)
    if embedded is not None:  # judged by where the packets go
        return _is_public(embedded)
    # site-local fec0::/10 is deprecated, but `is_global` still says True for it
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_site_local)


class AddressPolicy:
    """Which addresses may be connected to: public ones, and those the allow-list names."""

    def __init__(self, allow: Iterable[str]) -> None:
        self._allow = [ipaddress.ip_network(a, strict=False) for a in allow]

    def permits(self, address: str | IPAddress) -> bool:
        try:
            ip = ipaddress.ip_address(str(address).split("%", 1)[0])  # drop an IPv6 zone id
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # the very same IPv4 endpoint: the allow-list applies to it
        if any(ip in network for network in self._allow):
            return True
        return _is_public(ip)


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that drops refused addresses (and applies `resolve` overrides).

    Raising an OSError subclass makes aiohttp report a connector error without connecting.
    """

    def __init__(self, policy: AddressPolicy, overrides: dict[str, str]) -> None:
        self._policy = policy
        # keyed like the hosts aiohttp asks for (IDNA, lower case, no trailing dot), so an
        # override also holds for `Staging.Example.` and never falls through to real DNS
        self._overrides = {_resolver_key(host): ip for host, ip in overrides.items()}
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        override = self._overrides.get(_resolver_key(host))
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


def _resolver_key(host: str) -> str:
    """A host as the resolver is asked for it: IDNA, lower case, no trailing dot."""
    with suppress(ValueError, TypeError):  # not a valid host name: compared as given
        host = URL.build(scheme="http", host=host.rstrip(".")).raw_host or host
    return host.rstrip(".").lower()


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
        self._overrides = {_resolver_key(host): ip for host, ip in settings.resolve.items()}
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
            # Bodies are archived as transferred (Content-Encoding kept); tasks.ingest.load decodes.
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
                target = self._target(current)
                if allowed is not None and (refusal := await allowed(current)):
                    raise _Failed(refusal, f"{refusal}: {current}")
                visited.add(current)
                exchange = await self._fetch_with_retries(current, target, accept, result)
                location = _utf8_header(exchange.header("Location"))
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

    def refusal(self, url: str) -> str | None:
        """ "ssrf_refused" when the guard is known to refuse `url` without any DNS (an IP
        literal in any spelling, a localhost name, a `resolve` override to a refused
        address), else None. No I/O: the fetch itself still checks, hop by hop."""
        try:
            target = self._target(url)
        except _Failed as failed:
            return failed.reason if failed.reason == "ssrf_refused" else None
        override = self._overrides.get(_resolver_key(target.raw_host or ""))
        if override is not None and not self._policy.permits(override):
            return "ssrf_refused"
        return None

    def _target(self, url: str) -> URL:
        """`url` parsed as aiohttp will connect to it, after the guard's checks of the host.

        The returned `URL` object is what is requested: the host checked here is the host
        connected to (or resolved, by `GuardedResolver`, which checks the addresses).
        """
        try:
            target = URL(url)  # IDNA + NFKC: 127。0。0。1 and ①②⑦.⓪.⓪.① become 127.0.0.1
            target.port  # noqa: B018 - raises ValueError for an invalid port
        except (ValueError, TypeError) as error:  # UnicodeError is a ValueError
            raise _Failed("bad_url", f"invalid URL ({type(error).__name__}): {url[:200]}") from None
        host = target.raw_host
        if target.scheme not in ("http", "https") or not host:
            raise _Failed("bad_url", f"not an http(s) URL: {url[:200]}")
        try:
            address = host_address(host)
        except ValueError:
            raise _Failed("bad_url", f"numeric host that is no IP address: {host[:100]}") from None
        if address is None:
            name = host.rstrip(".")
            if not _HOST_NAME.fullmatch(host):  # never sent to DNS
                raise _Failed("bad_url", f"not a valid host name: {host[:100]!r}")
            if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: loopback
                raise _Failed("ssrf_refused", f"refused name {name[:100]}")
            return target  # a name: GuardedResolver checks the addresses it resolves to
        if "%" in host or not self._policy.permits(address):
            raise _Failed("ssrf_refused", f"refused address {address} (host {host[:100]})")
        if address.version == 4 and host != str(address):
            # aiohttp refuses legacy spellings of an address, even an allowed one
            raise _Failed("bad_url", f"non-canonical IPv4 address {host[:100]}")
        return target

    async def _fetch_with_retries(
        self, url: str, target: URL, accept: tuple[str, ...], result: FetchResult
    ) -> Fetch:
        s = self.settings
        gate = self.gate(url)
        for attempt in range(s.max_retries + 1):
            last = attempt == s.max_retries
            try:
                async with gate.slot(), self._global:
                    exchange = await self._exchange(url, target, accept)
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

    async def _exchange(self, url: str, target: URL, accept: tuple[str, ...]) -> Fetch:
        assert self._session is not None, "use Fetcher as an async context manager"
        started = datetime.now(UTC)
        clock = time.monotonic()
        self.requests += 1
        try:
            # the URL object the guard checked, not the string: no second parse
            async with self._session.get(target, allow_redirects=False) as response:
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
                raise _Failed("dns_error", _network_detail(error, target)) from error
            raise _Failed("connection_error", _network_detail(error, target)) from error
        except TimeoutError as error:
            raise _Failed("timeout", f"no complete response within the timeouts: {url}") from error
        except (aiohttp.ClientError, OSError) as error:
            raise _Failed("connection_error", _network_detail(error, target)) from error
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


def _utf8_header(value: str | None) -> str | None:
    """A header value kept as latin-1 (byte-exact, for the WARC) read as UTF-8 when it is:
    a Location is followed as browsers and aiohttp read it, so the guard sees that host."""
    if value is None:
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


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


def _network_detail(error: BaseException, target: URL) -> str:
    """A failed exchange in words built from known-safe parts only: the error class, the
    host and port, and the operating system's text for an errno. Never `str(error)`: the
    client's messages can quote request or response headers and URLs with user info."""
    cause = getattr(error, "os_error", None) or error.__cause__ or error
    detail = f"{type(error).__name__} for {target.raw_host}:{target.port}"
    errno = getattr(cause, "errno", None)
    if isinstance(cause, OSError) and isinstance(errno, int):
        # the C library's text for the code, not whatever text the exception carries
        # (getaddrinfo's codes have their own table; socket sets it from gai_strerror)
        reason = cause.strerror if isinstance(cause, socket.gaierror) else os.strerror(errno)
        detail += f" ({type(cause).__name__} {errno}: {reason})"
    return detail


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
