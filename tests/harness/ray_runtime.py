"""One local Ray instance per test session, shared by Ray Train and Ray Serve tests.

Starting Ray costs several seconds and about a gigabyte, so every test that needs Ray asks for
the ``ray_runtime`` fixture and gets the same instance; it is shut down at the end of the session.
Tests that deploy Serve applications ask for ``serve_runtime`` (Serve on that same instance) and
delete the applications they deployed when they are done.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Logical CPUs Ray may hand out. Above the 2 physical cores on purpose: Serve replicas and
# Train workers ask for fractions and mostly wait, and both must fit at the same time.
RAY_TEST_CPUS = 4


@pytest.fixture(scope="session")
def ray_runtime() -> Iterator[None]:
    """A running local Ray instance (token auth off, no dashboard, small object store)."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray

    if ray.is_initialized():
        yield
        return
    ray.init(
        num_cpus=RAY_TEST_CPUS,
        include_dashboard=False,
        object_store_memory=256 * 2**20,
        log_to_driver=False,
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="session")
def serve_runtime(ray_runtime: None) -> Iterator[None]:
    """Ray Serve's controller on the shared Ray instance, without an HTTP proxy route."""
    from ray import serve

    serve.start()
    try:
        yield
    finally:
        serve.shutdown()
