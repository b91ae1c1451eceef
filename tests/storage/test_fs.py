"""The Storage operations that replaced local-versus-S3 branches in the callers: the same
assertions on a local folder and on an s3:// prefix (SeaweedFS)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tasks.ingest.listing import list_inputs
from tasks.storage.errors import StorageError
from tasks.storage.fs import MANIFEST_NAME


def test_writing_and_open_arrow_round_trip_a_parquet_file(backend) -> None:
    store = backend.store
    table = pa.table({"x": [1, 2, 3]})
    with store.writing("t/part-0.parquet") as path:
        pq.write_table(table, path)
    # nothing is visible before the block ends; afterwards the whole file is
    assert [e.key for e in store.list("t")] == ["t/part-0.parquet"]
    with store.open_arrow("t/part-0.parquet") as source:
        assert pq.read_table(source).equals(table)


def test_publish_file_moves_a_spooled_file_whole(backend) -> None:
    store = backend.store
    spooled = store.spool_dir() / "raw" / "a.warc.gz.part"
    spooled.parent.mkdir(parents=True, exist_ok=True)
    spooled.write_bytes(b"warc")
    store.publish_file(spooled, "raw/a.warc.gz")
    assert not spooled.exists()
    assert store.read_bytes("raw/a.warc.gz") == b"warc"


def test_committed_names_follow_the_manifest(backend) -> None:
    store = backend.store
    store.write_bytes("articles/crawl_date=2025-03-18/part-a.parquet", b"x")
    store.write_bytes("articles/crawl_date=2025-03-18/part-b.parquet", b"x")
    store.write_json(
        f"articles/crawl_date=2025-03-18/{MANIFEST_NAME}", {"files": ["part-b.parquet"]}
    )
    assert store.committed_names("articles/crawl_date=2025-03-18") == ["part-b.parquet"]


def test_inputs_list_alike_with_identity_and_pinned_reads(backend) -> None:
    store = backend.store
    for key in ["in/a.html", "in/b/c.jsonl", "in/_runs/x.json", "in/.hidden", "in/d.warc.gz.part"]:
        store.write_bytes(key, b"<p>x</p>")
    found = list_inputs(store.uri_of("in"), backend.options)
    assert [f.key for f in found] == ["a.html", "b/c.jsonl"]
    first = found[0]
    assert first.uri == store.uri_of("in/a.html")
    assert first.identity == first.current_identity()
    with first.open() as stream:
        assert stream.read() == b"<p>x</p>"
    store.write_bytes("in/a.html", b"<p>changed</p>")
    assert first.current_identity() != first.identity
    if store.pins_reads:  # S3: a read of the listed version refuses the new one
        with pytest.raises(StorageError, match="precondition"), first.open() as stream:
            stream.read()
    with pytest.raises(FileNotFoundError):
        list_inputs(store.uri_of("missing"), backend.options)


def test_a_symlinked_folder_in_the_store_is_never_listed_or_deleted_through(tmp_path) -> None:
    from tasks.storage.fs import open_storage

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.parquet").write_bytes(b"not the store's")
    root = tmp_path / "out"
    store = open_storage(str(root))
    store.write_bytes("_staging/run/own.parquet", b"staged")
    (root / "_staging" / "run" / "linked").symlink_to(outside, target_is_directory=True)

    assert [e.key for e in store.list("_staging")] == ["_staging/run/own.parquet"]
    # inputs still follow links: a raw folder may be a farm of links to the crawl's disks
    walked = [e.key for e in store.walk("_staging", lambda key: False)]
    assert walked == ["_staging/run/linked/keep.parquet", "_staging/run/own.parquet"]
    store.delete(e.key for e in store.list("_staging"))
    store.delete_prefix("_staging")
    assert (outside / "keep.parquet").read_bytes() == b"not the store's"
    assert not (root / "_staging" / "run" / "own.parquet").exists()
