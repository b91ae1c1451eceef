"""Test-session set-up: Prefect never touches the user's ~/.prefect, helpers for runs."""

from __future__ import annotations

import os
import tempfile
import uuid

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

TESTS = Path(__file__).resolve().parent  # shared helpers (this folder) for child processes
REPO = TESTS.parent


def _hypothesis_profiles() -> None:
    """Fuzzing profiles (tests/ingest/test_fuzz.py): a few examples for `make test`, hundreds for
    `make fuzz` (HYPOTHESIS_PROFILE=long). Failing examples are kept in .hypothesis/ (not
    in git) and replayed first on the next run."""
    from hypothesis import HealthCheck, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    common = {
        "deadline": None,  # one example is two real pipeline runs: seconds, not milliseconds
        "database": DirectoryBasedExampleDatabase(str(REPO / ".hypothesis" / "examples")),
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
        "print_blob": True,
    }
    settings.register_profile("newsflow", max_examples=8, **common)
    settings.register_profile("long", max_examples=300, **common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "newsflow"))


_hypothesis_profiles()
DATA = Path(__file__).resolve().parent / "data"
DEMO_RAW = REPO / "infra" / "demo" / "raw"
SAMPLE_TXT = DATA / "text" / "echolive-trump-putin.txt"
# a real article (the normalise tests' long text) and input no field rule may raise on
ECHOLIVE_TEXT = SAMPLE_TXT.read_text(encoding="utf-8")
ODD_INPUTS = [None, "", "   ", "\x00", "garbage", "http://", "://", "\ud800", 42, b"bytes", []]


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session (it costs ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def run_local(input_path: Path | str, output: Path, day: date = date(2025, 3, 18), **kwargs):
    """Run the pipeline without Prefect (same code the flow runs)."""
    from tasks.process.pipeline import ProcessConfig
    from tasks.process.pipeline import run_local as _run_local

    config = ProcessConfig(input=str(input_path), crawl_date=day, output=str(output), **kwargs)
    return _run_local(config)


@pytest.fixture(scope="session")
def analyst_data(tmp_path_factory: pytest.TempPathFactory):
    """Three crawl dates processed by the pipeline (tests/analyst_data.py), shared read-only."""
    from analyst_data import build

    return build(tmp_path_factory.mktemp("analyst-data"))


# --- a real S3 server (SeaweedFS) behind a fault-injecting proxy, for the whole session ---


@pytest.fixture(scope="session")
def s3_server():
    from s3harness import SeaweedServer

    server = SeaweedServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_proxy(s3_server):
    from s3harness import FaultProxy

    proxy = FaultProxy(s3_server.port).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def s3(s3_server, s3_proxy, monkeypatch, tmp_path):
    """A fresh bucket; credentials in the environment (the AWS chain), endpoint = the proxy."""
    from backends import S3Backend
    from s3harness import ACCESS_KEY, SECRET_KEY

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "NEWSFLOW_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    s3_proxy.reset()
    bucket = s3_server.create_bucket(f"nf-{uuid.uuid4().hex[:12]}")
    return S3Backend(s3_server, s3_proxy, bucket)


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    """The same test against an output folder on local disk and an s3:// prefix."""
    from backends import LocalBackend

    if request.param == "local":
        return LocalBackend(tmp_path / "out")
    return request.getfixturevalue("s3")


SAMPLE_BOILERPLATE = (
    "Cookie Policy",
    "Privacy Policy",
    "Brand Safety",
    "Examiner Echo Group Limited",
    "More in this section",
    "Picture: AP Photo",
    "(Efrem Lukatsky/AP)",
    "(Russian Defence Ministry Press Service/AP)",
    "Reuters and Associated Press",
)
