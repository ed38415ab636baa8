"""The main job: the whole e4t service on the embedded default, driven through the SDK.

    python -m e4t_server.service_demo --out outputs/demo

1. takes the shipped demo face-domain model: a Stable-Diffusion-shaped model trained from
   scratch on the procedural faces of ``e4t_server.demo.faces`` and domain-tuned with E4T
   (``e4t_server/demo/weights/face-domain``, 32×32 pictures; see docs/demo-domain.md);
2. starts `e4t serve` on the embedded default — SQLite and a blob directory under a fresh
   E4T_HOME, Ray in-process — and waits until it answers health checks;
3. as a platform admin, ML-ops engineer and application developer in turn (each with their own
   API key): creates a tenant, registers and promotes the domain model, records a subject's
   consent, registers a concept from **one** photo of a held-out face (15 tuning steps) and
   generates images of it from prompts that ask for other styles, backdrops and lighting;
4. writes the input, the PNGs, a grid (``grid.png``: input, then one row per prompt) and a
   README.txt to the output directory, stops the server with SIGTERM and prints the paths.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from PIL import Image

import e4t
from e4t_server.demo.base_model import RESOLUTION
from e4t_server.demo.pretrained import face_domain_dir
from e4t_server.demo.scenes import GUIDANCE_SCALE, PROMPT_CONTEXTS, input_photo, prompt_for

MODEL_NOTICE = (
    "NOTE: the model is the demo face domain's: trained from scratch on procedural faces on "
    "two CPU cores, at 32x32 pixels. Its pictures are small and soft; they follow backdrops "
    "and styles and keep some of the input's identity, more than Textual Inversion or LoRA "
    "given the same 15 steps, and well short of a true picture of the person (measured in "
    "docs/benchmarks.md). The job shows the whole service at work on a trained model."
)
PROMPTS = tuple(prompt_for(context, "{concept}") for context in PROMPT_CONTEXTS)
INPUT_IDENTITY = 1_000_007  # a held-out identity: no training run ever saw it
IMAGES_PER_PROMPT = 2
START_TIMEOUT_S = 300
PURPOSE = "face-personalization"


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the paths of the results."""
    print(message, file=sys.stderr, flush=True)


def face_png(identity_seed: int, size: int = RESOLUTION) -> bytes:
    """PNG bytes of the one input photo of a demo-domain identity."""
    buffer = io.BytesIO()
    input_photo(identity_seed, size).save(buffer, format="PNG")
    return buffer.getvalue()


def save_grid(out: Path, paths: list[Path]) -> Path:
    """``grid.png``: the input, then the generations of each prompt in a row, 4× enlarged."""
    cell = 128
    grid = Image.new("RGB", (cell * (1 + IMAGES_PER_PROMPT), cell * len(PROMPTS)), "white")
    with Image.open(out / "input.png") as source:
        grid.paste(source.convert("RGB").resize((cell, cell), Image.Resampling.NEAREST), (0, 0))
    for index, path in enumerate(paths):
        row, column = divmod(index, IMAGES_PER_PROMPT)
        with Image.open(path) as picture:
            enlarged = picture.convert("RGB").resize((cell, cell), Image.Resampling.NEAREST)
            grid.paste(enlarged, ((column + 1) * cell, row * cell))
    grid.save(out / "grid.png")
    return out / "grid.png"


