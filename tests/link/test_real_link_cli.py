"""Link's CLI shapes against the real `mrx-link`: `run -p` typing and the `.py` export's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_link_ls
from tests.link.conftest import RealLink
from tests.nbmake import component, notebook_json

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "pipeline.ipynb"

# values stored as text, as Link writes them (Link refuses a bool stored as JSON true)
PARAMS = [
    {"name": "n", "type": "int", "value": "3"},
    {"name": "rate", "type": "float", "value": "0.5"},
    {"name": "label", "type": "str", "value": "run"},
    # a quoted literal, as Link's editor writes a str: the kernel gets mlp, unquoted
    {"name": "model", "type": "str", "value": "'mlp'"},
    {"name": "spaced", "type": "str", "value": ' "a b" '},
    {"name": "flag", "type": "bool", "value": "True"},
    {"name": "items", "type": "list", "value": "[1, 2]"},
    {"name": "opts", "type": "dict", "value": '{"k": 1}'},
    {"name": "pair", "type": "tuple", "value": "(1, 2)"},
]
SHOW = (
    "for _n in ['n', 'rate', 'label', 'model', 'spaced', 'flag', 'items', 'opts', 'pair']:\n"
    "    print(_n, type(globals()[_n]).__name__, repr(globals()[_n]))\n"
)


def probe(tmp_path: Path) -> Path:
    nb = tmp_path / "probe.ipynb"
    nb.write_text(notebook_json([component("show", SHOW)], PARAMS))
    return nb


def mrx_link(link: RealLink, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(link.cli), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def link_ls(*args: str) -> subprocess.CompletedProcess[str]:
    return run_link_ls(*args, timeout=300)


def shown(stdout: str) -> list[str]:
    names = {p["name"] for p in PARAMS}
    return [ln for ln in stdout.splitlines() if ln.split(" ", 1)[0] in names]


def p_args(*triples: tuple[str, str, str]) -> list[str]:
    return [x for t in triples for x in ("-p", *t)]


def test_run_p_gives_the_kernel_what_mrx_link_run_gives_it(
    real_link: RealLink, tmp_path: Path
) -> None:
    nb = probe(tmp_path)
    for triples in [
        (
            ("n", "int", "42"),
            ("rate", "float", "2.5"),
            ("label", "str", "[1"),
            ("flag", "bool", "False"),
            ("items", "list", "[3, 'a']"),
            ("opts", "dict", "{'a': [1]}"),
            ("pair", "tuple", "(5, 6)"),
        ),
        (("n", "str", "4"), ("label", "str", "'q'"), ("rate", "Float", "1e-3")),
        (),
    ]:
        theirs = mrx_link(real_link, "run", "--file", str(nb), *p_args(*triples), cwd=tmp_path)
        assert theirs.returncode == 0, theirs.stdout + theirs.stderr
        ours = link_ls("run", str(nb), "--no-cache", *p_args(*triples))
        assert ours.returncode == 0, ours.stderr
        assert shown(ours.stdout) == shown(theirs.stdout) != []


def test_run_p_refuses_what_mrx_link_run_refuses(real_link: RealLink, tmp_path: Path) -> None:
    nb = probe(tmp_path)
    for triple in [
        ("flag", "bool", "true"),  # Link: "invalid Python literals"
        ("n", "int", "abc"),
        ("n", "xyz", "1"),  # Link: "xyz should be in [...]"
        ("nope", "int", "1"),  # Link: "Parameter 'nope' does not exist"
    ]:
        theirs = mrx_link(real_link, "run", "--file", str(nb), "-p", *triple, cwd=tmp_path)
        assert theirs.returncode == 1 and not shown(theirs.stdout), triple
        ours = link_ls("run", str(nb), "-p", *triple)
        assert ours.returncode == 2 and ours.stderr.startswith("link-ls: error: -p "), triple


def test_where_link_passes_the_wrong_type_link_ls_refuses(
    real_link: RealLink, tmp_path: Path
) -> None:
    nb = probe(tmp_path)
    triples = (("n", "int", "3.5"), ("flag", "bool", "1"))
    theirs = mrx_link(real_link, "run", "--file", str(nb), *p_args(*triples), cwd=tmp_path)
    assert theirs.returncode == 0
    assert {"n float 3.5", "flag int 1"} <= set(shown(theirs.stdout))
    for t in triples:
        assert link_ls("run", str(nb), "-p", *t).returncode == 2


def test_exported_script_prints_what_mrx_link_run_prints(
    real_link: RealLink, tmp_path: Path
) -> None:
    script = tmp_path / "pipeline.py"
    r = link_ls("export", str(EXAMPLE), "--format", "py", "-o", str(script))
    assert r.returncode == 0, r.stderr
    nb = tmp_path / "pipeline.ipynb"
    nb.write_text(EXAMPLE.read_text())
    theirs = mrx_link(real_link, "run", "--file", str(nb), "-p", "seed", "int", "3", cwd=tmp_path)
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    ours = subprocess.run(
        [sys.executable, str(script), "--seed", "3"], capture_output=True, text=True, timeout=120
    )
    assert ours.returncode == 0, ours.stderr
    # Link's topological order breaks ties differently (baseline before train): same lines
    assert sorted(ours.stdout.splitlines()) == sorted(theirs.stdout.splitlines())
    assert json.loads(nb.read_text()) == json.loads(EXAMPLE.read_text())
