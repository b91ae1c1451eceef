"""Hashes and ids: the exact-duplicate key (`content_hash`), the near-duplicate key
(`simhash64`, compared with `hamming`) and the row's `article_id`."""

from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np

__all__ = ["article_id", "content_hash", "hamming", "simhash64"]


def _blake2b_16(data: str) -> str:
    return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def content_hash(text: str | None) -> str:
    """Exact-duplicate key: blake2b-128 hex of the case-folded, whitespace-collapsed text."""
    normalised = " ".join(text.casefold().split()) if isinstance(text, str) else ""
    return _blake2b_16(normalised)


def article_id(canonical: str | None, text_hash: str | None) -> str:
    """Stable id: blake2b-128 hex of the canonical URL, or of "content:" + content hash."""
    if isinstance(canonical, str) and canonical:
        return _blake2b_16(canonical)
    return _blake2b_16("content:" + (text_hash if isinstance(text_hash, str) else ""))


_TOKEN = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1
_U64 = np.uint64


def _rotl(values: np.ndarray, bits: int) -> np.ndarray:
    return (values << _U64(bits)) | (values >> _U64(64 - bits))


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit affects every output bit (wraps mod 2**64)."""
    values = values ^ (values >> _U64(30))
    values = values * _U64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> _U64(27))
    values = values * _U64(0x94D049BB133111EB)
    return values ^ (values >> _U64(31))


def simhash64(text: str | None) -> int:
    """64-bit simhash over word 3-shingles (\\w+ tokens, lower-cased); 0 for no tokens.

    Token hashes are CRC-32 based (the same in every process and run, unlike hash());
    a shingle's hash combines its three token hashes with rotations (order matters)
    and a 64-bit mixer, all vectorised in numpy. Bit i of the result is set when more
    than half of the shingle hashes have bit i set.
    """
    if not isinstance(text, str):
        return 0
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return 0
    # Token hash: CRC-32 and byte length of the UTF-8 token (stable everywhere, ~4x
    # cheaper per call than blake2b), spread over 64 bits by the mixer.
    encoded = [t.encode("utf-8", "surrogatepass") for t in tokens]
    raw = np.array([zlib.crc32(b) | (len(b) << 32) for b in encoded], dtype=np.uint64)
    hashed = _mix(raw)
    if len(hashed) >= 3:
        shingles = hashed[:-2] ^ _rotl(hashed[1:-1], 21) ^ _rotl(hashed[2:], 42)
    elif len(hashed) == 2:  # too few words for a 3-shingle: one shingle of what there is
        shingles = hashed[:1] ^ _rotl(hashed[1:], 21)
    else:
        shingles = hashed
    shingles = _mix(shingles)
    # bit i of each hash -> column i (little-endian bytes, least significant bit first)
    as_bytes = shingles.astype("<u8").view(np.uint8).reshape(-1, 8)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little")
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(shingles)
    return int(np.packbits(majority, bitorder="little").view("<u8")[0])


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit simhashes (64 when either is unusable)."""
    try:
        return ((int(a) ^ int(b)) & _MASK64).bit_count()
    except (TypeError, ValueError, OverflowError):
        return 64
