"""Language: the ISO 639-1 code of the text (py3langid), the page's declared one as a
fallback."""

from __future__ import annotations

import functools
import logging
import lzma
import os
import re
import shutil
import tempfile
from array import array
from importlib.metadata import version
from pathlib import Path
from zipfile import BadZipFile

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

__all__ = ["detect_language", "language_identifier"]

log = logging.getLogger(__name__)


@functools.cache
def language_identifier() -> LanguageIdentifier:
    """The language model, loaded once per process on first use. Extraction workers get it
    preloaded from the forkserver (tasks/process/worker_init.py); the driver process never
    needs it.

    py3langid ships it LZMA-compressed (4.6 MB -> 68 MB); decompressing takes ~1 s of every
    run's start-up. The decompressed arrays are kept in a cache folder, keyed by the
    py3langid version and the model file, and read from there in ~0.1 s. Without a
    writable cache folder the model loads from the package as before; a copy that cannot
    be read (truncated, overwritten) is removed, so the next run writes it again.
    """
    cached = None
    try:
        cached = _decompressed_model()
        with np.load(cached, allow_pickle=False) as data:
            return LanguageIdentifier(
                data["ptc"],
                data["pc"],
                data["classes"].tolist(),
                _stdlib_array(data["nextmove"]),
                data["out_feat"].tolist(),
                norm_probs=True,
                tk_row=_stdlib_array(data["nextmove_row"]),
            )
    except (OSError, EOFError, ValueError, KeyError, lzma.LZMAError, BadZipFile) as error:
        log.info("language model cache unusable (%s): loading from py3langid", error)
        if cached is not None:
            cached.unlink(missing_ok=True)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def cache_folder() -> Path:
    """Where newsflow keeps what it derives from its dependencies ($XDG_CACHE_HOME)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsflow"


def _decompressed_model() -> Path:
    """The model's npz without LZMA in the cache folder, written on first use. Written to a
    temporary name and renamed, so a concurrent run or a crash never leaves half a file."""
    source = MODEL_DIR / MODEL_FILE
    stat = source.stat()
    folder = cache_folder()
    target = folder / f"py3langid-{version('py3langid')}-{stat.st_size}-{stat.st_mtime_ns}.npz"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
        try:
            with lzma.open(source) as compressed:
                shutil.copyfileobj(compressed, part, length=1 << 20)
            part.flush()
            os.fsync(part.fileno())
            os.replace(part.name, target)
        except BaseException:
            os.unlink(part.name)
            raise
    return target


def _stdlib_array(values: np.ndarray) -> array[int]:
    """py3langid walks its DFA in plain Python: a stdlib array indexes faster than numpy."""
    out: array[int] = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return out


# ~0.35 ms (cost grows with length); on the 181 ScrapingHub benchmark articles the first
# 600 characters give the same language as the whole text every time.
_LANGUAGE_SAMPLE_CHARS = 600
_MIN_TEXT_CHARS = 40  # below this the text alone is too weak a signal
_MIN_CONFIDENCE = 0.5  # normalised probability of the best language
# The model's codes that are not ISO 639-1 but belong to a macrolanguage that is.
_TO_639_1 = {"arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz", "gug": "gn"}
# Deprecated codes still seen in <html lang>.
_OLD_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
_LANG_TAG = re.compile(r"^\s*([A-Za-z]{2})(?:$|[-_\s,;])")


def _html_language(html_lang: str | None) -> str | None:
    """ "en-GB", "en_US", "EN", "en, fr" -> two-letter code; None for anything else."""
    if not isinstance(html_lang, str):
        return None
    match = _LANG_TAG.match(html_lang)
    if not match:
        return None
    code = match.group(1).lower()
    return _OLD_CODES.get(code, code)


def detect_language(text: str | None, html_lang: str | None = None) -> str | None:
    """ISO 639-1 code of the text (py3langid, offline, on its first 600 characters).

    The page's declared language is used only when the text is shorter than 40
    characters or the detection is not confident (probability < 0.5); a short text
    that is detected confidently still wins when the page declares nothing.
    """
    declared = _html_language(html_lang)
    sample = text[:_LANGUAGE_SAMPLE_CHARS].strip() if isinstance(text, str) else ""
    if not any(ch.isalpha() for ch in sample):
        return declared
    try:
        code, confidence = language_identifier().classify(sample)
    except Exception:  # py3langid on unusual input
        return declared
    code = _TO_639_1.get(code, code)
    detected = code if len(code) == 2 and confidence >= _MIN_CONFIDENCE else None
    if detected and len(sample) >= _MIN_TEXT_CHARS:
        return detected
    return declared or detected
