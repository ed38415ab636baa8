"""Blob store URLs (the format of ``E4T_BLOB_URL``) and `open_blob_store`.

Accepted forms:

- a directory path, ``/var/lib/e4t/blobs`` or ``~/blobs`` → `LocalBlobStore`
- ``file:///var/lib/e4t/blobs`` → `LocalBlobStore`
- ``s3://[ACCESS_KEY:SECRET_KEY@]BUCKET?endpoint=HOST:PORT[&secure=true|false][&region=R]``
  → `S3BlobStore`. ``secure`` defaults to true. Credentials in the URL are percent-decoded;
  without them ``E4T_S3_ACCESS_KEY`` / ``E4T_S3_SECRET_KEY`` are used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .base import BlobStore
from .local import LocalBlobStore
from .s3 import S3BlobStore, validate_bucket_name

ACCESS_KEY_ENV = "E4T_S3_ACCESS_KEY"
SECRET_KEY_ENV = "E4T_S3_SECRET_KEY"
_S3_PARAMETERS = frozenset({"endpoint", "secure", "region"})
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class InvalidBlobUrlError(ValueError):
    """A blob store URL that cannot be understood; the message says what is wrong."""


@dataclass(frozen=True)
class LocalBlobLocation:
    """A parsed local-directory blob URL."""

    root: Path


@dataclass(frozen=True)
class S3BlobLocation:
    """A parsed ``s3://`` blob URL (credentials only if the URL carried them)."""

    bucket: str
    endpoint: str
    secure: bool = True
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)


def parse_blob_url(url: str) -> LocalBlobLocation | S3BlobLocation:
    """Parse a blob store URL without opening anything; raises `InvalidBlobUrlError`."""
    if not url or not url.strip():
        raise InvalidBlobUrlError("blob URL is empty")
    if "://" not in url:
        return LocalBlobLocation(root=Path(url).expanduser())
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise InvalidBlobUrlError(
                f"file URL {redact_blob_url(url)!r} must look like file:///absolute/dir"
            )
        return LocalBlobLocation(root=Path(unquote(parts.path)))
    if parts.scheme == "s3":
        return _parse_s3(url)
    raise InvalidBlobUrlError(
        f"unsupported blob URL scheme {parts.scheme!r}: use a directory path, "
        "file:///dir or s3://bucket?endpoint=host:port"
    )


def _parse_s3(url: str) -> S3BlobLocation:
    parts = urlsplit(url)
    shown = redact_blob_url(url)
    bucket = parts.hostname
    if not bucket:
        raise InvalidBlobUrlError(f"S3 URL {shown!r} names no bucket (s3://BUCKET?endpoint=...)")
    try:
        validate_bucket_name(bucket)
    except ValueError as error:
        raise InvalidBlobUrlError(f"S3 URL {shown!r}: {error}") from None
    if parts.path not in ("", "/"):
        raise InvalidBlobUrlError(f"S3 URL {shown!r} must not have a path after the bucket")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as error:
        raise InvalidBlobUrlError(f"S3 URL {shown!r} has a malformed query: {error}") from None
    unknown = sorted(set(query) - _S3_PARAMETERS)
    if unknown:
        raise InvalidBlobUrlError(
            f"S3 URL {shown!r} has unknown parameters {unknown}; allowed: {sorted(_S3_PARAMETERS)}"
        )
    values = {name: items[-1] for name, items in query.items()}
    endpoint = values.get("endpoint", "")
    if not endpoint or "/" in endpoint:
        raise InvalidBlobUrlError(f"S3 URL {shown!r} needs endpoint=HOST:PORT (no scheme, no path)")
    secure_text = values.get("secure", "true").lower()
    if secure_text not in _BOOLEANS:
        raise InvalidBlobUrlError(f"S3 URL {shown!r}: secure must be true or false")
    if (parts.username is None) != (parts.password is None):
        raise InvalidBlobUrlError(
            f"S3 URL {shown!r} must carry both ACCESS_KEY:SECRET_KEY@ or neither"
        )
    return S3BlobLocation(
        bucket=bucket,
        endpoint=endpoint,
        secure=_BOOLEANS[secure_text],
        region=values.get("region") or None,
        access_key=unquote(parts.username) if parts.username is not None else None,
        secret_key=unquote(parts.password) if parts.password is not None else None,
    )


def redact_blob_url(url: str) -> str:
    """Return ``url`` with any secret key replaced by ``***`` (safe to log)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{netloc}").geturl()


def s3_blob_url(
    *,
    bucket: str,
    endpoint: str,
    secure: bool = True,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> str:
    """Build an ``s3://`` blob URL (credentials percent-encoded when given)."""
    userinfo = ""
    if access_key is not None and secret_key is not None:
        userinfo = f"{quote(access_key, safe='')}:{quote(secret_key, safe='')}@"
    url = f"s3://{userinfo}{bucket}?endpoint={endpoint}&secure={str(secure).lower()}"
    return f"{url}&region={quote(region, safe='')}" if region else url


def open_blob_store(
    url: str,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> BlobStore:
    """Open the blob store that ``url`` describes (see the module docstring for formats).

    S3 credentials come from the arguments, else the URL, else ``E4T_S3_ACCESS_KEY`` /
    ``E4T_S3_SECRET_KEY`` in ``environ`` (default: the process environment).

    Raises:
        InvalidBlobUrlError: the URL is malformed or S3 credentials are missing.
    """
    location = parse_blob_url(url)
    if isinstance(location, LocalBlobLocation):
        return LocalBlobStore(location.root)
    env = os.environ if environ is None else environ
    access = access_key or location.access_key or env.get(ACCESS_KEY_ENV)
    secret = secret_key or location.secret_key or env.get(SECRET_KEY_ENV)
    if not access or not secret:
        raise InvalidBlobUrlError(
            f"S3 blob store {redact_blob_url(url)!r} needs credentials: put "
            f"ACCESS_KEY:SECRET_KEY@ in the URL or set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}"
        )
    return S3BlobStore(
        endpoint=location.endpoint,
        bucket=location.bucket,
        access_key=access,
        secret_key=secret,
        secure=location.secure,
        region=location.region,
    )
