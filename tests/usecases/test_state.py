"""component_states: never run / up to date / stale / cached, from keys, runs and the store."""

from __future__ import annotations

import shutil
from pathlib import Path

from link_ls.cache import CacheStore, compute_keys, effective_parameters
from link_ls.notebook import load
from link_ls.pipeline import build
from link_ls.usecases.state import RunState, component_states

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pipeline.ipynb"


def _states(nb_path: Path, last: dict[str, str]) -> dict[str, str]:
    nb = load(nb_path)
    p = build(nb)
    store = CacheStore.for_notebook(nb_path, nb_path.parent / "cache")
    return {s.name: s.state.value for s in component_states(nb, store, p, last)}


def test_states_follow_the_keys_of_the_last_run(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, path)
    assert set(_states(path, {}).values()) == {RunState.NEVER_RUN.value}

    nb = load(path)
    p = build(nb)
    keys = compute_keys(nb, p, effective_parameters(nb))
    ran = {
        str(p.node_id(i)): str(keys[i]) for i in p.nodes if p.cell(i).name in ("load_data", "clean")
    }
    states = _states(path, ran)
    assert states["load_data"] == states["clean"] == "up-to-date"
    assert states["split"] == "never-run"

    # an edit of load_data changes its key and, through the Merkle keys, clean's
    text = path.read_text().replace("random.Random(seed)", "random.Random(seed + 1)", 1)
    path.write_text(text)
    states = _states(path, ran)
    assert states["load_data"] == states["clean"] == "stale", states
    assert states["report"] == "never-run"


def test_a_notebook_without_a_file_has_no_store(tmp_path: Path) -> None:
    nb = load(EXAMPLE)
    p = build(nb)
    rows = component_states(nb, None, p, {})
    assert [r.name for r in rows][:2] == ["load_data", "clean"]
    assert {r.state for r in rows} == {RunState.NEVER_RUN}
