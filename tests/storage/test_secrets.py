"""No secret ever shows: S3 failures of every kind, every command that touches S3.

Known secrets are seeded into the environment (the access key id, the secret key, a session
token); the CLI then runs as a real subprocess against the real SeaweedFS harness while S3
fails in each way it can: a refused connection (a closed port), 403 (a wrong secret key,
SeaweedFS checks signatures), 500 on every request (the fault proxy), and a session token
ending in CR LF, which http.client refuses to send (`Invalid header value b'<token>'`).
stdout, stderr and every file the runs leave (outputs, run records, collection logs and
summaries, the S3 spool) must hold none of them; so must a Prefect-tracked run's logs,
artifacts, states and the Prefect database itself.

Profiles: by default every command runs with the CR/LF token (the failure whose message
quoted the secret) and two commands with each other failure, so every command and every
failure is covered in `make test` (~40 s); `NEWSFLOW_SECRETS_PROFILE=long` runs every command
with every failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import DEMO_RAW, REPO
from runs import DAY
from s3harness import ACCESS_KEY, SECRET_KEY, Fault, free_port

from tasks.storage.errors import StorageError

TOKEN = f"tok-secret-{uuid.uuid4().hex}"  # the session token's text, whatever its line end
CRLF_TOKEN = TOKEN + "\r\n"
WRONG_SECRET = f"wrong-secret-{uuid.uuid4().hex}"
SECRETS = (ACCESS_KEY, SECRET_KEY, TOKEN, WRONG_SECRET)
NEWSFLOW = str(Path(sys.executable).with_name("newsflow"))


@dataclass
class Failing:
    """One way S3 fails: the endpoint to use and the credentials in the environment."""

    name: str
    secret_key: str = SECRET_KEY
    token: str = TOKEN
    closed_port: bool = False
    faults: list[Fault] = field(default_factory=list)


FAILURES = [
    Failing("refused", closed_port=True),
    Failing("forbidden", secret_key=WRONG_SECRET),
    Failing("server_error", faults=[Fault("status", status=500, times=None)]),
    Failing("invalid_header", token=CRLF_TOKEN),
]
LONG = os.environ.get("NEWSFLOW_SECRETS_PROFILE") == "long"
# the default profile: which commands run with each failure (None: all of them)
SHORT = {
    "refused": ("process to s3", "collect to s3"),
    "forbidden": ("process from s3", "show"),
    "server_error": ("process to s3", "cleanup"),
    "invalid_header": None,
}


def commands(location: str, tmp: Path) -> dict[str, list[str]]:
    """Every command that touches S3, pointed at `location` (s3://bucket/prefix)."""
    sources = tmp / "sources.toml"
    sources.write_text("[sources]\n", encoding="utf-8")
    day = DAY.isoformat()
    return {
        "process to s3": [NEWSFLOW, "process", str(DEMO_RAW), "--date", day, "-o", location],
        "process from s3": [
            NEWSFLOW,
            "process",
            f"{location}/raw/crawl_date={day}",
            "--date",
            day,
            "-o",
            str(tmp / "local-out"),
        ],
        "collect to s3": [
            NEWSFLOW,
            "collect",
            str(sources),
            "--date",
            day,
            "--raw-root",
            f"{location}/raw",
        ],
        "show": [NEWSFLOW, "show", "-o", location, "--date", day],
        "cleanup": [NEWSFLOW, "cleanup", "-o", location],
        # (`stats` reads local output folders only: it never touches S3)
    }


def secrets_in(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [s for s in SECRETS if s.encode() in data]


def secrets_in_files(root: Path) -> dict[str, list[str]]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            hits = secrets_in(path.read_bytes())
            if hits:
                found[str(path)] = hits
    return found


def failing_env(failing: Failing, endpoint: str, tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "NEWSFLOW_S3_")) and k != "PREFECT_API_URL"
    }
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=failing.secret_key,
        AWS_SESSION_TOKEN=failing.token,
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"),
        NEWSFLOW_S3_ENDPOINT=endpoint,
        NEWSFLOW_S3_MAX_ATTEMPTS="2",
        NEWSFLOW_S3_CONNECT_TIMEOUT="2",
        NEWSFLOW_S3_READ_TIMEOUT="10",
        TMPDIR=str(tmp),  # the collect spool and temporary files: grepped below
        COLUMNS="200",
    )
    return env


