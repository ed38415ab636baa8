"""Blob storage for e4t artifacts: one interface, a local-directory and an S3 backend.

Every read is verified: `BlobStore.get` and `BlobStore.download` re-hash the bytes and raise
`BlobIntegrityError` instead of returning content that does not match the caller's sha256.
"""

from .base import BlobInfo, BlobStore
from .errors import (
    BlobIntegrityError,
    BlobNotFoundError,
    BlobStoreAccessDeniedError,
    BlobStoreAuthError,
    BlobStoreError,
    BlobStoreUnavailableError,
    InvalidBlobKeyError,
)
from .keys import validate_key, validate_prefix
from .local import LocalBlobStore
from .s3 import S3BlobStore
from .url import (
    InvalidBlobUrlError,
    LocalBlobLocation,
    S3BlobLocation,
    open_blob_store,
    parse_blob_url,
    redact_blob_url,
    s3_blob_url,
)

__all__ = [
    "BlobInfo",
    "BlobIntegrityError",
    "BlobNotFoundError",
    "BlobStore",
    "BlobStoreAccessDeniedError",
    "BlobStoreAuthError",
    "BlobStoreError",
    "BlobStoreUnavailableError",
    "InvalidBlobKeyError",
    "InvalidBlobUrlError",
    "LocalBlobLocation",
    "LocalBlobStore",
    "S3BlobLocation",
    "S3BlobStore",
    "open_blob_store",
    "parse_blob_url",
    "redact_blob_url",
    "s3_blob_url",
    "validate_key",
    "validate_prefix",
]
