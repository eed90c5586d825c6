"""`link-ls export --format py`: a script plain `python` runs, as `link-ls run` would."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from link_ls.exchange import ExportError, collect, dumps_pipeline
from link_ls.notebook import load
from tests.conftest import run_link_ls
from tests.exchange.exchange_nb import EXAMPLE
from tests.nbmake import component, notebook, notebook_json


def python(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        cwd=script.parent,
        timeout=120,
    )


def link_ls(*args: str) -> subprocess.CompletedProcess[str]:
    return run_link_ls(*args, timeout=180)


def run_outputs(stdout: str) -> list[str]:
    """What the cells printed in `link-ls run` output: no header, progress or summary."""
    lines = stdout.splitlines()[1:-1]
    return [ln for ln in lines if not re.match(r"\[\d+/\d+\] ", ln)]


def script_of(tmp_path: Path, nb_path: Path, name: str = "pipeline.py") -> Path:
    out = tmp_path / name
    r = link_ls("export", str(nb_path), "--format", "py", "-o", str(out))
    assert r.returncode == 0, r.stderr
    return out


def test_exported_example_prints_what_link_ls_run_prints(tmp_path: Path) -> None:
    script = script_of(tmp_path, EXAMPLE)
    for options, params in [
        ((), ()),
        (("--seed", "3", "--n-samples", "150"), ("--param", "seed=3", "--param", "n_samples=150")),
    ]:
        mine = python(script, *options)
        assert mine.returncode == 0, mine.stderr
        ran = link_ls("run", str(EXAMPLE), "--no-cache", *params)
        assert ran.returncode == 0, ran.stderr
        assert mine.stdout.splitlines() == run_outputs(ran.stdout)
    assert "loaded 150 rows" in mine.stdout
    # Link's option spelling (--n-samples) and the parameter's own name both work
    assert python(script, "--n_samples", "150", "--seed", "3").stdout == mine.stdout


def test_components_come_in_topological_order_headed_by_name(tmp_path: Path) -> None:
    nb = tmp_path / "order.ipynb"
    nb.write_text(
        notebook_json(
            [
                component("report", "print('report', total)", ["add"]),
                component("add", "total = a + 1", ["source"]),
                component("source", "a = 41"),
            ]
        )
    )
    script = script_of(tmp_path, nb, "order.py")
    text = script.read_text()
    heads = re.findall(r"^# Component: (\w+)\n# Parents: (.*)$", text, re.M)
    assert heads == [("source", "(none)"), ("add", "source"), ("report", "add")]
    assert python(script).stdout == "report 42\n"


PARAMS = [
    {"name": "n", "type": "int", "value": "3"},
    {"name": "rate", "type": "float", "value": 0.5},
    {"name": "label", "type": "str", "value": 'it\'s "q"'},
    {"name": "flag", "type": "bool", "value": "True"},
    {"name": "items", "type": "list", "value": "[1, 2]"},
    {"name": "pair", "type": "tuple", "value": "(1, 2)"},
    {"name": "opts", "type": "dict", "value": {"k": 1}},
]
SHOW = "for v in (n, rate, label, flag, items, pair, opts):\n    print(type(v).__name__, repr(v))\n"


def test_parameters_are_typed_options_with_declared_defaults(tmp_path: Path) -> None:
    nb = tmp_path / "params.ipynb"
    nb.write_text(notebook_json([component("show", SHOW)], PARAMS))
    script = script_of(tmp_path, nb, "params.py")
    assert python(script).stdout.splitlines() == [
        "int 3",
        "float 0.5",
        "str 'it\\'s \"q\"'",
        "bool True",
        "list [1, 2]",
        "tuple (1, 2)",
        "dict {'k': 1}",
    ]
    given = python(
        script,
        *("--n", "7", "--rate", "2", "--label", "x y", "--flag", "no"),
        *("--items", "(3, 4)", "--pair", "[5]", "--opts", '{"a": [1]}'),
    )
    assert given.stdout.splitlines() == [
        "int 7",
        "float 2.0",
        "str 'x y'",
        "bool False",
        "list [3, 4]",
        "tuple (5,)",
        "dict {'a': [1]}",
    ]
    for bad in (["--n", "1.5"], ["--flag", "maybe"], ["--items", "{}"], ["--opts", "["]):
        r = python(script, *bad)
        assert r.returncode == 2 and f"argument {bad[0]}: invalid" in r.stderr, bad
    helptext = python(script, "--help").stdout
    assert "--rate RATE" in helptext and "type=float, default=0.5" in helptext


MAGICS = [
    component("setup", "%matplotlib inline\n%load_ext autoreload\nx = 2\n"),
    component(
        "shell",
        "!echo hello {x} $$((40 + 2))\nfiles = !echo a; echo b\nprint(files)\n"
        "for i in range(2):\n    !echo loop {i}\n",
        ["setup"],
    ),
    component("timed", "%time y = x * 21\nprint(y)\n", ["shell"]),
    component("celltime", "%%time\nz = y + 1\n!echo z {z}\n", ["timed"]),
    component("bash", "%%bash\necho from bash\n", ["celltime"]),
    component("env", "%env GREETING=hi\nimport os\nprint(os.environ['GREETING'])\n", ["bash"]),
    component("text", 'doc = """one\n!not a command\n"""\nprint(doc.strip())\n', ["env"]),
]


def test_magics_are_translated_to_plain_python(tmp_path: Path) -> None:
    nb = tmp_path / "magics.ipynb"
    nb.write_text(notebook_json(MAGICS))
    script = script_of(tmp_path, nb, "magics.py")
    text = script.read_text()
    assert "get_ipython" not in text
    assert "# %matplotlib inline: dropped" in text
    r = python(script)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [ln for ln in lines if not ln.startswith("Wall time: ")] == [
        "hello 2 42",
        "['a', 'b']",
        "loop 0",
        "loop 1",
        "42",
        "z 43",
        "from bash",
        "hi",
        "one",
        "!not a command",
    ]
    assert sum(ln.startswith("Wall time: ") for ln in lines) == 2


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n%who\n", "line 2: IPython magic %who has no plain-Python translation"),
        ("x = 1\nx?\n", "line 2: IPython magic %pinfo"),
        ("!echo $HOME\n", "line 1: 'echo $HOME' uses $-expansion"),
        ("%%capture out\nprint(1)\n", "line 1: IPython cell magic %%capture"),
        ("ip = get_ipython()\n", "line 1: get_ipython() needs IPython"),
        ("print(1\n", "line 1: syntax error"),
        ("%%time\nx = 1\n%who\n", "line 3: IPython magic %who"),
        ("x = 1\nawait x\n", "line 2: 'await' outside function (not valid in a script)"),
    ],
)
def test_untranslatable_magics_are_refused_naming_the_cell(source: str, message: str) -> None:
    nb = notebook([component("first", "a = 1"), component("odd one", source, ["first"])])
    with pytest.raises(ExportError) as e:
        dumps_pipeline(collect(nb), "py", "test.ipynb")
    assert str(e.value).startswith("test.ipynb: component 'odd one' ")
    assert message in str(e.value)


def test_refusal_on_the_command_line_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path,
) -> None:
    nb = tmp_path / "who.ipynb"
    nb.write_text(notebook_json([component("who", "%who\n")]))
    out = tmp_path / "who.py"
    r = link_ls("export", str(nb), "--format", "py", "-o", str(out))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "link-ls: error: who.ipynb: component 'who' line 1: "
        "IPython magic %who has no plain-Python translation"
    )
    assert not out.exists()


def test_future_imports_move_to_the_top_and_the_script_compiles() -> None:
    nb = notebook(
        [
            component("a", "x = 1"),
            component("b", "from __future__ import annotations\ndef f(v: Later) -> None: ...\n"),
        ]
    )
    text = dumps_pipeline(collect(nb), "py", "future.ipynb")
    first_code = text.split('"""', 2)[2].lstrip()
    assert first_code.startswith("from __future__ import annotations\n")
    compile(text, "future.py", "exec")


def test_example_export_is_stable() -> None:
    pipe = collect(load(EXAMPLE))
    assert dumps_pipeline(pipe, "py", "pipeline.ipynb") == dumps_pipeline(
        pipe, "py", "pipeline.ipynb"
    )


def test_odd_names_stay_inside_comments_and_the_docstring() -> None:
    nb = notebook(
        [component('two\nlines """ \\ ', "x = 1"), component("b", "y = x", ['two\nlines """ \\ '])]
    )
    text = dumps_pipeline(collect(nb), "py", 'odd """" \\ name.ipynb')
    compile(text, "odd.py", "exec")
    assert "# Component: two lines" in text
    assert '# Parents: two lines """ \\' in text
