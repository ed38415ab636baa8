"""Registry latency benchmark on PostgreSQL: 100,000 concepts in one tenant.

Measures p50/p99 of: get a concept, list the first page, list a deep page (keyset), and
create a concept version (blob upload to a local directory + the committing transaction).

    python registry/benchmarks/bench_registry.py [--concepts 100000] [--database-url URL]

Without --database-url it starts a throwaway PostgreSQL the way the test harness does.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

# The harness lives in the repository's tests package; make it importable from here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from e4t_registry.blobs import LocalBlobStore
from e4t_registry.db import create_registry_engine
from e4t_registry.migrate import upgrade_database
from e4t_registry.models import utcnow
from e4t_registry.registry import Registry
from tests.harness.postgres import start_postgres

ACTOR = "bench"


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    cuts = statistics.quantiles(samples_s, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def bulk_load_concepts(
    url: str,
    tenant_id: uuid.UUID,
    domain_id: uuid.UUID,
    consent: tuple[uuid.UUID, uuid.UUID],
    count: int,
) -> list[uuid.UUID]:
    """COPY `count` ACTIVE concepts straight into the table; returns their ids."""
    subject_id, consent_id = consent
    parsed = make_url(url)
    ids = [uuid.uuid4() for _ in range(count)]
    start = utcnow() - timedelta(days=30)
    buffer = io.StringIO()
    for n, concept_id in enumerate(ids):
        created = (start + timedelta(seconds=n)).isoformat()
        buffer.write(
            f"{concept_id}\t{tenant_id}\t{domain_id}\t{subject_id}\t{consent_id}\t"
            f"concept {n}\tACTIVE\t\t{created}\t{created}\n"
        )
    with (
        psycopg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
        ) as connection,
        connection.cursor() as cursor,
    ):
        columns = (
            "id, tenant_id, domain_id, subject_id, consent_id, display_name, status, "
            "status_reason, created_at, updated_at"
        )
        with cursor.copy(f"COPY concept ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE")
    return ids


def run(url: str, concepts: int, blob_root: Path) -> dict[str, tuple[float, float]]:
    upgrade_database(url)
    engine = create_registry_engine(url)
    registry = Registry(engine, LocalBlobStore(blob_root))
    tenant = registry.tenants.create(name="bench", actor=ACTOR)
    domain = registry.domains.create(tenant.id, name="faces", class_word="face", actor=ACTOR)
    dmv = registry.domains.register_version(
        tenant.id, domain.id, artifact=b"domain", base_model_ref="tiny", actor=ACTOR
    )
    consent = registry.consent.grant(
        tenant.id, subject_external_id="s", notice_version="v1", method="m", actor=ACTOR
    )
    load_start = time.perf_counter()
    ids = bulk_load_concepts(url, tenant.id, domain.id, (consent.subject_id, consent.id), concepts)
    print(f"bulk-loaded {concepts} concepts in {time.perf_counter() - load_start:.1f} s")

    # A deep-page token, reached the way a client would: by paging.
    token: str | None = None
    for _ in range(int(concepts * 0.9) // 1000):
        token = registry.concepts.list(tenant.id, page_size=1000, page_token=token).next_page_token
    rng = random.Random(0)
    for _ in range(50):  # warm the connection pool and caches
        registry.concepts.get(tenant.id, rng.choice(ids))
    results = {
        "get concept": percentiles(
            timed(lambda: registry.concepts.get(tenant.id, rng.choice(ids)), 2000)
        ),
        "list first page (50)": percentiles(
            timed(lambda: registry.concepts.list(tenant.id, page_size=50), 1000)
        ),
        "list deep page (50, row 90%)": percentiles(
            timed(lambda: registry.concepts.list(tenant.id, page_size=50, page_token=token), 1000)
        ),
        "create concept version (8 KiB)": percentiles(
            timed(
                lambda: registry.concepts.add_version(
                    tenant.id,
                    rng.choice(ids),
                    domain_model_version_id=dmv.id,
                    artifact=rng.randbytes(8192),
                    actor=ACTOR,
                ),
                300,
            )
        ),
    }
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concepts", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: start one)")
    args = parser.parse_args()
    # Other processes on a small machine skew latencies: record how busy it was.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as blob_root:
        if args.database_url:
            results = run(args.database_url, args.concepts, Path(blob_root))
        else:
            with start_postgres() as server:
                results = run(server.url, args.concepts, Path(blob_root))
    print(f"machine: {platform.machine()}, {platform.system()}, cpus={_cpus()}")
    print(f"1-min load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'operation':34} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (p50, p99) in results.items():
        print(f"{name:34} {p50:8.2f} {p99:8.2f}")


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
