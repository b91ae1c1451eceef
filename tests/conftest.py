"""Test-session set-up: Prefect never touches the user's ~/.prefect, helpers for runs."""

from __future__ import annotations

import os
import tempfile

# Before anything imports prefect: its home, database and result storage go to a temp dir.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsflow-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = os.path.join(_PREFECT_HOME, "storage")
os.environ["PREFECT_API_DATABASE_CONNECTION_URL"] = (
    f"sqlite+aiosqlite:///{os.path.join(_PREFECT_HOME, 'prefect.db')}"
)
os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

from collections.abc import Iterator  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
DEMO_RAW = REPO / "infra" / "demo" / "raw"
SAMPLE_TXT = DATA / "text" / "echolive-trump-putin.txt"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (it costs ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def run_local(input_path: Path | str, output: Path, day: date = date(2025, 3, 18), **kwargs):
    """Run the pipeline without Prefect (same code the flow runs)."""
    from tasks.pipeline import ProcessConfig
    from tasks.pipeline import run_local as _run_local

    config = ProcessConfig(input=str(input_path), crawl_date=day, output=str(output), **kwargs)
    return _run_local(config)


@pytest.fixture(scope="session")
def analyst_data(tmp_path_factory: pytest.TempPathFactory):
    """Three crawl dates processed by the pipeline (tests/analyst_data.py), shared read-only."""
    from analyst_data import build

    return build(tmp_path_factory.mktemp("analyst-data"))
