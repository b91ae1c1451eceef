"""The SSRF guard against a corpus of spellings of non-public addresses, end to end.

`collect` runs through its real entry point (`load_config` + `run_collect`) against real
HTTP servers on loopback:

- a *victim* on 127.0.0.1 that counts every connection and request: the attacks spell
  127.0.0.1 (and 0.0.0.0, which Linux connects to the local host) with its port;
- an allowed test site `news.example` on 127.0.0.3, the one address in `allow_private`
  (the mechanism the other collect tests use to reach loopback): it redirects to the
  attack URLs, and it serves one real article, so the test proves the guard lets the
  allowed site through and refuses everything else.

The allow-list names an address, and none of the attacks lead to it: every spelling in the
corpus means 127.0.0.1, 0.0.0.0, a private, link-local, metadata, site-local or IPv6
loopback address, directly, after a redirect from the allowed site, or through a name that
`[fetch.resolve]` maps to such an address. Addresses no test server can listen on
(10.0.0.1, 169.254.169.254, fe80::1 ...) are watched by `netfence`: no connect to anything
but the allowed site may be attempted, and nothing leaves the machine even if the guard
broke. Each URL must end in the collection log as `failed` / `ssrf_refused`.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from netfence import fence
from sites import AccessLog, Site, body, redirect, rss, urlset

from tasks.collect.crawler import load_config, run_collect
from tasks.collect.fetch import Fetcher, FetchSettings
from tasks.collect.rawzone import read_log

DAY = date(2025, 3, 18)
ALLOWED = "127.0.0.3"
ARTICLE = "/2025/03/18/story.html"

# Names that [fetch.resolve] maps to refused addresses (the DNS path).
RESOLVE = {
    "loopback.attacker.test": "127.0.0.1",
    "zero.attacker.test": "0.0.0.0",
    "ten.attacker.test": "10.0.0.1",
    "oneseventwo.attacker.test": "172.16.0.1",
    "oneninetwo.attacker.test": "192.168.1.1",
    "metadata.attacker.test": "169.254.169.254",
    "linklocal.attacker.test": "169.254.1.1",
    "ipv6-loopback.attacker.test": "::1",
    "mapped.attacker.test": "::ffff:127.0.0.1",
    "nat64.attacker.test": "64:ff9b::a9fe:a9fe",
    "sixtofour.attacker.test": "2002:a00:1::1",
    "compatible.attacker.test": "::127.0.0.1",
    "fe80.attacker.test": "fe80::1",
    "sitelocal.attacker.test": "fec0::1",
    "ünïcode.attacker.test": "127.0.0.1",  # an IDNA name: asked for as xn--...
}


def spellings(port: int) -> dict[str, str]:
    """label -> URL, every one leading to a refused address."""
    p = port
    hosts = {
        # loopback 127.0.0.1
        "ideographic full stops": f"127。0。0。1:{p}",
        "full-width full stops": f"127．0．0．1:{p}",
        "half-width ideographic stops": f"127｡0｡0｡1:{p}",
        "full-width digits": f"１２７.０.０.１:{p}",
        "circled digits": f"①②⑦.⓪.⓪.①:{p}",
        "superscript digit": f"127.0.0.¹:{p}",
        "mixed Unicode": f"１２７。⓪．0｡①:{p}",
        "dotted quad": f"127.0.0.1:{p}",
        "trailing dot": f"127.0.0.1.:{p}",
        "upper-case hex": f"0X7F.1:{p}",
        "decimal": f"2130706433:{p}",
        "octal": f"0177.0.0.1:{p}",
        "long octal": f"017700000001:{p}",
        "hex": f"0x7f.1:{p}",
        "hex dword": f"0x7f000001:{p}",
        "hex quad": f"0x7f.0x0.0x0.0x1:{p}",
        "short form": f"127.1:{p}",
        "short form 3 parts": f"127.0.1:{p}",
        "other loopback": f"127.255.255.254:{p}",
        "localhost": f"localhost:{p}",
        "localhost subdomain": f"a.b.localhost:{p}",
        "LOCALHOST trailing dot": f"LOCALHOST.:{p}",
        "full-width localhost": f"ｌｏｃａｌｈｏｓｔ:{p}",
        "userinfo before loopback": f"evil.test@127.0.0.1:{p}",
        "userinfo with password": f"user:pass@127。0。0。1:{p}",
        # unspecified 0.0.0.0 (Linux connects it to the local host)
        "zero": f"0.0.0.0:{p}",
        "zero decimal": f"0:{p}",
        "zero hex": f"0x0:{p}",
        # IPv6 spellings of loopback and of IPv4 loopback
        "IPv6 loopback": f"[::1]:{p}",
        "IPv6 loopback long": f"[0:0:0:0:0:0:0:1]:{p}",
        "IPv4-mapped": f"[::ffff:127.0.0.1]:{p}",
        "IPv4-mapped hex": f"[::ffff:7f00:1]:{p}",
        "IPv4-compatible": f"[::127.0.0.1]:{p}",
        "NAT64": f"[64:ff9b::127.0.0.1]:{p}",
        "NAT64 metadata": f"[64:ff9b::a9fe:a9fe]:{p}",
        "6to4": f"[2002:7f00:1::1]:{p}",
        "6to4 private": f"[2002:c0a8:101::1]:{p}",
        "IPv6 unspecified": f"[::]:{p}",
        "zone id link-local": f"[fe80::1%25eth0]:{p}",
        "zone id loopback": f"[::1%25lo]:{p}",
        "site-local": f"[fec0::1]:{p}",
        "unique local": f"[fd00::1]:{p}",
        # private, link-local, metadata
        "10/8": f"10.0.0.1:{p}",
        "10/8 decimal": f"167772161:{p}",
        "10/8 Unicode dots": f"10。0。0。1:{p}",
        "172.16/12": f"172.16.0.1:{p}",
        "172.31 short": f"172.31.1:{p}",
        "192.168/16": f"192.168.1.1:{p}",
        "192.168 hex": f"0xc0.0xa8.1.1:{p}",
        "metadata": f"169.254.169.254:{p}",
        "metadata decimal": f"2852039166:{p}",
        "metadata Unicode": f"169。254。169。254:{p}",
        "metadata circled": f"①⑥⑨.②⑤④.①⑥⑨.②⑤④:{p}",
        "metadata IPv4-mapped": f"[::ffff:169.254.169.254]:{p}",
        "link-local": f"169.254.1.1:{p}",
        "carrier-grade NAT": f"100.64.0.1:{p}",
        "multicast": f"224.0.0.1:{p}",
        "broadcast": f"255.255.255.255:{p}",
        # names: [fetch.resolve] maps them to refused addresses (the DNS path)
        **{f"name {name}": f"{name}:{p}" for name in RESOLVE},
        "full-width name": f"ｌｏｏｐｂａｃｋ.attacker.test:{p}",
        "upper-case name, trailing dot": f"METADATA.ATTACKER.TEST.:{p}",
        "IDNA name, punycode": f"xn--ncode-cta3g.attacker.test:{p}",
        "loopback userinfo, name host": f"127.0.0.1:{p}@loopback.attacker.test:{p}",
    }
    return {label: f"http://{host}{ARTICLE}" for label, host in hosts.items()}


class Corpus:
    def __init__(self, tmp: Path) -> None:
        self.log = AccessLog()
        self.victim = Site("victim", self.log, address="127.0.0.1")
        self.victim.routes[ARTICLE] = body(b"<html><body><p>internal admin</p></body></html>")
        self.victim.routes["/robots.txt"] = body(b"User-agent: *\nAllow: /\n", "text/plain")
        self.site = Site("news.example", self.log, address=ALLOWED)
        site = self.site
        site.routes["/robots.txt"] = body(b"User-agent: *\nAllow: /\n", "text/plain")
        site.routes["/2025/03/18/allowed.html"] = body(b"<html><body><p>ok</p></body></html>")
        self.direct = spellings(self.victim.port)
        # the same corpus as redirect targets from the allowed site (absolute Locations),
        # plus scheme-relative and multi-hop ones
        self.redirects: dict[str, str] = {}
        for n, (label, target) in enumerate(self.direct.items()):
            path = f"/2025/03/18/redirect-{n}.html"
            site.routes[path] = redirect(target)
            self.redirects[f"redirect to {label}"] = site.url(path)
        site.routes["/2025/03/18/scheme-relative.html"] = redirect(
            f"//127。0。0。1:{self.victim.port}{ARTICLE}"
        )
        self.redirects["scheme-relative redirect"] = site.url("/2025/03/18/scheme-relative.html")
        site.routes["/2025/03/18/hop-1.html"] = redirect(site.url("/2025/03/18/hop-2.html"), 301)
        site.routes["/2025/03/18/hop-2.html"] = redirect(self.direct["metadata circled"], 307)
        self.redirects["second hop"] = site.url("/2025/03/18/hop-1.html")
        # feeds, sitemaps and homepages given as attack URLs (fetched as aux documents)
        self.aux = {
            "feed": f"http://127。0。0。1:{self.victim.port}/feed.xml",
            "sitemap": f"http://2130706433:{self.victim.port}/sitemap.xml",
            "homepage": f"http://[::ffff:127.0.0.1]:{self.victim.port}/",
        }
        self.victim.routes["/feed.xml"] = body(rss([]), "application/rss+xml")
        self.victim.routes["/sitemap.xml"] = body(urlset([]), "application/xml")
        self.victim.routes["/"] = body(b"<html><head></head><body>home</body></html>")
        self.allowed_article = site.url("/2025/03/18/allowed.html")
        self.config = self._write_config(tmp)

    def _write_config(self, tmp: Path) -> Path:
        urls = tmp / "urls.txt"
        every = [*self.direct.values(), *self.redirects.values(), self.allowed_article]
        urls.write_text("\n".join(every) + "\n", encoding="utf-8")
        resolve = {**RESOLVE, self.site.name: ALLOWED}
        lines = "\n".join(f'"{name}" = "{ip}"' for name, ip in resolve.items())
        config = tmp / "sources.toml"
        config.write_text(
            f"""
