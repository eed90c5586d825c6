"""Link's `metadata.canvas` on cells and notebooks: typed reading, minimal in-place writing.

The format is MakinaRocks Link's own, so notebooks made with Link open unchanged:

- cell: ``{"id", "name", "isComponent", "componentType": "CodeCell",
  "parents": [{"id", "name"}], "diskcache", "comments", "headerColor", "copiedOriginId"}``
  (and ``remoteExecution`` when Link set it);
- notebook: ``{"version": "1.0", "parameters": [{"name", "type", "value"}],
  "colorPalette": [...]}``.

What real Link 2.7 needs to open a notebook (found by feeding it files, see
``tests/link/test_pipeline_json.py``): every cell has an nbformat ``id``; a component's
canvas has ``id``, ``name``, ``componentType``, ``parents``, ``diskcache`` and a *string*
``headerColor`` (a component without one of them fails the whole notebook, or is
dropped with its children). ``comments``, ``copiedOriginId`` and the notebook's canvas
are optional. :func:`make_component_metadata` is the one constructor of a new
component's canvas; :func:`complete_component_metadata` adds what an older Link (or a
hand-made file) left out.

Writers touch only the keys they are asked to change; every other key is kept.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NewType

ComponentId = NewType("ComponentId", str)

CANVAS_KEY = "canvas"
CANVAS_VERSION = "1.0"
#: Link's ``headerColor`` for a component with no colour of its own
DEFAULT_HEADER_COLOR = "none"
#: older Link stored ``headerColor`` as an index into its palette; MakinaRocks upgraded
#: their own examples to these colours (link-example → mrx-link-examples); an index
#: not seen there becomes "inherit"
_LEGACY_HEADER_COLORS = {0: "none", 1: "#FF004F", 3: "#FAFF00", 5: "#00E3FF", 9: "#FF00C3"}


@dataclass(frozen=True)
class ParentRef:
    """One declared edge, stored on the child: the parent's canvas id and its name."""

    id: ComponentId
    name: str


@dataclass(frozen=True)
class Component:
    """A cell's canvas metadata, read into a value."""

    id: ComponentId
    name: str
    is_component: bool
    parents: tuple[ParentRef, ...]
    diskcache: bool
    component_type: str = "CodeCell"


@dataclass(frozen=True)
class Parameter:
    """A pipeline parameter from the notebook's ``metadata.canvas.parameters``.

    Link keeps ``value`` as the text of a Python literal (``"12"``, ``"'abc'"``);
    link-ls also reads plain JSON values. ``metadata`` is Link's resource object (or
    None), carried untouched.
    """

    name: str
    type: str
    value: Any
    metadata: Any = field(default=None, compare=False, hash=False)


def new_component_id() -> ComponentId:
    return ComponentId(str(uuid.uuid4()))


def read_component(metadata: Mapping[str, Any]) -> Component | None:
    """Read a cell's canvas; ``None`` when the cell has none (or it is not a mapping)."""
    canvas = metadata.get(CANVAS_KEY)
    if not isinstance(canvas, Mapping):
        return None
    raw_parents = canvas.get("parents")
    parents: list[ParentRef] = []
    if isinstance(raw_parents, Sequence) and not isinstance(raw_parents, str):
        for p in raw_parents:
            if isinstance(p, Mapping) and isinstance(p.get("id"), str):
                parents.append(ParentRef(ComponentId(p["id"]), str(p.get("name", ""))))
            elif isinstance(p, str):
                # tolerate a bare id list (older exports)
                parents.append(ParentRef(ComponentId(p), ""))
    cid = canvas.get("id")
    name = canvas.get("name")
    return Component(
        id=ComponentId(cid if isinstance(cid, str) else ""),
        name=name if isinstance(name, str) else "",
        is_component=bool(canvas.get("isComponent", False)),
        parents=tuple(parents),
        diskcache=bool(canvas.get("diskcache", False)),
        component_type=str(canvas.get("componentType", "CodeCell")),
    )


