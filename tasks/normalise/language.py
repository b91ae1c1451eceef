"""Language: the ISO 639-1 code of the text (py3langid), the page's declared one as a
fallback."""

from __future__ import annotations

import functools
import re

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["detect_language", "language_identifier"]


@functools.cache
def language_identifier() -> LanguageIdentifier:
    """The language model, loaded once per process on first use (~0.4-0.8 s). Extraction
    workers get it preloaded from the forkserver (tasks/process/worker_init.py); the driver
    process never needs it."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


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
