"""Storage errors: what a failed operation raises, and the translation of boto3/botocore errors
into FileNotFoundError or a StorageError whose text never quotes a credential."""

from __future__ import annotations

import contextlib
from typing import Any

from botocore import exceptions as boto_errors
from urllib3.exceptions import ProtocolError

from tasks.errors import safe_error_text
from tasks.storage.uri import safe_endpoint


class StorageError(RuntimeError):
    """A storage operation failed for good (after retries): the run must stop, clearly.

    Deliberately not an OSError: a dead endpoint or wrong credentials must fail the run, not
    turn every input into a quarantined `io_error` row and publish an empty partition.
    """


class LockHeld(StorageError):
    """`commit_lock(..., wait=False)` found the lock held by a live owner."""


# Errors of a read that broke off mid-body (truncated response, reset, timeout): a reader
# resumes or re-reads instead of failing the whole input file.
BROKEN_READ = (
    boto_errors.IncompleteReadError,
    boto_errors.ResponseStreamingError,
    boto_errors.ReadTimeoutError,
    boto_errors.ConnectionClosedError,
    boto_errors.EndpointConnectionError,
    ProtocolError,
    ConnectionError,
)


class PreconditionFailed(StorageError):
    """A conditional write (If-Match / If-None-Match) was refused."""


CREDENTIAL_CODES = {
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidToken",
    "ExpiredToken",
    "AccessDenied",
    "InvalidClientTokenId",
}


def translate(err: Exception, what: str, uri: str, endpoint: str | None) -> Exception:
    """A boto3/botocore error as FileNotFoundError or a StorageError without secrets."""
    where = f" (endpoint {safe_endpoint(endpoint)})" if endpoint else ""
    if isinstance(err, boto_errors.ClientError):
        code = str(err.response.get("Error", {}).get("Code", ""))
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchKey", "404", "NotFound"):
            return FileNotFoundError(f"not found: {uri}")
        if code in ("PreconditionFailed", "ConditionalRequestConflict") or status == 412:
            return PreconditionFailed(f"S3 {what} of {uri}: precondition failed ({code})")
        if code == "NoSuchBucket":
            return StorageError(f"S3 {what} of {uri} failed: the bucket does not exist{where}")
        hint = ""
        if code in CREDENTIAL_CODES:
            hint = (
                ": the credentials were refused; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
                " AWS_PROFILE or the instance role, and the endpoint"
            )
        return StorageError(f"S3 {what} of {uri} failed{where}: {code} (HTTP {status}){hint}")
    if isinstance(err, boto_errors.NoCredentialsError | boto_errors.PartialCredentialsError):
        return StorageError(
            f"S3 {what} of {uri}: no usable AWS credentials found (environment, AWS_PROFILE,"
            " ~/.aws/credentials or an instance role)"
        )
    if isinstance(err, StorageError | FileNotFoundError):
        return err
    # connection refused/reset, timeouts, truncated bodies after botocore's retries, and
    # errors of the HTTP client itself: named by class only, never by their text, which can
    # quote request headers (see tasks/errors.py)
    return StorageError(
        f"S3 {what} of {uri} failed{where}: {safe_error_text(err)}{client_error_hint(err)}"
    )


def client_error_hint(err: Exception) -> str:
    """What to check when the HTTP client refused to send the request at all."""
    cause = err.kwargs.get("error") if isinstance(err, boto_errors.HTTPClientError) else None
    if isinstance(cause, ValueError) and "header" in str(cause).lower():
        return (
            ": a request header held a character HTTP does not allow; check the AWS"
            " credentials (AWS_SESSION_TOKEN, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) for"
            " a stray CR or LF, e.g. from a .env file with Windows line ends"
        )
    return ""


def best_effort(action: Any) -> None:
    # clean-up on a path that already failed: the original error is the one to report
    with contextlib.suppress(Exception):
        action()
