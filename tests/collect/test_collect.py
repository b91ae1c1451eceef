"""`collect` against real HTTP servers on loopback: discovery, politeness, failures, WARC, e2e.

One module-scoped crawl of a small simulated web (several hosts = several loopback ports,
plus one server on 127.0.0.2 that the SSRF guard must never reach); the tests then check
the server's own access log, the collection log, the WARC files (with warcio and FastWARC)
and what `process` makes of them.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from benchpages import page
from conftest import REPO, run_local
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from sites import (
    AccessLog,
    Site,
    atom,
    body,
    endless,
    redirect,
    rss,
    sequence,
    sitemap_index,
    urlset,
)
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from schemas import PARTITIONING, partition_name
from tasks.collect.crawler import CollectConfig, Sources, load_config, run_collect
from tasks.collect.fetch import FetchSettings
from tasks.collect.rawzone import RawZone, SeenIndex, read_log
from tasks.ingest.listing import list_inputs
from tasks.storage.fs import open_storage

DAY = date(2025, 3, 18)
MIN_DELAY = 0.3
CRAWL_DELAY = 1.0  # robots.txt of news-a
RETRY_AFTER = 1


class Web:
    """The simulated web and what a crawl of it is expected to do with every URL."""

    def __init__(self, tmp: Path) -> None:
        self.log = AccessLog()
        self.a = Site("news-a.example.com", self.log)
        self.b = Site("news-b.example.org", self.log)
        self.c = Site("trouble.example.net", self.log)
        self.down = Site("down.example.com", self.log)
        # a private address that is not allow-listed: nothing may ever connect to it
        self.internal = Site("internal.example.com", self.log, address="127.0.0.2")
        self.sites = [self.a, self.b, self.c, self.down, self.internal]
        self.expected: dict[str, tuple[str, str | None]] = {}  # url -> (outcome, reason)
        n = 0

        def article(site: Site, path: str, outcome: str = "fetched", reason: str | None = None):
            nonlocal n
            site.routes[path] = body(page(n))
            n += 1
            self.expected[site.url(path)] = (outcome, reason)
            return site.url(path)

        a, b, c = self.a, self.b, self.c
        # news-a: robots with Disallow + Crawl-delay, homepage announcing an RSS feed, Atom feed
        # RFC 9309 wildcards (`*`, `$`): the stdlib's robotparser would read them literally
        a.routes["/robots.txt"] = body(
            b"User-agent: *\nDisallow: /private/\nDisallow: /*-embargoed.html$\nCrawl-delay: 1\n",
            "text/plain",
        )
        a.routes["/"] = body(
            b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
            b"</head><body><p>home</p></body></html>"
        )
        rss_items = [article(a, f"/2025/03/18/rss-story-{i}.html") for i in range(3)]
        secret = a.url("/private/2025/03/18/secret-story.html")
        a.routes["/private/2025/03/18/secret-story.html"] = body(page(99))
        self.expected[secret] = ("failed", "robots_disallowed")
        embargoed = a.url("/2025/03/18/budget-embargoed.html")
        a.routes["/2025/03/18/budget-embargoed.html"] = body(page(98))
        self.expected[embargoed] = ("failed", "robots_disallowed")
        a.routes["/feed.xml"] = body(rss([*rss_items, secret, embargoed]), "application/rss+xml")
        atom_items = [article(a, f"/2025/03/18/atom-story-{i}.html") for i in range(2)]
        a.routes["/atom.xml"] = body(atom(atom_items), "application/atom+xml")

        # news-b: sitemap index -> sitemap + Google News sitemap, a 429 and a 500 then 200
        b.routes["/robots.txt"] = body(b"User-agent: *\nAllow: /\n", "text/plain")
        pages_ = [article(b, f"/2025/03/18/sitemap-story-{i}.html") for i in range(3)]
        news = [article(b, f"/2025/03/18/news-story-{i}.html") for i in range(2)]
        b.routes["/2025/03/18/rate-limited.html"] = sequence(
            body(b"slow down", status=429, headers={"Retry-After": str(RETRY_AFTER)}),
            body(page(20)),
        )
        self.expected[b.url("/2025/03/18/rate-limited.html")] = ("fetched", None)
        b.routes["/2025/03/18/flaky.html"] = sequence(body(b"oops", status=500), body(page(21)))
        self.expected[b.url("/2025/03/18/flaky.html")] = ("fetched", None)
        b.routes["/sitemap-pages.xml"] = body(
            urlset([*pages_, *(b.url(f"/2025/03/18/{p}.html") for p in ("rate-limited", "flaky"))]),
            "application/xml",
        )
        b.routes["/sitemap-news.xml"] = body(urlset(news, news=True), "application/xml")
        b.routes["/sitemap_index.xml"] = body(
            sitemap_index([b.url("/sitemap-pages.xml"), b.url("/sitemap-news.xml")]),
            "application/xml",
        )

        # trouble: no robots.txt (404: allowed), every failure a crawler meets
        c.routes["/2025/03/18/slow.html"] = body(page(30), delay=3.0)
        c.routes["/2025/03/18/loop-a.html"] = redirect(c.url("/2025/03/18/loop-b.html"))
        c.routes["/2025/03/18/loop-b.html"] = redirect(c.url("/2025/03/18/loop-a.html"))
        c.routes["/2025/03/18/huge.html"] = endless(50 * 2**20)
        c.routes["/2025/03/18/report.html"] = body(b"%PDF-1.4 ...", "application/pdf")
        c.routes["/2025/03/18/to-metadata.html"] = redirect("http://169.254.169.254/latest/")
        c.routes["/2025/03/18/to-private.html"] = redirect("http://10.0.0.1/admin")
        c.routes["/2025/03/18/to-internal.html"] = redirect(self.internal.url("/2025/secret.html"))
        c.routes["/2025/03/18/moved.html"] = redirect(c.url("/2025/03/18/moved-here.html"), 301)
        c.routes["/2025/03/18/moved-here.html"] = body(page(31))
        c.routes["/2025/03/18/gone.html"] = body(b"gone", status=410)
        self.internal.routes["/2025/secret.html"] = body(b"<html>secret</html>")
        self.down.routes["/robots.txt"] = body(b"busy", status=503)
        for path, outcome, reason in [
            ("/2025/03/18/slow.html", "failed", "timeout"),
            ("/2025/03/18/loop-a.html", "failed", "redirect_loop"),
            ("/2025/03/18/huge.html", "failed", "too_large"),
            ("/2025/03/18/report.html", "failed", "not_html"),
            ("/2025/03/18/to-metadata.html", "failed", "ssrf_refused"),
            ("/2025/03/18/to-private.html", "failed", "ssrf_refused"),
            ("/2025/03/18/to-internal.html", "failed", "ssrf_refused"),
            ("/2025/03/18/moved.html", "fetched", None),
            ("/2025/03/18/gone.html", "failed", "http_410"),
        ]:
            self.expected[c.url(path)] = (outcome, reason)
        down_url = self.down.url("/2025/03/18/story.html")
        self.expected[down_url] = ("failed", "robots_unavailable")
        nowhere = "http://no-such-host.invalid/2025/03/18/story.html"
        self.expected[nowhere] = ("failed", "dns_error")
        not_article = a.url("/tag/sport")
        self.expected[not_article] = ("skipped", "not_article_like")
        url_list = tmp / "urls.txt"
        listed = [u for u in self.expected if u.startswith(c.url("/"))]
        url_list.write_text(
            "# trouble makers\n" + "\n".join([*listed, down_url, nowhere, not_article]) + "\n"
        )
        self.sources = Sources(
            url_lists=[str(url_list)],
            feeds=[a.url("/atom.xml")],
            sitemaps=[b.url("/sitemap_index.xml")],
            homepages=[a.url("/")],
        )

    def settings(self) -> FetchSettings:
        return FetchSettings(
            user_agent="newsflow-test/1.0 (+https://example.org/bot)",
            concurrency=8,
            min_host_delay=MIN_DELAY,
            connect_timeout=2,
            read_timeout=1,
            total_timeout=2,
            max_body_bytes=5 * 2**20,
            max_retries=2,
            backoff_base=0.2,
            max_retry_after=5,
            allow_private=("127.0.0.1",),
            resolve={s.name: s.address for s in self.sites},
        )

    def config(self, raw: Path, day: date = DAY, **kwargs) -> CollectConfig:
        return CollectConfig(
            sources=self.sources,
            crawl_date=day,
            raw_root=str(raw),
            fetch=self.settings(),
            warc_max_bytes=100_000,  # several files: rolling is exercised
            **kwargs,
        )

    def close(self) -> None:
        for site in self.sites:
            site.close()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collect")
    web = Web(tmp)
    raw = tmp / "raw"
    summary = run_collect(web.config(raw))
    yield web, raw, summary
    web.close()


def log_entries(summary: dict) -> list[dict]:
    return read_log(Path(summary["log"]))


def warc_files(raw: Path, day: date = DAY) -> list[Path]:
    return sorted((raw / f"crawl_date={day}").glob("*.warc.gz"))


def committed_warcs(location: str | Path, day: date = DAY, s3=None) -> list[str]:
    """Keys of the committed article WARC files of a raw root, local or S3 (not `_aux/`)."""
    store = open_storage(str(location), s3)
    return [
        e.key
        for e in store.list(partition_name(day))
        if e.key.endswith(".warc.gz") and "/_" not in e.key
    ]


def archived(location: str | Path, day: date = DAY, s3=None) -> list[str]:
    """The response targets in the committed article WARC files, in file order."""
    store = open_storage(str(location), s3)
    targets = []
    for key in committed_warcs(location, day, s3):
        with store.open_read(key) as stream:
            for record in FastIterator(stream, record_types=WarcRecordType.response):
                targets.append(record.headers["WARC-Target-URI"])
    return targets


# ---------------------------------------------------------------- every URL accounted for


def test_every_article_url_ends_with_the_expected_outcome(crawl) -> None:
    web, _raw, summary = crawl
    articles = [e for e in log_entries(summary) if e["kind"] == "article"]
    outcomes = {e["url"]: (e["outcome"], e["reason"]) for e in articles}
    assert outcomes == web.expected
    assert len(articles) == len(outcomes)  # one line per URL, none twice
    assert summary["accounted"]
    assert summary["fetched"] == sum(1 for o, _ in web.expected.values() if o == "fetched")
    assert summary["failed"]["ssrf_refused"] == 3
    assert summary["skipped"] == {"not_article_like": 1}


def test_discovery_used_every_kind_of_source(crawl) -> None:
    _web, _raw, summary = crawl
    d = summary["discovery"]
    assert d["feeds_from_homepages"] == 1  # the RSS link on news-a's homepage
    assert d["links_from_feeds"] == 5 + 2  # RSS (incl. the two disallowed) + Atom
    assert d["links_from_sitemaps"] == 5 + 2  # sitemap + Google News sitemap via the index
    assert d["sitemap_fetched"] == 3  # the index and its two sitemaps
    # failed: trouble (404, so allowed), down (503), internal (refused, never connected),
    # no-such-host.invalid (DNS)
    assert d["robots_fetched"] == 2 and d["robots_failed"] == 4


def test_redirect_final_url_is_logged(crawl) -> None:
    web, _raw, summary = crawl
    [moved] = [e for e in log_entries(summary) if e["url"].endswith("/moved.html")]
    assert moved["final_url"] == web.c.url("/2025/03/18/moved-here.html")


# ---------------------------------------------------------------- politeness, server-side


@pytest.mark.parametrize(("site", "delay"), [("a", CRAWL_DELAY), ("b", MIN_DELAY)])
def test_one_request_at_a_time_per_host_with_the_delay(crawl, site: str, delay: float) -> None:
    web, _raw, _summary = crawl
    hits = web.log.of(getattr(web, site).name)
    assert len(hits) >= 5
    for before, after in zip(hits, hits[1:], strict=False):
        assert after.started >= before.ended, (before, after)  # never two at once
        assert after.started - before.ended >= delay, (before.path, after.path)


def test_retry_after_and_backoff_are_honoured(crawl) -> None:
    web, _raw, _summary = crawl
    limited = [h for h in web.log.of(web.b.name) if h.path.endswith("rate-limited.html")]
    assert [h.status for h in limited] == [429, 200]
    assert limited[1].started - limited[0].ended >= RETRY_AFTER
    flaky = [h for h in web.log.of(web.b.name) if h.path.endswith("flaky.html")]
    assert [h.status for h in flaky] == [500, 200]


def test_robots_txt_is_fetched_once_per_host_and_disallow_is_obeyed(crawl) -> None:
    web, _raw, _summary = crawl
    paths = [h.path for h in web.log.of(web.a.name)]
    assert paths.count("/robots.txt") == 1
    assert paths[0] == "/robots.txt"  # before anything else on the host
    assert not any(p.startswith("/private/") or p.endswith("-embargoed.html") for p in paths)
    # robots.txt answered 503 (retried, then given up): nothing else was asked of that host
    assert {h.path for h in web.log.of(web.down.name)} == {"/robots.txt"}


def test_user_agent_is_sent(crawl) -> None:
    web, _raw, _summary = crawl
    assert {h.user_agent for h in web.log.hits} == {"newsflow-test/1.0 (+https://example.org/bot)"}


def test_ssrf_guard_never_connects_to_a_refused_address(crawl) -> None:
    web, _raw, _summary = crawl
    assert web.log.connections.get(web.internal.name, 0) == 0
    assert web.log.of(web.internal.name) == []


# ---------------------------------------------------------------- the WARC files


def test_warc_files_are_committed_rolled_and_valid_for_both_readers(crawl) -> None:
    web, raw, summary = crawl
    files = warc_files(raw)
    assert len(files) >= 2  # rolled at warc_max_bytes
    assert [str(f) for f in files] == sorted(summary["warc_files"])
    assert not list(raw.rglob("*.part"))
    fetched = {u for u, (o, _) in web.expected.items() if o == "fetched"}
    warcio_targets, fast_targets = [], []
    for path in files:
        with open(path, "rb") as stream:
            for record in WarcioIterator(stream, check_digests="raise"):
                if record.rec_type == "response":
                    warcio_targets.append(record.rec_headers.get_header("WARC-Target-URI"))
                    assert record.http_headers.get_statuscode() == "200"
                    assert record.content_stream().read().lstrip().startswith(b"<")
        with open(path, "rb") as stream:
            # parse_http=False: the block digest covers the HTTP headers too
            for record in FastIterator(stream, parse_http=False):
                assert record.verify_block_digest()
                if record.record_type == WarcRecordType.response:
                    fast_targets.append(record.headers["WARC-Target-URI"])
    assert warcio_targets == fast_targets
    moved = web.c.url("/2025/03/18/moved.html")
    assert set(warcio_targets) == (fetched - {moved}) | {web.c.url("/2025/03/18/moved-here.html")}
    assert len(warcio_targets) == len(set(warcio_targets))


def test_part_files_and_collect_folders_are_not_process_inputs(crawl, tmp_path: Path) -> None:
    _web, raw, _summary = crawl
    partition = raw / f"crawl_date={DAY}"
    (partition / "newsflow-crashed-00000.warc.gz.part").write_bytes(b"half a record")
    try:
        inputs = list_inputs(partition)
    finally:
        (partition / "newsflow-crashed-00000.warc.gz.part").unlink()
    # no .part, nothing from _aux/ or _collect/
    assert [f.uri for f in inputs] == [str(p) for p in warc_files(raw)]


# ---------------------------------------------------------------- end to end, reruns


def test_collect_then_process_gives_rows_with_the_servers_urls_and_times(crawl, tmp_path) -> None:
    web, raw, _summary = crawl
    out = tmp_path / "out"
    record = run_local(raw / f"crawl_date={DAY}", out, DAY, workers=1)
    c = record["counts"]
    assert c["records_in"] == c["articles"] + c["quarantined"] + c["duplicates"]
    dataset = ds.dataset(out / "articles", format="parquet", partitioning=PARTITIONING)
    rows = dataset.to_table().to_pylist()
    served = {}
    for site in web.sites:
        for hit in web.log.of(site.name):
            if hit.status == 200:
                served[site.url(hit.path)] = hit
    assert c["records_in"] == len(archived(raw))
    assert len(rows) >= c["records_in"] - 2  # a page or two may not extract: quarantined
    for row in rows:
        hit = served[row["url"]]
        # the WARC-Date is taken when the request is sent: just before the server saw it
        assert timedelta(0) <= hit.started_wall - row["fetched_at"] < timedelta(seconds=1)


def test_rerun_same_date_archives_nothing_twice(crawl) -> None:
    web, raw, first = crawl
    before = archived(raw)
    again = run_collect(web.config(raw))
    assert again["fetched"] == 0
    assert again["skipped"]["seen_today"] == first["fetched"]
    assert again["warc_files"] == []
    assert archived(raw) == before
    # and with --refetch the same date still does not duplicate
    third = run_collect(web.config(raw, refetch=True))
    assert third["fetched"] == 0 and archived(raw) == before


def test_next_date_skips_urls_seen_earlier_unless_refetch(tmp_path: Path) -> None:
    web = Web(tmp_path)
    try:
        url = web.b.url("/2025/03/18/sitemap-story-0.html")
        (tmp_path / "one.txt").write_text(url + "\n")
        web.sources = Sources(url_lists=[str(tmp_path / "one.txt")])
        raw = tmp_path / "raw"
        assert run_collect(web.config(raw))["fetched"] == 1
        later = DAY + timedelta(days=1)
        skipped = run_collect(web.config(raw, day=later))
        assert skipped["skipped"] == {"seen_earlier": 1} and skipped["fetched"] == 0
        refetched = run_collect(web.config(raw, day=later, refetch=True))
        assert refetched["fetched"] == 1
        assert len(archived(raw)) == 1  # DAY's
        assert archived(raw, later) == [url]
        # outside seen_window_days, earlier dates are not consulted
        far = DAY + timedelta(days=60)
        assert run_collect(web.config(raw, day=far, seen_window_days=30))["fetched"] == 1
    finally:
        web.close()


def endpoint_args(backend) -> list[str]:
    return ["--s3-endpoint", backend.options.endpoint_url] if backend.options else []


def test_collect_killed_mid_run_then_rerun_archives_every_url_once(tmp_path, backend) -> None:
    """SIGKILL a real `newsflow collect` mid-crawl, then run the date again (local and S3)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    web = Web(tmp_path)
    try:
        config = write_config(web, tmp_path, delay=0.5, warc_max_bytes=1)  # a file per page
        raw, s3 = backend.location, backend.options
        zone = RawZone(raw, DAY, s3)
        newsflow = Path(sys.executable).with_name("newsflow")
        args = [str(newsflow), "collect", str(config), "--date", DAY.isoformat(), "--raw-root", raw]
        proc = subprocess.Popen(
            args + endpoint_args(backend), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        try:
            # wait until at least two files are committed: the crawl is well under way
            while len(committed_warcs(raw, DAY, s3)) < 2 and time.monotonic() < deadline:
                assert proc.poll() is None, "collect ended before it could be killed"
                time.sleep(0.05)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        committed = archived(raw, DAY, s3)
        assert 2 <= len(committed) < 7
        # a .part, if any, is not an input
        assert [str(f) for f in list_inputs(zone.uri, s3)] == [
            zone.store.uri_of(k) for k in committed_warcs(raw, DAY, s3)
        ]
        config = load_config(config, DAY, raw)
        config.s3 = s3
        summary = run_collect(config)
        assert summary["skipped"] == {"seen_today": len(committed)}
        assert summary["fetched"] == 7 - len(committed)
        targets = archived(raw, DAY, s3)
        assert len(targets) == len(set(targets)) == 7  # every URL archived, none twice
        assert not list(zone.folder(zone.partition).rglob("*.part"))
        # the killed run's log is kept (on S3: uploaded from the spool by the rerun)
        logs = [e.key for e in zone.store.list(zone.logs) if e.key.endswith(".jsonl")]
        assert len(logs) == 2
    finally:
        web.close()


def test_a_crashed_run_leaves_nothing_process_reads_and_is_cleaned_up(backend) -> None:
    zone = RawZone(backend.location, DAY, backend.options)
    zone.folder(zone.partition).mkdir(parents=True, exist_ok=True)
    part = zone.folder(zone.partition) / "newsflow-x-00000.warc.gz.part"
    part.write_bytes(b"WARC/1.1\r\nWARC-Type: resp")  # cut in the middle of a record
    # its seen list was written, the rename / upload never happened
    zone.write_seen("newsflow-x-00000.warc.gz", ["http://x.org/a"])
    if backend.options is None:
        assert list_inputs(zone.uri) == []  # the .part in the partition folder is no input
    else:
        assert zone.store.list(zone.partition) == []  # it never left the local spool
    removed = zone.recover()
    assert len(removed) == 2 and not part.exists()
    assert zone.store.list(zone.seen) == []
    assert SeenIndex(zone).status("http://x.org/a", refetch=False) is None


def test_a_second_collect_of_the_date_fails_at_once(backend) -> None:
    config = CollectConfig(
        sources=Sources(), crawl_date=DAY, raw_root=backend.location, s3=backend.options
    )
    zone = RawZone(backend.location, DAY, backend.options)
    with zone.lock("someone-else"), pytest.raises(RuntimeError, match="another collect is"):
        run_collect(config)
    assert run_collect(config)["accounted"]  # released: the date can be collected again


def test_collect_lock_lease_is_renewed_while_held(s3) -> None:
    """A collect runs for longer than the S3 lock lease: the lease must not lapse."""
    import dataclasses
    import time

    from tasks.storage.errors import LockHeld

    store = open_storage(s3.location, dataclasses.replace(s3.options, lock_lease_s=1.5))
    with store.commit_lock("collect-x", "first", wait=False, renew=True):
        time.sleep(3)  # twice the lease: without renewal the lock would be taken over now
        with pytest.raises(LockHeld), store.commit_lock("collect-x", "second", wait=False):
            pass
    with store.commit_lock("collect-x", "second", wait=False):  # released on exit
        pass


def test_collect_into_s3_then_rerun_then_process(tmp_path: Path, s3) -> None:
    """An s3:// raw root: WARC objects, log, summary and seen lists on S3, rerun idempotent,
    and `process` reads the partition straight from S3."""
    web = Web(tmp_path)
    try:
        config = load_config(write_config(web, tmp_path, warc_max_bytes=1), DAY, s3.location)
        config.s3 = s3.options
        summary = run_collect(config)
        assert summary["fetched"] == 7 and summary["accounted"]
        zone = RawZone(s3.location, DAY, s3.options)
        keys = committed_warcs(s3.location, DAY, s3.options)
        assert len(keys) == 7  # one file per page
        assert summary["warc_files"] == [zone.store.uri_of(k) for k in keys]
        assert all(u.startswith(f"{s3.location}/crawl_date={DAY}/") for u in summary["warc_files"])
        assert summary["aux_warc_files"]  # robots.txt and sitemaps
        targets = []
        for key in keys:
            with zone.store.open_read(key) as stream:
                for record in FastIterator(stream, parse_http=False):
                    assert record.verify_block_digest()
                    if record.record_type == WarcRecordType.response:
                        targets.append(record.headers["WARC-Target-URI"])
        expected = {u for u, (o, _) in web.expected.items() if u.startswith(web.b.url("/"))}
        assert sorted(targets) == sorted(expected) and len(expected) == 7
        entries = read_log(summary["log"], s3.options)
        articles = {e["url"]: e["outcome"] for e in entries if e["kind"] == "article"}
        assert articles == dict.fromkeys(expected, "fetched")
        assert summary["log"].startswith(f"{s3.location}/crawl_date={DAY}/_collect/")
        stored = json.loads(zone.store.read_bytes(f"{zone.logs}/{config.run_id}.summary.json"))
        assert stored["fetched"] == 7
        seen = [e.key.rsplit("/", 1)[-1] for e in zone.store.list(zone.seen)]
        assert seen == [f"{k.rsplit('/', 1)[-1]}.urls" for k in keys]
        assert not [p for p in zone.folder("").rglob("*") if p.is_file()]  # spool emptied

        config.run_id = ""
        again = run_collect(config)
        assert again["fetched"] == 0 and again["skipped"] == {"seen_today": 7}
        assert committed_warcs(s3.location, DAY, s3.options) == keys

        record = run_local(zone.uri, tmp_path / "out", DAY, workers=1, s3=s3.options)
        c = record["counts"]
        assert c["records_in"] == 7
        assert c["records_in"] == c["articles"] + c["quarantined"] + c["duplicates"]
        rows = ds.dataset(tmp_path / "out" / "articles", format="parquet").to_table()
        served = {web.b.url(h.path) for h in web.log.of(web.b.name) if h.status == 200}
        assert set(rows.column("url").to_pylist()) <= served
        assert rows.num_rows >= 6  # a page may not extract: then it is quarantined
    finally:
        web.close()


# ---------------------------------------------------------------- config, CLI, flow


def test_example_config_loads(tmp_path: Path) -> None:
    config = load_config(REPO / "infra" / "sources.example.toml", DAY, tmp_path)
    assert config.sources.feeds and config.sources.sitemaps and config.sources.homepages
    assert config.fetch.per_host_concurrency == 1
    assert config.fetch.allow_private == ()


def test_config_typos_are_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[fetch]\nuser_agnet = "x"\n')
    with pytest.raises(ValueError, match="user_agnet"):
        load_config(bad, DAY, tmp_path)


def write_config(
    web: Web, tmp_path: Path, delay: float = 0.1, warc_max_bytes: int = 10_000_000
) -> Path:
    s = web.settings()
    resolve = "\n".join(f'"{h}" = "{ip}"' for h, ip in s.resolve.items())
    path = tmp_path / "sources.toml"
    path.write_text(
        f"""
[sources]
sitemaps = ["{web.b.url("/sitemap_index.xml")}"]

[fetch]
user_agent = "{s.user_agent}"
min_host_delay = {delay}
allow_private = ["127.0.0.1/32"]
max_retries = 1
backoff_base = 0.1

[fetch.resolve]
{resolve}

[collect]
warc_max_bytes = {warc_max_bytes}
"""
    )
    return path


def test_cli_collect_prints_a_summary(tmp_path: Path, backend, monkeypatch) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    # --s3-endpoint wins over the variable: passed to the run as S3Options, no env write
    monkeypatch.setenv("NEWSFLOW_S3_ENDPOINT", "http://127.0.0.1:9")
    web = Web(tmp_path)
    try:
        config = write_config(web, tmp_path)
        raw = backend.location
        args = ["collect", str(config), "--date", DAY.isoformat(), "--raw-root", raw]
        result = CliRunner().invoke(app, args + endpoint_args(backend))
        assert result.exit_code == 0, result.output
        assert "fetched" in result.output and "7" in result.output
        assert len(archived(raw, DAY, backend.options)) == 7
        bad = CliRunner().invoke(app, ["collect", str(tmp_path / "nope.toml"), "--date", "x"])
        assert bad.exit_code != 0
    finally:
        web.close()


def test_prefect_collect_flow(prefect_harness, tmp_path: Path) -> None:
    from flows.collect import collect

    web = Web(tmp_path)
    try:
        config = write_config(web, tmp_path)
        summary = collect(
            sources=str(config), raw_root=str(tmp_path / "raw"), crawl_date="2025-03-18"
        )
        assert summary["fetched"] == 7 and summary["accounted"]
        entries = read_log(Path(summary["log"]))
        assert Counter(e["outcome"] for e in entries if e["kind"] == "article") == {"fetched": 7}
        assert json.loads(Path(summary["summary_file"]).read_text())["fetched"] == 7
        assert isinstance(datetime.fromisoformat(entries[-1]["fetched_at"]), datetime)
    finally:
        web.close()


def test_nightly_chains_collect_and_process(prefect_harness, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from flows.nightly import nightly

    web = Web(tmp_path)
    try:
        config = write_config(web, tmp_path)
        raw, out = tmp_path / "raw", tmp_path / "out"
        day = "2025-03-21"  # a date no other flow test uses: artifacts are per session
        record = nightly(raw_root=str(raw), output=str(out), crawl_date=day, sources=str(config))
        assert record["counts"]["records_in"] == 7  # the 7 collected article responses
        table = pq.read_table(out / "articles" / f"crawl_date={day}", columns=["url"])
        assert sorted(table.column("url").to_pylist()) == sorted(
            archived(raw, date.fromisoformat(day))
        )
    finally:
        web.close()


def test_the_seen_index_and_canonical_url_share_one_normalisation() -> None:
    from tasks.collect.rawzone import url_key
    from tasks.normalise.urls import canonical_url

    spellings = [
        "https://News.Example.com:443/2025/03/18/story.html?utm_source=x#comments",
        "https://news.example.com/2025/03/18/story.html",
    ]
    assert len({canonical_url(u, None) for u in spellings}) == 1
    assert len({url_key(u) for u in spellings}) == 1
    assert url_key("https://news.example.com/other.html") != url_key(spellings[1])
