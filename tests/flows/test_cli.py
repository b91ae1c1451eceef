"""The `newsflow` command line: one convention for every command, s3:// wherever a location
goes (against SeaweedFS, tests/s3harness.py), and endings that say what happened."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import DEMO_RAW, run_local
from typer.testing import CliRunner

from flows.cli import app

DAY = date(2025, 3, 18)
NEWSFLOW = str(Path(sys.executable).with_name("newsflow"))
PIPELINE_ORDER = ["collect", "process", "backfill", "serve", "show", "stats", "cleanup"]


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def upload_demo_raw(s3, day: date) -> str:
    """The demo inputs as the raw zone partition of `day` on S3; returns the raw root."""
    raw_root = f"s3://{s3.bucket}/raw-{s3.prefix}"
    from tasks.storage.fs import open_storage

    store = open_storage(raw_root, s3.options)
    for path in DEMO_RAW.iterdir():
        store.write_bytes(f"crawl_date={day.isoformat()}/{path.name}", path.read_bytes())
    return raw_root


# --- one convention ------------------------------------------------------------------------


def test_version_and_commands_in_pipeline_order() -> None:
    version = invoke("--version")
    assert version.exit_code == 0 and re.fullmatch(r"newsflow \d+\.\d+\.\d+\S*\n", version.output)
    listed = re.findall(r"^│ (\w+)\s{2,}", invoke("--help").output, flags=re.MULTILINE)
    assert [c for c in listed if c in PIPELINE_ORDER] == PIPELINE_ORDER


@pytest.mark.parametrize("command", PIPELINE_ORDER)
def test_every_command_shares_the_option_names_and_capital_metavars(command: str) -> None:
    usage = invoke(command, "--help").output
    assert "{" not in usage and "<str>" not in usage and "<int>" not in usage, usage
    if command in ("process", "backfill", "serve", "show", "stats", "cleanup"):
        assert "--output" in usage and "-o" in usage
    if command in ("collect", "backfill", "serve"):
        assert "--raw-root" in usage
    assert "--s3-endpoint" in usage
    if command != "serve":  # serve runs until stopped: no summary to print
        assert "--json" in usage
    assert "--raw " not in usage


def test_dates_are_typed_and_strict_everywhere(tmp_path: Path) -> None:
    for args in (
        ["process", DEMO_RAW, "--date", "2025-3-18"],
        ["show", "--date", "20250318"],
        ["stats", "--end", "2025-02-30"],
        ["backfill", "--start", "2025-W11-1", "--end", "2025-03-18", "--raw-root", tmp_path],
    ):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "YYYY-MM-DD" in result.output


# --- bugs: backfill -------------------------------------------------------------------------


def test_backfill_validates_its_arguments_before_prefect_starts(tmp_path: Path) -> None:
    # a fresh interpreter, so that "prefect was never imported" means something
    code = (
        "import sys\nfrom flows.cli import app\n"
        "try:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n"
        "    print('exit', e.code, 'prefect' in sys.modules)\n"
    )
    argv = ["backfill", "--start", "2025-03-18", "--end", "2025-03-17", "--raw-root", "raw"]
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.stdout.strip().endswith("exit 2 False"), proc.stdout + proc.stderr
    assert "before start" in proc.stderr


def test_backfill_takes_s3_locations_and_prints_every_date_when_one_fails(
    prefect_harness, s3, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the old bug made a local ./s3:/ folder here
    raw_root = upload_demo_raw(s3, DAY)
    endpoint = ["--s3-endpoint", s3.options.endpoint_url]
    common = ["--raw-root", raw_root, "-o", s3.location, "--workers", "1", *endpoint]
    dry = invoke("backfill", "--start", DAY, "--end", "2025-03-19", *common, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2025-03-18  would run" in dry.output and "2025-03-19  would run" in dry.output
    assert s3.store.list("articles") == []  # a dry run changes nothing

    result = invoke("backfill", "--start", DAY, "--end", "2025-03-19", *common)
    assert result.exit_code == 1
    assert re.search(r"2025-03-18  done\s+13 articles", result.output), result.output
    assert "2025-03-19  failed" in result.output and "input not found" in result.output
    assert s3.committed("articles", DAY).num_rows == 13
    assert not (tmp_path / "s3:").exists()

    again = invoke("backfill", "--start", DAY, "--end", DAY, *common, "--json")
    assert again.exit_code == 0, again.output
    rows = json.loads(again.stdout)["dates"]
    assert [(r["date"], r["status"]) for r in rows] == [("2025-03-18", "skipped")]


# --- show, stats, cleanup: -o, s3://, and "nothing committed" is an error --------------------


def test_show_and_stats_say_when_nothing_is_committed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    show = invoke("show", "-o", out, "--date", DAY)
    assert show.exit_code == 1
    assert f"nothing committed for crawl_date={DAY}" in show.output and str(out) in show.output
    stats = invoke("stats", "-o", out)
    assert stats.exit_code == 1 and "nothing committed in" in stats.output

    run_local(DEMO_RAW, out, workers=1)
    assert invoke("show", "-o", out, "--date", DAY).exit_code == 0
    other_day = invoke("show", "-o", out, "--date", "2025-03-19")
    assert other_day.exit_code == 1 and "crawl_date=2025-03-19" in other_day.output
    assert invoke("stats", "-o", out, "--start", "2025-03-19").exit_code == 1


def test_the_program_keeps_exit_codes_and_flushed_output_when_it_skips_teardown(
    tmp_path: Path,
) -> None:
    # flows.cli.run, the console script, leaves by os._exit after the exit handlers: the
    # status of every ending and all of the output must be what `app` alone gives
    program = [sys.executable, "-m", "flows.cli"]
    out = tmp_path / "out"

    def ran(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*program, *map(str, args)], capture_output=True, text=True)

    nothing = ran("show", "-o", out, "--date", DAY)
    assert nothing.returncode == 1 and "nothing committed" in nothing.stdout + nothing.stderr
    misuse = ran("process", DEMO_RAW, "--date", "2025-02-30", "-o", out)
    assert misuse.returncode == 2 and "2025-02-30" in misuse.stderr
    done = ran("process", DEMO_RAW, "--date", DAY, "-o", out, "--workers", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["articles"] == 13  # all of stdout arrived
    assert ran("stats", "-o", out, "--json").returncode == 0


def test_process_show_stats_cleanup_on_s3(s3, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    endpoint = ["--s3-endpoint", s3.options.endpoint_url]
    raw_root = upload_demo_raw(s3, DAY)
    source = f"{raw_root}/crawl_date={DAY}"
    done = invoke(
        "process", source, "--date", DAY, "-o", s3.location, "--workers", "1", *endpoint, "--json"
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["counts"]["articles"] == 13

    show = invoke("show", "-o", s3.location, "--date", DAY, "--limit", "2", "--json", *endpoint)
    assert show.exit_code == 0, show.output
    shown = json.loads(show.stdout)
    assert len(shown["articles"]) == 2 and shown["quarantine"][0]["error_type"] == "truncated_gzip"

    stats = invoke("stats", "-o", s3.location, "--json", *endpoint)
    assert stats.exit_code == 0, stats.output
    found = json.loads(stats.stdout)
    assert found["articles"] == 13 and found["per_date"] == [[DAY.isoformat(), 13]]
    assert len(found["runs"]) == 1  # the run records are read from S3 too

    assert analysts_recipe_on_s3(s3).num_rows == 13

    cleanup = invoke("cleanup", "-o", s3.location, "--dry-run", *endpoint)
    assert cleanup.exit_code == 0 and "would remove staging of 0 run(s)" in cleanup.output
    assert not (tmp_path / "s3:").exists()


def analysts_recipe_on_s3(s3):
    """docs/analysts.md's "Only committed files (and S3)" recipe, run as docs/s3.md says:
    the same code with the S3 filesystem line (the recipes are shared, not copied)."""
    import pyarrow.fs as pafs
    from analyst_data import DOC, python_blocks

    [recipe] = [b for b in python_blocks(DOC.read_text()) if "def committed_files(fs" in b]
    local = "fs, base = pafs.LocalFileSystem(), os.path.abspath(root)"
    assert local in recipe
    fs = pafs.S3FileSystem(endpoint_override=s3.options.endpoint_url, region="us-east-1")
    base = s3.location.removeprefix("s3://")
    namespace = {"root": None, "start": DAY, "end": DAY, "s3_fs": fs, "s3_base": base}
    exec(recipe.replace(local, "fs, base = s3_fs, s3_base"), namespace)
    return namespace["articles"]


def test_cleanup_dry_run_removes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = out / "_staging" / "dead-run"
    stale.mkdir(parents=True)
    (stale / "batch-0.parquet").write_bytes(b"x")
    old = 1_000_000_000  # 2001: long idle
    for path in (stale / "batch-0.parquet", stale):
        os.utime(path, (old, old))

    dry = invoke("cleanup", "-o", out, "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["staging_runs"] == ["dead-run"]
    assert stale.exists()
    done = invoke("cleanup", "-o", out)
    assert done.exit_code == 0 and "removed staging of 1 run(s)" in done.output
    assert not stale.exists()


# --- collect: a typed config, and a run that finds nothing says why --------------------------


def test_collect_config_errors_name_the_key(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text(
        '[sources]\nfeeds = []\n[fetch]\nconcurrency = "16"\n[collect]\nmax_url = 3\n'
    )
    result = invoke("collect", config, "--date", DAY, "--raw-root", tmp_path / "raw")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)  # no traceback
    assert "[fetch]: concurrency: Input should be a valid integer" in result.output
    config.write_text("[collect]\nmax_url = 3\n")
    result = invoke("collect", config, "--date", DAY, "--raw-root", tmp_path / "raw")
    assert result.exit_code == 2 and "[collect]: max_url: unknown key" in result.output


def test_collect_that_refuses_every_source_warns_and_says_why(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("http://10.0.0.1/news/2025/03/18/story.html\n")
    config = tmp_path / "sources.toml"
    config.write_text('[sources]\nurl_lists = ["urls.txt"]\nhomepages = ["http://127.0.0.1:9/"]\n')
    result = invoke("collect", config, "--date", DAY, "--raw-root", tmp_path / "raw")
    assert result.exit_code == 0, result.output
    # refusals grouped by reason, over article URLs and sources alike
    assert re.search(r"failed ssrf_refused\s+2 \(1 article, 1 homepage\)", result.output)
    assert "warning: nothing fetched: ssrf_refused 2" in result.output
    assert "allow_private" in result.output  # and what to do about it


# --- Prefect stays quiet: its telemetry is off for CLI runs ----------------------------------


def test_cli_runs_switch_prefect_telemetry_off(tmp_path: Path) -> None:
    code = (
        "from flows.cli_options import quiet_prefect\nquiet_prefect()\n"
        "from prefect.settings import get_current_settings\n"
        "from prefect._internal.analytics.enabled import is_telemetry_enabled\n"
        "print(get_current_settings().server.analytics_enabled, is_telemetry_enabled())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK", "CI")}
    env.pop("PREFECT_SERVER_ANALYTICS_ENABLED", None)
    env["PREFECT_HOME"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.stdout.split() == ["False", "False"], proc.stderr


def test_collect_of_ip_and_port_urls_says_courlan_dropped_them(tmp_path: Path) -> None:
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:8000/news/2025/03/18/story.html\n")
    config = tmp_path / "sources.toml"
    # allowed by the SSRF guard, so the URL reaches courlan, which drops IP:port hosts
    config.write_text(
        '[sources]\nurl_lists = ["urls.txt"]\n[fetch]\nallow_private = ["127.0.0.1"]\n'
    )
    result = invoke("collect", config, "--date", DAY, "--raw-root", tmp_path / "raw", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["fetched"] == 0 and summary["skipped"] == {"not_article_like": 1}
    assert summary["requests"] == 0  # decided before any request
    assert "warning: nothing fetched: not_article_like 1" in result.stderr
    assert "[fetch.resolve]" in result.stderr
