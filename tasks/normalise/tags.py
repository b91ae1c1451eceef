"""Tags: one tag per element."""

from __future__ import annotations

import re

__all__ = ["split_tags"]


def split_tags(raw: str | list[str] | None) -> list[str]:
    """Tags one per element: values split on "," and ";", trimmed, duplicates dropped
    ignoring case (the first spelling stays), in order; always a list."""
    values = raw if isinstance(raw, list) else [raw]
    tags: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        for piece in re.split(r"[,;]", value):
            tag = " ".join(piece.split())
            if tag:
                tags.setdefault(tag.casefold(), tag)
    return list(tags.values())
