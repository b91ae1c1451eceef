"""Locations: a local path or an `s3://bucket/prefix` URI, told apart and split here only."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def safe_endpoint(url: str | None) -> str | None:
    """The endpoint for messages: user info (a secret some people put in URLs) removed."""
    parts = urlsplit(url or "")
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))


def is_s3_uri(location: object) -> bool:
    return isinstance(location, str) and location.startswith("s3://")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """ "s3://bucket/a/b/" -> ("bucket", "a/b")."""
    if not is_s3_uri(uri):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri}")
    return bucket, prefix.strip("/")


def location_key(location: str | os.PathLike[str]) -> str:
    """A comparable form of a path or URI: the URI itself, or the real absolute path (so a
    symlinked folder and its target compare equal)."""
    text = os.fspath(location)
    if is_s3_uri(text):
        return text.rstrip("/")
    return os.path.realpath(text)


def split_location(location: str | os.PathLike[str]) -> tuple[str, str]:
    """A file's location as (its folder's location, its name): "s3://b/a/f" -> ("s3://b/a",
    "f"), "/x/f" -> ("/x", "f")."""
    text = os.fspath(location).rstrip("/")
    parent, _, name = text.rpartition("/")
    if not name:
        raise ValueError(f"no file name in {location}")
    if is_s3_uri(text) and "/" not in text[len("s3://") :]:
        raise ValueError(f"no object key in {location}")
    return parent or ".", name


def missing_local_path(location: str | os.PathLike[str]) -> bool:
    """Whether `location` is a local path that does not exist (an s3:// URI is not checked
    here: listing it tells, with the endpoint's answer)."""
    return not is_s3_uri(os.fspath(location)) and not os.path.exists(location)
