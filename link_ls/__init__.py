"""link-ls: Jupyter notebooks as pipelines, for every editor, through LSP."""

from __future__ import annotations

__version__ = "0.1.0"
