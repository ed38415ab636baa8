"""Prometheus metrics of the gateway (served on their own port by `e4t serve`; 0 turns it off)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "e4t_grpc_requests_total", "gRPC calls by method and status code", ["method", "code"]
)
LATENCY = Histogram(
    "e4t_grpc_request_seconds",
    "gRPC call latency by method",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PERSONALIZATION = Histogram(
    "e4t_personalization_seconds",
    "Wall time of one concept personalization (replica work, upload and commit)",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
CONCEPT_CACHE = Counter(
    "e4t_concept_cache_total",
    "Concept lookups on replicas by outcome (hit: already loaded on the replica)",
    ["outcome"],
)
OPERATIONS_FAILED_STALE = Counter(
    "e4t_operations_failed_stale_total", "Operations failed because their worker went silent"
)
