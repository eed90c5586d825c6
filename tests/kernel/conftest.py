"""Shared kernels for the kernel tests, and the check that none of them outlives the suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from link_ls.kernel import KernelSession
from link_ls.kernel.session import connection_tag
from tests.kernel.procs import wait_gone

FIXTURES = Path(__file__).parents[1] / "fixtures" / "kernel"


@pytest.fixture(scope="session", autouse=True)
def no_orphan_kernels() -> Iterator[None]:
    """After every kernel test, no kernel started by this process may still be running."""
    yield
    from link_ls.kernel import shutdown_live_sessions

    shutdown_live_sessions()
    left = wait_gone(connection_tag())
    assert not left, f"kernel processes left running after the tests: {left}"


@pytest.fixture(scope="module")
def shared_session() -> Iterator[KernelSession]:
    """One kernel per test module: starting kernels is the slow part of these tests."""
    s = KernelSession(cwd=FIXTURES)
    s.start()
    yield s
    s.shutdown()


@pytest.fixture
def session(shared_session: KernelSession) -> KernelSession:
    """The module's kernel with an empty namespace (started again if a test killed it)."""
    shared_session.start()
    shared_session.run_silent("get_ipython().run_line_magic('reset', '-f')", timeout=60)
    return shared_session
