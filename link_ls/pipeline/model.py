"""Values of the pipeline layer: edges, diagnostics, run plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from link_ls.analysis.model import Span
from link_ls.notebook.model import NodeId
from link_ls.pipeline.codes import Code


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


@dataclass(frozen=True)
class Edge:
    """``source`` must run before ``target``; ``names`` are what flows along it."""

    source: NodeId
    target: NodeId
    kind: str  # "explicit" | "inferred"
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """One finding on one cell. ``data`` carries what a quick fix needs (ids, names)."""

    code: Code
    severity: Severity
    message: str
    cell_index: int
    span: Span | None = None
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": str(self.code),
            "severity": self.severity.value,
            "message": self.message,
            "cell": self.cell_index + 1,
        }
        if self.span is not None:
            out["range"] = {
                "start": {"line": self.span.line, "character": self.span.col},
                "end": {"line": self.span.end_line, "character": self.span.end_col},
            }
        if self.data:
            out["data"] = dict(self.data)
        return out


@dataclass(frozen=True)
class PlanStep:
    index: int
    node: NodeId
    name: str


@dataclass(frozen=True)
class RunPlan:
    """Cells to execute, in order: the target's ancestors, then the target."""

    mode: str  # "upTo" | "cell" | "all"
    target: NodeId | None
    steps: tuple[PlanStep, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "target": self.target,
            "cells": [{"index": s.index + 1, "id": s.node, "name": s.name} for s in self.steps],
        }
