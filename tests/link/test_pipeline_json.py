"""Pipelines move between real Link 2.7.0 and link-ls, both ways, for every published example.

For each of MakinaRocks' 19 example notebooks (tests/fixtures/link/notebooks) and
examples/pipeline.ipynb:

- Link → link-ls: Link exports the notebook as its pipeline JSON (``LinkPipeline
  .convert_to_json``; ``mrx-link convert`` is checked to write the same), ``link-ls
  import`` puts it into a new notebook: the same components, code, edges (ids and
  names) and parameters;
- link-ls → Link: ``link-ls export --format link`` writes the bytes Link writes (up to
  Link's hash-dependent order), and Link's SDK loads it with the same pipeline; every
  notebook link-ls writes (the imported ones, and each example after a load and save)
  opens in Link's SDK with the same pipeline.

Link's reader rules that link-ls reproduces are checked here too, by feeding Link the
same bad files the unit tests feed link-ls. All of Link's work runs in two processes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from link_ls.exchange.link_format import link_type, link_value
from link_ls.notebook import Notebook, load, save
from tests.conftest import run_link_ls
from tests.link.conftest import RealLink

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
NOTEBOOKS = {
    f"{p.parent.name}/{p.stem}": p for p in sorted((FIXTURES / "link" / "notebooks").glob("*/*"))
}
NOTEBOOKS["examples/pipeline"] = ROOT / "examples" / "pipeline.ipynb"
EXCHANGE = FIXTURES / "exchange"
#: files Link must refuse, as link-ls does (tests/exchange/test_exchange_bad_input.py)
REFUSED = [*sorted((EXCHANGE / "bad").glob("link-*.json")), EXCHANGE / "bad" / "legacy-list.json"]

#: Link's side: load every job's file with the SDK, optionally write Link's JSON of it,
#: and report what Link sees (components with code and parents, parameters) or its error
LINK_SCRIPT = r"""
import json, sys
from mrx_link.sdk.utils import load_link_pipeline_from_ipynb, load_link_pipeline_from_json
jobs = json.load(open(sys.argv[1]))
out = {}
for src, dst in jobs:
    load = load_link_pipeline_from_json if src.endswith(".json") else load_link_pipeline_from_ipynb
    try:
        pipe = load(src)
        if dst:
            pipe.convert_to_json(dst)
        model = pipe.to_model()
        out[src] = {
            "components": {
                c.identifier: [
                    c.name, c.code, sorted([p["id"], p.get("name", "")] for p in c.parents)
                ]
                for c in model.graph.components
            },
            "edges": sorted([e.parent_id, e.child_id] for e in model.graph.edges),
            "parameters": [[p.name, p.type, p.value] for p in model.parameters],
        }
    except Exception as e:
        out[src] = {"error": f"{type(e).__name__}: {e}"}
json.dump(out, open(sys.argv[2], "w"))
"""


def link_sees(real_link: RealLink, jobs: list[tuple[Path, Path | None]], work: Path) -> Any:
    """Run LINK_SCRIPT over ``jobs`` in one Link process; {source path: what Link saw}."""
    jobs_file, out_file = work / "jobs.json", work / "seen.json"
    jobs_file.write_text(json.dumps([[str(s), str(d) if d else None] for s, d in jobs]))
    real_link.run_python(LINK_SCRIPT, str(jobs_file), str(out_file), cwd=work)
    return json.loads(out_file.read_text())


def expected(nb: Notebook) -> dict[str, Any]:
    """A notebook's pipeline as link-ls reads it, in the shape LINK_SCRIPT reports."""
    comps = [c for c in nb.cells if c.canvas is not None and c.is_component and c.is_code]
    return {
        "components": {
            c.canvas.id: [c.canvas.name, c.source, sorted([p.id, p.name] for p in c.canvas.parents)]
            for c in comps
            if c.canvas is not None
        },
        "edges": sorted([p.id, c.canvas.id] for c in comps if c.canvas for p in c.canvas.parents),
        # Link keeps a value as the text of a Python literal: link-ls's 7 is Link's "7"
        "parameters": [[p.name, link_type(p.type), link_value(p)] for p in nb.parameters],
    }


