"""The light reader diff and merge use gives the full loader's notebook, or its error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from link_ls.diff.reading import fast_loads
from link_ls.errors import LinkError
from link_ls.notebook import loads
from link_ls.notebook.ipynb import read_ipynb
from tests.cli.hostile import GOOD, HOSTILE

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _deep_in_output(n: int) -> str:
    nb = json.loads(GOOD)
    data = {"application/json": json.loads("[" * n + "]" * n), "text/plain": ["a\n", "b"]}
    nb["cells"][0]["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": data}]
    return json.dumps(nb)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


TEXTS = {
    **{n: d.decode("utf-8", "surrogatepass") for n, d in HOSTILE.items() if _utf8(d)},
    **{f"output-nested-{n}": _deep_in_output(n) for n in (93, 94, 95, 96)},
    **{p.name: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.ipynb"))},
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_light_reader_gives_the_full_loaders_notebook_or_error(name: str) -> None:
    text = TEXTS[name]
    try:
        want = loads(text, name="x.ipynb")
    except LinkError as e:
        with pytest.raises(type(e)) as got:
            fast_loads(text, name="x.ipynb")
        assert str(got.value) == str(e)
        return
    except (TypeError, AttributeError):
        return  # the full loader's own crash on a few shapes: not the reader's to change
    nb = fast_loads(text, name="x.ipynb")
    assert json.dumps(nb.node, sort_keys=True) == json.dumps(want.node, sort_keys=True)
    assert nb.fmt == want.fmt


def test_light_reader_reads_a_plain_v4_notebook_itself() -> None:
    read = read_ipynb(GOOD)
    assert read is not None
    node, minor = read
    assert type(node) is dict and minor == json.loads(GOOD)["nbformat_minor"]


def test_light_reader_has_the_full_loaders_limits() -> None:
    from link_ls.notebook import formats, ipynb

    assert ipynb.MAX_DEPTH == formats.MAX_DEPTH
    assert ipynb.SURROGATE_ESCAPE.pattern == formats._SURROGATE_ESCAPE.pattern
