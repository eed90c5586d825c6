"""Per-cell static dataflow: defs, reads, deletes, mutations, IPython syntax included."""

from __future__ import annotations

from link_ls.analysis.analyzer import (
    BUILTIN_NAMES,
    AnalysisCache,
    analyze,
    analyze_source,
    default_cache,
)
from link_ls.analysis.model import CellAnalysis, Occurrence, Span, SyntaxProblem

__all__ = [
    "BUILTIN_NAMES",
    "AnalysisCache",
    "CellAnalysis",
    "Occurrence",
    "Span",
    "SyntaxProblem",
    "analyze",
    "analyze_source",
    "default_cache",
]
