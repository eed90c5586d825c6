"""Beyond pickle: arrays, DataFrames and JSON-able values are saved in formats that load without
unpickling, and come back with exactly their values and types; the rest falls back to pickle.
"""

from __future__ import annotations

import io
import json
import os
import pickle
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from link_ls.cache import CacheOptions, CacheStore
from link_ls.cache.link_store import as_pickle
from link_ls.cache.runner import PipelineStepCache
from link_ls.kernel import KernelSession
from link_ls.kernel.report import RunReport
from link_ls.kernel.runner import run_plan
from link_ls.notebook import load
from link_ls.notebook.canvas import ParentRef, make_component_metadata
from link_ls.pipeline import build, plan_up_to

if os.environ.get("CI") == "true":  # the test extras install them: never skipped in CI
    import numpy as np
    import pandas as pd
    import pyarrow  # noqa: F401
else:
    np = pytest.importorskip("numpy", reason="numpy is in the test extras (pip install -e .[test])")
    pd = pytest.importorskip("pandas", reason="pandas is in the test extras")
    pytest.importorskip("pyarrow", reason="pyarrow is in the test extras")

SAFE = r"""
import numpy as np
import pandas as pd
arr = np.arange(12, dtype=np.int32).reshape(3, 4)
farr = np.asfortranarray(np.linspace(0, 1, 6).reshape(2, 3))
rec = np.array([(1, 2.5)], dtype=[("a", "<i2"), ("b", ">f8")])
view = np.arange(10.0)[::3]
df = pd.DataFrame(
    {"x": [1, 2, 3], "y": [0.5, -0.0, 1e300], "when": pd.to_datetime(["2026-01-01"] * 3)},
    index=pd.Index([10, 20, 30], name="i"),
)
cfg = {"name": "run", "n": 3, "rate": 0.1, "ok": True, "none": None,
       "tags": ["a", "b"], "nested": {"k": [1.5, -0.0, 2**80]}}
text = "h\u00e9llo \ud800 \x00 end"
count = 7
"""

FALLBACK = r"""
tup = (1, 2)
intkeys = {1: "a"}
nan = float("nan")
inner = [1]
shared = [inner, inner]
objarr = np.array([1, "x"], dtype=object)
subclassed = np.ma.masked_array([1, 2], mask=[0, 1])
flag = True if False else None
"""

#: a fingerprint of every value: exact types, dtypes, memory order and values
DESCRIBE = r"""
def __describe():
    import json, math
    import numpy as np, pandas as pd
    out = {}
    for name in sorted(__names):
        v = globals()[name]
        d = [type(v).__module__ + "." + type(v).__qualname__]
        if isinstance(v, np.ndarray):
            fortran = v.flags.f_contiguous and not v.flags.c_contiguous
            d += [str(v.dtype), v.shape, bool(fortran), bool(v.flags.writeable),
                  "" if v.dtype.hasobject else v.tobytes(order="A").hex(), repr(v.tolist())]
        elif isinstance(v, pd.DataFrame):
            d += [repr(v.dtypes.to_dict()), type(v.index).__name__, v.index.name,
                  repr(v.columns.tolist()), v.to_json(date_format="iso", double_precision=15)]
        elif name == "shared":
            d += [repr(v), v[0] is v[1]]
        elif name == "nan":
            d += [math.isnan(v)]
        else:
            kinds = [type(x).__name__ for x in (v.values() if isinstance(v, dict) else [])]
            d += [repr(v), repr(kinds)]
        out[name] = repr(d)
    print(json.dumps(out))
__describe()
del __describe
"""

SAFE_NAMES = ["arr", "farr", "rec", "view", "df", "cfg", "text", "count", "np", "pd"]
FALLBACK_NAMES = ["tup", "intkeys", "nan", "inner", "shared", "objarr", "subclassed", "flag"]


