"""Kernels for the cache tests, and the check that none of them outlives the suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from link_ls.cache.trust import KEY_FILE_ENV
from link_ls.kernel import shutdown_live_sessions
from link_ls.kernel.session import connection_tag
from tests.kernel.procs import wait_gone


@pytest.fixture(scope="session", autouse=True)
def user_cache_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test signs and checks with a key of its own session, never the real user's."""
    path = tmp_path_factory.mktemp("config") / "link-ls" / "cache.key"
    old = os.environ.get(KEY_FILE_ENV)
    os.environ[KEY_FILE_ENV] = str(path)
    yield path
    if old is None:
        os.environ.pop(KEY_FILE_ENV, None)
    else:
        os.environ[KEY_FILE_ENV] = old


@pytest.fixture(scope="session", autouse=True)
def no_orphan_kernels() -> Iterator[None]:
    yield
    shutdown_live_sessions()
    left = wait_gone(connection_tag())
    assert not left, f"kernel processes left running after the cache tests: {left}"
