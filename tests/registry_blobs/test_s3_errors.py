"""S3-only failures: bad credentials, missing permission, unreachable endpoint, missing bucket."""

from __future__ import annotations

import hashlib

import pytest

from e4t_registry.blobs import (
    BlobStoreAccessDeniedError,
    BlobStoreAuthError,
    BlobStoreError,
    BlobStoreUnavailableError,
    S3BlobStore,
    open_blob_store,
)
from tests.harness import SeaweedFSServer, free_port

pytestmark = pytest.mark.s3


def test_wrong_secret_is_an_auth_error_naming_endpoint_and_bucket(
    s3_server: SeaweedFSServer,
) -> None:
    wrong_secret = "definitely-not-the-secret"
    store = S3BlobStore(
        endpoint=s3_server.endpoint,
        bucket=s3_server.bucket,
        access_key=s3_server.access_key,
        secret_key=wrong_secret,
        secure=False,
        region="us-east-1",
    )

    with pytest.raises(BlobStoreAuthError) as caught:
        store.put("auth/x.bin", b"x")

    message = str(caught.value)
    assert s3_server.endpoint in message
    assert s3_server.bucket in message
    assert wrong_secret not in message
    assert s3_server.secret_key not in message


def test_unknown_access_key_is_an_auth_error_on_reads_too(s3_server: SeaweedFSServer) -> None:
    s3_server.store().put("auth/present.bin", b"x")
    store = S3BlobStore(
        endpoint=s3_server.endpoint,
        bucket=s3_server.bucket,
        access_key="nobody",
        secret_key="nothing",
        secure=False,
        region="us-east-1",
    )

    with pytest.raises(BlobStoreAuthError, match=s3_server.endpoint):
        store.get("auth/present.bin", expected_sha256=hashlib.sha256(b"x").hexdigest())
    with pytest.raises(BlobStoreAuthError):
        store.stat("auth/present.bin")


def test_read_only_identity_reads_but_cannot_write_or_delete(s3_server: SeaweedFSServer) -> None:
    s3_server.store().put("readonly/kept.bin", b"kept")
    reader = s3_server.store(readonly=True)

    assert reader.get("readonly/kept.bin", expected_sha256=hashlib.sha256(b"kept").hexdigest())
    with pytest.raises(BlobStoreAccessDeniedError, match="access denied for upload"):
        reader.put("readonly/new.bin", b"new")
    with pytest.raises(BlobStoreAccessDeniedError, match="access denied for delete"):
        reader.delete("readonly/kept.bin")

    assert s3_server.store().exists("readonly/kept.bin")
    assert not s3_server.store().exists("readonly/new.bin")


def test_unreachable_endpoint_is_reported_clearly() -> None:
    endpoint = f"127.0.0.1:{free_port()}"  # nothing listens there
    store = S3BlobStore(
        endpoint=endpoint,
        bucket="e4t-unreachable",
        access_key="a",
        secret_key="s",
        secure=False,
        retries=0,
    )

    with pytest.raises(BlobStoreUnavailableError, match=rf"{endpoint}.*unreachable"):
        store.put("x.bin", b"x")


def test_missing_bucket_is_named(s3_server: SeaweedFSServer) -> None:
    store = s3_server.store(bucket="no-such-bucket")

    with pytest.raises(BlobStoreError, match=r"'no-such-bucket'.*does not exist"):
        list(store.list(""))


def test_open_blob_store_from_the_harness_url(s3_server: SeaweedFSServer) -> None:
    store = open_blob_store(s3_server.url())

    info = store.put("url/hello.txt", b"hello")

    assert isinstance(store, S3BlobStore)
    assert s3_server.client().get_object(s3_server.bucket, "url/hello.txt").read() == b"hello"
    assert store.stat("url/hello.txt").sha256 == info.sha256


def test_open_blob_store_takes_credentials_from_the_environment(
    s3_server: SeaweedFSServer,
) -> None:
    s3_server.create_bucket("from-env")
    env = s3_server.env(bucket="from-env")
    url = env.pop("E4T_BLOB_URL")
    assert "@" not in url

    store = open_blob_store(url, environ=env)
    store.put("k.bin", b"v")

    assert [info.key for info in store.list("")] == ["k.bin"]