def of_link_file(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "components": {
            c["component_id"]: [
                c["component_name"],
                c["cell_code"],
                sorted([p["id"], p["name"]] for p in c["parents"]),
            ]
            for c in data["components"]
        },
        "edges": sorted(
            [p["id"], c["component_id"]] for c in data["components"] for p in c["parents"]
        ),
        "parameters": [[p["name"], p["type"], p["value"]] for p in data["parameters"]],
    }


#: what Link 2.7 needs in a component's canvas (and what it does without)
CANVAS_REQUIRED = ("id", "name", "componentType", "parents", "diskcache", "headerColor")
CANVAS_OPTIONAL = ("comments", "copiedOriginId")


def canvas_variants(folder: Path) -> list[Path]:
    """A pipeline notebook link-ls wrote, and copies each missing one thing Link might need
    (``<what>.ipynb``), plus link-ls's rewrite of each copy (``<what>.rewritten.ipynb``)."""
    from link_ls.exchange import apply_import, load_pipeline, new_notebook, plan_import

    folder.mkdir()
    nb = new_notebook()
    nb.raw_cells.append({"cell_type": "markdown", "metadata": {}, "source": "# notes"})
    apply_import(nb, plan_import(nb, load_pipeline(EXCHANGE / "link-export.json")))
    save(nb, folder / "base.ipynb")
    base = json.loads((folder / "base.ipynb").read_text())
    variants: dict[str, dict[str, Any]] = {}
    for key in CANVAS_REQUIRED + CANVAS_OPTIONAL:
        v = json.loads(json.dumps(base))
        del v["cells"][-1]["metadata"]["canvas"][key]  # the last component: a leaf
        variants[f"no-{key}"] = v
    v = json.loads(json.dumps(base))
    v["cells"][-1]["metadata"]["canvas"]["headerColor"] = 5  # older Link's palette index
    variants["int-headerColor"] = v
    v = json.loads(json.dumps(base))
    del v["cells"][0]["id"]  # the markdown cell
    variants["no-markdown-cell-id"] = v
    v = json.loads(json.dumps(base))
    for c in v["cells"]:
        del c["id"]
    v["nbformat_minor"] = 4
    variants["nbformat-4.4"] = v
    v = json.loads(json.dumps(base))
    del v["metadata"]["canvas"]
    variants["no-notebook-canvas"] = v
    out = [folder / "base.ipynb"]
    for what, node in variants.items():
        path = folder / f"{what}.ipynb"
        path.write_text(json.dumps(node))
        rewritten = folder / f"{what}.rewritten.ipynb"
        save(load(path), rewritten)
        out += [path, rewritten]
    return out


def link_ls(*args: str) -> subprocess.CompletedProcess[str]:
    return run_link_ls(*args, timeout=120)


@dataclass(frozen=True)
class RoundTrip:
    work: Path
    #: Link on the notebooks as published, on link-ls's writes of them, on link-ls's files
    published: dict[str, Any]
    rewritten: dict[str, Any]
    ours: dict[str, Any]
    paths: dict[str, dict[str, Path]]
    rules: dict[str, Any]