[sources]
url_lists = ["{urls.name}"]
feeds = ["{self.aux["feed"]}"]
sitemaps = ["{self.aux["sitemap"]}"]
homepages = ["{self.aux["homepage"]}"]

[fetch]
user_agent = "newsflow-test/1.0"
min_host_delay = 0.02
connect_timeout = 2
read_timeout = 2
total_timeout = 3
max_retries = 0
allow_private = ["{ALLOWED}"]

[fetch.resolve]
{lines}
""",
            encoding="utf-8",
        )
        return config

    def close(self) -> None:
        self.victim.close()
        self.site.close()


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssrf")
    corpus = Corpus(tmp)
    try:
        config = load_config(corpus.config, DAY, tmp / "raw")
        with fence() as watched:
            summary = run_collect(config)
        yield corpus, summary, read_log(Path(summary["log"])), watched
    finally:
        corpus.close()


def test_the_victim_sees_no_connection_and_no_request(corpus_run) -> None:
    corpus, _summary, _log, _watched = corpus_run
    assert corpus.log.connections.get("victim", 0) == 0
    assert corpus.log.of("victim") == []


def test_nothing_but_the_allowed_site_is_connected_to_or_looked_up(corpus_run) -> None:
    corpus, _summary, _log, watched = corpus_run
    assert watched.refused == []  # the fence never had to stop anything
    assert {address for address, _port in watched.connects} == {ALLOWED}
    assert {port for _address, port in watched.connects} == {corpus.site.port}
    assert watched.lookups == []  # every name came from [fetch.resolve]: no DNS at all


def test_the_allowed_site_is_fetched(corpus_run) -> None:
    corpus, summary, log, _watched = corpus_run
    [line] = [e for e in log if e["url"] == corpus.allowed_article]
    assert (line["outcome"], line["reason"]) == ("fetched", None)
    assert summary["fetched"] == 1 and summary["accounted"]


def test_every_attack_url_is_logged_as_ssrf_refused(corpus_run) -> None:
    corpus, summary, log, _watched = corpus_run
    articles = {e["url"]: e for e in log if e["kind"] == "article"}
    expected = {**corpus.direct, **corpus.redirects}
    wrong = {
        label: (articles[url]["outcome"], articles[url]["reason"]) if url in articles else None
        for label, url in expected.items()
        if url not in articles or articles[url]["reason"] != "ssrf_refused"
    }
    assert wrong == {}
    assert all(articles[url]["outcome"] == "failed" for url in expected.values())
    assert summary["failed"] == {"ssrf_refused": len(expected)}
    assert summary["skipped"] == {}


def test_attack_feeds_sitemaps_and_homepages_are_refused(corpus_run) -> None:
    corpus, _summary, log, _watched = corpus_run
    for kind, url in corpus.aux.items():
        [line] = [e for e in log if e["url"] == url]
        assert (line["kind"], line["outcome"], line["reason"]) == (kind, "failed", "ssrf_refused")


@pytest.mark.parametrize(
    "url",
    [
        "http://%31%32%37.0.0.1/",  # percent-encoded: yarl keeps it, getaddrinfo would get it
        "http://127%2e0%2e0%2e1/",
        "http://LOCALHOST%2E/",
        "http://a b.example/",
        "http://exa\x00mple.test/",
        "http://127.0.0.1%00.attacker.test/",
    ],
)
def test_hosts_that_are_no_host_names_are_never_looked_up(url: str) -> None:
    async def fetch() -> str | None:
        async with Fetcher(FetchSettings(max_retries=0)) as fetcher:
            return (await fetcher.fetch(url)).reason

    with fence() as watched:
        reason = asyncio.run(fetch())
    assert reason == "bad_url"
    assert watched.lookups == [] and watched.connects == []
