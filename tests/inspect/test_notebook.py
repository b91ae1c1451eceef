"""notebooks/explore.ipynb runs headless, top to bottom, on data the pipeline produced.

A real IPython kernel (this venv's python, through a kernelspec written to a temp dir so
no user or system kernelspec can substitute another interpreter) executes every cell;
any cell error fails the test. The figures are written as PNG files to the test's temp
dir and, when NEWSFLOW_FIGURES_DIR is set, there too, for a reviewer to look at.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import REPO
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK = REPO / "notebooks" / "explore.ipynb"
KERNEL = "newsflow-test"


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in _code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def _kernel_manager(tmp_path: Path) -> KernelManager:
    spec_dir = tmp_path / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "newsflow test kernel",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)])
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)


def _figures(nb: nbformat.NotebookNode) -> list[bytes]:
    return [
        base64.b64decode(output.data["image/png"])
        for cell in _code_cells(nb)
        for output in cell.outputs
        if output.output_type == "display_data" and "image/png" in output.get("data", {})
    ]


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"])
    return "".join(parts)


def test_notebook_executes_on_pipeline_output(
    analyst_data, s3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same output, copied as committed to a real S3 server, for the notebook's S3 cell
    s3_uri = s3.upload_dir(analyst_data.output, "curated")
    monkeypatch.setenv("NEWSFLOW_S3_URI", s3_uri)
    monkeypatch.setenv("NEWSFLOW_S3_ENDPOINT", s3.server.endpoint)
    for name, sub in (("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("NEWSFLOW_DATA", str(analyst_data.output))
    for name in ("NEWSFLOW_START", "NEWSFLOW_END", "MPLBACKEND"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        km=_kernel_manager(tmp_path),
        timeout=300,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the traceback, when a cell fails

    figures = _figures(nb)
    targets = [tmp_path / "figures"]
    if os.environ.get("NEWSFLOW_FIGURES_DIR"):
        targets.append(Path(os.environ["NEWSFLOW_FIGURES_DIR"]))
    for target in targets:
        target.mkdir(parents=True, exist_ok=True)
        for n, png in enumerate(figures, 1):
            (target / f"explore-{n:02d}.png").write_bytes(png)
        nbformat.write(nb, target / "explore.executed.ipynb")
    # per day per source, language mix, word counts
    assert len(figures) == 3
    assert all(png.startswith(b"\x89PNG") and len(png) > 10_000 for png in figures)

    outputs = "\n".join(_text(cell) for cell in _code_cells(nb))
    first, last = analyst_data.dates[0], analyst_data.dates[-1]
    assert f"3 crawl dates on disk ({first} to {last})" in outputs
    assert "Total Files Read: 1" in outputs  # one date's query opened one file
    assert "wiremirror.co.uk" in outputs  # the syndicated wire story was found
    # original + 2 verbatim copies + 1 edited copy: 6 pairs, the edited one's 3 not exact
    assert "6 pairs within 3 bits, 3 not exact" in outputs
    assert "6 pair distances checked" in outputs
    assert "truncated_gzip" in outputs and "empty" in outputs  # quarantine reasons
    local_rows = sum(run["counts"]["articles"] for run in analyst_data.runs)
    assert f"{local_rows} committed rows in 3 files" in outputs
    assert f"{s3_uri}: {local_rows} committed rows in 3 files" in outputs
