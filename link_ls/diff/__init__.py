"""Cell-level notebook diff: alignment, the typed diff model, pipeline changes, renderers."""

from __future__ import annotations

from link_ls.diff.align import align_cells

__all__ = ["align_cells"]
