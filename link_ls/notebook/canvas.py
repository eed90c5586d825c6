"""Link's `metadata.canvas` on cells and notebooks: typed reading, minimal in-place writing.

The format is MakinaRocks Link's own, so notebooks made with Link open unchanged:

- cell: ``{"id", "name", "isComponent", "componentType": "CodeCell",
  "parents": [{"id", "name"}], "diskcache", "comments", "headerColor", "copiedOriginId"}``
- notebook: ``{"version": "1.0", "parameters": [{"name", "type", "value"}]}``

Writers touch only the keys they are asked to change; every other key is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, NewType

ComponentId = NewType("ComponentId", str)

CANVAS_KEY = "canvas"
CANVAS_VERSION = "1.0"


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
    """A pipeline parameter from the notebook's ``metadata.canvas.parameters``."""

    name: str
    type: str
    value: Any


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
            out.append(Parameter(p["name"], str(p.get("type", "str")), p.get("value")))
    return tuple(out)


def make_component_metadata(
    name: str,
    parents: Sequence[ParentRef] = (),
    *,
    component_id: ComponentId | None = None,
    diskcache: bool = False,
) -> dict[str, Any]:
    """A fresh canvas dict for a new component, in Link's key order."""
    return {
        "id": component_id or new_component_id(),
        "name": name,
        "isComponent": True,
        "componentType": "CodeCell",
        "parents": [{"id": p.id, "name": p.name} for p in parents],
        "diskcache": diskcache,
        "comments": [],
        "headerColor": "none",
    }


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
    canvas["parameters"] = [{"name": p.name, "type": p.type, "value": p.value} for p in params]