def read_parameters(nb_metadata: Mapping[str, Any]) -> tuple[Parameter, ...]:
    canvas = nb_metadata.get(CANVAS_KEY)
    if not isinstance(canvas, Mapping):
        return ()
    raw = canvas.get("parameters")
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return ()
    out: list[Parameter] = []
    for p in raw:
        if isinstance(p, Mapping) and isinstance(p.get("name"), str):
            ptype = p.get("type")
            out.append(
                Parameter(
                    p["name"],
                    ptype if isinstance(ptype, str) else "str",
                    p.get("value"),
                    copy.deepcopy(p.get("metadata")),
                )
            )
    return tuple(out)


def parameter_json(p: Parameter) -> dict[str, Any]:
    """A parameter as the notebook stores it (``metadata`` only when it has one)."""
    out: dict[str, Any] = {"name": p.name, "type": p.type, "value": copy.deepcopy(p.value)}
    if p.metadata is not None:
        out["metadata"] = copy.deepcopy(p.metadata)
    return out


def make_component_metadata(
    name: str,
    parents: Sequence[ParentRef] = (),
    *,
    component_id: ComponentId | None = None,
    diskcache: bool = False,
    header_color: str = DEFAULT_HEADER_COLOR,
) -> dict[str, Any]:
    """A fresh canvas dict for a new component: every key Link writes for one.

    The one constructor for new components (imports, quick fixes, merges, "turn into
    a pipeline"): Link 2.7 refuses a notebook whose component lacks ``diskcache`` or
    ``headerColor``, so nothing should build this dict by hand.
    """
    return {
        "id": component_id or new_component_id(),
        "name": name,
        "isComponent": True,
        "componentType": "CodeCell",
        "parents": [{"id": p.id, "name": p.name} for p in parents],
        "diskcache": diskcache,
        "comments": [],
        "headerColor": header_color,
        "copiedOriginId": None,
    }


def link_header_color(value: Any) -> str:
    """A ``headerColor`` Link 2.7 accepts (a string) for whatever a canvas holds."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _LEGACY_HEADER_COLORS.get(value, "inherit")
    return DEFAULT_HEADER_COLOR


def complete_component_metadata(canvas: MutableMapping[str, Any]) -> bool:
    """Add to a component's canvas what Link 2.7 needs to open it; True when changed.

    Only missing or unreadable keys are set (a new id, Link's defaults, a palette index
    turned into its colour); every key present and valid, and every unknown key, stays.
    """
    fixes: dict[str, Any] = {}
    if not isinstance(canvas.get("id"), str) or not canvas["id"]:
        fixes["id"] = new_component_id()
    if not isinstance(canvas.get("name"), str):
        fixes["name"] = ""
    if not isinstance(canvas.get("componentType"), str):
        fixes["componentType"] = "CodeCell"
    parents = canvas.get("parents")
    if not isinstance(parents, list):
        fixes["parents"] = []
    elif any(isinstance(p, str) for p in parents):
        # a bare id list (hand-made files): Link drops such a component, so say it its way
        fixes["parents"] = [{"id": p, "name": ""} if isinstance(p, str) else p for p in parents]
    if not isinstance(canvas.get("diskcache"), bool):
        fixes["diskcache"] = bool(canvas.get("diskcache", False))
    if not isinstance(canvas.get("headerColor"), str):
        fixes["headerColor"] = link_header_color(canvas.get("headerColor"))
    canvas.update(fixes)
    return bool(fixes)


def make_notebook_metadata() -> dict[str, Any]:
    """A new pipeline notebook's ``metadata.canvas``, as Link's own writer makes it."""
    return {"version": CANVAS_VERSION, "parameters": [], "colorPalette": ["inherit"] * 10}


def set_parents(metadata: MutableMapping[str, Any], parents: Sequence[ParentRef]) -> None:
    """Replace the declared parents of a cell, keeping every other canvas key."""
    canvas = metadata.get(CANVAS_KEY)
    if not isinstance(canvas, MutableMapping):
        raise ValueError("cell has no canvas metadata")
    canvas["parents"] = [{"id": p.id, "name": p.name} for p in parents]


def set_parameters(nb_metadata: MutableMapping[str, Any], params: Sequence[Parameter]) -> None:
    canvas = nb_metadata.get(CANVAS_KEY)
    if not isinstance(canvas, MutableMapping):
        canvas = {"version": CANVAS_VERSION}
        nb_metadata[CANVAS_KEY] = canvas
    canvas["parameters"] = [parameter_json(p) for p in params]
