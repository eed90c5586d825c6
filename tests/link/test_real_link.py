"""The real Link package is present and is the version our compatibility claims are about."""

from __future__ import annotations

from tests.link.conftest import LINK_VERSION, RealLink


def test_real_link_is_the_reference_version(real_link: RealLink) -> None:
    out = real_link.run_python(
        "import importlib.metadata as m; print(m.version('mrx-link'), m.version('mrx-link-core'))"
    )
    assert out.split() == [LINK_VERSION, LINK_VERSION]
    assert "convert" in real_link.run_cli("--help")
