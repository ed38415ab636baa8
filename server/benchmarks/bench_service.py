"""Service load benchmark: the whole `e4t serve` under concurrent gRPC clients on loopback.

Starts `python -m e4t_server.app` as a real process on the embedded default (SQLite, a blob
directory and Ray in-process under a fresh E4T_HOME; platform-admin key from E4T_HOME/admin.key),
sets up a tenant, its keys and a domain with the engine's **tiny model with random weights**,
promotes it and records one consent per client. A warm-up concept and generation deploy the
Serve application (reported as the cold start). Then, through `e4t.AsyncClient`s (one channel
each, no SDK retries, so every failure is counted):

1. personalize: each of ``--clients`` clients creates ``--concepts`` concepts one after another
   (``--tuning-steps``), timing each from the CreateConcept call until its operation is done;
2. generate: each client makes ``--generations`` GenerateImages calls round-robin over its own
   concepts (``--inference-steps``, ``--images-per-call``), timing each call.

It reports wall time and throughput per phase, p50/p99 latencies, every error, the concept
cache hit rate of the generate phase (the gateway's Prometheus counter
``e4t_concept_cache_total``, which counts replica cache hits and misses as the replicas report
them) and the 1-minute load average at start and end. The numbers measure the service's overhead
with the tiny model, not Stable Diffusion.

    python server/benchmarks/bench_service.py --clients 4 --concepts 4 --generations 50 \\
        --json docs/bench-service-tiny-cpu.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client.parser import text_string_to_metric_families

import e4t
from e4t_server.engine.domain_model import DomainModel
from e4t_server.engine.tiny import build_tiny_components, tiny_domain_config
from e4t_server.service_demo import embedded_service, face_png, free_port

TENANT = "bench"
DOMAIN = "faces"
PURPOSE = "face-personalization"
FACE_SIZE = 64
CALL_TIMEOUT_S = 600.0
CACHE_METRIC = "e4t_concept_cache_total"
T = TypeVar("T")


@dataclass(frozen=True)
class Load:
    """What the clients do."""

    clients: int
    concepts: int
    generations: int
    tuning_steps: int
    inference_steps: int
    images_per_call: int


@dataclass
class Recorder:
    """Latencies of successful calls and the text of every failed one."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    async def timed(self, kind: str, label: str, call: Awaitable[T]) -> T | None:
        started = time.perf_counter()
        try:
            result = await call
        except Exception as error:  # every failure is a result here, never an abort
            message = f"{kind} {label}: {type(error).__name__}: {error}"
            print(f"ERROR {message}", file=sys.stderr, flush=True)
            self.errors.append(message)
            return None
        self.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        return result


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (with few samples p99 is the maximum)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_s": round(percentile(values, 0.50), 3),
        "p99_s": round(percentile(values, 0.99), 3),
        "mean_s": round(statistics.fmean(values), 3),
        "min_s": round(min(values), 3),
        "max_s": round(max(values), 3),
    }


def save_tiny_model(directory: Path) -> Path:
    """The engine's tiny domain model (random weights), saved as ML ops would upload it."""
    config = tiny_domain_config(personalization_batch_size=1)
    model = DomainModel.from_components(build_tiny_components(seed=0), config, seed=0)
    model.save_pretrained(directory)
    return directory


def scrape_cache(metrics_port: int) -> dict[str, float]:
    """The gateway's concept cache counter by outcome (hit / miss)."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode("utf-8")
    counts = {"hit": 0.0, "miss": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == CACHE_METRIC:
                counts[sample.labels["outcome"]] = sample.value
    return counts


def client(address: str, secret: str) -> e4t.AsyncClient:
    return e4t.AsyncClient(
        api_key=secret,
        target=address,
        tls=False,
        tenant=TENANT,
        timeout=CALL_TIMEOUT_S,
        max_retries=0,
    )


async def set_up(address: str, admin_secret: str, model_dir: Path) -> str:
    """Tenant, keys, domain, first version promoted; returns the app key's secret."""
    async with e4t.AsyncClient(api_key=admin_secret, target=address, tls=False) as admin:
        await admin.tenants.create(tenant_id=TENANT, display_name="Benchmark tenant")
        mlops_secret = (await admin.keys.create(scopes=["mlops"], tenant=TENANT)).secret
        app_secret = (await admin.keys.create(scopes=["app"], tenant=TENANT)).secret
    async with client(address, mlops_secret) as mlops:
        await mlops.domains.create(domain_id=DOMAIN, class_word="face")
        version = await mlops.domains.versions.register(
            DOMAIN, path=model_dir, base_model="tiny-sd (random weights)"
        )
        await mlops.domains.promote(DOMAIN, version=version.id)
    return app_secret


async def create_concept(
    app: e4t.AsyncClient, consent: e4t.Consent, seed: int, steps: int
) -> e4t.Concept:
    operation = await app.concepts.create(
        image=face_png(seed, FACE_SIZE),
        consent=consent,
        domain=DOMAIN,
        tuning_steps=steps,
        seed=seed,
    )
    return await operation.result(timeout=CALL_TIMEOUT_S)


