"""`link-ls export --format kfp`: the kfp 2 compiler's spec matches the notebook, and kfp's
local runner, running the compiled YAML, prints what `link-ls run` prints per component."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from link_ls.exchange import ExportError, collect, dumps_pipeline
from link_ls.exchange.kfp_format import KfpOptions
from link_ls.notebook import load
from tests.conftest import run_link_ls

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pipeline.ipynb"

pytest.importorskip("kfp")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_link_ls(*args, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("kfp")
    out = tmp / "pipeline.yaml"
    done = _cli(
        "export",
        str(EXAMPLE),
        "--format",
        "kfp",
        "--package",
        "numpy<3",
        "--base-image",
        "python:3.12-slim",
        "-o",
        str(out),
        cwd=tmp,
    )
    assert done.returncode == 0, done.stderr
    assert "exported 8 components and 3 parameters" in done.stdout
    return out, yaml.safe_load(out.read_text())


def _components() -> dict[str, tuple[str, set[str]]]:
    """name -> (source, parent names) as the notebook declares them."""
    nb = load(EXAMPLE)
    return {
        c.canvas.name: (c.source, {p.name for p in c.canvas.parents})
        for c in nb.cells
        if c.canvas is not None and c.is_component
    }


def _executor(spec: dict[str, Any], task: str) -> dict[str, Any]:
    comp = spec["root"]["dag"]["tasks"][task]["componentRef"]["name"]
    label = spec["components"][comp]["executorLabel"]
    return spec["deploymentSpec"]["executors"][label]["container"]  # type: ignore[no-any-return]


def _embedded_code(container: dict[str, Any]) -> str:
    """The component's code as the generated function compiles it (``compile(CODE, …)``)."""
    program = container["command"][-1]
    for node in ast.walk(ast.parse(program)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "compile"
        ):
            return ast.literal_eval(node.args[0])  # type: ignore[no-any-return]
    raise AssertionError("no compile() call in the component")


def test_dag_inputs_and_code_match_the_notebook(compiled: tuple[Path, dict[str, Any]]) -> None:
    _path, spec = compiled
    comps = _components()
    tasks = spec["root"]["dag"]["tasks"]
    shown = {t["taskInfo"]["name"]: k for k, t in tasks.items()}
    assert set(shown) == set(comps)
    for name, (source, parents) in comps.items():
        task = tasks[shown[name]]
        assert {
            shown_name for shown_name, k in shown.items() if k in task.get("dependentTasks", [])
        } == parents
        # every parent's variables arrive as an artifact from that parent's task
        arts = task["inputs"].get("artifacts", {})
        assert {a["taskOutputArtifact"]["producerTask"] for a in arts.values()} == {
            shown[p] for p in parents
        }
        container = _executor(spec, shown[name])
        assert _embedded_code(container) == source
        assert container["image"] == "python:3.12-slim"
        assert "numpy<3" in " ".join(container["command"])
    params = spec["root"]["inputDefinitions"]["parameters"]
    assert {k: (v["parameterType"], v["defaultValue"]) for k, v in params.items()} == {
        "n_samples": ("NUMBER_INTEGER", 400),
        "noise": ("NUMBER_DOUBLE", 0.3),
        "seed": ("NUMBER_INTEGER", 7),
    }


def _kfp_task_logs(log: str) -> dict[str, list[str]]:
    """Printed lines per task in the output of kfp's local runner."""
    clean = re.sub(r"\x1b\[[0-9;]*m", "", log)
    out: dict[str, list[str]] = {}
    current: str | None = None
    in_json = False
    for line in clean.splitlines():
        if m := re.search(r"Executing task '([^']+)'", line):
            current = m.group(1)
            out[current] = []
        elif re.search(r"Task '[^']+' finished", line):
            current = None
        elif "Got executor_input:" in line:
            in_json = True  # the executor's input, pretty-printed up to a lone "}"
        elif in_json:
            in_json = line != "    }"
        elif current and line.startswith("    ") and "[KFP Executor" not in line:
            out[current].append(line[4:])
    return {k: [ln for ln in v if ln.strip()] for k, v in out.items()}


def _printed(cell: dict[str, Any]) -> list[str]:
    text = "".join("".join(o["text"]) for o in cell.get("outputs", []) if o.get("name") == "stdout")
    return text.splitlines()


@pytest.mark.timeout(600)
def test_local_runner_prints_what_link_ls_run_prints(
    compiled: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    _path, spec = compiled
    # kfp's local runner installs the component's packages; keep the list to what is here
    plain = tmp_path / "plain.yaml"
    text = dumps_pipeline(collect(load(EXAMPLE)), "kfp", EXAMPLE.name, KfpOptions())
    plain.write_text(text)
    runner = (
        "import sys\n"
        "from kfp import components, local\n"
        "local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=sys.argv[2])\n"
        "components.load_component_from_file(sys.argv[1])(seed=7)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", runner, str(plain), str(tmp_path / "root")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    logs = _kfp_task_logs(done.stdout + done.stderr)
    executed = tmp_path / "executed.ipynb"
    run = _cli("run", str(EXAMPLE), "--no-cache", "-o", str(executed), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    cells = json.loads(executed.read_text())["cells"]
    tasks = spec["root"]["dag"]["tasks"]
    task_of = {t["taskInfo"]["name"]: k for k, t in tasks.items()}
    compared = 0
    for cell in cells:
        name = cell["metadata"].get("canvas", {}).get("name")
        if not name:
            continue
        assert logs[task_of[name]] == _printed(cell), name
        compared += 1
    assert compared == 8


def test_a_component_without_its_parents_is_refused() -> None:
    pipe = collect(load(EXAMPLE), ["train"])
    with pytest.raises(ExportError, match="--with-ancestors"):
        dumps_pipeline(pipe, "kfp", "pipeline.ipynb")
