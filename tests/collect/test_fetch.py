"""tasks.collect.fetch pieces that need no server: the SSRF address policy, Retry-After,
settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tasks.collect.discover import article_url
from tasks.collect.fetch import AddressPolicy, FetchSettings, _retry_after, host_address, host_key


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped private
        ("::ffff:93.184.215.14", True),
        # IPv6 addresses that carry an IPv4 address are judged by it
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::93.184.215.14", True),
        ("64:ff9b::7f00:1", False),  # NAT64 to loopback
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 to the metadata service
        ("64:ff9b::5db8:d70e", True),  # NAT64 to a public address
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("2002:5db8:d70e::1", True),  # 6to4 of a public address
        ("fec0::1", False),  # site-local (deprecated, yet "global" to ipaddress)
        ("fe80::1%eth0", False),
        ("::", False),
        ("255.255.255.255", False),
        ("240.0.0.1", False),
        ("not an address", False),
    ],
)
def test_ssrf_policy_refuses_non_public_addresses(address: str, allowed: bool) -> None:
    assert AddressPolicy(()).permits(address) is allowed


def test_allow_list_takes_ips_and_networks() -> None:
    policy = AddressPolicy(FetchSettings(allow_private=("127.0.0.1", "10.1.0.0/16")).allow_private)
    assert policy.permits("127.0.0.1") and policy.permits("10.1.2.3")
    assert not policy.permits("127.0.0.2") and not policy.permits("10.2.0.1")
    with pytest.raises(ValueError):
        FetchSettings(allow_private=("not-an-ip",))


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f.1", "127.0.0.1"),  # hex + short
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("127.1", "127.0.0.1"),  # short
        ("0", "0.0.0.0"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
        ("fe80::1%25eth0", "fe80::1"),  # zone id dropped
        ("example.com", None),
        ("1.example", None),
        ("0x7f.example", None),
    ],
)
def test_host_address_reads_every_ipv4_spelling(host: str, address: str | None) -> None:
    found = host_address(host)
    assert (str(found) if found is not None else None) == address


@pytest.mark.parametrize("host", ["999.0.0.1", "08", "1.2.3.4.5", "4294967296"])
def test_numeric_hosts_that_are_no_address_raise(host: str) -> None:
    with pytest.raises(ValueError):
        host_address(host)


def test_retry_after_seconds_and_http_date() -> None:
    assert _retry_after("120") == 120.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= _retry_after(soon) <= 30
    assert _retry_after("soon") is None and _retry_after(None) is None


def test_politeness_key_is_host_and_port() -> None:
    assert host_key("http://Example.com/a") == "example.com:80"
    assert host_key("https://example.com/a") == "example.com:443"
    assert host_key("http://example.com:8080/a") == "example.com:8080"
    assert host_key("http://example.com:99999/a") == "invalid:0"
    # one gate per host as connected to, however it is spelled
    assert host_key("http://ＥＸＡＭＰＬＥ.com./a") == "example.com:80"
    assert host_key("http://127。0。0。1:81/") == "127.0.0.1:81"
    assert host_key("http://\udfff.example/") == "invalid:0"


def test_article_filter() -> None:
    assert article_url("https://www.Example.com/2025/03/18/story.html?utm_source=x") == (
        "https://www.example.com/2025/03/18/story.html"
    )
    for url in (
        "https://www.example.com/tag/sport",
        "https://www.example.com/login",
        "https://www.example.com/files/report.pdf",
        "https://www.example.com/feed.xml",
        "not a url",
    ):
        assert article_url(url) is None, url
