"""Real HTTP servers on loopback addresses for the collect tests and benchmark.

Each `Site` is a stdlib ThreadingHTTPServer on its own address:port (a "host" for the
crawler's politeness, which is keyed by host:port). Every request is written to a shared
access log with the server's own clock: start (request line read) and end (when the server
began writing the last piece of the response: the client cannot have the whole response
any earlier, so a client-side delay counted from the end of its read shows up as at least
that gap here), so politeness is measured where it matters, on the server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler, int], None]  # (request, nth call of this path)


@dataclass(slots=True)
class Hit:
    site: str
    path: str
    started: float  # time.monotonic() on the server
    ended: float
    started_wall: datetime
    status: int
    user_agent: str


class AccessLog:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.connections: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def connected(self, site: str) -> None:
        with self._lock:
            self.connections[site] = self.connections.get(site, 0) + 1

    def of(self, site: str) -> list[Hit]:
        with self._lock:
            return sorted((h for h in self.hits if h.site == site), key=lambda h: h.started)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        super().__init__(address, _RequestHandler)

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        self.site.log.connected(self.site.name)
        super().process_request(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection, close-delimited bodies allowed
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        started, started_wall = time.monotonic(), datetime.now(UTC)
        site = self.server.site
        path = self.path.split("?", 1)[0]
        handler = site.routes.get(path)
        self._status = 0
        self.last_write = 0.0
        try:
            if handler is None:
                self.send_error(404)
            else:
                handler(self, site.count(path))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (too large, timeout): that is the test
        finally:
            site.log.add(
                Hit(
                    site.name,
                    path,
                    started,
                    self.last_write or time.monotonic(),
                    started_wall,
                    self._status,
                    self.headers.get("User-Agent", ""),
                )
            )

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the AccessLog is the log


class Site:
    def __init__(self, name: str, log: AccessLog, address: str = "127.0.0.1") -> None:
        self.name = name
        self.log = log
        self.routes: dict[str, Handler] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = _Server((address, 0), self)
        self.address = address
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.name}:{self.port}{path}"

    def count(self, path: str) -> int:
        with self._lock:
            self._counts[path] = self._counts.get(path, 0) + 1
            return self._counts[path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---------------------------------------------------------------- response helpers


def body(
    content: bytes,
    content_type: str = "text/html; charset=utf-8",
    status: int = 200,
    headers: dict[str, str] | None = None,
    delay: float = 0.0,
) -> Handler:
    def handler(request: BaseHTTPRequestHandler, _nth: int) -> None:
        if delay:
            time.sleep(delay)
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(content)))
        for name, value in (headers or {}).items():
            try:
                request.send_header(name, value)
            except UnicodeEncodeError:  # not latin-1: sent as UTF-8 bytes, as real servers do
                line = f"{name}: {value}\r\n".encode()
                request._headers_buffer.append(line)  # type: ignore[attr-defined]
        request.last_write = time.monotonic()  # type: ignore[attr-defined]
        request.end_headers()  # headers and body leave in the writes below
        request.wfile.write(content)

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    return body(b"", status=status, headers={"Location": location})


def sequence(*handlers: Handler) -> Handler:
    """The nth call gets the nth handler (the last one from then on)."""

    def handler(request: BaseHTTPRequestHandler, nth: int) -> None:
        handlers[min(nth, len(handlers)) - 1](request, nth)

    return handler


def endless(total_bytes: int, content_type: str = "text/html") -> Handler:
    """A body of `total_bytes` with no Content-Length: the client must stop reading itself."""

    def handler(request: BaseHTTPRequestHandler, _nth: int) -> None:
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.end_headers()
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        sent = 0
        while sent < total_bytes:
            request.wfile.write(chunk)
            sent += len(chunk)

    return handler


def rss(items: list[str]) -> bytes:
    entries = "".join(f"<item><title>t</title><link>{u}</link></item>" for u in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>news</title>'
        f"{entries}</channel></rss>"
    ).encode()


def atom(items: list[str]) -> bytes:
    entries = "".join(f'<entry><title>t</title><link href="{u}"/></entry>' for u in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>news</title>{entries}</feed>"
    ).encode()


def sitemap_index(sitemaps: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in sitemaps)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    ).encode()


def urlset(urls: list[str], news: bool = False) -> bytes:
    extra = (
        "<news:news><news:publication><news:name>News</news:name><news:language>en"
        "</news:language></news:publication><news:publication_date>2025-03-18T06:00:00Z"
        "</news:publication_date><news:title>t</news:title></news:news>"
        if news
        else ""
    )
    entries = "".join(f"<url><loc>{u}</loc>{extra}</url>" for u in urls)
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>{entries}</urlset>'
    ).encode()
