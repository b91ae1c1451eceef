"""Human-readable summaries of a run record: markdown for Prefect, lines for the terminal."""

from __future__ import annotations

from typing import Any


def summary_rows(record: dict[str, Any]) -> list[tuple[str, str]]:
    counts = record["counts"]
    timings = record["timings"]
    rows = [
        ("crawl date", record["crawl_date"]),
        ("records in", f"{counts['records_in']:,}"),
        ("articles written", f"{counts['articles']:,}"),
        ("quarantined", f"{counts['quarantined']:,}"),
        ("duplicates", f"{counts['duplicates']:,}"),
        ("docs/s", f"{timings['docs_per_s']:,.1f} ({timings['total_s']:.1f} s)"),
        ("articles", record["outputs"]["articles"]),
        ("quarantine", record["outputs"]["quarantine"]),
        ("run record", record.get("run_record", "")),
        ("orchestrator", _orchestrator(record.get("orchestrator", {}))),
    ]
    for reason, n in counts["quarantined_by_reason"].items():
        rows.insert(4, (f"  {reason}", f"{n:,}"))
    return rows


def summary_markdown(record: dict[str, Any]) -> str:
    lines = [f"# newsflow process {record['crawl_date']}", "", "| | |", "|---|---|"]
    lines += [f"| {name.strip()} | {value} |" for name, value in summary_rows(record)]
    return "\n".join(lines) + "\n"


def _orchestrator(info: dict[str, Any]) -> str:
    if info.get("name") != "prefect":
        return "none (plain run; --prefect for a tracked Prefect flow run)"
    where = f" on Dask {info['dask_address']}" if info.get("dask_address") else ""
    return f"prefect flow run {info.get('flow_run_id', '?')}{where}"
