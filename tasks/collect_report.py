"""Human-readable summaries of a collect run: lines for the terminal, markdown for Prefect."""

from __future__ import annotations

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
    rows += [(f"failed {why}", f"{n:,}") for why, n in summary["failed"].items()]
    rows += [
        ("requests", f"{summary['requests']:,} ({summary['requests_per_s']:,.1f} req/s)"),
        ("bytes", f"{mb:,.1f} MB"),
        ("time", f"{summary['elapsed_s']:,.1f} s ({summary['pages_per_s']:,.1f} pages/s)"),
        ("WARC files", f"{len(summary['warc_files'])} (+{len(summary['aux_warc_files'])} aux)"),
        ("log", summary["log"]),
    ]
    return rows


def summary_lines(summary: dict[str, Any]) -> list[str]:
    rows = summary_rows(summary)
    width = max(len(name) for name, _ in rows)
    return ["newsflow collect"] + [f"  {name:<{width}}  {value}" for name, value in rows]


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = [f"# newsflow collect {summary['crawl_date']}", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in summary_rows(summary)]
    return "\n".join(lines) + "\n"