async def generate(
    app: e4t.AsyncClient, concept: e4t.Concept, seed: int, load: Load
) -> e4t.ImageGeneration:
    return await app.images.generate(
        concept=concept,
        prompt="a photo of {concept}",
        num_inference_steps=load.inference_steps,
        n=load.images_per_call,
        seed=seed,
    )


async def run_load(address: str, app_secret: str, load: Load, metrics_port: int) -> dict[str, Any]:
    recorder = Recorder()
    apps = [client(address, app_secret) for _ in range(load.clients)]
    try:
        consents = [
            await app.consents.grant(
                subject=f"person-{index}",
                purpose=PURPOSE,
                notice_version="bench",
                method="electronic",
            )
            for index, app in enumerate(apps)
        ]
        # The first concept and generation deploy the Serve application: timed apart.
        started = time.perf_counter()
        warm = await create_concept(apps[0], consents[0], seed=10_000, steps=load.tuning_steps)
        first_concept_s = time.perf_counter() - started
        started = time.perf_counter()
        await generate(apps[0], warm, seed=0, load=load)
        first_generation_s = time.perf_counter() - started
        cache_before = await asyncio.to_thread(scrape_cache, metrics_port)

        async def personalize(index: int) -> list[e4t.Concept]:
            made = []
            for number in range(load.concepts):
                seed = index * 1000 + number
                concept = await recorder.timed(
                    "create_concept",
                    f"client {index} concept {number}",
                    create_concept(apps[index], consents[index], seed, load.tuning_steps),
                )
                if concept is not None:
                    made.append(concept)
            return made

        load_before = load_average()
        started = time.perf_counter()
        concepts = await asyncio.gather(*(personalize(i) for i in range(load.clients)))
        personalize_wall = time.perf_counter() - started

        async def generate_all(index: int) -> None:
            own = concepts[index]
            for number in range(load.generations if own else 0):
                concept = own[number % len(own)]
                await recorder.timed(
                    "generate_images",
                    f"client {index} call {number}",
                    generate(apps[index], concept, number, load),
                )

        started = time.perf_counter()
        await asyncio.gather(*(generate_all(i) for i in range(load.clients)))
        generate_wall = time.perf_counter() - started
        cache_after = await asyncio.to_thread(scrape_cache, metrics_port)
    finally:
        for app in apps:
            await app.close()

    made = recorder.latencies.get("create_concept", [])
    calls = recorder.latencies.get("generate_images", [])
    hits = cache_after["hit"] - cache_before["hit"]
    misses = cache_after["miss"] - cache_before["miss"]
    return {
        "load_average_1m_before_load": load_before,
        "cold_start": {
            "first_concept_s": round(first_concept_s, 3),
            "first_generation_s": round(first_generation_s, 3),
        },
        "personalize": {
            "concepts": len(made),
            "wall_s": round(personalize_wall, 3),
            "concepts_per_min": round(len(made) / personalize_wall * 60, 2),
            "latency": summary(made),
        },
        "generate": {
            "calls": len(calls),
            "images": len(calls) * load.images_per_call,
            "wall_s": round(generate_wall, 3),
            "images_per_s": round(len(calls) * load.images_per_call / generate_wall, 3),
            "latency": summary(calls),
        },
        "load_wall_s": round(personalize_wall + generate_wall, 3),
        "concept_cache": {
            "source": f"gateway Prometheus counter {CACHE_METRIC}, generate phase only",
            "hits": hits,
            "misses": misses,
            "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
        },
        "error_count": len(recorder.errors),
        "errors": recorder.errors,
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--concepts", type=int, default=4, help="concepts per client")
    parser.add_argument("--generations", type=int, default=50, help="GenerateImages per client")
    parser.add_argument("--tuning-steps", type=int, default=5, help="personalization steps")
    parser.add_argument("--inference-steps", type=int, default=4, help="denoising steps")
    parser.add_argument("--images-per-call", type=int, default=1, help="images per call (1-4)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--keep-state", type=Path, help="keep E4T_HOME and the server log here")
    args = parser.parse_args()
    load = Load(
        clients=args.clients,
        concepts=args.concepts,
        generations=args.generations,
        tuning_steps=args.tuning_steps,
        inference_steps=args.inference_steps,
        images_per_call=args.images_per_call,
    )
    import torch

    result: dict[str, Any] = {
        "benchmark": "service",
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": torch.cuda.is_available(),
        },
        "model": "engine tiny model (random weights, 32 px)",
        "load": asdict(load),
        "load_average_1m_start": load_average(),
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="e4t-bench-") as scratch:
        home = args.keep_state or Path(scratch)
        model_dir = save_tiny_model(home / "domain-model")
        metrics_port = free_port()
        log("starting e4t serve (SQLite + blob directory + in-process Ray)")
        serve_started = time.perf_counter()
        with embedded_service(home / "e4t-home", metrics_port=metrics_port) as address:
            result["service_ready_s"] = round(time.perf_counter() - serve_started, 3)
            admin_secret = (home / "e4t-home" / "admin.key").read_text().strip()
            app_secret = asyncio.run(set_up(address, admin_secret, model_dir))
            log(f"load: {load}")
            result.update(asyncio.run(run_load(address, app_secret, load, metrics_port)))
    result["total_s"] = round(time.perf_counter() - started, 3)
    result["load_average_1m_end"] = load_average()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    if result["error_count"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
