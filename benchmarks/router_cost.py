"""Router cost (features + model, ms per page) of this tree against another revision's
router, on the same parsed pages, interleaved: every round times both routers on every
page, so drift in machine load hits both alike. Prints the median over rounds and the
min-max spread, per page group.

    python benchmarks/router_cost.py --against ccb3195 --rounds 5 --wcxb-every 5

The other revision's tasks/extract/pagetype.py and models/pagetype.json are read with
`git show` into a temporary module. Pages: the 181 ScrapingHub articles (what a news crawl
mostly is) and every n-th WCXB dev page (all 7 types); seeds from benchmarks/.cache.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import trafilatura  # noqa: E402
from benchdata import all_pages, cached_texts, decoded  # noqa: E402
from train_extractor import seed_text  # noqa: E402

from tasks.extract import pagetype  # noqa: E402
from tasks.extract.treemodel import load_model  # noqa: E402


def _revision(rev: str, folder: Path):
    """(router module, router model) of git revision `rev`."""
    for source, name in (
        ("tasks/extract/pagetype.py", "pagetype_rev.py"),
        ("tasks/extract/models/pagetype.json", "pagetype_rev.json"),
    ):
        text = subprocess.run(
            ["git", "show", f"{rev}:{source}"], cwd=HERE.parent, check=True, capture_output=True
        ).stdout
        (folder / name).write_bytes(text)
    spec = importlib.util.spec_from_file_location("pagetype_rev", folder / "pagetype_rev.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["pagetype_rev"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module, load_model(folder / "pagetype_rev.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--wcxb-every", type=int, default=5, help="every n-th WCXB page")
    args = parser.parse_args()
    pages = all_pages()
    pages = [p for p in pages if p.dataset == "scrapinghub"] + [
        p for p in pages if p.dataset == "wcxb"
    ][:: args.wcxb_every]
    seeds = cached_texts("seed", pages, seed_text)
    trees = [(p, trafilatura.load_html(decoded(p))) for p in pages]
    with tempfile.TemporaryDirectory() as folder:
        old_module, old_model = _revision(args.against, Path(folder))
    routers = {
        args.against: lambda tree, url, seed: old_module.classify(tree, url, seed, old_model),
        "this tree": lambda tree, url, seed: pagetype.classify(tree, url, seed),
    }
    groups = {"ScrapingHub": "scrapinghub", f"WCXB 1/{args.wcxb_every}": "wcxb"}
    spent = {(g, r): [] for g in groups for r in routers}
    for _ in range(args.rounds):
        total = dict.fromkeys(spent, 0.0)
        for page, tree in trees:
            group = next(g for g, d in groups.items() if d == page.dataset)
            for name, route in routers.items():
                started = time.perf_counter()
                route(tree, page.url or None, seeds[page.page_id])
                total[group, name] += time.perf_counter() - started
        for key in spent:
            count = sum(1 for p, _ in trees if p.dataset == groups[key[0]])
            spent[key].append(total[key] / count * 1000)
    print(f"{'ms per page':32} {'median':>7} {'min':>7} {'max':>7}   ({args.rounds} rounds)")
    for (group, name), values in spent.items():
        label = f"{group}, {name}"
        print(f"{label:32} {statistics.median(values):7.2f} {min(values):7.2f} {max(values):7.2f}")
    # the same round's two timings saw the same load: their ratio is steadier than either
    for group in groups:
        ratios = [b / a for a, b in zip(*(spent[group, r] for r in routers), strict=True)]
        label = f"{group}, this / {args.against}"
        print(f"{label:32} {statistics.median(ratios):7.2f} {min(ratios):7.2f} {max(ratios):7.2f}")


if __name__ == "__main__":
    main()
