"""How many examples the hypothesis fuzz tests run: small in ``make test``, big in ``make fuzz``.

``LINK_LS_FUZZ_EXAMPLES=N`` sets every fuzz test to ``N`` examples (``mk/fuzz.mk`` uses
10,000); without it each test runs its own small default. Seeds are fixed (the
``repeatable`` hypothesis profile of tests/conftest.py, for every property test), so a
run is repeatable.
"""

from __future__ import annotations

import os


def examples(default: int) -> int:
    raw = os.environ.get("LINK_LS_FUZZ_EXAMPLES", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default
