"""The analysis fast paths give exactly what the slow, obvious ways give, on random cells.

Two shortcuts keep a 1,000-cell analysis fast: the visitor walks common node types
without ``ast.iter_child_nodes``, and common IPython syntax (``%magic``, ``!cmd``, a
cell magic) is rewritten without IPython's tokenizer. Each is checked here against
its reference: the visitor with its structural fast paths off, and IPython's own
``TransformerManager``.
"""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

from link_ls.analysis import analyze_source
from link_ls.analysis.analyzer import _fast_ipython, _parse
from link_ls.analysis.scopes import function_locals
from link_ls.analysis.visitor import CellVisitor
from tests.fuzzing import examples


class ReferenceVisitor(CellVisitor):
    """The visitor as it was: every node without a semantic handler goes through
    ``ast.iter_child_nodes``."""

    structural_fast_paths = False

    def generic(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child)


def fuzz(default: int) -> settings:
    """Hypothesis settings of these tests: ``default`` cases in ``make test``,
    ``LINK_LS_FUZZ_EXAMPLES`` of them in ``make fuzz`` (seeds fixed by tests/conftest.py)."""
    return settings(
        max_examples=examples(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


NAMES = st.sampled_from(["a", "b", "df", "x", "y", "model", "i", "k", "np", "len", "print"])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 2) -> str:
    n = draw(NAMES)
    if depth == 0:
        return draw(st.sampled_from([n, "1", "'s'", "None", f"{n}.attr", f"{n}[0]"]))
    e = draw(expressions(depth - 1))
    f = draw(expressions(depth - 1))
    forms = [
        f"{e} + {f}",
        f"-{e}",
        f"{e} and not {f}",
        f"{e} < {f} <= 3",
        f"({e}, {f})",
        f"[{e}, *{f}]",
        f"{{{e}: {f}, **{n}}}",
        f"{{{e}, {f}}}",
        f"{n}({e}, key={f})",
        f"{n}.append({e})",
        f"{n}.fit({e}, inplace=True)",
        f"{e} if {f} else {n}",
        f"[{n} for {n} in {e} if {f}]",
        f"{{{n}: {e} for {n}, k in {f}}}",
        f"(lambda {n}, q=1: {e} + q)",
        f"({n} := {e})",
        f"f'{{{e}!r:>{{{f}}}}}'",
        f"{n}[{e}:{f}:2]",
        f"{n}[::]",
        f"await {e}",
    ]
    return draw(st.sampled_from(forms))


@st.composite
def statements(draw: st.DrawFn, depth: int = 2) -> list[str]:
    n, m = draw(NAMES), draw(NAMES)
    e = draw(expressions())
    simple = [
        f"{n} = {e}",
        f"{n}, *{m} = {e}",
        f"{n} += {e}",
        f"{n}: int = {e}",
        f"{n}.attr = {e}",
        f"{n}[{m}] = {e}",
        f"del {n}",
        f"{e}",
        f"import os.path as {n}",
        f"from math import {n}",
        "from os import *",
        f"exec({e})",
        "pass",
        f"assert {e}, {n}",
        f"raise {n} from {m}",
        f"global {n}",
        f"%time {n} = {e}",
        f"!echo ${n} {{{m}}}",
        f"%timeit -n 3 {e}",
    ]
    if depth == 0:
        return [draw(st.sampled_from(simple))]
    inner = draw(st.lists(statements(depth - 1), min_size=1, max_size=3))
    body = ["    " + line for block in inner for line in block]
    head = draw(
        st.sampled_from(
            [
                f"if {e}:",
                f"while {e}:",
                f"for {n} in {e}:",
                f"with {e} as {n}:",
                f"def {n}({m}, q={e}, *r, **kw):",
                f"async def {n}():",
                f"class {n}({m}):",
                "try:",
                f"match {e}:\n    case [{n}, *{m}] | {{'k': {n}, **{m}}}:",
            ]
        )
    )
    if head.startswith("match"):
        body = ["    " + line for line in body]
    out = [head, *body]
    if head == "try:":
        out += [f"except {n} as {m}:", *body, "finally:", *body]
    elif head.startswith("if") and draw(st.booleans()):
        out += ["else:", *body]
    if head.startswith("def") and draw(st.booleans()):
        out.insert(0, f"@{m}.cache({e})")
    if head.startswith("def") and draw(st.booleans()):
        out.insert(1, f"    nonlocal {m}")
    return out


@st.composite
def cells(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(statements(), min_size=1, max_size=4))
    lines = [line for block in blocks for line in block]
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(["%%time", "%%capture out", "%%timeit -n1"])))
    return "\n".join(lines)


