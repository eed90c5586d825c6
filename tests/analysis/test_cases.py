"""Table-driven dataflow cases: each row is a cell and what it defines, reads, mutates, deletes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from link_ls.analysis import AnalysisCache, analyze_source


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    defs: set[str] = field(default_factory=set)
    reads: set[str] = field(default_factory=set)
    mutations: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    unknown: bool = False
    syntax_error: bool = False


CASES = [
    # -- plain assignment and evaluation order
    Case("assign", "x = 1", defs={"x"}),
    Case("read", "y = x + 1", defs={"y"}, reads={"x"}),
    Case("read-after-def", "x = 1\ny = x", defs={"x", "y"}),
    Case("self-reference", "x = x + 1", defs={"x"}, reads={"x"}),
    Case("augassign", "total += 1", defs={"total"}, reads={"total"}),
    Case("tuple-unpack", "a, (b, *c) = f()", defs={"a", "b", "c"}, reads={"f"}),
    Case("chained", "a = b = c", defs={"a", "b"}, reads={"c"}),
    Case("annotation-only", "x: int", reads={"int"}),
    Case("annotated-assign", "x: Foo = make()", defs={"x"}, reads={"Foo", "make"}),
    Case("builtins-are-reads", "n = len(items)", defs={"n"}, reads={"len", "items"}),
    # -- imports
    Case("import", "import numpy as np", defs={"np"}),
    Case("import-dotted", "import os.path", defs={"os"}),
    Case("from-import", "from math import pi, tau as t", defs={"pi", "t"}),
    Case("star-import", "from math import *", unknown=True),
    # -- functions
    Case("def", "def f(a):\n    return a + b", defs={"f"}, reads={"b"}),
    Case("def-later-global", "def f():\n    return z\nz = 1", defs={"f", "z"}),
    Case("def-local-shadow", "def f():\n    x = 1\n    return x", defs={"f"}),
    Case("def-local-everywhere", "def f():\n    print(x)\n    x = 2", defs={"f"}, reads={"print"}),
    Case("default-args", "def f(a=default):\n    return a", defs={"f"}, reads={"default"}),
    Case("decorator", "@cache\ndef f():\n    pass", defs={"f"}, reads={"cache"}),
    Case("global-decl", "def f():\n    global g\n    g = 1", defs={"f", "g"}),
    Case(
        "nonlocal",
        "def f():\n    a = 1\n    def g():\n        nonlocal a\n        a = 2\n    return g",
        defs={"f"},
    ),
    Case("lambda", "f = lambda a: a + k", defs={"f"}, reads={"k"}),
    Case("lambda-param", "f = lambda k: k", defs={"f"}),
    Case(
        "async-def",
        "async def fetch():\n    return await client.get()",
        defs={"fetch"},
        reads={"client"},
    ),
    # -- classes
    Case("class", "class A(Base):\n    x = 1", defs={"A"}, reads={"Base"}),
    Case(
        "class-body-sequential",
        "class A:\n    b = 1\n    c = b",
        defs={"A"},
    ),
    Case(
        "method-skips-class-scope",
        "class A:\n    b = 1\n    def m(self):\n        return b",
        defs={"A"},
        reads={"b"},
    ),
    # -- comprehensions and walrus
    Case("listcomp", "ys = [x * 2 for x in xs]", defs={"ys"}, reads={"xs"}),
    Case(
        "comp-var-not-leaked",
        "ys = [i for i in r]\nprint(i)",
        defs={"ys"},
        reads={"r", "print", "i"},
    ),
    Case("dictcomp", "d = {k: v for k, v in pairs}", defs={"d"}, reads={"pairs"}),
    Case("nested-comp", "m = [[a * b for b in B] for a in A]", defs={"m"}, reads={"A", "B"}),
    Case("walrus", "if (n := len(s)) > 3:\n    pass", defs={"n"}, reads={"len", "s"}),
    Case(
        "walrus-in-comp", "ys = [y for x in xs if (y := f(x))]", defs={"ys", "y"}, reads={"xs", "f"}
    ),
    Case("genexp", "total = sum(v for v in vals)", defs={"total"}, reads={"sum", "vals"}),
    # -- control flow
    Case("for-target", "for i in range(3):\n    acc = i", defs={"i", "acc"}, reads={"range"}),
    Case(
        "with-as",
        "with open(p) as fh:\n    data = fh.read()",
        defs={"fh", "data"},
        reads={"open", "p"},
    ),
    Case(
        "except-as",
        "try:\n    x = 1\nexcept E as err:\n    y = err",
        defs={"x", "err", "y"},
        reads={"E"},
    ),
    Case(
        "match",
        "match cmd:\n    case [a, *rest]:\n        b = a\n    case {'k': v, **kw}:\n        pass",
        defs={"a", "rest", "b", "v", "kw"},
        reads={"cmd"},
    ),
    # -- mutation and deletion
    Case("attr-store", "df.col = 1", reads={"df"}, mutations={"df"}),
    Case("subscript-store", "cfg['lr'] = 0.1", reads={"cfg"}, mutations={"cfg"}),
    Case("method-append", "items.append(3)", reads={"items"}, mutations={"items"}),
    Case("fit-mutates-model", "model.fit(X, y)", reads={"model", "X", "y"}, mutations={"model"}),
    Case("inplace-kwarg", "df.dropna(inplace=True)", reads={"df"}, mutations={"df"}),
    Case("inplace-false", "df.dropna(inplace=False)", reads={"df"}),
    Case("torch-trailing-underscore", "t.add_(1)", reads={"t"}, mutations={"t"}),
    Case("dunder-call-no-mutation", "obj.__sizeof__()", reads={"obj"}),
    Case("private-call-no-mutation", "obj._check_()", reads={"obj"}),
    Case("no-mutation-of-local", "xs = []\nxs.append(1)", defs={"xs"}),
    Case("chain-mutation", "a.b[0].c = 1", reads={"a"}, mutations={"a"}),
    Case("augassign-attr", "obj.count += 1", reads={"obj"}, mutations={"obj"}),
    Case("del-name", "del tmp", reads={"tmp"}, deletes={"tmp"}),
    Case("del-local", "tmp = 1\ndel tmp", defs={"tmp"}, deletes={"tmp"}),
    Case("del-item", "del cache['k']", reads={"cache"}, mutations={"cache"}),
    Case(
        "mutation-in-function",
        "def reset():\n    state.clear()",
        defs={"reset"},
        reads={"state"},
        mutations={"state"},
    ),
    # -- dynamic code
    Case("exec", "exec(code)", reads={"exec", "code"}, unknown=True),
    Case("globals-update", "globals().update(d)", reads={"globals", "d"}, unknown=True),
    # -- IPython syntax
    Case("line-magic", "%matplotlib inline\nimport pandas as pd", defs={"pd"}),
    Case("time-magic", "%time result = train(data)", defs={"result"}, reads={"train", "data"}),
    Case("timeit-magic", "%timeit -n 3 f(x)", reads={"f", "x"}),
    Case("shell", "!pip install requests"),
    Case("shell-capture", "files = !ls {folder}", defs={"files"}, reads={"folder"}),
    Case("shell-dollar", "!echo $name", reads={"name"}),
    Case(
        "cell-magic-capture", "%%capture out\nz = compute()", defs={"z", "out"}, reads={"compute"}
    ),
    Case("cell-magic-bash", "%%bash\necho $HOME\nx=1"),
    Case("run-magic", "%run helpers.py", unknown=True),
    Case("help-syntax", "obj?"),
    Case("magic-assign", "names = %who_ls", defs={"names"}),
    # -- broken code
    Case("syntax-error", "def f(:\n    pass", syntax_error=True),
    Case("empty", ""),
    Case("comment-only", "# just a note"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dataflow(case: Case) -> None:
    a = analyze_source(case.source)
    assert (a.syntax_error is not None) == case.syntax_error
    assert set(a.defs) == case.defs
    assert set(a.reads) == case.reads
    assert set(a.mutations) == case.mutations
    assert set(a.deletes) == case.deletes
    assert bool(a.unknown) == case.unknown


def test_enough_cases() -> None:
    assert len(CASES) >= 40


def test_syntax_error_position_points_into_the_cell() -> None:
    a = analyze_source("x = 1\ny = (2 +\n")
    assert a.syntax_error is not None
    assert a.syntax_error.span.line >= 1


def test_occurrences_locate_defs_and_reads() -> None:
    a = analyze_source("y = x + 1\nprint(y)")
    kinds = {(o.name, o.kind, o.span.line, o.span.col) for o in a.occurrences}
    assert ("x", "read", 0, 4) in kinds
    assert ("y", "def", 0, 0) in kinds


def test_cache_reanalyses_only_changed_sources() -> None:
    cache = AnalysisCache()
    sources = [f"v{i} = v{i - 1} + 1" for i in range(1, 50)]
    for s in sources:
        cache.analyze(s)
    assert cache.misses == len(sources)
    sources[10] = "v11 = v10 * 2"
    for s in sources:
        cache.analyze(s)
    assert cache.misses == len(sources) + 1


def test_cache_is_bounded_and_keeps_what_is_used() -> None:
    cache = AnalysisCache(max_entries=10)
    for i in range(100):
        cache.analyze("hot = 1")
        cache.analyze(f"cold_{i} = 1")
    assert cache.misses == 101  # "hot" analysed once, every cold source once
    cache.analyze("cold_0 = 1")  # long evicted
    assert cache.misses == 102


def test_null_byte_and_deep_nesting_do_not_raise() -> None:
    assert analyze_source("x = 1\x00").syntax_error is not None
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    a = analyze_source(deep)
    assert a.syntax_error is not None or a.unknown
