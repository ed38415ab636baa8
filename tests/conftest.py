"""Root conftest: makes the shared server fixtures (tests/harness) available to every folder."""

pytest_plugins = ["tests.harness.fixtures"]
