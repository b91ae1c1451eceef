"""How to reach S3: `S3Options` and the ONE place it becomes client settings — a boto3 client,
a pyarrow S3FileSystem, a DuckDB secret and polars storage options all get the same endpoint,
region, addressing style, retries and credentials from here.

No secret is ever part of a message here: only the endpoint without user info.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pyarrow.fs as pafs


@dataclass(frozen=True, slots=True)
class S3Options:
    """How to reach S3. Unset fields fall back to NEWSFLOW_S3_* variables, then the AWS chain.

    endpoint_url: NEWSFLOW_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (boto3's own).
    addressing_style: NEWSFLOW_S3_ADDRESSING ("path", "virtual", "auto"); "path" when an
        endpoint is given (MinIO and SeaweedFS need it), boto3's default otherwise.
    region / profile: AWS_REGION, AWS_PROFILE as usual.
    max_attempts: NEWSFLOW_S3_MAX_ATTEMPTS (default 8): botocore "standard" retry mode,
        exponential backoff with jitter on 5xx, SlowDown/throttling and connection errors.
    lock_lease_s: NEWSFLOW_S3_LOCK_LEASE_S (default 600): how long a partition commit lock is
        honoured before another run may take it over (a dead process on the same host is
        recognised at once).
    """

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    addressing_style: str | None = None
    max_attempts: int | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    lock_lease_s: float | None = None

    def resolved(self) -> S3Options:
        env = os.environ.get
        endpoint = self.endpoint_url or env("NEWSFLOW_S3_ENDPOINT") or None
        return replace(
            self,
            endpoint_url=endpoint,
            addressing_style=self.addressing_style
            or env("NEWSFLOW_S3_ADDRESSING")
            or ("path" if endpoint else None),
            max_attempts=self.max_attempts or int(env("NEWSFLOW_S3_MAX_ATTEMPTS", "8")),
            connect_timeout=self.connect_timeout or float(env("NEWSFLOW_S3_CONNECT_TIMEOUT", "10")),
            read_timeout=self.read_timeout or float(env("NEWSFLOW_S3_READ_TIMEOUT", "60")),
            lock_lease_s=self.lock_lease_s or float(env("NEWSFLOW_S3_LOCK_LEASE_S", "600")),
        )


def make_s3_client(options: S3Options) -> Any:
    """A boto3 S3 client from the AWS chain plus `options` (already resolved)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=options.profile)
    config = Config(
        retries={"mode": "standard", "max_attempts": options.max_attempts},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        s3={"addressing_style": options.addressing_style} if options.addressing_style else {},
        # let S3-compatible servers without the newer checksum headers work; integrity of
        # reads is still checked against Content-Length, of Parquet files by their footer
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra="newsflow",
    )
    return session.client(
        "s3", endpoint_url=options.endpoint_url, region_name=options.region, config=config
    )


def aws_credentials(options: S3Options, names: tuple[str, str, str]) -> dict[str, str]:
    """The AWS chain's access key, secret key and session token (those set) under the `names`
    a reader library (pyarrow, DuckDB, polars) wants; {} without credentials."""
    import boto3

    creds = boto3.session.Session(profile_name=options.profile).get_credentials()
    if creds is None:
        return {}
    frozen = creds.get_frozen_credentials()
    values = (frozen.access_key, frozen.secret_key, frozen.token)
    return {name: value for name, value in zip(names, values, strict=True) if value}


def _region(options: S3Options) -> str:
    # pyarrow, DuckDB and polars need a region even for a local server; boto3 does not
    return options.region or "us-east-1"


def _endpoint_host(options: S3Options) -> tuple[str, str] | None:
    """(host[:port] without user info, scheme) of the endpoint, or None for AWS itself."""
    if not options.endpoint_url:
        return None
    parts = urlsplit(options.endpoint_url)
    return parts.netloc.rsplit("@", 1)[-1], parts.scheme or "https"


def arrow_s3_filesystem(options: S3Options) -> pafs.S3FileSystem:
    """A pyarrow S3FileSystem with the same endpoint, credentials and retries as the client."""
    import pyarrow.fs as pafs

    options = options.resolved()
    retries = pafs.AwsStandardS3RetryStrategy(max_attempts=options.max_attempts or 8)
    virtual = options.addressing_style == "virtual"
    kwargs: dict[str, Any] = {"force_virtual_addressing": virtual, "retry_strategy": retries}
    endpoint = _endpoint_host(options)
    if endpoint is not None:
        kwargs["endpoint_override"], kwargs["scheme"] = endpoint
    kwargs |= aws_credentials(options, ("access_key", "secret_key", "session_token"))
    return pafs.S3FileSystem(region=_region(options), **kwargs)


def duckdb_secret_sql(s3: S3Options | None = None, name: str = "newsflow") -> str:
    """`CREATE SECRET` for DuckDB's httpfs with the same endpoint and credentials.

    Holds the secret: run it, never log or store it.
    """
    options = (s3 or S3Options()).resolved()
    fields = {"TYPE": "s3", "REGION": _region(options)}
    fields |= aws_credentials(options, ("KEY_ID", "SECRET", "SESSION_TOKEN"))
    endpoint = _endpoint_host(options)
    if endpoint is not None:
        fields["ENDPOINT"] = endpoint[0]
        fields["USE_SSL"] = "true" if endpoint[1] == "https" else "false"
    fields["URL_STYLE"] = "vhost" if options.addressing_style == "virtual" else "path"
    body = ", ".join(
        f"{k} {v}" if v in ("true", "false") or k == "TYPE" else f"{k} '{v}'"
        for k, v in fields.items()
    )
    return f"CREATE OR REPLACE SECRET {name} ({body})"


def polars_storage_options(s3: S3Options | None = None) -> dict[str, str]:
    """`storage_options` for polars' scan_parquet/read_parquet on S3 (holds the secret)."""
    options = (s3 or S3Options()).resolved()
    names = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
    result = {"aws_region": _region(options), **aws_credentials(options, names)}
    if options.endpoint_url:
        result["aws_endpoint_url"] = options.endpoint_url
        result["aws_allow_http"] = str(options.endpoint_url.startswith("http://")).lower()
    if options.addressing_style != "virtual":
        result["aws_virtual_hosted_style_request"] = "false"
    return result
