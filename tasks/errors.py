"""What an exception may say in a message: the one rule for errors shown to people.

An exception's text is data from wherever it was raised. The HTTP and S3 client libraries
quote request headers and URLs in theirs: http.client's `Invalid header value b'<token>'`
(a session token with a stray CR from a Windows `.env` file), wrapped by botocore as
`HTTPClientError(... Invalid header value b'<token>')`, URLs with user info in aiohttp's.
So the text of their exceptions never reaches a terminal, a log, a run record, a collection
log or a quarantine row. Messages are built from known-safe parts instead: the error class,
an errno with the C library's text for it, and what newsflow itself knows (the operation,
the s3:// URI, the endpoint without user info, the HTTP status, the S3 error code).

Exceptions that newsflow raises (`StorageError`, `AccountingError` ...) are built from such
parts, so their text is kept; so is the text of other exceptions that never pass through
an HTTP client (a local file's OSError, a zlib error, a ValueError from the config).
"""

from __future__ import annotations

import os
import socket

__all__ = ["from_http_client", "safe_error_text"]

# Libraries whose exception text may quote request or response headers or URLs.
_HTTP_CLIENT_MODULES = (
    "aiohttp",
    "boto3",
    "botocore",
    "http.client",
    "requests",
    "s3transfer",
    "urllib3",
    "yarl",
)
_OWN_MODULES = ("tasks", "flows", "schemas")


def _module_in(error: BaseException, roots: tuple[str, ...]) -> bool:
    module = type(error).__module__ or ""
    return any(module == root or module.startswith(root + ".") for root in roots)


def from_http_client(error: BaseException) -> bool:
    """True if `error`, or an exception it was raised from, comes from an HTTP client library.

    The whole chain counts: `raise Ours(f"... {err}") from err` would carry the text along.
    """
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 20:
        if _module_in(current, _HTTP_CLIENT_MODULES):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def safe_error_text(error: BaseException, limit: int = 300) -> str:
    """`Class: first line of the message`, or only `Class` (with errno and the C library's
    text for it, if any) when the message may quote headers or URLs (see the module doc).

    Other libraries' messages are cut at `limit` characters; newsflow's own are kept whole.
    """
    name = type(error).__name__
    own = _module_in(error, _OWN_MODULES)
    if own or not from_http_client(error):
        lines = str(error).strip().splitlines()
        return f"{name}: {lines[0] if own else lines[0][:limit]}" if lines else name
    errno = getattr(error, "errno", None)
    if isinstance(error, OSError) and isinstance(errno, int):
        # the C library's table, not the text the exception carries
        reason = error.strerror if isinstance(error, socket.gaierror) else os.strerror(errno)
        return f"{name} ({errno}: {reason})"
    return name
