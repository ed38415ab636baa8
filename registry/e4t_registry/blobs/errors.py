"""The blob store's exception hierarchy; every backend raises only these."""


class BlobStoreError(Exception):
    """Base class for every blob store failure."""


class InvalidBlobKeyError(BlobStoreError, ValueError):
    """A key or prefix that could escape the store or is not a clean relative path."""


class BlobNotFoundError(BlobStoreError):
    """The requested key holds no blob."""


class BlobIntegrityError(BlobStoreError):
    """The stored bytes do not hash to the expected sha256; they are never returned."""


class BlobStoreAuthError(BlobStoreError):
    """The store rejected the credentials (unknown key or bad signature)."""


class BlobStoreAccessDeniedError(BlobStoreAuthError):
    """The credentials are known but lack the permission the operation needs."""


class BlobStoreUnavailableError(BlobStoreError):
    """The store could not be reached (connection refused, DNS failure, timeout)."""
