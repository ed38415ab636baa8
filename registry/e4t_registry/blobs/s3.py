"""A blob store in an S3 bucket (MinIO, SeaweedFS, AWS …) through the ``minio`` client.

The sha256 computed at upload travels as object metadata (``x-amz-meta-sha256``). Stream uploads
are spooled to a temporary file while hashing (memory up to a few MiB, disk beyond), because S3
needs the metadata before the body; the upload itself is then a sized (multipart when large)
``put_object``. Downloads stream and are re-hashed by the shared `BlobStore` read paths.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO

import certifi
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error
from minio.helpers import check_bucket_name
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from .base import CHUNK_SIZE, BlobInfo, BlobStore, iter_source
from .errors import (
    BlobNotFoundError,
    BlobStoreAccessDeniedError,
    BlobStoreAuthError,
    BlobStoreError,
    BlobStoreUnavailableError,
)
from .keys import validate_key, validate_prefix

SHA256_METADATA = "sha256"
_SHA256_HEADER = "x-amz-meta-sha256"
_SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
_PART_SIZE = 16 * 1024 * 1024
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject"})
_BAD_CREDENTIAL_CODES = frozenset(
    {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidClientTokenId", "ExpiredToken"}
)


class S3BlobStore(BlobStore):
    """Blobs as objects in one existing bucket of an S3-compatible endpoint.

    Args:
        endpoint: ``host:port`` of the S3 API (no scheme).
        bucket: the bucket to use; it is not created here.
        access_key / secret_key: the credentials (the secret never appears in messages or repr).
        secure: use HTTPS.
        region: the bucket's region; given, it saves the client a location lookup.
        connect_timeout / read_timeout: seconds before a stalled request fails.
        retries: attempts on connection errors and 5xx answers, with short backoff.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        secure: bool = True,
        region: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        retries: int = 2,
    ) -> None:
        validate_bucket_name(bucket)
        self.endpoint = endpoint
        self.bucket = bucket
        self.access_key = access_key
        self.secure = secure
        self.region = region
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            retries=urllib3.Retry(
                total=retries, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        )
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
        )

    def __repr__(self) -> str:
        scheme = "https" if self.secure else "http"
        return f"S3BlobStore(endpoint='{scheme}://{self.endpoint}', bucket={self.bucket!r})"

    def put(self, key: str, data: bytes | BinaryIO, *, length: int | None = None) -> BlobInfo:
        validate_key(key)
        with (
            _spooled_with_digest(data, length) as (body, size, sha256),
            self._translate_errors("upload", key),
        ):
            self._client.put_object(
                self.bucket,
                key,
                body,
                length=size,
                metadata={SHA256_METADATA: sha256},
                part_size=_PART_SIZE,
                num_parallel_uploads=1,
            )
        # S3 answers a PUT without Last-Modified; the digest reported is the one we computed.
        last_modified = self.stat(key).last_modified
        return BlobInfo(key=key, size=size, sha256=sha256, last_modified=last_modified)

    def stat(self, key: str) -> BlobInfo:
        validate_key(key)
        with self._translate_errors("stat", key):
            result = self._client.stat_object(self.bucket, key)
        return BlobInfo(
            key=key,
            size=result.size or 0,
            sha256=(result.metadata or {}).get(_SHA256_HEADER),
            last_modified=_as_utc(result.last_modified),
        )

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._translate_errors("delete", key):
            self._client.remove_object(self.bucket, key)

    def delete_prefix(self, prefix: str) -> int:
        keys = [info.key for info in self.list(prefix)]
        if not keys:
            return 0
        with self._translate_errors("delete", prefix):
            failures = list(
                self._client.remove_objects(self.bucket, (DeleteObject(key) for key in keys))
            )
        if failures:
            first = failures[0]
            raise BlobStoreError(
                f"could not delete {len(failures)} of {len(keys)} blobs under {prefix!r} in "
                f"bucket {self.bucket!r} at {self.endpoint}: "
                f"{first.name}: {first.code} {first.message}"
            )
        return len(keys)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        validate_prefix(prefix)
        with self._translate_errors("list", prefix):
            for item in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if item.is_dir or item.object_name is None:
                    continue
                yield BlobInfo(
                    key=item.object_name,
                    size=item.size or 0,
                    sha256=None,
                    last_modified=_as_utc(item.last_modified),
                )

    def _read_chunks(self, key: str) -> Iterator[bytes]:
        validate_key(key)
        with self._translate_errors("download", key):
            response = self._client.get_object(self.bucket, key)
            try:
                yield from response.stream(CHUNK_SIZE)
            finally:
                response.close()
                response.release_conn()

    @contextmanager
    def _translate_errors(self, operation: str, key: str) -> Iterator[None]:
        """Turn minio/urllib3 failures into this package's errors, naming endpoint and bucket."""
        where = f"bucket {self.bucket!r} at {self.endpoint}"
        try:
            yield
        except S3Error as error:
            if error.code in _NOT_FOUND_CODES:
                raise BlobNotFoundError(f"no blob under key {key!r} in {where}") from None
            if error.code == "NoSuchBucket":
                raise BlobStoreError(f"{where} does not exist") from None
            if error.code in _BAD_CREDENTIAL_CODES:
                raise BlobStoreAuthError(
                    f"S3 credentials (access key {self.access_key!r}) were rejected by "
                    f"{self.endpoint} for {operation} in bucket {self.bucket!r}: {error.code}"
                ) from None
            if error.code == "AccessDenied":
                raise BlobStoreAccessDeniedError(
                    f"access denied for {operation} of {key!r} in {where} with access key "
                    f"{self.access_key!r}: wrong credentials or missing permission"
                ) from None
            raise BlobStoreError(
                f"S3 {operation} of {key!r} in {where} failed: {error.code} {error.message}"
            ) from error
        except Urllib3HTTPError as error:
            raise BlobStoreUnavailableError(
                f"S3 endpoint {self.endpoint} (bucket {self.bucket!r}) is unreachable "
                f"during {operation}: {type(error).__name__}"
            ) from error
        except MinioException as error:
            raise BlobStoreError(f"S3 {operation} of {key!r} in {where} failed: {error}") from error


def validate_bucket_name(bucket: str) -> str:
    """Return ``bucket`` if S3 accepts it as a bucket name, else raise `ValueError`."""
    try:
        check_bucket_name(bucket)
    except ValueError:
        raise ValueError(
            f"invalid S3 bucket name {bucket!r}: use 3-63 lowercase letters, digits, '.' and '-'"
        ) from None
    return bucket


@contextmanager
def _spooled_with_digest(
    data: bytes | BinaryIO, length: int | None
) -> Iterator[tuple[BinaryIO, int, str]]:
    """Yield a rewound readable copy of ``data`` with its size and sha256."""
    if isinstance(data, bytes | bytearray | memoryview):
        payload = b"".join(iter_source(data, length))
        yield io.BytesIO(payload), len(payload), hashlib.sha256(payload).hexdigest()
        return
    digest = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES) as spool:
        for chunk in iter_source(data, length):
            digest.update(chunk)
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        yield spool, size, digest.hexdigest()  # type: ignore[misc]


def _as_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
