"""Process configuration from ``E4T_*`` environment variables.

=====================  ==========================================  ==============================
variable               meaning                                     default
=====================  ==========================================  ==============================
``E4T_HOME``           directory for embedded state                ``~/.e4t``
``E4T_DATABASE_URL``   SQLAlchemy URL (SQLite or PostgreSQL)       ``sqlite:///{home}/registry.db``
``E4T_BLOB_URL``       blob store URL (`e4t_registry.blobs.url`)   ``{home}/blobs``
``E4T_S3_ACCESS_KEY``  S3 access key when the URL carries none     (none)
``E4T_S3_SECRET_KEY``  S3 secret key when the URL carries none     (none)
``E4T_GRPC_PORT``      port of the gRPC API                        ``50051``
``E4T_RAY_ADDRESS``    Ray cluster address; none starts Ray        (none)
                       in-process (``RAY_ADDRESS`` is also read)
=====================  ==========================================  ==============================

To add a setting: add a field with its default, read it in `Settings.from_env`, validate it in
``__post_init__``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .blobs import (
    BlobStore,
    InvalidBlobUrlError,
    S3BlobLocation,
    open_blob_store,
    parse_blob_url,
    redact_blob_url,
)
from .blobs.url import ACCESS_KEY_ENV, SECRET_KEY_ENV

DEFAULT_GRPC_PORT = 50051
_DATABASE_BACKENDS = frozenset({"sqlite", "postgresql"})


class SettingsError(ValueError):
    """An environment variable holds a value e4t cannot use; the message names it."""


@dataclass(frozen=True, repr=False)
class Settings:
    """Validated configuration; build it with `Settings.from_env` (or directly in tests)."""

    home: Path
    database_url: str
    blob_url: str
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    grpc_port: int = DEFAULT_GRPC_PORT
    ray_address: str | None = None

    def __post_init__(self) -> None:
        self._check_database_url()
        self._check_blob_url()
        if not 0 < self.grpc_port < 65536:
            raise SettingsError(f"E4T_GRPC_PORT must be 1–65535, got {self.grpc_port}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        home = Path(env.get("E4T_HOME") or "~/.e4t").expanduser()
        port_text = env.get("E4T_GRPC_PORT") or str(DEFAULT_GRPC_PORT)
        try:
            grpc_port = int(port_text)
        except ValueError:
            raise SettingsError(f"E4T_GRPC_PORT must be an integer, got {port_text!r}") from None
        return cls(
            home=home,
            database_url=env.get("E4T_DATABASE_URL") or f"sqlite:///{home / 'registry.db'}",
            blob_url=env.get("E4T_BLOB_URL") or str(home / "blobs"),
            s3_access_key=env.get(ACCESS_KEY_ENV) or None,
            s3_secret_key=env.get(SECRET_KEY_ENV) or None,
            grpc_port=grpc_port,
            ray_address=env.get("E4T_RAY_ADDRESS") or env.get("RAY_ADDRESS") or None,
        )

    def open_blob_store(self) -> BlobStore:
        """Open the configured blob store with the configured credentials."""
        return open_blob_store(
            self.blob_url,
            access_key=self.s3_access_key,
            secret_key=self.s3_secret_key,
            environ={},
        )

    def __repr__(self) -> str:
        # Secrets stay out of logs: passwords in URLs are masked, S3 keys are not shown.
        return (
            f"Settings(home={str(self.home)!r}, "
            f"database_url={make_url(self.database_url).render_as_string()!r}, "
            f"blob_url={redact_blob_url(self.blob_url)!r}, "
            f"s3_access_key={'set' if self.s3_access_key else None!r}, "
            f"grpc_port={self.grpc_port}, ray_address={self.ray_address!r})"
        )

    def _check_database_url(self) -> None:
        try:
            url = make_url(self.database_url)
        except ArgumentError:
            raise SettingsError(
                f"E4T_DATABASE_URL is not a database URL: {self.database_url!r} "
                "(expected e.g. sqlite:///path/registry.db or "
                "postgresql+psycopg://user@host:5432/db)"
            ) from None
        if url.get_backend_name() not in _DATABASE_BACKENDS:
            raise SettingsError(
                f"E4T_DATABASE_URL uses {url.get_backend_name()!r}; "
                "only sqlite and postgresql are supported"
            )

    def _check_blob_url(self) -> None:
        try:
            location = parse_blob_url(self.blob_url)
        except InvalidBlobUrlError as error:
            raise SettingsError(f"E4T_BLOB_URL: {error}") from None
        if isinstance(location, S3BlobLocation) and not (
            (location.access_key and location.secret_key)
            or (self.s3_access_key and self.s3_secret_key)
        ):
            raise SettingsError(
                f"E4T_BLOB_URL is an S3 URL but no credentials are set: put them in the URL "
                f"or set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}"
            )
