"""The deployments declared in infra/prefect.yaml, read with Prefect's own loader.

`prefect deploy --prefect-file infra/prefect.yaml` registers them for a work pool;
`newsflow serve` serves the same deployments from one process, with the schedules of the
same file, so the cron line exists in one place only.
"""

from __future__ import annotations

import importlib
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prefect import Flow
from rich.console import Console

from tasks.storage.options import S3Options

PREFECT_YAML = Path(__file__).resolve().parent.parent / "infra" / "prefect.yaml"


@dataclass(slots=True)
class DeploymentSpec:
    name: str
    entrypoint: str  # "flows/nightly.py:nightly"
    schedules: list[dict[str, Any]]  # {"schedule": CronSchedule(...), ...} as Prefect builds them
    description: str = ""
    tags: list[str] = field(default_factory=list)
    concurrency_limit: int | None = None

    def flow(self) -> Flow:
        """The flow object of the entrypoint, imported as a module of the installed package."""
        path, name = self.entrypoint.split(":")
        return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


def load_deployments(path: Path = PREFECT_YAML) -> list[DeploymentSpec]:
    """Deployments of a prefect.yaml, validated and with schedules built the way
    `prefect deploy` builds them. Raises ValueError when the file does not validate."""
    # Prefect's own loader and schedule builder (private modules, pinned by prefect<4):
    # a test of our own YAML parsing could pass while `prefect deploy` rejects the file.
    from prefect.cli.deploy._config import _load_deploy_configs_and_actions
    from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule

    lines = _Lines()
    configs, _ = _load_deploy_configs_and_actions(path, console=Console(file=lines, width=200))
    if lines.lines or not configs:
        raise ValueError(f"{path} does not validate: {' '.join(lines.lines)}")
    return [
        DeploymentSpec(
            name=config["name"],
            entrypoint=config["entrypoint"],
            schedules=[
                _schedule_config_to_deployment_schedule(s) for s in config.get("schedules") or []
            ],
            description=config.get("description", ""),
            tags=list(config.get("tags") or []),
            concurrency_limit=config.get("concurrency_limit"),
        )
        for config in configs
    ]


class _Lines(io.StringIO):
    """A file for rich that keeps what Prefect's loader prints (its validation errors)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)


def runner_deployments(
    raw_root: str,
    output: str,
    timezone: str | None = None,
    specs: list[DeploymentSpec] | None = None,
    sources: str | None = None,
    s3: S3Options | None = None,
) -> list[Any]:
    """The deployments of infra/prefect.yaml for `prefect.serve`, with the storage
    locations (the nightly's collect `sources`, the S3 settings) as parameters and
    optionally the schedules moved to another timezone."""
    deployments = []
    for spec in specs if specs is not None else load_deployments():
        flow = spec.flow()
        parameters: dict[str, Any] = {"raw_root": raw_root, "output": output}
        if sources and "sources" in flow.parameters.properties:
            parameters["sources"] = sources
        if s3 is not None:  # stored with the deployment as JSON, rebuilt by each run
            parameters["s3"] = asdict(s3)
        schedules = [
            {**s, "schedule": s["schedule"].model_copy(update={"timezone": timezone})}
            if timezone
            else s
            for s in spec.schedules
        ]
        deployments.append(
            flow.to_deployment(
                name=spec.name,
                schedules=schedules,
                parameters=parameters,
                description=spec.description,
                tags=spec.tags,
                concurrency_limit=spec.concurrency_limit,
            )
        )
    return deployments
