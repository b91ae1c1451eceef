"""URLs: the normalised form of a URL, the canonical URL of an article, its host and its
registered domain. Never raises on odd input (None, garbage, lone surrogates)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit

import tldextract

__all__ = ["TRACKING_PARAMS", "canonical_url", "host_of", "normalise_url", "registered_domain"]

# Query parameters that only say how a reader arrived (campaigns, click ids, share
# widgets). Drawn from courlan's TRACKERS_RE, ClearURLs and Firefox query stripping,
# but as exact names and prefixes: courlan's pattern is a substring search
# ("gallery", "global", "source", "cid", "session", ... also match) and would merge
# distinct pages into one article_id. courlan.normalize_url also sorts the query and
# keeps fragments, which is why it is not used here.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "ysclid", "twclid", "ttclid", "li_fat_id", "igshid", "igsh", "srsltid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_ke", "mkt_tok", "__twitter_impression",
        "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "icid", "ocid", "ncid",
        "smid", "smtyp", "sr_share", "soc_src", "soc_trk", "s_cid", "s_kwcid", "ef_id",
        "xtor", "wt.mc_id", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp",
        "hsctatracking", "spm", "rb_clickid", "fb_action_ids", "fb_action_types",
        "fb_ref", "fb_source", "action_object_map", "action_type_map", "action_ref_map",
        "clickid", "partnerid", "trk", "trkcampaign", "sc_campaign", "sc_channel",
    }
)  # fmt: skip
TRACKING_PREFIXES = (
    "utm_", "oly_", "vero_", "mtm_", "pk_", "matomo_", "piwik_", "hsa_", "itm_", "at_",
    "ga_",
)  # fmt: skip

# Characters left as they are when percent-encoding a path or a query: RFC 3986
# reserved and unreserved characters, plus "%" so existing escapes survive.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    """The query without tracking parameters, other parameters in their order, as written."""
    kept = []
    for pair in query.split("&"):
        if pair and not _is_tracking(pair.split("=", 1)[0]):
            kept.append(_encode(pair, _SAFE_QUERY))
    return "&".join(kept)


def _encode(part: str, safe: str) -> str:
    """Percent-encode what a browser would (spaces, non-ASCII); upper-case existing escapes.

    "/café" and "/caf%c3%a9" both become "/caf%C3%A9", so a canonical link and a fetched
    URL that differ only in encoding give the same article_id.
    """
    encoded = quote(part, safe=safe)
    return _ESCAPE.sub(lambda m: m.group(0).upper(), encoded)


def normalise_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no fragment, no default port, no user:password,
    no tracking parameters, other parameters kept in order; None if not http(s)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname  # lower-cased, without user info, port or IPv6 brackets
        port = parts.port  # ValueError when not a number in 0..65535
        if scheme not in _DEFAULT_PORTS or not host:
            return None
        host = host.rstrip(".")  # "example.com." is the same host
        if not host or any(c.isspace() or c in "<>\"'{}|\\^`" for c in host):
            return None
        if ":" in host:
            host = f"[{host}]"  # IPv6 literal
        netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
        path = _encode(parts.path or "/", _SAFE_PATH)
        return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))
    except ValueError:  # bad port, bad IPv6 literal, lone surrogates (UnicodeError)
        return None


# Built once per process. Offline: the public suffix list snapshot bundled with
# tldextract (suffix_list_urls=(), no cache directory). Private suffixes are included
# so that each blogspot.com / github.io site is its own source, not one giant domain.
_TLD_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


def host_of(url_or_host: str | None) -> str | None:
    """Lower-cased host of a URL or bare host, without user info, port, brackets or a
    trailing dot; None when there is none or the URL is malformed (never raises)."""
    if not isinstance(url_or_host, str):
        return None
    text = url_or_host.strip()
    if "://" not in text:
        text = "//" + text  # a bare host, possibly with a port or a path
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    host = (host or "").rstrip(".")
    return host or None


def registered_domain(url: str | None) -> str | None:
    """Registered domain of a URL or host ("news.bbc.co.uk" -> "bbc.co.uk"), offline.

    IP addresses, localhost and hosts without a known public suffix come back as the host.
    """
    if not isinstance(url, str) or not url.strip():
        return None
    host = host_of(url)
    if host is None:
        return None
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        domain = _TLD_EXTRACT(host).top_domain_under_public_suffix
    except Exception:  # tldextract on a pathological host name
        return host
    return domain or host


def _is_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def canonical_url(url: str | None, declared: list[str] | None) -> str | None:
    """The page's declared canonical when it is trustworthy, else the URL; normalised.

    Trustworthy: http(s) and on the same registered domain as `url`. A canonical on
    another domain (a syndication partner, an aggregator's source) would give two
    publishers' copies the same article_id. A canonical pointing to the site's home
    page from an article URL is a common CMS misconfiguration and is ignored too.
    With no usable `url`, the first usable declared canonical is taken.
    """
    base = normalise_url(url)
    domain = registered_domain(base) if base else None
    for candidate in declared or []:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        try:
            absolute = urljoin(url, candidate.strip()) if base and url else candidate.strip()
        except ValueError:
            continue
        normalised = normalise_url(absolute)
        if normalised is None:
            continue
        if base is None:
            return normalised
        if registered_domain(normalised) != domain:
            continue
        if _is_root(normalised) and not _is_root(base):
            continue
        return normalised
    return base
