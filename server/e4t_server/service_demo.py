"""The main job: the whole e4t service on the embedded default, driven through the SDK.

    python -m e4t_server.service_demo --out outputs/demo

1. builds the engine's tiny domain model (random weights: nothing can be downloaded here) and
   domain-tunes it for a few steps on rendered faces of the demo face domain;
2. starts `e4t serve` on the embedded default — SQLite and a blob directory under a fresh
   E4T_HOME, Ray in-process — and waits until it answers health checks;
3. as a platform admin, ML-ops engineer and application developer in turn (each with their own
   API key): creates a tenant, registers and promotes the domain model, records a subject's
   consent, registers a concept from **one** face image and generates images of it from
   several prompts;
4. writes the input, the PNGs and a README.txt to the output directory, stops the server with
   SIGTERM and prints where everything is.

The images come from untrained weights and look like noise: the job shows the product working
end to end, not image quality.
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

import e4t
from e4t_server.demo.faces import identity_from_seed, nuisance_from_seed, render
from e4t_server.engine.data import InMemoryDataset
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.domain_tuning import tune_domain
from e4t_server.engine.tiny import build_tiny_components, tiny_domain_config

UNTRAINED_NOTICE = (
    "NOTE: these images come from UNTRAINED weights (a tiny randomly initialised model, "
    "domain-tuned for a few steps). They show the whole service working end to end; they are "
    "not meant to look like anything."
)
PROMPTS = (
    "a photo of {concept}",
    "a watercolor portrait of {concept}",
    "a cartoon drawing of {concept} on the beach",
)
START_TIMEOUT_S = 300
PURPOSE = "face-personalization"


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the paths of the results."""
    print(message, file=sys.stderr, flush=True)


def face_png(seed: int, size: int) -> bytes:
    """PNG bytes of one rendered face of the demo face domain."""
    picture, _mask = render(identity_from_seed(seed), nuisance_from_seed(seed), size=size)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def build_domain_model(target: Path, *, tuning_steps: int) -> Path:
    """The tiny domain model, domain-tuned briefly on rendered faces, saved to ``target``."""
    config = tiny_domain_config(personalization_batch_size=1)
    model = DomainModel.from_components(build_tiny_components(config.class_word), config)
    faces = [render(identity_from_seed(s), nuisance_from_seed(s))[0] for s in range(8)]

    def report(step: int, total: int, loss: float) -> None:
        log(f"  domain tuning step {step}/{total}  loss {loss:.4f}")

    tune_domain(
        model,
        InMemoryDataset(faces, config.resolution),
        steps=tuning_steps,
        batch_size=4,
        lr=1e-2,
        seed=0,
        progress=report,
    )
    model.save_pretrained(target)
    return target


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
    tuning_steps: int = 8,
    personalization_steps: int = 10,
    generation_steps: int = 10,
) -> list[Path]:
    """Run the main job; returns the paths of the generated PNGs."""
    log(UNTRAINED_NOTICE)
    out.mkdir(parents=True, exist_ok=True)
    log("1/4 building the tiny domain model and domain-tuning it on rendered faces")
    model_dir = build_domain_model(home / "domain-model", tuning_steps=tuning_steps)

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
                "faces", path=model_dir, base_model="tiny-sd (random weights)"
            )
            mlops.domains.promote("faces", version=version.id)
        image = face_png(1000, size=64)
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
                    n=2,
                    seed=index,
                    num_inference_steps=generation_steps,
                )
                for number, picture in enumerate(images):
                    paths.append(picture.save(out / f"prompt{index}_image{number}.png"))
    lines = [UNTRAINED_NOTICE, "", "input: input.png", "prompts:"]
    lines += [f"  prompt{i}: {p}" for i, p in enumerate(PROMPTS)]
    (out / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [Path(p) for p in paths]


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
