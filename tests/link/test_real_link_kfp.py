"""`export --format kfp` against real Link's Kubeflow export (`mrx-link convert … .yaml`):
the same tasks, the same dependencies and the same typed pipeline inputs."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.link.conftest import RealLink

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "pipeline.ipynb"

pytest.importorskip("kfp")


def _link_name(artifact: str) -> str:
    """Link names a task by its component name in base64 (``=`` written ``_3D``)."""
    m = re.search(r"component_([A-Za-z0-9_+-]+?)_outputs$", artifact)
    assert m is not None, artifact
    return base64.b64decode(m.group(1).replace("_3D", "=")).decode()


def _link_dag(spec: dict[str, Any]) -> dict[str, set[str]]:
    """Link's Argo workflow as {component name: names of the tasks it depends on}."""
    name_of: dict[str, str] = {}
    for t in spec["spec"]["templates"]:
        outs = t.get("outputs", {}).get("artifacts", [])
        if "container" in t and outs:
            name_of[t["name"]] = _link_name(outs[0]["name"])
    dag = next(t for t in spec["spec"]["templates"] if "dag" in t)["dag"]
    return {
        name_of[task["template"]]: {name_of[d] for d in task.get("dependencies", [])}
        for task in dag["tasks"]
    }


def _our_dag(spec: dict[str, Any]) -> dict[str, set[str]]:
    tasks = spec["root"]["dag"]["tasks"]
    shown = {k: t["taskInfo"]["name"] for k, t in tasks.items()}
    return {shown[k]: {shown[d] for d in t.get("dependentTasks", [])} for k, t in tasks.items()}


def test_same_dag_and_inputs_as_links_kubeflow_export(real_link: RealLink, tmp_path: Path) -> None:
    nb = Path(shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name))
    real_link.run_cli("convert", "--from-path", nb.name, "--to-path", "link.yaml", cwd=tmp_path)
    theirs = yaml.safe_load((tmp_path / "link.yaml").read_text())
    done = subprocess.run(
        [sys.executable, "-m", "link_ls", "export", str(nb), "--format", "kfp", "-o", "ours.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ours = yaml.safe_load((tmp_path / "ours.yaml").read_text())
    assert _our_dag(ours) == _link_dag(theirs)
    annotation = theirs["metadata"]["annotations"]["pipelines.kubeflow.org/pipeline_spec"]
    link_inputs = {
        i["name"]: (i["type"], yaml.safe_load(i["default"]))
        for i in json.loads(annotation)["inputs"]
    }
    kinds = {"NUMBER_INTEGER": "Integer", "NUMBER_DOUBLE": "Float", "STRING": "String"}
    our_inputs = {
        # the v2 spec stores every number as a double (400.0): equal values, not text
        k: (kinds[v["parameterType"]], v["defaultValue"])
        for k, v in ours["root"]["inputDefinitions"]["parameters"].items()
    }
    assert our_inputs == link_inputs
