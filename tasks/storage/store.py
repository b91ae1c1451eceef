"""The storage package's public names in one import, for callers outside tasks/ (flows/,
benchmarks/) that predate the split. New code imports from the module that owns the name:

    uri.py      local path vs s3:// URI: is_s3_uri, split_s3_uri, safe_endpoint, location_key
    options.py  S3Options and its one translation into boto3 / pyarrow / DuckDB / polars
    fs.py       Storage, LocalStorage, S3Storage, open_storage, Entry, MANIFEST_NAME
    swap.py     the atomic local directory swap (publish_directory, fsync_dir)
    lock.py     commit locks (flock locally, a lease object on S3)
    reader.py   the resumable, ETag-pinned S3 reader
    errors.py   StorageError, LockHeld and the secret-free translation of boto3 errors
"""

from tasks.storage.errors import LockHeld, StorageError
from tasks.storage.fs import MANIFEST_NAME, Entry, LocalStorage, S3Storage, Storage, open_storage
from tasks.storage.options import S3Options, aws_credentials, make_s3_client
from tasks.storage.swap import fsync_dir, publish_directory
from tasks.storage.uri import is_s3_uri, safe_endpoint, split_s3_uri

__all__ = [
    "MANIFEST_NAME",
    "Entry",
    "LocalStorage",
    "LockHeld",
    "S3Options",
    "S3Storage",
    "Storage",
    "StorageError",
    "aws_credentials",
    "fsync_dir",
    "is_s3_uri",
    "make_s3_client",
    "open_storage",
    "publish_directory",
    "safe_endpoint",
    "split_s3_uri",
]
