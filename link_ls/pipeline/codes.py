"""The diagnostic codes LNK001–LNK012: one enum, each with its heading in docs/diagnostics.md."""

from __future__ import annotations

from enum import Enum

_DOC = "docs/diagnostics.md"


class Code(str, Enum):
    """A stable diagnostic code; compares and serialises as its text (``"LNK001"``)."""

    CYCLE = "LNK001"
    BAD_PARENT = "LNK002"
    MISSING_PARENT = "LNK003"
    UNDEFINED = "LNK004"
    AMBIGUOUS = "LNK005"
    UNUSED_PARENT = "LNK006"
    CONFLICT = "LNK007"
    DUPLICATE = "LNK008"
    SYNTAX = "LNK009"
    UNKNOWN_DEFS = "LNK010"
    OUT_OF_ORDER = "LNK011"
    STRAY_COMPONENT = "LNK012"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @property
    def doc(self) -> str:
        """Where the code is explained: its heading in docs/diagnostics.md."""
        return f"{_DOC}#{_ANCHORS[self]}"


_ANCHORS = {
    Code.CYCLE: "lnk001--cycle-in-the-pipeline",
    Code.BAD_PARENT: "lnk002--parent-id-not-found--edge-to-a-non-component",
    Code.MISSING_PARENT: "lnk003--reads-a-name-that-only-a-non-ancestor-component-defines",
    Code.UNDEFINED: "lnk004--name-read-but-defined-by-no-cell",
    Code.AMBIGUOUS: "lnk005--name-defined-by-two-ancestors",
    Code.UNUSED_PARENT: "lnk006--declared-parent-provides-nothing-this-cell-reads",
    Code.CONFLICT: "lnk007--unresolved-merge-conflict",
    Code.DUPLICATE: "lnk008--duplicate-component-id-or-name",
    Code.SYNTAX: "lnk009--syntax-error",
    Code.UNKNOWN_DEFS: "lnk010--dependencies-unknown",
    Code.OUT_OF_ORDER: "lnk011--read-before-the-cell-that-defines-it-plain-notebooks",
    Code.STRAY_COMPONENT: "lnk012--a-markdown-or-raw-cell-marked-as-a-component",
}
