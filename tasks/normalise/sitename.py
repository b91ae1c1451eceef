"""Whether a piece of text names the site itself ("The Irish Times", "irishtimes.com",
"BBC News" on bbc.co.uk): titles drop it around the headline, authors drop it beside a
person."""

from __future__ import annotations

import re
import unicodedata

from tasks.normalise.urls import host_of, registered_domain

__all__ = ["TITLE_SEPARATOR", "is_site_name", "site_keys", "text_key"]

# " | ", "|", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", ": " (dashes need spaces
# so hyphenated words stay whole; a colon needs a space after it so "12:30" stays whole).
TITLE_SEPARATOR = re.compile(r"(\s*[|｜]\s*|\s+(?:::|[-–—·•»])\s+|\s*:\s+)")
# Words a site name adds to its domain label: "BBC News" on bbc.co.uk.
_GENERIC_SITE_WORDS = ("news", "online", "com", "tv", "live", "digital", "media")


def text_key(text: str) -> str:
    """Case, accent, space and punctuation-insensitive form: "The Irish Times" ->
    "theirishtimes", "Seznam Zprávy" -> "seznamzpravy"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


def site_keys(site_name: str | None, domain: str | None) -> tuple[set[str], set[str]]:
    """Keys a title part must equal to be the site's name, and domain labels."""
    keys: set[str] = set()
    if isinstance(site_name, str):
        for part in [site_name, *TITLE_SEPARATOR.split(site_name)[::2]]:
            key = text_key(part)
            if key:
                keys.update({key, key.removeprefix("the")})
    labels: set[str] = set()
    host = host_of(domain) if isinstance(domain, str) and domain.strip() else None
    if host:
        registered = registered_domain(host) or host
        keys.add(text_key(registered))  # "irishtimes.com" written out in the title
        label = text_key(registered.split(".")[0])
        if label:
            labels.add(label)
            keys.add(label)
    keys.discard("")
    return keys, labels


def is_site_name(part: str, keys: set[str], labels: set[str]) -> bool:
    key = text_key(part).removeprefix("www")
    if not key:
        return False
    if key in keys or key.removeprefix("the") in keys:
        return True
    return any(key == label + word for label in labels for word in _GENERIC_SITE_WORDS)
