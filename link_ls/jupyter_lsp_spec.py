"""jupyter-lsp's ``jupyter_lsp_spec_v1`` entry point: how JupyterLab finds and starts link-ls.

``pyproject.toml`` declares ``link-ls = "link_ls.jupyter_lsp_spec:spec"``, so an installed
link-ls is listed by jupyter-lsp (``/lsp/status``) with no configuration. jupyter-lsp
calls :func:`spec` with its ``LanguageServerManager`` and validates the returned dict
against its schema (``jupyter_lsp/schema/schema.json``, spec version 2). This module
imports nothing from jupyter-lsp, pygls or lsprotocol: it only describes the command.
"""

from __future__ import annotations

import sys
from typing import Any

#: the name JupyterLab shows and the websocket path (``/lsp/ws/link-ls``)
KEY = "link-ls"
#: jupyter-lsp's ``SPEC_VERSION`` (the schema's ``current-version``)
SPEC_VERSION = 2


def argv(python: str | None = None) -> list[str]:
    """Start the server with the Python link-ls is installed in (not whatever is on PATH)."""
    return [python or sys.executable, "-m", "link_ls", "serve"]


def language_server_spec(python: str | None = None) -> dict[str, Any]:
    """One spec, as it also goes into ``c.LanguageServerManager.language_servers``."""
    return {
        "argv": argv(python),
        "debug_argv": [*argv(python), "--log-level", "debug"],
        "languages": ["python"],
        "mime_types": ["text/python", "text/x-ipython"],
        "display_name": "link-ls (notebook pipelines: edges, run up to here)",
        "version": SPEC_VERSION,
        # True (jupyter-lsp's default) makes jupyterlab-lsp name a notebook's virtual document
        # <root>/.virtual_documents/<notebook>.ipynb, which is how the server tells it from the
        # notebook itself (False would send the Python text under the real .ipynb uri); the
        # pipeline metadata is still read from the real .ipynb next to it
        "requires_documents_on_disk": True,
        "env": {"PYTHONUNBUFFERED": "1"},
        "install": {"pip": "pip install link-ls"},
        "troubleshoot": "link-ls must be importable by the Python running jupyter-server: "
        f"{sys.executable} -m link_ls serve --help",
    }


def spec(app: Any) -> dict[str, dict[str, Any]]:
    """The ``jupyter_lsp_spec_v1`` entry point; ``app`` is jupyter-lsp's manager (unused)."""
    return {KEY: language_server_spec()}
