"""Kernels for the cache tests, and the check that none of them outlives the suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from link_ls.kernel import shutdown_live_sessions
from link_ls.kernel.session import connection_tag
from tests.kernel.procs import wait_gone


@pytest.fixture(scope="session", autouse=True)
def no_orphan_kernels() -> Iterator[None]:
    yield
    shutdown_live_sessions()
    left = wait_gone(connection_tag())
    assert not left, f"kernel processes left running after the cache tests: {left}"
