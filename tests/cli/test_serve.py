"""`e4t serve` as an operator runs it: a real process on the embedded default, ended by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from e4t_server.service_demo import wait_until_serving
from tests.harness.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.ray]
E4T = str(Path(sys.executable).with_name("e4t"))  # the installed console script


def e4t_cli(address: str, key: str, *args: str) -> object:
    command = [E4T, "--target", address, "--no-tls"]
    result = subprocess.run(
        [*command, "--api-key", key, "--json", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_serve_embedded_bootstraps_an_admin_key_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    home, port = tmp_path / "e4t-home", free_port()
    environ = {key: value for key, value in os.environ.items() if not key.startswith("E4T_")}
    environ.pop("RAY_ADDRESS", None)  # its own in-process Ray, not the test session's cluster
    environ.update(E4T_METRICS_PORT="0", E4T_RAY_NUM_CPUS="1")
    command = [E4T, "serve", "--home", str(home)]
    process = subprocess.Popen([*command, "--port", str(port)], env=environ)
    try:
        address = f"127.0.0.1:{port}"
        wait_until_serving(address, process)
        key_file = home / "admin.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        admin = key_file.read_text().strip()
        created = e4t_cli(address, admin, "tenants", "create", "acme")
        assert created == e4t_cli(address, admin, "tenants", "get", "acme")
        assert (home / "registry.db").exists()

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