def _visit(visitor: type[CellVisitor], source: str) -> object:
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError):
        return "syntax error"
    a = visitor(":=" in source, record=True).run(tree, source)
    return a, a.occurrence_rows


@fuzz(300)
@given(cells())
def test_visitor_fast_paths_match_reference(source: str) -> None:
    assert _visit(CellVisitor, source) == _visit(ReferenceVisitor, source)


@fuzz(200)
@given(cells())
def test_occurrences_found_on_demand_equal_a_recording_walk(source: str) -> None:
    """An analysis records no positions; asked for them, it finds what a recording
    walk of the same cell finds, and its facts are that walk's."""
    a = analyze_source(source)
    assert "occurrence_rows" not in vars(a) or a.syntax_error is not None
    recorded = _visit(CellVisitor, source)
    if recorded == "syntax error":
        assert a.syntax_error is not None and a.occurrences == ()
    else:
        assert (a, a.occurrence_rows) == recorded


@fuzz(300)
@given(cells())
def test_function_scopes_without_walrus_read_statements_only(source: str) -> None:
    source = source.replace(":=", "=")  # may no longer parse: then nothing to compare
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            fast = function_locals(node.args, node.body, walrus=False)
            assert fast == function_locals(node.args, node.body), ast.unparse(node)


@fuzz(300)
@given(cells())
def test_fast_ipython_rewrite_is_ipythons(source: str) -> None:
    fast = _fast_ipython(source)
    if fast is not None:
        assert fast[0] == TransformerManager().transform_cell(source)


ODD_CELLS = [
    "%time x = 1",
    "  %time x = 1\n",
    "\n%time x = 1",
    "%%time\n  \ny = x\n%ls",
    "%%time?",
    "%time x = 1 \\\n + 2",
    "%time x?",
    "a = %who_ls\n%time b",
    "s = '''\n%notmagic\n'''\n%time x",
    "f(1,\n%time x\n)",
    "x = (a if b else\n%time c)",
    "def f():\n    %time x\n    return y",
    "!!ls $d\n!pip install {pkg}",
    ">>> %time x",
    "In [1]: %time x",
    "%time x\r\ny = 1",
    "%time x\x0cy",
    "%%bash\necho $HOME\nx=1",
    "@dec\n%time x",
    "for i in r:\n\t%time x\n\t!ls",
]


def test_fast_ipython_on_odd_cells() -> None:
    for source in ODD_CELLS:
        fast = _fast_ipython(source)
        if fast is not None:
            assert fast[0] == TransformerManager().transform_cell(source), source


@fuzz(200)
@given(cells())
def test_analysis_with_fast_rewrite_equals_ipython_rewrite(source: str) -> None:
    try:
        ast.parse(source)
        return  # plain Python: no rewrite involved
    except SyntaxError:
        pass
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
        slow = ReferenceVisitor(record=True).run(tree, source)
    except SyntaxError:
        slow = None
    fast = analyze_source(source)
    if slow is None:
        assert fast.syntax_error is not None
    else:
        assert (fast, fast.occurrence_rows) == (slow, slow.occurrence_rows)
