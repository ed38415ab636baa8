"""`e4t concepts repersonalize` / `versions` and `e4t tenants delete` against the live service."""

from __future__ import annotations

import uuid
from pathlib import Path

from typer.testing import CliRunner

from e4t_cli.main import app
from tests.cli.test_cli import e4t
from tests.sdk.flow import PURPOSE, face_png
from tests.sdk.live_stack import LiveStack

runner = CliRunner()


def invoke(
    stack: LiveStack, secret: str, *args: str, tenant: str, stdin: str = ""
) -> tuple[int, str]:
    """Runs `e4t` in human mode; returns (exit code, stderr)."""
    options = ["--target", stack.address, "--api-key", secret, "--no-tls", "--tenant", tenant]
    result = runner.invoke(app, [*options, *args], input=stdin)
    return result.exit_code, result.stderr


def test_repersonalize_then_delete_the_tenant(stack: LiveStack, tmp_path: Path) -> None:
    tid = f"t-{uuid.uuid4().hex[:8]}"
    admin = stack.admin_secret
    e4t(stack, admin, "tenants", "create", tid)
    tenant_admin = e4t(stack, admin, "keys", "create", "-s", "tenant-admin", tenant=tid)["secret"]
    mlops = e4t(stack, tenant_admin, "keys", "create", "-s", "mlops", tenant=tid)["secret"]
    app_key = e4t(stack, tenant_admin, "keys", "create", "-s", "app", tenant=tid)["secret"]
    e4t(stack, mlops, "domains", "create", "faces", "--class-word", "face", tenant=tid)
    e4t(
        stack, mlops, "domains", "versions", "register", "faces", str(stack.domain_model_dir),
        "--base-model", "tiny-sd", tenant=tid,
    )  # fmt: skip
    e4t(stack, mlops, "domains", "promote", "faces", "--version", "1", tenant=tid)
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
    name = concept["name"]

    # `concepts create` kept the photo: the concept can be re-personalized at once.
    made = e4t(
        stack, mlops, "concepts", "repersonalize", name, "--version", "1", "--domain", "faces",
        "--steps", "5", "--seed", "2", tenant=tid,
    )  # fmt: skip
    assert made["name"] == f"{name}/versions/2"
    assert made["domain_model_version"] == f"tenants/{tid}/domains/faces/versions/1"
    assert (made["tuning_steps"], made["seed"], made["state"]) == (5, 2, "READY")
    code, stderr = invoke(
        stack, app_key, "concepts", "repersonalize", name, "--version", "1", "--steps", "5",
        tenant=tid,
    )  # fmt: skip
    assert code == 0 and "re-personalizing" in stderr and f"{name}/versions/3" in stderr
    listed = e4t(stack, app_key, "concepts", "versions", name, tenant=tid)
    assert sorted(v["name"].rsplit("/", 1)[-1] for v in listed) == ["1", "2", "3"]
    code, stderr = invoke(
        stack, app_key, "concepts", "repersonalize", name, "--steps", "3", tenant=tid
    )
    assert code == 6 and "tuning_steps" in stderr  # the server checks the range (5-15)
    code, stderr = invoke(
        stack, mlops, "concepts", "repersonalize", name, "--version", "1", tenant=tid
    )
    assert code == 2 and "--domain" in stderr  # an mlops key cannot read the concept

    # Deleting asks first; "n" aborts and changes nothing.
    code, _ = invoke(stack, admin, "tenants", "delete", tid, tenant=tid, stdin="n\n")
    assert code == 1
    assert e4t(stack, admin, "tenants", "get", tid)["state"] == "ACTIVE"
    code, stderr = invoke(stack, admin, "tenants", "delete", tid, tenant=tid, stdin="y\n")
    assert code == 7 and "TENANT_NOT_EMPTY" in stderr
    deleted = e4t(stack, admin, "tenants", "delete", tid, "--force", "--yes")
    assert deleted["state"] == "DELETED" and deleted["delete_time"]
    e4t(stack, app_key, "concepts", "list", tenant=tid, code=4)  # its keys are revoked
    assert tid in [
        t["name"].split("/")[-1] for t in e4t(stack, admin, "tenants", "list", "--show-deleted")
    ]
    code, stderr = invoke(stack, admin, "tenants", "delete", tid, "--yes", tenant=tid)
    assert code == 7 and "TENANT_DELETED" in stderr
