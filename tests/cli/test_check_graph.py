"""`link-ls check` and `link-ls graph` through a real subprocess, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LinkLs
from tests.nbmake import cid, code, component, notebook_json

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_check_clean_examples_exit_zero(link_ls: LinkLs) -> None:
    r = link_ls("check", str(EXAMPLES / "pipeline.ipynb"))
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout


def test_check_reports_errors_with_cell_and_position(link_ls: LinkLs, tmp_path: Path) -> None:
    nb = write(
        tmp_path,
        "cyc.ipynb",
        notebook_json([component("a", "x = 1", ["b"]), component("b", "y = x", ["a"])]),
    )
    r = link_ls("check", str(nb))
    assert r.returncode == 1
    assert f"{nb}:#1" in r.stdout and "LNK001" in r.stdout and "cycle" in r.stdout


def test_check_json(link_ls: LinkLs, tmp_path: Path) -> None:
    nb = write(
        tmp_path,
        "edge.ipynb",
        notebook_json([component("load", "data = 1"), component("train", "m = data")]),
    )
    r = link_ls("check", str(nb), "--format", "json")
    assert r.returncode == 0  # a warning is not an error
    (report,) = json.loads(r.stdout)
    (d,) = report["diagnostics"]
    assert d["code"] == "LNK003" and d["severity"] == "warning" and d["cell"] == 2
    assert d["range"]["start"] == {"line": 0, "character": 4}
    assert d["data"]["parent"] == cid("load")


def test_check_warnings_only_filter(link_ls: LinkLs, tmp_path: Path) -> None:
    nb = write(
        tmp_path,
        "w.ipynb",
        notebook_json(
            [component("a", "x = 1"), component("b", "y = 2"), component("c", "x", ["a", "b"])]
        ),
    )
    r = link_ls("check", str(nb), "--severity", "warning")
    assert "LNK006" not in r.stdout
    assert "LNK006" in link_ls("check", str(nb)).stdout


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"cells": [{"cell_type": "code", "sou', "invalid JSON"),
        ('{"hello": "world"}', "not a notebook"),
        ("", "empty file"),
    ],
)
def test_unreadable_input_exit_two_one_line(
    link_ls: LinkLs, tmp_path: Path, content: str, fragment: str
) -> None:
    nb = write(tmp_path, "bad.ipynb", content)
    r = link_ls("check", str(nb))
    assert r.returncode == 2
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_file_and_good_file_together(link_ls: LinkLs, tmp_path: Path) -> None:
    good = write(tmp_path, "g.ipynb", notebook_json([code("x = 1")]))
    r = link_ls("check", str(good), str(tmp_path / "missing.ipynb"))
    assert r.returncode == 2
    assert "g.ipynb: ok" in r.stdout
    assert "missing.ipynb: no such file" in r.stderr


def test_syntax_error_is_a_diagnostic_not_a_crash(link_ls: LinkLs, tmp_path: Path) -> None:
    nb = write(tmp_path, "s.ipynb", notebook_json([code("def f(:\n  pass")]))
    r = link_ls("check", str(nb))
    assert r.returncode == 1
    assert "LNK009" in r.stdout and "Traceback" not in r.stderr


def test_empty_notebook(link_ls: LinkLs, tmp_path: Path) -> None:
    nb = write(tmp_path, "empty.ipynb", notebook_json([]))
    assert link_ls("check", str(nb)).returncode == 0
    g = json.loads(link_ls("graph", str(nb), "--format", "json").stdout)
    assert g["nodes"] == [] and g["edges"] == []


def test_huge_output_is_checked(link_ls: LinkLs, tmp_path: Path) -> None:
    data = json.loads(notebook_json([code("x = 1"), code("print(x)")]))
    data["cells"][0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "y" * (50 * 1024 * 1024)}
    ]
    nb = tmp_path / "big.ipynb"
    nb.write_text(json.dumps(data))
    r = link_ls("check", str(nb))
    assert r.returncode == 0, r.stderr


def test_graph_json_shape_for_link_pipeline(link_ls: LinkLs) -> None:
    r = link_ls("graph", str(EXAMPLES / "pipeline.ipynb"), "--format", "json")
    assert r.returncode == 0, r.stderr
    g = json.loads(r.stdout)
    by_name = {n["name"]: n for n in g["nodes"]}
    assert set(by_name) >= {"load_data", "train", "evaluate", "report"}
    assert all(n["kind"] == "component" for n in g["nodes"])
    evaluate = by_name["evaluate"]["id"]
    parents = {e["source"] for e in g["edges"] if e["target"] == evaluate}
    assert parents == {by_name[n]["id"] for n in ("features", "train", "baseline")}
    assert all(e["kind"] == "explicit" for e in g["edges"])


def test_graph_plain_notebook_inferred_edges_by_cell_id(link_ls: LinkLs) -> None:
    g = json.loads(link_ls("graph", str(EXAMPLES / "plain.ipynb"), "--format", "json").stdout)
    assert all(e["kind"] == "inferred" for e in g["edges"])
    assert any("scores" in e["names"] for e in g["edges"])
    ids = {n["id"] for n in g["nodes"]}
    assert all(len(i) == 8 for i in ids)  # nbformat cell ids


@pytest.mark.parametrize(("fmt", "marker"), [("mermaid", "flowchart TD"), ("dot", "digraph")])
def test_graph_text_formats(link_ls: LinkLs, fmt: str, marker: str, tmp_path: Path) -> None:
    out = tmp_path / f"g.{fmt}"
    r = link_ls("graph", str(EXAMPLES / "pipeline.ipynb"), "--format", fmt, "-o", str(out))
    assert r.returncode == 0
    text = out.read_text()
    assert marker in text and "load_data" in text


def test_jupytext_percent_file(link_ls: LinkLs, tmp_path: Path) -> None:
    py = write(tmp_path, "flow.py", "# %%\nitems = [1, 2]\n\n# %%\nprint(items, missing)\n")
    r = link_ls("check", str(py))
    assert "LNK004" in r.stdout and "'missing'" in r.stdout


def test_version_and_help(link_ls: LinkLs) -> None:
    assert link_ls("--version").stdout.startswith("link-ls ")
    r = link_ls("--help")
    assert "check" in r.stdout and "graph" in r.stdout


def test_unknown_option_is_usage_error(link_ls: LinkLs) -> None:
    r = link_ls("check", "--bogus", "x.ipynb")
    assert r.returncode == 2


def test_check_reports_merge_conflicts_as_lnk007(link_ls: LinkLs, tmp_path: Path) -> None:
    fx = ROOT / "tests" / "fixtures" / "merge" / "edit-same-lines"
    merged = tmp_path / "merged.ipynb"
    r = link_ls(
        "merge", *(str(fx / f"{s}.ipynb") for s in ("base", "ours", "theirs")), "-o", str(merged)
    )
    assert r.returncode == 1, r.stderr
    r = link_ls("check", str(merged))
    assert r.returncode == 1
    assert "LNK007" in r.stdout and "unresolved merge conflict" in r.stdout
    assert "LNK009" not in r.stdout  # the markers are the conflict, not a syntax error
