"""The `e4t` CLI through CliRunner against the real service: human and --json output, exit codes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from e4t_cli.main import app
from tests.sdk.flow import PURPOSE, face_png
from tests.sdk.live_stack import LiveStack

runner = CliRunner()


def e4t(stack: LiveStack, secret: str, *args: str, tenant: str = "", code: int = 0) -> Any:
    """Runs `e4t --json ...`; checks the exit code; returns parsed stdout (None if empty)."""
    options = ["--target", stack.address, "--api-key", secret, "--no-tls", "--json"]
    if tenant:
        options += ["--tenant", tenant]
    result = runner.invoke(app, [*options, *args])
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    return json.loads(result.stdout) if result.stdout.strip() else None


def human(stack: LiveStack, secret: str, *args: str, tenant: str = "") -> str:
    options = ["--target", stack.address, "--api-key", secret, "--no-tls", "--tenant", tenant]
    result = runner.invoke(app, [*options, *args])
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result.stdout


def test_admin_ml_ops_and_app_flows(stack: LiveStack, tmp_path: Path) -> None:
    tid = f"t-{uuid.uuid4().hex[:8]}"
    admin = stack.admin_secret
    assert e4t(stack, admin, "tenants", "create", tid)["name"] == f"tenants/{tid}"
    assert tid in [t["name"].split("/")[-1] for t in e4t(stack, admin, "tenants", "list")]
    assert e4t(stack, admin, "tenants", "get", tid)["state"] == "ACTIVE"
    assert tid in human(stack, admin, "tenants", "list")
    tenant_admin = e4t(stack, admin, "keys", "create", "-s", "tenant-admin", tenant=tid)["secret"]
    mlops = e4t(stack, tenant_admin, "keys", "create", "-s", "mlops", tenant=tid)["secret"]
    app_key = e4t(stack, tenant_admin, "keys", "create", "-s", "app", tenant=tid)["secret"]
    spare = e4t(stack, tenant_admin, "keys", "create", "-s", "app", tenant=tid)["api_key"]
    assert e4t(stack, tenant_admin, "keys", "revoke", spare["name"])["state"] == "REVOKED"
    assert len(e4t(stack, tenant_admin, "keys", "list", tenant=tid)) == 3

    e4t(stack, mlops, "domains", "create", "faces", "--class-word", "face", tenant=tid)
    assert [d["class_word"] for d in e4t(stack, mlops, "domains", "list", tenant=tid)] == ["face"]
    version = e4t(
        stack, mlops, "domains", "versions", "register", "faces", str(stack.domain_model_dir),
        "--base-model", "tiny-sd", "--metric", "loss=0.25", tenant=tid,
    )  # fmt: skip
    assert version["metrics"] == {"loss": 0.25}
    assert len(e4t(stack, mlops, "domains", "versions", "list", "faces", tenant=tid)) == 1
    e4t(stack, mlops, "domains", "rollback", "faces", tenant=tid, code=7)  # nothing to undo
    promoted = e4t(stack, mlops, "domains", "promote", "faces", "--version", "1", tenant=tid)
    assert promoted["production"]["version"] == version["name"]
    second = e4t(
        stack, mlops, "domains", "versions", "register", "faces", str(stack.domain_model_dir),
        "--base-model", "tiny-sd", tenant=tid,
    )  # fmt: skip
    canary = e4t(
        stack, mlops, "domains", "rollout", "faces", "--version", "2", "--traffic", "10",
        tenant=tid,
    )  # fmt: skip
    assert canary["canary"]["version"] == second["name"]
    assert "canary" in human(stack, mlops, "domains", "status", "faces", tenant=tid)
    assert e4t(stack, mlops, "domains", "rollback", "faces", tenant=tid)["canary"] is None

    consent = e4t(
        stack, app_key, "consents", "grant", "user-1", "--purpose", PURPOSE,
        "--notice-version", "v1", "--method", "electronic", tenant=tid,
    )  # fmt: skip
    image = tmp_path / "face.png"
    image.write_bytes(face_png())
    concept = e4t(
        stack, app_key, "concepts", "create", "--image", str(image), "--consent",
        consent["name"], "--domain", "faces", "--steps", "5", tenant=tid,
    )  # fmt: skip
    assert concept["state"] == "ACTIVE"
    assert e4t(stack, app_key, "concepts", "get", concept["name"])["name"] == concept["name"]
    assert [c["name"] for c in e4t(stack, app_key, "concepts", "list", tenant=tid)] == [
        concept["name"]
    ]
    images = e4t(
        stack, app_key, "generate", concept["name"], "a photo of {concept}", "-n", "2",
        "--seed", "5", "--steps", "2", "--out-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert [i["seed"] for i in images] == [5, 6]
    assert Path(images[0]["path"]).read_bytes().startswith(b"\x89PNG")
    paths = human(stack, app_key, "generate", concept["name"], "a {concept}", "--steps", "2",
                  "--out-dir", str(tmp_path / "human"), tenant=tid).split()  # fmt: skip
    assert len(paths) == 1 and Path(paths[0]).is_file()
    e4t(stack, app_key, "concepts", "delete", concept["name"])
    e4t(stack, app_key, "concepts", "get", concept["name"], code=5)
    revoked = e4t(stack, app_key, "consents", "revoke", consent["name"], "--reason", "done")
    assert revoked["state"] == "REVOKED"
    assert len(e4t(stack, app_key, "consents", "list", "--subject", "user-1", tenant=tid)) == 1
    erased = e4t(stack, tenant_admin, "subjects", "erase", "user-1", "--yes", tenant=tid)
    assert erased["subject"] == f"tenants/{tid}/subjects/user-1"

    events = e4t(stack, tenant_admin, "audit", "list", tenant=tid)
    assert len(events) >= 5 and "sequence" in events[0]
    export = tmp_path / "audit.jsonl"
    e4t(stack, tenant_admin, "audit", "export", "--output", str(export), tenant=tid)
    assert all(json.loads(line) for line in export.read_text().splitlines())
    assert e4t(stack, tenant_admin, "audit", "verify", tenant=tid)["ok"] is True


def test_errors_go_to_stderr_with_exit_codes(stack: LiveStack) -> None:
    bad_key = e4t(stack, "e4t_0000000000000000_nope", "tenants", "list", code=4)
    assert bad_key is None  # nothing on stdout: --json consumers see no half output
    e4t(stack, stack.admin_secret, "tenants", "get", "no-such-tenant", code=5)
    e4t(stack, stack.admin_secret, "tenants", "create", "Not Valid", code=6)
    e4t(stack, stack.admin_secret, "domains", "list", code=2)  # no tenant given
    result = runner.invoke(
        app, ["--target", "127.0.0.1:1", "--api-key", "x", "--timeout", "2", "tenants", "list"]
    )
    assert result.exit_code == 3 and "error" in result.stderr and result.stdout == ""


def test_help_lists_every_command_group() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ("tenants", "keys", "domains", "consents", "subjects", "concepts", "generate",
                  "audit", "serve", "demo"):  # fmt: skip
        assert group in result.stdout
