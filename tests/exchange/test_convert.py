"""`link-ls convert --from-path A --to-path B`: every direction, and the refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from link_ls.errors import LinkError
from link_ls.exchange import ExchangePipeline, collect, convert, dumps_pipeline, load_pipeline
from link_ls.notebook import Notebook, NotebookFormat, dumps, load
from tests.exchange.exchange_nb import EXAMPLE, ROOT, run_cli


def shape(pipe: ExchangePipeline) -> tuple[object, ...]:
    """What must survive a conversion: components (id, name, code, parents), parameters."""
    comps = sorted((c.id, c.name, c.source.strip(), c.parents) for c in pipe.components)
    # Link stores parameter values as text: compare them as text
    params = [(p.name, p.type, str(p.value)) for p in pipe.parameters]
    return (comps, params)


def nb_shape(path: Path) -> tuple[object, ...]:
    return shape(collect(load(path)))


EXPECTED = nb_shape(EXAMPLE)


def python(script: Path, *args: str) -> str:
    r = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def percent(tmp_path: Path) -> Path:
    """The example as a jupytext percent notebook, as link-ls writes one."""
    nb = load(EXAMPLE)
    text = dumps(Notebook(nb.node, fmt=NotebookFormat("percent", "py:percent", 5)))
    assert "# %%" in text
    out = tmp_path / "percent.py"
    out.write_text(text)
    return out


def test_ipynb_to_json_is_links_format_with_the_same_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    done = convert(EXAMPLE, out)
    assert (done.components, done.parameters, done.overwrites) == (8, 3, False)
    pipe = load_pipeline(out)
    assert pipe.format == "link"
    assert shape(pipe) == EXPECTED


def test_json_to_ipynb_makes_a_notebook_with_the_same_pipeline(tmp_path: Path) -> None:
    for fmt in ("link-ls", "link"):
        src = tmp_path / f"{fmt}.json"
        src.write_text(dumps_pipeline(collect(load(EXAMPLE)), fmt, "pipeline.ipynb"))
        out = tmp_path / f"from-{fmt}.ipynb"
        convert(src, out)
        assert nb_shape(out) == EXPECTED, fmt
        assert all(c.cell_id for c in load(out).cells)


def test_json_to_json_rewrites_link_ls_format_as_links(tmp_path: Path) -> None:
    src = tmp_path / "ours.json"
    src.write_text(dumps_pipeline(collect(load(EXAMPLE)), "link-ls", "pipeline.ipynb"))
    out = tmp_path / "link.json"
    convert(src, out)
    pipe = load_pipeline(out)
    assert pipe.format == "link" and shape(pipe) == EXPECTED


def test_ipynb_and_json_to_py_give_the_same_runnable_script(tmp_path: Path) -> None:
    convert(EXAMPLE, tmp_path / "p.json")
    convert(EXAMPLE, tmp_path / "from_nb.py")
    convert(tmp_path / "p.json", tmp_path / "from_json.py")
    a = python(tmp_path / "from_nb.py", "--seed", "3")
    assert a == python(tmp_path / "from_json.py", "--seed", "3")
    assert a.splitlines()[0] == "loaded 400 rows"


def test_percent_py_is_read_as_a_notebook(tmp_path: Path) -> None:
    src = percent(tmp_path)
    out = tmp_path / "back.ipynb"
    done = convert(src, out)
    assert done.source_kind == "jupytext percent notebook"
    back = load(out)
    assert back.fmt.kind == "ipynb" and all(c.cell_id for c in back.cells)
    assert [(c.cell_type, c.source) for c in back.cells] == [
        (c.cell_type, c.source) for c in load(EXAMPLE).cells
    ]
    # components and edges travel in the `# %%` headers; notebook-level canvas metadata
    # (parameters) only when the text's jupytext header keeps it, which jupytext's
    # default metadata filter does not
    assert nb_shape(out)[0] == EXPECTED[0]
    convert(src, tmp_path / "p.json")
    assert shape(load_pipeline(tmp_path / "p.json"))[0] == EXPECTED[0]


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("script.py", "x.ipynb", "a Python script, not a jupytext percent notebook"),
        ("pipeline.ipynb", "x.txt", "unknown extension '.txt'; convert between .ipynb, .json, .py"),
        ("pipeline.ipynb", "x", "unknown extension '(none)'"),
        ("pipeline.ipynb", "pipeline.ipynb", "is the source"),
        ("pipeline.ipynb", "other.ipynb", "both notebooks: nothing to convert"),
        ("missing.ipynb", "x.json", "missing.ipynb: no such file"),
        ("pipeline.ipynb", "nodir/x.json", "folder"),
        ("bad.json", "x.ipynb", "bad.json: invalid JSON"),
    ],
)
def test_refusals_name_the_file_and_write_nothing(
    tmp_path: Path, source: str, target: str, message: str
) -> None:
    (tmp_path / "pipeline.ipynb").write_bytes(EXAMPLE.read_bytes())
    convert(EXAMPLE, tmp_path / "script.py")
    (tmp_path / "bad.json").write_text("{nope")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(LinkError) as e:
        convert(tmp_path / source, tmp_path / target)
    assert e.value.exit_code == 2
    assert message in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_cli_overwrites_an_existing_target_like_link_and_keeps_it_on_error(
    tmp_path: Path,
) -> None:
    out = tmp_path / "p.json"
    out.write_text("old")
    r = run_cli("convert", "--from-path", str(EXAMPLE), "--to-path", str(out))
    assert r.returncode == 0, r.stderr
    assert "8 components, 3 parameters (overwrote the existing file)" in r.stdout
    assert shape(load_pipeline(out)) == EXPECTED
    kept = out.read_text()
    bad = tmp_path / "bad.json"
    bad.write_text('{"components": 1}')
    r = run_cli("convert", "--from-path", str(bad), "--to-path", str(out))
    assert r.returncode == 2 and r.stderr.startswith(f"link-ls: error: {bad}")
    assert len(r.stderr.strip().splitlines()) == 1
    assert out.read_text() == kept


def test_cli_help_and_missing_options() -> None:
    r = run_cli("convert", "--help")
    assert r.returncode == 0 and "--from-path A" in r.stdout and "mrx-link convert" in r.stdout
    r = run_cli("convert", "--from-path", str(EXAMPLE))
    assert r.returncode == 2 and "--to-path" in r.stderr
    assert ROOT.is_dir()