def _notebook(folder: Path) -> Path:
    safe = make_component_metadata("safe", diskcache=True)
    fallback = make_component_metadata("fallback", [ParentRef(safe["id"], "safe")], diskcache=True)
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for src, canvas in ((SAFE, safe), (FALLBACK, fallback)):
        c = new_code_cell(src)
        c.metadata["canvas"] = canvas
        nb.cells.append(c)
    path = folder / "formats.ipynb"
    path.write_text(nbformat.writes(nb))
    return path


def _run(nb_path: Path, target: str, session: KernelSession) -> RunReport:
    nb = load(nb_path)
    idx = next(c.index for c in nb.cells if c.name == target)
    cache = PipelineStepCache(CacheStore.for_notebook(nb_path), CacheOptions())
    return run_plan(session, nb, plan_up_to(build(nb), idx), cache=cache, timeout=120)


def _describe(session: KernelSession, names: list[str]) -> dict[str, str]:
    out = session.run_silent(f"__names = {names!r}\n" + DESCRIBE + "del __names\n")
    described: dict[str, str] = json.loads(out.strip().splitlines()[-1])
    return described


def test_common_types_restore_exactly_without_unpickling(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path)
    fresh = KernelSession(cwd=tmp_path)
    try:
        first = _run(nb_path, "fallback", fresh)
        assert [r.status.value for r in first.steps] == ["executed", "executed"]
        assert first.warnings == ()
        expected = _describe(fresh, SAFE_NAMES + FALLBACK_NAMES)
    finally:
        fresh.shutdown()

    formats = {
        v.name: v.format for m in CacheStore.for_notebook(nb_path).entries() for v in m.variables
    }
    assert formats == {
        **dict.fromkeys(["arr", "farr", "rec", "view"], "npy"),
        "df": "parquet",
        **dict.fromkeys(["cfg", "text", "count"], "json"),
        # tuples, int keys, NaN, shared parts, object or subclassed arrays: JSON / .npy
        # would not give them back exactly
        **dict.fromkeys(FALLBACK_NAMES, "pickle"),
        "inner": "json",
        "flag": "json",
        **dict.fromkeys(["np", "pd"], "module"),
    }

    # a kernel where unpickling is impossible still restores the safe entry
    safe_only = KernelSession(cwd=tmp_path)
    try:
        safe_only.start()
        safe_only.run_silent(
            "import pickle, _pickle\n"
            "def _no(*a, **k):\n    raise RuntimeError('unpickling is disabled')\n"
            "pickle.loads = pickle.load = _pickle.loads = _pickle.load = _no\n"
        )
        report = _run(nb_path, "safe", safe_only)
        assert [r.status.value for r in report.steps] == ["restored"]
        got = _describe(safe_only, SAFE_NAMES)
        assert got == {n: expected[n] for n in SAFE_NAMES}
    finally:
        safe_only.shutdown()

    again = KernelSession(cwd=tmp_path)
    try:
        report = _run(nb_path, "fallback", again)
        assert [r.status.value for r in report.steps] == ["skipped", "restored"]
        got = _describe(again, FALLBACK_NAMES)
    finally:
        again.shutdown()
    # `shared` comes back as one list twice: identity inside a pickled value is kept
    assert got == {n: expected[n] for n in FALLBACK_NAMES}


def test_safe_formats_become_pickles_for_links_cache() -> None:
    assert pickle.loads(as_pickle("json", b'{"a": [1, 2.5, null]}')) == {"a": [1, 2.5, None]}
    buf = io.BytesIO()
    np.save(buf, np.arange(4, dtype=np.int16), allow_pickle=False)
    back = pickle.loads(as_pickle("npy", buf.getvalue()))
    assert back.dtype == np.int16 and back.tolist() == [0, 1, 2, 3]
    frame = pd.DataFrame({"x": [1, 2]})
    pbuf = io.BytesIO()
    frame.to_parquet(pbuf)
    assert pickle.loads(as_pickle("parquet", pbuf.getvalue())).equals(frame)
