"""Putting a run's outputs and execution counts back into the notebook, validated.

Executed and failed steps get exactly what the kernel produced (a failed cell
keeps its traceback, as in Jupyter); restored steps get the cached outputs and no
count; skipped and not-run steps keep what they had. The result is checked with
``nbformat.validate`` before anyone writes it, so a saved notebook is always valid.
"""

from __future__ import annotations

from typing import Any

import nbformat

from link_ls.kernel.errors import KernelError
from link_ls.kernel.report import RunReport, StepStatus
from link_ls.notebook import Notebook

_WRITTEN = {StepStatus.EXECUTED, StepStatus.ERROR, StepStatus.RESTORED}


class InvalidOutputsError(KernelError):
    """The outputs would make the notebook invalid (nothing is written)."""


def _clean(out: dict[str, Any]) -> dict[str, Any]:
    # nbformat wants exactly these keys per output type; messages may carry extras
    kind = out.get("output_type")
    if kind == "stream":
        return {"output_type": "stream", "name": out.get("name", "stdout"), "text": out["text"]}
    if kind == "display_data":
        return {
            "output_type": kind,
            "data": out.get("data", {}),
            "metadata": out.get("metadata", {}),
        }
    if kind == "execute_result":
        return {
            "output_type": kind,
            "data": out.get("data", {}),
            "metadata": out.get("metadata", {}),
            "execution_count": out.get("execution_count"),
        }
    return dict(out)


def apply_report(nb: Notebook, report: RunReport) -> int:
    """Write the report's outputs into ``nb`` (in memory); returns how many cells changed."""
    changed = 0
    for r in report.steps:
        if r.status not in _WRITTEN:
            continue
        cell = nb.raw_cells[r.step.index]
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = [_clean(o) for o in r.outputs]
        cell["execution_count"] = r.execution_count if r.status is not StepStatus.RESTORED else None
        changed += 1
    nb.touch()
    return changed


def validate(nb: Notebook) -> None:
    """Raise :class:`InvalidOutputsError` unless ``nb`` is a valid nbformat v4 notebook."""
    try:
        nbformat.validate(nbformat.from_dict(nb.node))
    except nbformat.ValidationError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InvalidOutputsError(
            f"{nb.display_name}: outputs would not be valid: {first}"
        ) from None
