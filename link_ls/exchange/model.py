"""Values of the exchange layer: a pipeline read from or written to a JSON file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from link_ls.notebook import ComponentId, Parameter

#: ``format`` of link-ls's own pipeline file and the one version this code reads and writes
LINK_LS_FORMAT = "link-ls/pipeline"
LINK_LS_VERSION = 1


@dataclass(frozen=True)
class ExchangeComponent:
    """One component as it travels between notebooks.

    ``metadata`` is the cell's metadata (JSON) without the canvas keys the other
    fields already say (id, name, isComponent, componentType, parents); every other
    key — ``tags``, canvas ``comments``/``headerColor``/``diskcache``, unknown keys —
    rides along untouched.
    """

    id: ComponentId
    name: str
    source: str
    parents: tuple[ComponentId, ...] = ()
    type: str = "CodeCell"
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class DroppedComponent:
    """A component of a Link file that Link itself cannot parse and drops on reading;
    link-ls drops it too (so both see the same pipeline) and says so."""

    position: int  # 1-based, in the file
    name: str
    id: str
    reason: str


@dataclass(frozen=True)
class ExternalParent:
    """A parent some component declares that is not itself in the file (exported without
    ancestors); ``--link-existing`` joins it to a target component with this name."""

    id: ComponentId
    name: str


@dataclass(frozen=True)
class ExchangePipeline:
    """A pipeline file's meaning, whatever format it came in."""

    components: tuple[ExchangeComponent, ...]
    parameters: tuple[Parameter, ...] = ()
    external: tuple[ExternalParent, ...] = ()
    kernelspec: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    language_info: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    #: "link-ls" or "link": the format the file was written in
    format: str = "link-ls"
    #: components of a Link file left out, as Link leaves them out
    dropped: tuple[DroppedComponent, ...] = ()

    def component(self, cid: ComponentId) -> ExchangeComponent | None:
        for c in self.components:
            if c.id == cid:
                return c
        return None

    def parent_name(self, cid: ComponentId) -> str:
        """The name of a parent, whether it is in the file or only referenced."""
        c = self.component(cid)
        if c is not None:
            return c.name
        for e in self.external:
            if e.id == cid:
                return e.name
        return ""
