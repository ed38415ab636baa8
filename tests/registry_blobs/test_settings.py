"""Settings from the environment, and the blob URL format they carry."""

from __future__ import annotations

from pathlib import Path

import pytest

from e4t_registry.blobs import (
    InvalidBlobUrlError,
    LocalBlobLocation,
    LocalBlobStore,
    S3BlobLocation,
    parse_blob_url,
)
from e4t_registry.settings import Settings, SettingsError

S3_URL = "s3://e4t-blobs?endpoint=minio.internal:9000&secure=false&region=eu-west-1"


def test_defaults_live_under_e4t_home(tmp_path: Path) -> None:
    settings = Settings.from_env({"E4T_HOME": str(tmp_path)})

    assert settings.home == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path}/registry.db"
    assert settings.blob_url == str(tmp_path / "blobs")
    assert settings.grpc_port == 50051
    assert settings.ray_address is None
    store = settings.open_blob_store()
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"


def test_home_defaults_to_dot_e4t_in_the_user_home() -> None:
    assert Settings.from_env({}).home == Path("~/.e4t").expanduser()


def test_s3_url_with_credentials_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "E4T_BLOB_URL": S3_URL,
            "E4T_S3_ACCESS_KEY": "AKIAEXAMPLE",
            "E4T_S3_SECRET_KEY": "very/secret+key",
            "E4T_DATABASE_URL": "postgresql+psycopg://e4t:dbpass@db:5432/e4t",
            "E4T_GRPC_PORT": "6000",
            "E4T_RAY_ADDRESS": "ray://head:10001",
        }
    )

    assert parse_blob_url(settings.blob_url) == S3BlobLocation(
        bucket="e4t-blobs", endpoint="minio.internal:9000", secure=False, region="eu-west-1"
    )
    assert (settings.s3_access_key, settings.s3_secret_key) == ("AKIAEXAMPLE", "very/secret+key")
    assert (settings.grpc_port, settings.ray_address) == (6000, "ray://head:10001")


def test_s3_url_may_carry_percent_encoded_credentials() -> None:
    location = parse_blob_url("s3://AKIA:very%2Fsecret%2Bkey@bucket-1?endpoint=h:9000")

    assert location == S3BlobLocation(
        bucket="bucket-1",
        endpoint="h:9000",
        secure=True,
        access_key="AKIA",
        secret_key="very/secret+key",
    )
    assert Settings.from_env({"E4T_BLOB_URL": "s3://AKIA:s@bucket-1?endpoint=h:9000"})


def test_repr_never_shows_secrets() -> None:
    settings = Settings.from_env(
        {
            "E4T_BLOB_URL": "s3://AKIA:url-secret@bucket-1?endpoint=h:9000",
            "E4T_S3_SECRET_KEY": "env-secret",
            "E4T_S3_ACCESS_KEY": "AKIA",
            "E4T_DATABASE_URL": "postgresql+psycopg://e4t:db-secret@db/e4t",
        }
    )

    shown = repr(settings)

    for secret in ("url-secret", "env-secret", "db-secret"):
        assert secret not in shown
    assert "bucket-1" in shown and "db/e4t" in shown


@pytest.mark.parametrize(
    "url",
    ["file:///srv/e4t/blobs", "/srv/e4t/blobs"],
)
def test_local_blob_urls(url: str) -> None:
    assert parse_blob_url(url) == LocalBlobLocation(Path("/srv/e4t/blobs"))


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://host/dir", "unsupported blob URL scheme 'ftp'"),
        ("file://otherhost/dir", "file:///absolute/dir"),
        ("s3://?endpoint=h:9000", "names no bucket"),
        ("s3://bucket-1", "needs endpoint=HOST:PORT"),
        ("s3://bucket-1?endpoint=http://h:9000", "needs endpoint=HOST:PORT"),
        ("s3://bucket-1?endpoint=h:9000&secure=maybe", "secure must be true or false"),
        ("s3://bucket-1?endpoint=h:9000&tls=1", "unknown parameters \\['tls'\\]"),
        ("s3://bucket-1/sub/dir?endpoint=h:9000", "must not have a path"),
        ("s3://B_?endpoint=h:9000", "invalid S3 bucket name"),
        ("", "empty"),
    ],
)
def test_bad_blob_urls_are_explained(url: str, complaint: str) -> None:
    with pytest.raises(InvalidBlobUrlError, match=complaint):
        parse_blob_url(url)
    if url:
        with pytest.raises(SettingsError, match="E4T_BLOB_URL"):
            Settings.from_env({"E4T_BLOB_URL": url})


def test_s3_without_credentials_is_refused() -> None:
    with pytest.raises(SettingsError, match="E4T_S3_ACCESS_KEY"):
        Settings.from_env({"E4T_BLOB_URL": S3_URL})


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"E4T_DATABASE_URL": "not a url"}, "not a database URL"),
        ({"E4T_DATABASE_URL": "mysql://u@h/db"}, "only sqlite and postgresql"),
        ({"E4T_GRPC_PORT": "http"}, "must be an integer"),
        ({"E4T_GRPC_PORT": "70000"}, "1–65535"),
    ],
)
def test_bad_values_are_explained(env: dict[str, str], complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env(env)