@pytest.mark.parametrize("failing", FAILURES, ids=[f.name for f in FAILURES])
def test_no_command_shows_a_secret_whatever_s3_does(tmp_path: Path, s3, failing: Failing) -> None:
    # something to read: the raw zone on S3 (uploaded with good credentials, before the fault)
    s3.upload_dir(DEMO_RAW, f"{s3.prefix}/raw/crawl_date={DAY.isoformat()}")
    endpoint = f"http://127.0.0.1:{free_port()}" if failing.closed_port else s3.proxy.endpoint
    s3.proxy.add(*failing.faults)
    env = failing_env(failing, endpoint, tmp_path)
    runs = commands(s3.location, tmp_path)
    if not LONG and SHORT[failing.name] is not None:
        runs = {name: args for name, args in runs.items() if name in SHORT[failing.name]}

    def run(args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            args, capture_output=True, env=env, cwd=REPO, timeout=300, check=False
        )

    with ThreadPoolExecutor(max_workers=2) as pool:  # 2 cores: two CLIs at a time
        done = dict(zip(runs, pool.map(run, runs.values()), strict=True))

    for name, proc in done.items():
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0, (name, output[-2000:])  # S3 really failed
        assert secrets_in(output) == [], (name, output[-2000:])
    # the failures were S3's, said so, named the location, and gave the hint for CR/LF
    for name, proc in done.items():
        said = (proc.stdout + proc.stderr).decode()
        assert "S3" in said and s3.location in said, (name, said[-2000:])
        if failing.name == "invalid_header":
            assert "stray CR or LF" in said, (name, said[-2000:])
    # every file the runs left behind: local outputs, run records, collect logs, spool
    assert secrets_in_files(tmp_path) == {}


def test_a_prefect_tracked_run_keeps_every_secret_out_of_prefect(
    prefect_harness, s3, monkeypatch, tmp_path: Path
) -> None:
    import asyncio

    from prefect import get_client

    from flows.process import process
    from tasks.process.pipeline import ProcessConfig

    monkeypatch.setenv("NEWSFLOW_S3_ENDPOINT", s3.proxy.endpoint)
    monkeypatch.setenv("NEWSFLOW_S3_MAX_ATTEMPTS", "2")
    config = ProcessConfig(input=str(DEMO_RAW), output=s3.location, crawl_date=DAY, workers=1)
    for token, faults in [(CRLF_TOKEN, []), (TOKEN, [Fault("status", status=500, times=None)])]:
        s3.proxy.reset()
        s3.proxy.add(*faults)
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)
        with pytest.raises(StorageError) as caught:
            process(config=config)
        assert secrets_in(str(caught.value)) == []
        assert caught.value.__context__ is None  # not even attached to the exception

    async def everything_prefect_stored() -> str:
        async with get_client() as client:
            runs = await client.read_flow_runs()
            tasks = await client.read_task_runs()
            artifacts = await client.read_artifacts()
            logs = await client.read_logs()
        return json.dumps(
            [
                [(r.name, r.parameters, r.state.message if r.state else None) for r in runs],
                [(t.name, t.state.message if t.state else None) for t in tasks],
                [a.data for a in artifacts],
                [entry.message for entry in logs],
            ],
            default=str,
        )

    stored = asyncio.run(everything_prefect_stored())
    assert "StorageError" in stored  # the failures were recorded ...
    assert secrets_in(stored) == []  # ... without a secret
    # and nothing Prefect wrote to disk (its database, result storage) holds one
    assert secrets_in_files(Path(os.environ["PREFECT_HOME"])) == {}
