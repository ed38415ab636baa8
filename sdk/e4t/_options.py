"""Client settings: arguments first, then `E4T_*` environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import grpc

from e4t._retry import RetryPolicy
from e4t._version import __version__

DEFAULT_TARGET = "localhost:50051"
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 2
# docs/api.md "Limits": a 10 MiB concept image or four 1024x1024 PNGs exceed gRPC's 4 MiB default.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


def _is_loopback(target: str) -> bool:
    host = target.removeprefix("dns:///").removeprefix("ipv4:").removeprefix("ipv6:")
    if host.startswith("unix:"):
        return True
    host = host[: host.find("]") + 1] if host.startswith("[") else host.rsplit(":", 1)[0]
    return host in LOOPBACK_HOSTS


def _env_flag(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ClientOptions:
    """Resolved settings of a client.

    Attributes:
        api_key: The secret sent as `authorization: Bearer <secret>`.
        target: The server address, `host:port`.
        tenant: The default tenant ID for methods that take one.
        tls: Whether the channel uses TLS.
        root_certificates: PEM roots for TLS; None uses the system roots.
        timeout: Seconds each attempt of a call may take.
        max_retries: How often a retryable failure is retried.
    """

    api_key: str | None
    target: str
    tenant: str | None
    tls: bool
    root_certificates: bytes | None
    timeout: float
    max_retries: int

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        target: str | None,
        tenant: str | None,
        tls: bool | None,
        root_certificates: bytes | None,
        timeout: float | None,
        max_retries: int | None,
    ) -> ClientOptions:
        """Fills unset arguments from `E4T_API_KEY`, `E4T_TARGET`, `E4T_TENANT`, `E4T_TLS`."""
        resolved_target = target or os.environ.get("E4T_TARGET") or DEFAULT_TARGET
        if tls is None:
            tls = _env_flag("E4T_TLS")
        if tls is None:
            # Plaintext is only the default where nothing can listen in: the local machine.
            tls = not _is_loopback(resolved_target)
        return cls(
            api_key=api_key or os.environ.get("E4T_API_KEY") or None,
            target=resolved_target,
            tenant=tenant or os.environ.get("E4T_TENANT") or None,
            tls=tls,
            root_certificates=root_certificates,
            timeout=DEFAULT_TIMEOUT_S if timeout is None else timeout,
            max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        )

    def with_changes(self, *, timeout: float | None, max_retries: int | None) -> ClientOptions:
        """A copy with a new timeout and/or retry count."""
        return replace(
            self,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self.max_retries)

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The metadata sent with every call."""
        if not self.api_key:
            return ()
        return (("authorization", f"Bearer {self.api_key}"),)

    @property
    def channel_options(self) -> list[tuple[str, str | int]]:
        return [
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.primary_user_agent", f"e4t-python/{__version__}"),
            # The SDK retries itself, with idempotency keys; gRPC's own retries would not know.
            ("grpc.enable_retries", 0),
        ]

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(root_certificates=self.root_certificates)

    def open_channel(self) -> grpc.Channel:
        """A new synchronous channel to `target`."""
        if self.tls:
            return grpc.secure_channel(self.target, self.credentials(), self.channel_options)
        return grpc.insecure_channel(self.target, self.channel_options)

    def open_aio_channel(self) -> grpc.aio.Channel:
        """A new asyncio channel to `target`."""
        if self.tls:
            return grpc.aio.secure_channel(self.target, self.credentials(), self.channel_options)
        return grpc.aio.insecure_channel(self.target, self.channel_options)
