"""`e4t serve`: the whole service in one process — registry, Ray Serve, gRPC gateway.

With no configuration it runs embedded: SQLite and a blob directory under `E4T_HOME`, Ray
started in-process, the API on 127.0.0.1:50051. The production shape comes from settings
(`E4T_DATABASE_URL`, `E4T_BLOB_URL`, `RAY_ADDRESS`, `E4T_GRPC_PORT`, ...) and these extras:

======================  =================================================  ==========
variable                meaning                                            default
======================  =================================================  ==========
``E4T_GRPC_HOST``       address to listen on                               127.0.0.1
``E4T_TLS_CERT``        PEM certificate chain (with ``E4T_TLS_KEY``)        (plaintext)
``E4T_TLS_KEY``         PEM private key                                    (plaintext)
``E4T_METRICS_PORT``    Prometheus port, 0 = off                           9464
``E4T_RAY_NUM_CPUS``    CPUs of the in-process Ray (embedded only)         all
``E4T_MODEL_REPLICAS``  Serve replicas per live domain model version       1
======================  =================================================  ==========
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path

import ray
from prometheus_client import start_http_server
from ray import serve

from e4t_registry.keys import bootstrap_admin_key
from e4t_registry.registry import Registry
from e4t_registry.settings import Settings, SettingsError
from e4t_server.api.gateway import Gateway, GatewayOptions
from e4t_server.api.logs import configure_json_logging
from e4t_server.serve.deployment import BlobAccess
from e4t_server.serve.hosting import ModelHosting

logger = logging.getLogger("e4t.serve")
ADMIN_KEY_FILE = "admin.key"
DEFAULT_METRICS_PORT = 9464


def write_admin_key(registry: Registry, home: Path) -> Path | None:
    """On first start, create a platform-admin key and store it in `home/admin.key` (0600)."""
    secret = bootstrap_admin_key(registry.engine)
    if secret is None:
        return None
    home.mkdir(parents=True, exist_ok=True)
    path = home / ADMIN_KEY_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)
    return path


# Serve gives its proxy 5 s to report ready, three times, then kills it, and `serve.start`
# fails. On a busy 2-core machine the proxy's imports alone take longer, so an in-process
# cluster gets a longer wait (unless the operator set one).
PROXY_READY_TIMEOUT_ENV = "RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S"
PROXY_READY_TIMEOUT_S = "30"


def start_ray(settings: Settings, num_cpus: int | None = None) -> None:
    """Join the configured Ray cluster, or start one in-process; then start Serve."""
    if not ray.is_initialized():
        if settings.ray_address:
            ray.init(address=settings.ray_address)
        else:
            # Ray's processes inherit this environment, Serve's controller among them.
            os.environ.setdefault(PROXY_READY_TIMEOUT_ENV, PROXY_READY_TIMEOUT_S)
            ray.init(num_cpus=num_cpus, include_dashboard=False)
    serve.start()


def build_hosting(settings: Settings, environ: Mapping[str, str]) -> ModelHosting:
    blobs = BlobAccess(settings.blob_url, settings.s3_access_key, settings.s3_secret_key)
    raw = environ.get("E4T_MODEL_REPLICAS", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"E4T_MODEL_REPLICAS must be a whole number ≥ 1, not {raw!r}")
    return ModelHosting(blobs, str(settings.home / "model-cache"), replicas=int(raw))


def gateway_options(settings: Settings, environ: Mapping[str, str]) -> GatewayOptions:
    cert, key = environ.get("E4T_TLS_CERT"), environ.get("E4T_TLS_KEY")
    return GatewayOptions(
        host=environ.get("E4T_GRPC_HOST", "127.0.0.1"),
        port=settings.grpc_port,
        tls_cert=Path(cert) if cert else None,
        tls_key=Path(key) if key else None,
    )


async def run_gateway(build: Callable[[], Gateway]) -> None:
    """Build the gateway and serve until SIGINT or SIGTERM, then shut down gracefully.

    The gateway is built here, inside the running loop: a grpc.aio server binds to the loop
    current at its creation, and `asyncio.run` starts a new one.
    """
    gateway = build()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await gateway.start()
    await stop.wait()
    logger.info("shutting down")
    await gateway.stop()


def serve_main(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Run `e4t serve` with `settings` (migrations first, then Ray, then the gateway)."""
    env = os.environ if environ is None else environ
    configure_json_logging()
    logger.info("starting", extra={"settings": repr(settings)})
    # Every setting is checked before anything starts.
    hosting, options = build_hosting(settings, env), gateway_options(settings, env)
    registry = Registry.open(settings)
    key_path = write_admin_key(registry, settings.home)
    if key_path is not None:
        logger.info("platform-admin key written", extra={"path": str(key_path)})
    metrics_port = int(env.get("E4T_METRICS_PORT", DEFAULT_METRICS_PORT))
    if metrics_port:
        start_http_server(metrics_port, addr="127.0.0.1")
    cpus = env.get("E4T_RAY_NUM_CPUS")
    start_ray(settings, int(cpus) if cpus else None)
    try:
        asyncio.run(run_gateway(lambda: Gateway(registry, hosting, options)))
    finally:
        registry.close()


if __name__ == "__main__":
    serve_main(Settings.from_env())