@pytest.fixture(scope="session")
def trip(real_link: RealLink, tmp_path_factory: pytest.TempPathFactory) -> RoundTrip:
    work = tmp_path_factory.mktemp("link-json")
    for d in ("src", "rewritten", "link", "imported", "ours"):
        (work / d).mkdir()
    paths: dict[str, dict[str, Path]] = {}
    for key, nb_path in NOTEBOOKS.items():
        stem = key.replace("/", "--")
        p = {k: work / k / f"{stem}.{'json' if k in ('link', 'ours') else 'ipynb'}" for k in
             ("src", "rewritten", "link", "imported", "ours")}  # fmt: skip
        p["link-of-rewritten"] = work / "link" / f"{stem}--rewritten.json"
        shutil.copy(nb_path, p["src"])
        save(load(nb_path), p["rewritten"])  # link-ls writes the notebook back
        paths[key] = p
    rules = [(f, None) for f in [*REFUSED, EXCHANGE / "link-drops.json"]]
    rules += [(f, None) for f in canvas_variants(work / "canvas")]
    first = link_sees(
        real_link,
        [(p["src"], p["link"]) for p in paths.values()]
        + [(p["rewritten"], p["link-of-rewritten"]) for p in paths.values()]
        + rules,
        work,
    )
    for key, p in paths.items():
        link_json = p["link"] if p["link"].exists() else p["link-of-rewritten"]
        done = link_ls("import", str(link_json), "--into", str(p["imported"]))
        assert done.returncode == 0, f"{key}: {done.stderr}"
        done = link_ls("export", str(p["src"]), "--format", "link", "-o", str(p["ours"]))
        assert done.returncode == 0, f"{key}: {done.stderr}"
    # into an existing pipeline notebook too, and a file with components Link drops
    existing, drops = work / "existing.ipynb", work / "drops.ipynb"
    shutil.copy(NOTEBOOKS["examples/pipeline"], existing)
    intro = paths["mrx-link-examples/Link_Intro"]["link"]
    for source, target in ((intro, existing), (EXCHANGE / "link-drops.json", drops)):
        done = link_ls("import", str(source), "--into", str(target))
        assert done.returncode == 0, done.stderr
    second = link_sees(
        real_link,
        [(p["ours"], None) for p in paths.values()]
        + [(p["imported"], None) for p in paths.values()]
        + [(existing, None), (drops, None)],
        work,
    )
    return RoundTrip(
        work,
        {k: first[str(p["src"])] for k, p in paths.items()},
        {k: first[str(p["rewritten"])] for k, p in paths.items()},
        {
            k: {"json": second[str(p["ours"])], "imported": second[str(p["imported"])]}
            for k, p in paths.items()
        },
        paths,
        {
            **{Path(f).name: first[str(f)] for f, _ in rules},
            "existing.ipynb": second[str(existing)],
            "drops.ipynb": second[str(drops)],
        },
    )


KEYS = sorted(NOTEBOOKS)


def test_link_refuses_exactly_the_published_notebooks_an_older_link_saved(trip: RoundTrip) -> None:
    upgraded = set((FIXTURES / "link" / "upgraded.txt").read_text().split())
    refused = {k for k, seen in trip.published.items() if "error" in seen}
    assert refused == upgraded
    for k in refused:  # for want of nbformat cell ids or of the canvas' diskcache key
        assert trip.published[k]["error"].endswith(("'id'", "'diskcache'")), trip.published[k]


@pytest.mark.parametrize("key", KEYS)
def test_every_notebook_link_ls_writes_opens_in_link_with_the_same_pipeline(
    trip: RoundTrip, key: str
) -> None:
    want = expected(load(NOTEBOOKS[key]))
    assert want["components"]
    assert trip.rewritten[key] == want
    if "error" not in trip.published[key]:
        assert trip.published[key] == want


@pytest.mark.parametrize("key", KEYS)
def test_link_to_link_ls(trip: RoundTrip, key: str) -> None:
    p = trip.paths[key]
    link_json = p["link"] if p["link"].exists() else p["link-of-rewritten"]
    links = of_link_file(json.loads(link_json.read_text()))
    want = expected(load(NOTEBOOKS[key]))
    assert links == want  # what Link exported is the notebook's pipeline…
    got = expected(load(p["imported"]))
    assert got == links  # …and link-ls imports exactly that


