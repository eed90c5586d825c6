"""Notebook model: load/save .ipynb and jupytext text, Link's canvas metadata, cell references."""

from __future__ import annotations

from link_ls.notebook.canvas import Component, ComponentId, Parameter, ParentRef
from link_ls.notebook.formats import dumps, load, loads, save
from link_ls.notebook.model import Cell, CellId, NodeId, Notebook, NotebookFormat
from link_ls.notebook.refs import resolve_cell

__all__ = [
    "Cell",
    "CellId",
    "Component",
    "ComponentId",
    "NodeId",
    "Notebook",
    "NotebookFormat",
    "Parameter",
    "ParentRef",
    "dumps",
    "load",
    "loads",
    "resolve_cell",
    "save",
]
