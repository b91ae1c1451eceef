"""Human-readable summaries of a run record: markdown for Prefect, lines for the terminal."""

from __future__ import annotations

from collections import Counter
from datetime import date
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


def date_outcome(
    day: date, record: dict[str, Any] | None, failure: object = None
) -> dict[str, Any]:
    """One backfill date: the run record of a completed date, or why it failed."""
    if record is None:
        return {**_outcome(day, "failed"), "reason": _one_line(failure)}
    counts = record["counts"]
    return {
        **_outcome(day, "done"),
        "records_in": counts["records_in"],
        "articles": counts["articles"],
        "quarantined": counts["quarantined"],
        "duplicates": counts["duplicates"],
        "docs_per_s": record["timings"]["docs_per_s"],
        "run_id": record["run_id"],
    }


def skipped_outcome(day: date, reason: str) -> dict[str, Any]:
    return {**_outcome(day, "skipped"), "reason": reason}


def _outcome(day: date, status: str) -> dict[str, Any]:
    return {"date": day.isoformat(), "status": status, "reason": "", "run_id": ""}


def _one_line(failure: object) -> str:
    text = (
        f"{type(failure).__name__}: {failure}"
        if isinstance(failure, BaseException)
        else str(failure)
    )
    return " ".join(text.split())[:300]


def backfill_markdown(start: str, end: str, rows: list[dict[str, Any]]) -> str:
    status = Counter(row["status"] for row in rows)
    lines = [
        f"# newsflow backfill {start} to {end}",
        "",
        f"{len(rows)} dates: {status['done']} done, {status['skipped']} skipped, "
        f"{status['failed']} failed",
        "",
        "| date | status | records in | articles | quarantined | duplicates | docs/s | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        numbers = [
            f"{row[k]:,}" if k in row else ""
            for k in ("records_in", "articles", "quarantined", "duplicates", "docs_per_s")
        ]
        note = row["reason"].replace("|", "/")
        lines.append(f"| {row['date']} | {row['status']} | {' | '.join(numbers)} | {note} |")
    return "\n".join(lines) + "\n"


def nightly_markdown(record: dict[str, Any], top_sources: list[tuple[str, int]]) -> str:
    lines = [summary_markdown(record), "## top sources", "", "| source | articles |", "|---|---|"]
    lines += [f"| {source} | {n:,} |" for source, n in top_sources]
    return "\n".join(lines) + "\n"
