"""Human-readable summaries of a collect run: lines for the terminal, markdown for Prefect."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    mb = summary["bytes"] / 1e6
    rows = [
        ("crawl date", summary["crawl_date"]),
        ("article URLs found", f"{summary['candidates']:,}"),
        ("to fetch", f"{summary['to_fetch']:,}"),
        ("fetched", f"{summary['fetched']:,}"),
    ]
    rows += [(f"skipped {why}", f"{n:,}") for why, n in summary["skipped"].items()]
    rows += [(f"failed {why}", detail) for why, detail in failures_by_reason(summary)]
    rows += [
        ("requests", f"{summary['requests']:,} ({summary['requests_per_s']:,.1f} req/s)"),
        ("bytes", f"{mb:,.1f} MB"),
        ("time", f"{summary['elapsed_s']:,.1f} s ({summary['pages_per_s']:,.1f} pages/s)"),
        ("WARC files", f"{len(summary['warc_files'])} (+{len(summary['aux_warc_files'])} aux)"),
        ("log", summary["log"]),
    ]
    return rows


def failures_by_reason(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(reason, "N (n1 article, n2 homepage...)") for every article URL and every source
    (robots.txt, homepage, feed, sitemap) that was refused or failed, most first."""
    by_reason: dict[str, Counter[str]] = defaultdict(Counter)
    for reason, n in summary["failed"].items():
        by_reason[reason]["article"] += n
    for key, n in summary.get("source_failures", {}).items():
        reason, kind = key.rsplit("/", 1)
        by_reason[reason][kind] += n
    ranked = sorted(by_reason.items(), key=lambda item: (-item[1].total(), item[0]))
    return [
        (
            reason,
            f"{kinds.total():,} (" + ", ".join(f"{n:,} {k}" for k, n in kinds.most_common()) + ")",
        )
        for reason, kinds in ranked
    ]


# what a reason means for someone looking at "found 0", and what to do about it
_HINTS = {
    "ssrf_refused": "private, loopback or IP-literal address refused by the SSRF guard "
    "(a local test site: list its address in [fetch] allow_private, docs/collect.md)",
    "dns_error": "host name not found",
    "robots_disallowed": "robots.txt disallows it",
    "robots_unavailable": "robots.txt unreachable (5xx, timeout): the host counts as disallowed",
    "not_article_like": "not an article URL to courlan, which also drops an IP address with a "
    "port (http://127.0.0.1:8000/...): give a test site a name ([fetch.resolve])",
}


def nothing_found_warning(summary: dict[str, Any]) -> str | None:
    """Why a run fetched no article, with what to do about it; None when it fetched some."""
    if summary["fetched"]:
        return None
    failed = failures_by_reason(summary)
    skipped = list(summary["skipped"].items())
    if not failed and not skipped:
        if not summary["candidates"]:
            return "nothing found: the sources gave no article URL (empty feeds or sitemaps?)"
        return "nothing fetched"
    # failures read "ssrf_refused 2 (1 article, 1 homepage)", skips "not_article_like 3"
    reasons = [f"{why} {detail}" for why, detail in failed] + [f"{w} {n:,}" for w, n in skipped]
    hints = [_HINTS.get(why) for why in sorted({w for w, _ in failed} | set(summary["skipped"]))]
    lines = ["nothing fetched: " + "; ".join(reasons), *(h for h in hints if h)]
    return "\n  ".join(lines)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    rows = summary_rows(summary)
    width = max(len(name) for name, _ in rows)
    return ["newsflow collect"] + [f"  {name:<{width}}  {value}" for name, value in rows]


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = [f"# newsflow collect {summary['crawl_date']}", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in summary_rows(summary)]
    return "\n".join(lines) + "\n"
