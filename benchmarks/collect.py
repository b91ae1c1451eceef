"""`collect` throughput against a local web of simulated hosts, and politeness while it runs.

Starts N HTTP servers on 127.0.0.1 (one port = one host) in a separate process (so the
servers do not share the crawler's GIL), each serving the ScrapingHub benchmark pages with an
artificial latency per response. Then runs `tasks.collect.crawler.run_collect` over URL lists for 1,
5, 10 and 20 hosts with the same pages per host and reports pages/s. Politeness is checked
from the servers' own access logs: never two requests at once to one host, and at least the
per-host delay between the end of one response and the next request.

Run: python benchmarks/collect.py [--hosts 1 5 10 20] [--pages 20] [--latency 0.05]
                                  [--delay 0.1] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus import pages  # noqa: E402
from sites import AccessLog, Site, body  # noqa: E402

from tasks.collect.crawler import CollectConfig, Sources, run_collect  # noqa: E402
from tasks.collect.fetch import FetchSettings  # noqa: E402

DAY = date(2025, 3, 18)


def serve(hosts: int, per_host: int, latency: float, conn) -> None:  # noqa: ANN001
    """Child process: the simulated hosts. Sends the ports, then the access log on 'stop'."""
    corpus = pages()
    log = AccessLog()
    sites = []
    for h in range(hosts):
        site = Site(f"host{h:02d}.bench.example", log)
        for p in range(per_host):
            html = corpus[(h * per_host + p) % len(corpus)].html
            site.routes[f"/2025/03/18/story-{p}.html"] = body(html, delay=latency)
        sites.append(site)
    conn.send([(s.name, s.port) for s in sites])
    conn.recv()
    conn.send([(h.site, h.path, h.started, h.ended, h.status) for h in log.hits])
    for site in sites:
        site.close()


def check_politeness(hits: list[tuple], delay: float) -> tuple[int, float]:
    """(violations, smallest gap seen) over all hosts, from the server-side log."""
    by_site: dict[str, list[tuple]] = {}
    for hit in hits:
        by_site.setdefault(hit[0], []).append(hit)
    violations, smallest = 0, float("inf")
    for site_hits in by_site.values():
        site_hits.sort(key=lambda h: h[2])
        for before, after in zip(site_hits, site_hits[1:], strict=False):
            gap = after[2] - before[3]
            smallest = min(smallest, gap)
            if gap < delay:
                violations += 1
    return violations, smallest


def run(hosts: int, args: argparse.Namespace) -> dict:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=serve, args=(hosts, args.pages, args.latency, child), daemon=True
    )
    server.start()
    try:
        ports = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            url_list = Path(tmp) / "urls.txt"
            url_list.write_text(
                "".join(
                    f"http://{name}:{port}/2025/03/18/story-{p}.html\n"
                    for p in range(args.pages)
                    for name, port in ports
                )
            )
            config = CollectConfig(
                sources=Sources(url_lists=[str(url_list)]),
                crawl_date=DAY,
                raw_root=str(Path(tmp) / "raw"),
                fetch=FetchSettings(
                    user_agent="newsflow-bench/0.1",
                    concurrency=args.concurrency,
                    min_host_delay=args.delay,
                    allow_private=("127.0.0.1",),
                    resolve={name: "127.0.0.1" for name, _ in ports},
                ),
            )
            summary = run_collect(config)
        parent.send("stop")
        hits = parent.recv()
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.kill()
    violations, smallest = check_politeness(hits, args.delay)
    return {"summary": summary, "violations": violations, "smallest_gap": smallest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--pages", type=int, default=20, help="pages per host")
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per page")
    parser.add_argument("--delay", type=float, default=0.1, help="min delay per host")
    parser.add_argument("--concurrency", type=int, default=32, help="global requests in flight")
    args = parser.parse_args()

    # One host can do at most 1 / (latency + delay) pages/s: the bound politeness sets.
    per_host_bound = 1 / (args.latency + args.delay)
    print(
        f"{args.pages} pages/host, latency {args.latency * 1000:.0f} ms, per-host delay "
        f"{args.delay * 1000:.0f} ms, 1 request/host at a time, global concurrency "
        f"{args.concurrency}; politeness bound {per_host_bound:.1f} pages/s per host"
    )
    print(
        f"{'hosts':>5} {'pages':>6} {'s':>6} {'pages/s':>8} {'bound':>7} {'req/s':>6} "
        f"{'MB':>6} {'violations':>10} {'min gap ms':>10}"
    )
    for hosts in args.hosts:
        result = run(hosts, args)
        s = result["summary"]
        assert s["accounted"] and s["fetched"] == hosts * args.pages, s
        print(
            f"{hosts:5d} {s['fetched']:6d} {s['elapsed_s']:6.1f} {s['pages_per_s']:8.1f} "
            f"{hosts * per_host_bound:7.1f} {s['requests_per_s']:6.1f} {s['bytes'] / 1e6:6.1f} "
            f"{result['violations']:10d} {result['smallest_gap'] * 1000:10.0f}"
        )


if __name__ == "__main__":
    main()
