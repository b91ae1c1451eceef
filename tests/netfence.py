"""A fence around a block of test code: every socket connect and DNS lookup it makes is
recorded, and any that would leave the machine is refused.

It uses a Python audit hook (`socket.connect`, `socket.getaddrinfo`): nothing is replaced
or mocked, the real client code runs; the hook only watches the calls and raises
PermissionError for a destination outside 127.0.0.0/8 or for a DNS lookup of a name. So a
regression in the SSRF guard shows up as a recorded attempt (the test fails) and never as
a packet to 10.0.0.1, 169.254.169.254 or a DNS server.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Fence:
    connects: list[tuple[str, int]] = field(default_factory=list)  # (address, port) tried
    lookups: list[str] = field(default_factory=list)  # hosts given to getaddrinfo
    refused: list[str] = field(default_factory=list)  # what the fence itself stopped


_active: list[Fence] = []
_lock = threading.Lock()


def _is_loopback(host: object) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _hook(event: str, args: tuple) -> None:
    if not _active or event not in ("socket.connect", "socket.getaddrinfo"):
        return
    fence = _active[-1]
    if event == "socket.connect":
        sock, address = args
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        host, port = address[0], address[1]
        with _lock:
            fence.connects.append((host, port))
        if not _is_loopback(host):
            fence.refused.append(f"connect {host}:{port}")
            raise PermissionError(f"netfence: connect to {host}:{port} is outside 127.0.0.0/8")
    else:
        host = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        with _lock:
            fence.lookups.append(host)
        if not _is_loopback(host):
            fence.refused.append(f"getaddrinfo {host}")
            raise PermissionError(f"netfence: DNS lookup of {host!r} refused in this test")


sys.addaudithook(_hook)  # hooks cannot be removed: inactive unless a fence is open


@contextmanager
def fence() -> Iterator[Fence]:
    """Record (and keep on loopback) every connect and lookup made inside the block."""
    watched = Fence()
    _active.append(watched)
    try:
        yield watched
    finally:
        _active.remove(watched)
