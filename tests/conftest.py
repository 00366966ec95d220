"""Test configuration: one BLAS thread per pytest-xdist worker (the workers share the cores)."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread_per_worker():
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            yield
    else:
        yield