class ProgressPrinter:
    """Prints an operation's progress each time it changes (the SDK polls more often)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last: tuple[int, int, str] | None = None

    def __call__(self, snapshot: e4t.OperationSnapshot) -> None:
        progress = snapshot.progress
        current = (progress.steps_done, progress.steps_total, progress.message)
        if current != self.last:
            self.last = current
            message = f"  ({progress.message})" if progress.message else ""
            log(f"  {self.label} {progress.steps_done}/{progress.steps_total}{message}")


def wait_until_serving(address: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"e4t serve exited with code {server.returncode}")
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(), timeout=2)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.5)
    raise TimeoutError(f"e4t serve did not become ready within {START_TIMEOUT_S} s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def embedded_service(home: Path, *, metrics_port: int = 0) -> Iterator[str]:
    """`e4t serve` on the embedded default under ``home``; yields its address, stops it after.

    ``metrics_port`` 0 turns the Prometheus endpoint off.
    """
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("E4T_", "RAY_ADDRESS"))}
    environ.update(
        E4T_HOME=str(home),
        E4T_GRPC_PORT=str(port),
        E4T_METRICS_PORT=str(metrics_port),
        RAY_AUTH_MODE="disabled",
    )
    home.mkdir(parents=True, exist_ok=True)
    with (home / "serve.log").open("wb") as server_log:
        server = subprocess.Popen(
            [sys.executable, "-m", "e4t_server.app"],
            env=environ,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            address = f"127.0.0.1:{port}"
            wait_until_serving(address, server)
            yield address
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def run_service_demo(
    out: Path,
    home: Path,
    *,
    personalization_steps: int = 15,
    generation_steps: int = 25,
) -> list[Path]:
    """Run the main job; returns the paths of the generated PNGs and of the grid."""
    log(MODEL_NOTICE)
    out.mkdir(parents=True, exist_ok=True)
    model_dir = face_domain_dir()
    log(f"1/4 using the shipped demo face-domain model {model_dir}")

    log("2/4 starting `e4t serve` (SQLite + blob directory + in-process Ray)")
    started = time.perf_counter()
    with embedded_service(home / "e4t-home") as address:
        log(f"  serving on {address} after {time.perf_counter() - started:.1f}s")
        admin_key = (home / "e4t-home" / "admin.key").read_text().strip()
        with e4t.Client(api_key=admin_key, target=address, tls=False) as admin:
            admin.tenants.create(tenant_id="demo", display_name="Demo tenant")
            mlops_key = admin.keys.create(scopes=["mlops"], tenant="demo").secret
            app_key = admin.keys.create(scopes=["app"], tenant="demo").secret

        log("3/4 registering the domain model and one concept from one image")
        with e4t.Client(api_key=mlops_key, target=address, tls=False, tenant="demo") as mlops:
            mlops.domains.create(domain_id="faces", class_word="face")
            version = mlops.domains.versions.register(
                "faces", path=model_dir, base_model="e4t demo face base (trained from scratch)"
            )
            mlops.domains.promote("faces", version=version.id)
        image = face_png(INPUT_IDENTITY)
        (out / "input.png").write_bytes(image)
        with e4t.Client(api_key=app_key, target=address, tls=False, tenant="demo") as app:
            consent = app.consents.grant(
                subject="demo-person", purpose=PURPOSE, notice_version="demo", method="electronic"
            )
            operation = app.concepts.create(
                image=image, consent=consent, domain="faces", tuning_steps=personalization_steps
            )
            concept = operation.result(timeout=600, progress=ProgressPrinter("personalization"))
            log(f"  concept {concept.name} is {concept.state.name}")

            log("4/4 generating images of the concept")
            paths = []
            for index, prompt in enumerate(PROMPTS):
                images = app.images.generate(
                    concept=concept,
                    prompt=prompt,
                    n=IMAGES_PER_PROMPT,
                    seed=index,
                    num_inference_steps=generation_steps,
                    guidance_scale=GUIDANCE_SCALE,
                )
                for number, picture in enumerate(images):
                    paths.append(picture.save(out / f"prompt{index}_image{number}.png"))
    generated = [Path(p) for p in paths]
    grid = save_grid(out, generated)
    lines = [MODEL_NOTICE, "", "input: input.png", "grid: grid.png", "prompts:"]
    lines += [f"  prompt{i}: {p}" for i, p in enumerate(PROMPTS)]
    (out / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*generated, grid]


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the PNGs")
    parser.add_argument(
        "--keep-state",
        type=Path,
        help="keep the model, registry and server log here (default: a temporary directory)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="e4t-demo-") as scratch:
        home = args.keep_state or Path(scratch)
        paths = run_service_demo(args.out, home)
    for path in paths:
        print(path)
    log(f"done in {time.perf_counter() - started:.1f}s; see {args.out / 'README.txt'}")


if __name__ == "__main__":
    main()
