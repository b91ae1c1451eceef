"""The text columns: paragraphs as stored, word count, and the columns that follow from the
final text (ids and hashes)."""

from __future__ import annotations

from tasks.normalise.hashes import article_id, content_hash, simhash64

__all__ = ["paragraphs", "text_columns", "word_count"]


def paragraphs(text: str | None) -> str:
    """trafilatura's text with one paragraph per line -> paragraphs separated by exactly
    one blank line, runs of spaces collapsed, no leading or trailing spaces."""
    if not isinstance(text, str):
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def word_count(text: str | None) -> int:
    """Whitespace-separated tokens."""
    return len(text.split()) if isinstance(text, str) else 0


def text_columns(text: str, canonical: str | None) -> dict[str, str | int]:
    """The row's columns that follow from its final text: extraction computes them, and the
    site-boilerplate pass recomputes them after removing paragraphs
    (tasks/normalise/siteboiler.py)."""
    digest = content_hash(text)
    return {
        "article_id": article_id(canonical, digest),
        "content_hash": digest,
        "simhash": simhash64(text),
        "word_count": word_count(text),
    }
