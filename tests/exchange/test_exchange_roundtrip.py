"""Export then import is the identity, in both formats, over random pipelines."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from link_ls.exchange import (
    apply_import,
    collect,
    dumps_pipeline,
    export_pipeline,
    file_text,
    new_notebook,
    plan_import,
)
from link_ls.exchange.link_format import link_type, link_value
from link_ls.notebook import Notebook, dumps, loads
from link_ls.pipeline import build, check
from tests.exchange.exchange_nb import component, graph_of, markdown, nb_from

IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
JSON_VALUE = st.recursive(
    JSON_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
#: parameters as Link types them: the value matches its type
TYPED_PARAM = st.one_of(
    st.tuples(st.just("int"), st.integers(-(10**12), 10**12)),
    st.tuples(st.just("float"), st.floats(allow_nan=False, allow_infinity=False)),
    st.tuples(st.just("str"), st.text(max_size=12)),
    st.tuples(st.just("bool"), st.booleans()),
)


@st.composite
def pipelines(draw: st.DrawFn, link_names: bool = False) -> Notebook:
    """A notebook holding a random DAG of components, in random notebook order."""
    n = draw(st.integers(1, 7))
    names = draw(
        st.lists(IDENT, min_size=n, max_size=n, unique=True)
        if link_names
        else st.lists(st.text(max_size=12), min_size=n, max_size=n)
    )
    ids = [str(u) for u in draw(st.lists(st.uuids(), min_size=n, max_size=n, unique=True))]
    sources = draw(st.lists(st.text(max_size=40), min_size=n, max_size=n))
    parents = [
        draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        for i in range(n)
    ]
    order = draw(st.permutations(range(n)))
    cells: list[dict[str, Any]] = []
    for i in order:
        cell = component(names[i], sources[i], id=ids[i])
        cell["metadata"]["canvas"]["parents"] = [
            {"id": ids[p], "name": names[p]} for p in parents[i]
        ]
        cells.append(cell)
    if draw(st.booleans()):
        cells.insert(draw(st.integers(0, len(cells))), markdown("# notes"))
    if link_names:
        typed = draw(st.lists(TYPED_PARAM, max_size=4))
        pnames = draw(st.lists(IDENT, min_size=len(typed), max_size=len(typed), unique=True))
        params = [
            {"name": k, "type": t, "value": v} for k, (t, v) in zip(pnames, typed, strict=True)
        ]
    else:
        raw = draw(st.lists(st.tuples(st.text(max_size=6), JSON_VALUE), max_size=4))
        pnames = draw(st.lists(IDENT, min_size=len(raw), max_size=len(raw), unique=True))
        params = [{"name": k, "type": t, "value": v} for k, (t, v) in zip(pnames, raw, strict=True)]
    return nb_from(cells, params)


def _through_disk(nb: Notebook) -> Notebook:
    return loads(dumps(nb), name="imported.ipynb")


def _import_fresh(data: Any) -> Notebook:
    # through JSON text, as a file would carry it
    data = json.loads(json.dumps(data))
    target = new_notebook()
    apply_import(target, plan_import(target, data))
    return _through_disk(target)


def _params(nb: Notebook) -> list[tuple[str, str, str]]:
    return [(p.name, p.type, json.dumps(p.value, sort_keys=True)) for p in nb.parameters]


#: EXCHANGE_EXAMPLES=2000 for a longer hunt; the default keeps CI quick on 2 cores
SETTINGS = settings(
    max_examples=int(os.environ.get("EXCHANGE_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(pipelines())
def test_link_ls_format_round_trip_is_identity(nb: Notebook) -> None:
    exported = export_pipeline(nb)
    imported = _import_fresh(exported)
    assert graph_of(imported) == graph_of(nb)
    assert _params(imported) == _params(nb)
    # and the cell metadata (canvas extras, tags, …) survives: exporting again gives the
    # same file up to component order (the import puts parents first)
    again = export_pipeline(imported)
    assert isinstance(again, dict) and isinstance(exported, dict)
    key = lambda c: c["id"]  # noqa: E731
    assert sorted(again["components"], key=key) == sorted(exported["components"], key=key)
    assert again["parameters"] == exported["parameters"]


def _link_params(nb: Notebook) -> list[tuple[str, str | None, str]]:
    # Link keeps a value as the text of a Python literal: 7 travels as "7"
    return [(p.name, link_type(p.type), link_value(p)) for p in nb.parameters]


@SETTINGS
@given(pipelines(link_names=True))
def test_link_format_round_trip_keeps_components_edges_and_parameters(nb: Notebook) -> None:
    imported = _import_fresh(export_pipeline(nb, fmt="link"))
    assert graph_of(imported) == graph_of(nb)
    assert _link_params(imported) == _link_params(nb)


@SETTINGS
@given(pipelines(link_names=True))
def test_a_link_file_round_trips_through_link_ls_byte_for_byte(nb: Notebook) -> None:
    text = dumps_pipeline(collect(nb), fmt="link")
    back = export_pipeline(_import_fresh(json.loads(text)), fmt="link")
    assert file_text(back, "link") == text


@SETTINGS
@given(pipelines(link_names=True))
@pytest.mark.filterwarnings("ignore::UserWarning")  # IPython on random sources, not ours
def test_importing_twice_gives_distinct_valid_components(nb: Notebook) -> None:
    exported = json.loads(json.dumps(export_pipeline(nb)))
    target = new_notebook()
    first = plan_import(target, exported)
    apply_import(target, first)
    second = plan_import(target, exported)
    apply_import(target, second)
    target = _through_disk(target)

    comps = [c for c in target.cells if c.is_component]
    assert len(comps) == 2 * len(exported["components"])
    assert len({c.node_id for c in comps}) == len(comps)  # all ids distinct
    # the second copy's names are new (suffixed), never the first copy's
    named_one = {c.name for c in first.components if c.name}
    named_two = {c.name for c in second.components if c.name}
    assert not named_one & named_two
    # the second copy is wired to itself, exactly like the first
    one: dict[str, str] = {c.file_id: c.id for c in first.components}
    two: dict[str, str] = {c.file_id: c.id for c in second.components}
    graph = graph_of(target)
    for fid in one:
        parents_one = {p for p in graph[one[fid]][2]}
        parents_two = {p for p in graph[two[fid]][2]}
        assert parents_two == {two[p] for p in exported_parents(exported, fid)}
        assert parents_one == {one[p] for p in exported_parents(exported, fid)}
        assert graph[one[fid]][1] == graph[two[fid]][1]
    bad = [d for d in check(build(target)) if d.code in ("LNK001", "LNK002", "LNK008")]
    assert bad == []


def exported_parents(exported: dict[str, Any], fid: str) -> list[str]:
    for c in exported["components"]:
        if c["id"] == fid:
            return list(c["parents"])
    raise AssertionError(fid)