@pytest.mark.parametrize("key", KEYS)
def test_link_ls_to_link(trip: RoundTrip, key: str) -> None:
    p = trip.paths[key]
    want = expected(load(NOTEBOOKS[key]))
    assert trip.ours[key]["json"] == want  # Link loads link-ls's file: same pipeline
    assert trip.ours[key]["imported"] == want  # and the notebook link-ls imported into
    ours_text = p["ours"].read_text()
    link_json = p["link"] if p["link"].exists() else p["link-of-rewritten"]
    links = json.loads(link_json.read_text())
    # byte for byte Link's file, once Link's set-iteration order is put in ours
    ours = json.loads(ours_text)
    by_id = {c["component_id"]: c for c in links["components"]}
    reordered = []
    for c in ours["components"]:
        theirs = dict(by_id[c["component_id"]])
        parents = {q["id"]: q for q in theirs["parents"]}
        theirs["parents"] = [parents[q["id"]] for q in c["parents"]]
        reordered.append(theirs)
    assert ours_text == json.dumps({"components": reordered, "parameters": links["parameters"]})


def test_mrx_link_convert_writes_what_the_sdk_writes(real_link: RealLink, trip: RoundTrip) -> None:
    p = trip.paths["mrx-link-examples/Link_Intro"]
    out = trip.work / "cli.json"
    real_link.run_cli("convert", "--from-path", str(p["src"]), "--to-path", str(out))
    assert of_link_file(json.loads(out.read_text())) == of_link_file(
        json.loads(p["link"].read_text())
    )


@pytest.mark.parametrize("path", REFUSED, ids=lambda p: p.name)
def test_link_refuses_the_files_link_ls_refuses(trip: RoundTrip, path: Path) -> None:
    seen = trip.rules[path.name]
    if path.name == "link-duplicate-ids.json":
        # Link keeps the last of two components with one id and loses the other without
        # a word; link-ls refuses the file instead of losing a component
        assert "error" not in seen and len(seen["components"]) == 1
        return
    assert "error" in seen, seen


def test_importing_into_an_existing_notebook_gives_one_link_opens(trip: RoundTrip) -> None:
    nb = load(trip.work / "existing.ipynb")
    assert len(nb.components) == 8 + 8  # examples/pipeline.ipynb + Link_Intro
    assert trip.rules["existing.ipynb"] == expected(nb)


def test_what_link_needs_in_a_notebook_and_link_ls_adds(trip: RoundTrip) -> None:
    seen = trip.rules
    assert "error" not in seen["base.ipynb"] and len(seen["base.ipynb"]["components"]) == 4
    broken = {
        *(f"no-{k}" for k in CANVAS_REQUIRED),
        "int-headerColor",
        "no-markdown-cell-id",
        "nbformat-4.4",
    }
    fine = {*(f"no-{k}" for k in CANVAS_OPTIONAL), "no-notebook-canvas"}
    for what in broken:
        # refused, or the component silently dropped
        s = seen[f"{what}.ipynb"]
        assert "error" in s or len(s["components"]) == 3, (what, s)
    for what in fine:
        assert seen[f"{what}.ipynb"]["components"] == seen["base.ipynb"]["components"], what
    for what in broken | fine:
        # link-ls writes each back as a notebook Link opens with the whole pipeline
        s = seen[f"{what}.rewritten.ipynb"]
        assert "error" not in s and len(s["components"]) == 4, (what, s)


def test_link_drops_the_components_link_ls_drops(trip: RoundTrip) -> None:
    from link_ls.exchange import load_pipeline

    seen = trip.rules["link-drops.json"]
    pipe = load_pipeline(EXCHANGE / "link-drops.json")
    assert sorted(v[0] for v in seen["components"].values()) == sorted(
        c.name for c in pipe.components
    )
    assert len(pipe.dropped) == 3
    assert seen["parameters"] == [[p.name, p.type, p.value] for p in pipe.parameters]
    # and the notebook link-ls imported it into is the same pipeline for Link
    assert trip.rules["drops.ipynb"] == {**seen, "parameters": seen["parameters"]}
