"""A real S3 server on loopback (SeaweedFS `weed mini`) and a fault-injecting proxy before it.

Used by the test session (tests/conftest.py) and by benchmarks/s3_commit.py. Nothing here is
a mock: the pipeline talks HTTP to the proxy, the proxy to SeaweedFS, which checks every
request's signature.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ACCESS_KEY = "newsflow-test-key"
SECRET_KEY = "newsflow-test-secret-5f0c1e"  # tests assert this never shows up anywhere

# Every listening port `weed mini` opens, pinned so parallel sessions never collide (each
# also has a gRPC twin, pinned explicitly rather than left at port+10000).
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port.grpc",
    "s3.port.https",
    "s3.port.iceberg",
    "s3.port.lance",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
    "metricsPort",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def weed_binary() -> str:
    candidate = Path(sys.executable).with_name("weed")
    return str(candidate) if candidate.exists() else "weed"


@dataclass
class SeaweedServer:
    """`weed mini` with S3 on a free loopback port; stop() kills it by PID."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="newsflow-weed-")))
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> SeaweedServer:
        config = self.root / "s3.json"
        identity = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
        actions = ["Admin", "Read", "Write", "List", "Tagging"]
        user = {"name": "newsflow", "credentials": [identity], "actions": actions}
        config.write_text(json.dumps({"identities": [user]}))
        data = self.root / "data"
        data.mkdir(exist_ok=True)
        self.port = free_port()
        ports = {flag: free_port() for flag in _PORT_FLAGS}
        args = [
            weed_binary(),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            f"-s3.port={self.port}",
            f"-s3.config={config}",
            *(f"-{flag}={port}" for flag, port in ports.items()),
        ]
        log = open(self.root / "weed.log", "wb")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {(self.root / 'weed.log').read_text()[-2000:]}")
            try:
                client.list_buckets()
                return self
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.2)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL by PID after `grace` seconds (weed sometimes ignores TERM)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def client(self, secret: str = SECRET_KEY):  # noqa: ANN201 - a boto3 client
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 10}),
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name


# --------------------------------------------------------------------------- fault proxy


@dataclass
class Fault:
    """One injected failure.

    kind: "status" (answer `status` with an S3 error body, request not forwarded), "reset"
    (close the connection with RST before forwarding), "reset_after" (forward, then RST
    instead of the answer: the server did it, the client does not know), "truncate" (send
    the headers and half the body, then close), "delay" (wait `delay_s`, then forward).
    Matches requests of operation `op` (get, put, copy, list, head, delete; None = any) whose
    URL-decoded path contains `path_contains`; hits the matching requests number `first`,
    `first + 1`, ... `first + times - 1` (1-based; times=None: every one from `first` on).
    """

    kind: str
    op: str | None = None
    path_contains: str = ""
    first: int = 1
    times: int | None = 1
    status: int = 503
    delay_s: float = 0.0
    seen: int = 0
    fired: int = 0

    def hits(self, op: str, path: str) -> bool:
        if (self.op and self.op != op) or self.path_contains not in unquote(path):
            return False
        self.seen += 1
        last = None if self.times is None else self.first + self.times - 1
        if self.seen >= self.first and (last is None or self.seen <= last):
            self.fired += 1
            return True
        return False


_ERROR_CODES = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied"}


def classify(method: str, path: str, headers: dict[str, str]) -> str:
    query = parse_qs(urlsplit(path).query, keep_blank_values=True)
    if method == "HEAD":
        return "head"
    if method == "GET":
        bucket_only = urlsplit(path).path.strip("/").count("/") == 0
        return "list" if "list-type" in query or bucket_only else "get"
    if method == "PUT":
        return "copy" if "x-amz-copy-source" in headers else "put"
    if method == "DELETE" or (method == "POST" and "delete" in query):
        return "delete"
    return method.lower()


class FaultProxy:
    """A loopback HTTP proxy to `upstream` that counts requests per operation and injects
    `faults`. Start with start(), stop with stop()."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, str, int]] = []  # (op, path, status sent)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.counts.clear()
            self.log.clear()

    def add(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in req.headers.items()}
        chunked = "chunked" in headers.get("transfer-encoding", "")
        if chunked:  # pyarrow's (AWS SDK's) multipart uploads
            body = _read_chunked(req.rfile)
        else:
            body = req.rfile.read(int(headers.get("content-length", 0) or 0))
        op = classify(req.command, req.path, headers)
        with self.lock:
            self.counts[op] += 1
            fault = next((f for f in self.faults if f.hits(op, req.path)), None)
        if fault and fault.kind == "delay":
            time.sleep(fault.delay_s)
            fault = None
        if fault and fault.kind == "status":
            self._send_error(req, fault.status, op)
            return
        if fault and fault.kind == "reset":
            self._reset(req, op)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=120)
        try:
            if chunked:
                conn.request(
                    req.command, req.path, iter([body]), dict(req.headers), encode_chunked=True
                )
            else:
                conn.request(req.command, req.path, body=body or None, headers=dict(req.headers))
            reply = conn.getresponse()
            payload = reply.read()
        finally:
            conn.close()
        if fault and fault.kind == "reset_after":
            self._reset(req, op)
            return
        req.send_response(reply.status, reply.reason)
        for name, value in reply.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                req.send_header(name, value)
        length = reply.getheader("Content-Length") if req.command == "HEAD" else None
        req.send_header("Content-Length", length or str(len(payload)))
        if fault and fault.kind == "truncate" and req.command != "HEAD" and len(payload) > 1:
            req.send_header("Connection", "close")
            req.end_headers()
            req.wfile.write(payload[: len(payload) // 2])
            req.wfile.flush()
            req.close_connection = True
            self._note(op, req.path, -reply.status)
            return
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(payload)
        self._note(op, req.path, reply.status)

    def _send_error(self, req: BaseHTTPRequestHandler, status: int, op: str) -> None:
        code = _ERROR_CODES.get(status, "InternalError")
        payload = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>injected {status}</Message></Error>"
        ).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/xml")
        req.send_header("Content-Length", str(len(payload)))
        req.end_headers()
        if req.command != "HEAD":
            req.wfile.write(payload)
        self._note(op, req.path, status)

    def _reset(self, req: BaseHTTPRequestHandler, op: str) -> None:
        # SO_LINGER 0: close() sends RST, the client sees "connection reset by peer"
        req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        req.close_connection = True
        req.connection.close()
        self._note(op, req.path, 0)

    def _note(self, op: str, path: str, status: int) -> None:
        with self.lock:
            self.log.append((op, path, status))


def _read_chunked(stream) -> bytes:  # noqa: ANN001 - a socket file
    parts = []
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(stream.read(size))
        stream.readline()
