"""Open documents of every kind mapped onto the Notebook model; the only mutable server state.

Only the document-sync handlers call the mutating methods here; every other
feature asks for a :class:`~link_ls.server.snapshot.Snapshot` and only reads it.
A notebook document's cells are text documents of their own, so a cell uri
resolves to its notebook's snapshot plus the cell index.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types

from link_ls.errors import LinkError
from link_ls.notebook import Notebook, load, loads
from link_ls.notebook.formats import MAX_DEPTH
from link_ls.server.mapping import Mapper, Seg
from link_ls.server.snapshot import CellMeta, DocKind, Snapshot
from link_ls.server.textforms import (
    locate_json,
    locate_text,
    split_virtual,
    text_conflict_line,
)
from link_ls.uris import uri_to_path

log = logging.getLogger(__name__)

#: a .py file is a notebook only when jupytext would see cells in it
_JUPYTEXT_MARK = re.compile(r"^\s*#\s?%%|^# \+\s*$|^#\s+jupytext:", re.MULTILINE)
_VIRTUAL_DIR = "/.virtual_documents/"


def classify(uri: str, text: str) -> DocKind:
    path = str(uri_to_path(uri))
    if _VIRTUAL_DIR in path:
        return DocKind.VIRTUAL
    suffix = Path(path).suffix.lower()
    if suffix == ".ipynb":
        head = text.lstrip()
        # git's text merge may put a conflict marker before the JSON's first brace
        json_like = head.startswith("{") or (head.startswith("<<<<<<<") and '"nbformat"' in text)
        return DocKind.IPYNB if json_like else DocKind.JUPYTEXT
    if suffix == ".py" and _JUPYTEXT_MARK.search(text):
        return DocKind.JUPYTEXT
    return DocKind.OTHER


def _as_dict(value: object) -> dict[str, Any]:
    return _sane(value) if isinstance(value, dict) else {}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _sane_text(text: str) -> str:
    """Lone surrogates (JSON ``"\\ud800"`` from a client) become U+FFFD: the same length in
    UTF-16 units and code points, so positions still match, and text that can be encoded."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def _sane(value: Any, depth: int = 0) -> Any:
    """Client metadata made safe to copy and send back: no lone surrogates, no nesting
    deeper than ``MAX_DEPTH`` (what is deeper is dropped, as a notebook file would be refused)."""
    if isinstance(value, str):
        return _sane_text(value)
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return {}
        return {_sane_text(str(k)): _sane(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [] if depth >= MAX_DEPTH else [_sane(v, depth + 1) for v in value]
    return value


def _notebook_node(
    nb_doc: types.NotebookDocument, raw_cells: list[dict[str, Any]]
) -> dict[str, Any]:
    """The nbformat notebook of a notebook document (VS Code nests the metadata, or not)."""
    nb_md = _as_dict(nb_doc.metadata)
    inner = nb_md.get("metadata")
    return {
        "cells": raw_cells,
        "metadata": inner if isinstance(inner, dict) else dict(nb_md),
        "nbformat": 4,
        "nbformat_minor": int(nb_md.get("nbformat_minor", 5) or 5),
    }


def _cell_md(meta: Mapping[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """nbformat cell metadata from a notebook-document cell's metadata (nested or flat)."""
    if not meta:
        return {}, False
    inner = meta.get("metadata")
    if isinstance(inner, dict):
        return inner, True
    return dict(meta), False


class DocumentStore:
    """Every open document by uri, as the latest snapshot; cell uris point to their notebook."""

    def __init__(self, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.encoding = encoding
        self._snaps: dict[str, Snapshot] = {}
        self._cell_owner: dict[str, str] = {}
        #: notebook-document cells by uri: (text, metadata object, raw nbformat cell)
        self._raw: dict[str, tuple[str, object, dict[str, Any], CellMeta]] = {}
        self._disk: dict[str, tuple[float, Notebook | None]] = {}
        #: notebooks as an editor's model holds them (JupyterLab, unsaved), by real path
        self._models: dict[str, Notebook] = {}
        #: text documents changed since last read: parsed lazily, so a burst parses once
        self._texts: dict[str, tuple[str, int]] = {}

    # -- reading ---------------------------------------------------------------------
    def get(self, uri: str) -> tuple[Snapshot, int | None] | None:
        """The snapshot holding ``uri`` and, for a notebook cell, the cell's index."""
        pending = self._texts.pop(uri, None)
        if pending is not None:
            self._snaps[uri] = self._text_snapshot(uri, *pending)
        snap = self._snaps.get(uri)
        if snap is not None:
            return snap, None
        owner = self._cell_owner.get(uri)
        if owner is None:
            return None
        snap = self._snaps.get(owner)
        if snap is None or snap.mapper is None:
            return None
        return snap, snap.mapper.cell_of_uri(uri)

    def all(self) -> list[Snapshot]:
        for uri in list(self._texts):
            self.get(uri)
        return list(self._snaps.values())

    def is_open(self, uri: str) -> bool:
        return uri in self._snaps or uri in self._texts or uri in self._cell_owner

    # -- notebook documents ------------------------------------------------------------
    def set_notebook(self, nb_doc: types.NotebookDocument, texts: Mapping[str, str]) -> Snapshot:
        """(Re)build a notebook document from the client's cells; unchanged cells are reused."""
        old = self._snaps.get(nb_doc.uri)
        raw_cells: list[dict[str, Any]] = []
        metas: list[CellMeta] = []
        seen: set[str] = set()
        for cell in nb_doc.cells:
            uri = cell.document
            seen.add(uri)
            raw, meta = self._cell(cell, _sane_text(texts.get(uri, "")))
            metas.append(meta)
            raw_cells.append(raw)
            self._cell_owner[uri] = nb_doc.uri
        if old is not None:
            for c in old.cells:
                if c.uri not in seen:
                    self._cell_owner.pop(c.uri, None)
                    self._raw.pop(c.uri, None)
        node = _notebook_node(nb_doc, raw_cells)
        path = str(uri_to_path(nb_doc.uri))
        nb = Notebook(node, path=Path(path))
        if old is not None and old.notebook is not None:
            nb.reuse_views_from(old.notebook)
        mapper = Mapper(
            nb_doc.uri,
            [c["source"] for c in raw_cells],
            cell_uris=[c.document for c in nb_doc.cells],
            encoding=self.encoding,
        )
        snap = Snapshot(
            nb_doc.uri,
            DocKind.NOTEBOOK,
            nb_doc.version,
            nb,
            mapper,
            cells=tuple(metas),
            path=path,
            base=old.pipeline_or_base() if old is not None else None,
        )
        self._snaps[nb_doc.uri] = snap
        return snap

    def set_cell_texts(self, uri: str, version: int, texts: Mapping[str, str]) -> Snapshot | None:
        """A notebook document whose cells' texts alone changed: the last snapshot with those
        cells replaced (every other cell keeps its raw cell and its view). None when the
        store cannot say (not open, or a cell it does not know): call :meth:`set_notebook`."""
        old = self._snaps.get(uri)
        if old is None or old.notebook is None or old.mapper is None:
            return None
        raw_cells = list(old.notebook.raw_cells)
        for cell_uri, text in texts.items():
            i = old.mapper.cell_of_uri(cell_uri)
            prev = self._raw.get(cell_uri)
            if i is None or prev is None:
                return None
            text = _sane_text(text)
            raw = {**prev[2], "source": text}
            self._raw[cell_uri] = (text, prev[1], raw, prev[3])
            raw_cells[i] = raw
        nb = Notebook({**old.notebook.node, "cells": raw_cells}, path=old.notebook.path)
        nb.reuse_views_from(old.notebook)
        sources = [c["source"] for c in raw_cells]
        mapper = Mapper(uri, sources, cell_uris=old.mapper.cell_uris, encoding=self.encoding)
        snap = Snapshot(
            uri,
            DocKind.NOTEBOOK,
            version,
            nb,
            mapper,
            cells=old.cells,
            path=old.path,
            base=old.pipeline_or_base(),
        )
        self._snaps[uri] = snap
        return snap

    def _cell(self, cell: types.NotebookCell, text: str) -> tuple[dict[str, Any], CellMeta]:
        """The nbformat cell of a notebook-document cell (the last one, when it is unchanged)."""
        uri = cell.document
        prev = self._raw.get(uri)
        if prev is not None and prev[0] == text and prev[1] is cell.metadata:
            return prev[2], prev[3]
        whole = _as_dict(cell.metadata)
        md, nested = _cell_md(whole)
        raw: dict[str, Any] = {
            "cell_type": "code" if cell.kind == types.NotebookCellKind.Code else "markdown",
            "source": text,
            "metadata": md,
        }
        cid = whole.get("id")
        if isinstance(cid, str):
            raw["id"] = cid
        if raw["cell_type"] == "code":
            raw["outputs"] = []
            raw["execution_count"] = None
        meta = CellMeta(uri, whole, nested)
        self._raw[uri] = (text, cell.metadata, raw, meta)
        return raw, meta

    def close_notebook(self, uri: str) -> Snapshot | None:
        snap = self._snaps.pop(uri, None)
        if snap is not None:
            for c in snap.cells:
                self._cell_owner.pop(c.uri, None)
                self._raw.pop(c.uri, None)
        return snap

    # -- text documents ----------------------------------------------------------------
    def set_text(self, uri: str, text: str, version: int) -> None:
        """Record a text document's new content; it is parsed when first read."""
        self._snaps.pop(uri, None)
        self._texts[uri] = (text, version)

    def _text_snapshot(self, uri: str, text: str, version: int) -> Snapshot:
        kind = classify(uri, text)
        path = str(uri_to_path(uri))
        if kind is DocKind.OTHER:
            snap = Snapshot(uri, kind, version, text=text, path=path)
        else:
            try:
                snap = self._parse(uri, kind, text, version, path)
            except LinkError as e:
                marker = text_conflict_line(text) if kind is DocKind.IPYNB else None
                snap = Snapshot(
                    uri, kind, version, error=str(e), text=text, path=path, text_conflict=marker
                )
        return snap

    def close_text(self, uri: str) -> None:
        self._texts.pop(uri, None)
        self._snaps.pop(uri, None)

    def _parse(self, uri: str, kind: DocKind, text: str, version: int, path: str) -> Snapshot:
        doc_lines = text.split("\n")
        segs: Sequence[Sequence[Seg]]
        if kind is DocKind.VIRTUAL:
            nb, segs = self._virtual(text, path)
        else:
            nb = loads(text, name=path, path=Path(path))
            sources = [c.source for c in nb.cells]
            segs = (
                locate_json(text, sources)
                if kind is DocKind.IPYNB
                else locate_text(doc_lines, sources)
            )
        mapper = Mapper(
            uri,
            [c.source for c in nb.cells],
            segs=segs,
            doc_lines=doc_lines,
            encoding=self.encoding,
        )
        return Snapshot(uri, kind, version, nb, mapper, text=text, path=path)

    def _disk_notebook(self, real: str) -> Notebook | None:
        try:
            mtime = os.stat(real).st_mtime
        except OSError:
            return None
        cached = self._disk.get(real)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            nb: Notebook | None = load(real)
        except LinkError as e:
            log.info("virtual document: cannot read %s: %s", real, e)
            nb = None
        self._disk[real] = (mtime, nb)
        return nb

    def set_model(self, real: str, nb: Notebook) -> list[str]:
        """The notebook at ``real`` as the editor holds it: virtual documents read their
        canvas metadata from it instead of the saved file. Returns the virtual uris to refresh."""
        self._models[real] = nb
        stale = [
            u
            for u, snap in self._snaps.items()
            if snap.kind is DocKind.VIRTUAL
            and (snap.path or "").replace(_VIRTUAL_DIR, "/", 1) == real
        ]
        for u in stale:
            snap = self._snaps.pop(u)
            self._texts.setdefault(u, (snap.text or "", snap.version or 0))
        return stale

    def _virtual(self, text: str, path: str) -> tuple[Notebook, list[list[Seg]]]:
        """jupyter-lsp's concatenation, with canvas metadata from the editor's model (when
        JupyterLab sent it, ``set_model``), else from the notebook on disk."""
        real = path.replace(_VIRTUAL_DIR, "/", 1)
        disk = self._models.get(real) or self._disk_notebook(real)
        disk_code = [c for c in disk.cells if c.is_code] if disk is not None else []
        known = frozenset(c.source for c in disk_code)
        pieces = split_virtual(text, known)
        seg_of = [[Seg(p.line + k, 0) for k in range(p.source.count("\n") + 1)] for p in pieces]
        if disk is not None and len(disk_code) == len(pieces):
            # same code cells as on disk: keep the real notebook's positions (#N) and metadata
            raw = [dict(c) for c in disk.raw_cells]
            segs: list[list[Seg]] = [[] for _ in raw]
            for piece, segl, cell in zip(pieces, seg_of, disk_code, strict=True):
                raw[cell.index] = {**raw[cell.index], "source": piece.source}
                segs[cell.index] = segl
            node = {**disk.node, "cells": raw}
            return Notebook(node, path=Path(real)), segs
        by_source = {c.source: disk.raw_cells[c.index] for c in disk_code} if disk else {}
        cells = []
        for piece in pieces:
            twin = by_source.get(piece.source)
            md = dict(twin.get("metadata") or {}) if twin is not None else {}
            cells.append(
                {"cell_type": "code", "source": piece.source, "metadata": md, "outputs": []}
            )
        meta = dict(disk.metadata) if disk is not None else {}
        node = {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
        return Notebook(node, path=Path(real)), seg_of
