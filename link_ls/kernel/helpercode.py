"""Helper code (parameters, the cache's snippets) as the one short cell a kernel runs.

IPython tokenizes and transforms every cell line by line before compiling it; for
the cache's snippets (thousands of characters, several per component) that costs
more than running them (15–60 ms a message). One call of ``exec`` on the code as a
single string literal compiles the same code in the same namespace without the
transformers — helper code uses no IPython syntax. ``exec`` at the top level of a
cell runs in the user's namespace, as the cell itself would, in any Python kernel.

Every way link-ls runs helper code in a Python kernel wraps it here, once
(:meth:`link_ls.kernel.KernelSession.run_silent`, the JupyterLab notebook's kernel);
the code itself is plain Python, so pieces of it can be joined with :func:`join_code`.
"""

from __future__ import annotations

FILENAME = "<link-ls>"


def helper_cell(code: str) -> str:
    """``code`` as one line that ``exec``s it, for a Python kernel."""
    return f"exec(compile({code!r}, {FILENAME!r}, 'exec'))\n"


def join_code(*parts: str) -> str:
    """Pieces of plain Python helper code as one program (empty pieces dropped)."""
    return "\n".join(p.rstrip("\n") for p in parts if p.strip()) + "\n"
