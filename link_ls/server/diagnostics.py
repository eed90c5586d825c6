"""Diagnostics as LSP sees them: conversion per uri, and the publisher that pushes them.

Push: after a change the document's diagnostics are recomputed on the event loop
(the core's analysis cache re-analyses only the edited cell) and only the cells
whose diagnostics changed are published — on each cell's own uri for notebook
documents. A burst of edits is coalesced: a change is answered at once (a client
that waits for each answer is never delayed), and changes that arrive while one
is still pending join it; once changes have been arriving faster than they are
analysed, the next waits ``DEBOUNCE`` seconds (for ``BURST`` seconds after the last
such change), so 200 queued keystrokes cost a handful of recomputations, not 200.
Nothing is analysed on a change itself: the snapshot computes its diagnostics when
they are published.

Pull (``textDocument/diagnostic``, ``features/diagnostics.py``) is answered from the
same snapshot. In ``auto`` mode a client that can pull is not pushed to (it would
show every diagnostic twice) and gets a refresh request instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from lsprotocol import types

from link_ls.pipeline import Code, Diagnostic, Severity
from link_ls.server.capabilities import SOURCE, ClientFeatures
from link_ls.server.documents import DocumentStore
from link_ls.server.snapshot import DocKind, Snapshot

log = logging.getLogger(__name__)

BURST = 0.05
DEBOUNCE = 0.02

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def to_lsp(snap: Snapshot, d: Diagnostic) -> tuple[str, types.Diagnostic]:
    assert snap.mapper is not None
    uri, rng = snap.mapper.span_range(d.cell_index, d.span)
    data: dict[str, Any] = {"cellIndex": d.cell_index, **d.data}
    return uri, types.Diagnostic(
        range=rng,
        message=d.message,
        severity=_SEVERITY[d.severity],
        code=str(d.code),
        source=SOURCE,
        data=data,
    )


TEXT_CONFLICT = (
    "git merged this notebook as text: its conflict markers make it invalid JSON. "
    'Use the code action "Resolve with link-ls" (or `link-ls resolve PATH`) to merge '
    "it cell by cell from git's base/ours/theirs versions"
)


def text_conflict_diagnostic(line: int) -> types.Diagnostic:
    """The one diagnostic of an .ipynb that git merged line by line (not parseable)."""
    rng = types.Range(types.Position(line, 0), types.Position(line, 7))
    return types.Diagnostic(
        range=rng,
        message=TEXT_CONFLICT,
        severity=types.DiagnosticSeverity.Error,
        code=str(Code.CONFLICT),
        source=SOURCE,
        data={"textConflict": True},
    )


def by_uri(snap: Snapshot) -> dict[str, list[types.Diagnostic]]:
    """Every uri of the document (each cell of a notebook) with its diagnostics."""
    out: dict[str, list[types.Diagnostic]] = {}
    if snap.kind is DocKind.NOTEBOOK:
        for c in snap.cells:
            out[c.uri] = []
    else:
        out[snap.uri] = []
    if snap.text_conflict is not None:
        out[snap.uri].append(text_conflict_diagnostic(snap.text_conflict))
        return out
    if snap.error is not None:
        line, col = snap.error_position()
        pos = types.Position(line, col)
        out[snap.uri].append(
            types.Diagnostic(
                range=types.Range(pos, types.Position(line, col + 1)),
                message=f"not a notebook link-ls can read: {snap.error}",
                severity=types.DiagnosticSeverity.Error,
                source=SOURCE,
            )
        )
        return out
    if not snap.ok:
        return out
    for d in snap.diagnostics:
        uri, diag = to_lsp(snap, d)
        out.setdefault(uri, []).append(diag)
    return out


class PublisherHost(Protocol):
    """What the publisher needs of the server (kept narrow: the server owns the publisher)."""

    store: DocumentStore
    diagnostic_mode: str

    @property
    def client(self) -> ClientFeatures: ...

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        """Send ``textDocument/publishDiagnostics``."""

    def workspace_diagnostic_refresh(self, params: None) -> Any:
        """Send ``workspace/diagnostic/refresh``."""


class Publisher:
    """Pushes diagnostics per uri, only when they changed since the last push."""

    def __init__(self, server: PublisherHost) -> None:
        self.server = server
        self._last: dict[str, list[types.Diagnostic]] = {}
        self._pending: dict[str, asyncio.Handle] = {}
        #: uris to publish even when unchanged (the edited cell, a freshly opened document)
        self._touched: dict[str, set[str]] = {}
        #: uri -> uris published for it (a notebook publishes on its cells)
        self._owned: dict[str, set[str]] = {}
        #: notebook document uri -> its cell uris and findings by cell, as last published
        self._cells: dict[str, tuple[tuple[str, ...], dict[int, list[Any]]] | None] = {}
        #: when a change last arrived while the document's publication was still pending
        self._merged: dict[str, float] = {}

    @property
    def pushing(self) -> bool:
        mode = self.server.diagnostic_mode
        if mode == "push":
            return True
        if mode == "pull":
            return False
        return not self.server.client.pull_diagnostics

    def changed(self, uri: str, touched: set[str] | None = None) -> None:
        """A document changed: publish soon (at once unless edits are streaming in).

        ``touched`` uris are published even if their diagnostics did not change, so a
        client always hears back about the cell it edited; ``None`` means all of them.
        """
        now = time.monotonic()
        if touched is None:
            self._touched[uri] = {"*"}
        else:
            self._touched.setdefault(uri, set()).update(touched)
        if uri in self._pending:
            self._merged[uri] = now  # edits come faster than they are analysed
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.publish(uri)
            return
        merged = self._merged.get(uri)
        if merged is not None and now - merged < BURST:
            self._pending[uri] = loop.call_later(DEBOUNCE, self._run, uri)
        else:
            self._pending[uri] = loop.call_soon(self._run, uri)

    def _run(self, uri: str) -> None:
        self._pending.pop(uri, None)
        try:
            self.publish(uri)
        except Exception:  # a failed publication must not stop the next one
            log.exception("link-ls: diagnostics for %s failed", uri)

    def publish(self, uri: str) -> None:
        touched = self._touched.pop(uri, set())
        got = self.server.store.get(uri)
        if got is None:
            return
        snap = got[0]
        if not self.pushing:
            if self.server.client.diagnostics_refresh:
                self.server.workspace_diagnostic_refresh(None)
            return
        if "*" not in touched and self._publish_cells(snap, touched):
            return
        current = by_uri(snap)
        self._cells[snap.uri] = self._cell_state(snap)
        owned = self._owned.setdefault(snap.uri, set())
        for gone in owned - current.keys():
            self._send(gone, [], None)
        self._owned[snap.uri] = set(current)
        version = snap.version if snap.kind is not DocKind.NOTEBOOK else None
        for target, diags in current.items():
            if "*" in touched or target in touched or self._last.get(target, []) != diags:
                self._send(target, diags, version)

    @staticmethod
    def _cell_state(snap: Snapshot) -> tuple[tuple[str, ...], dict[int, list[Any]]] | None:
        """A notebook document's cell uris and findings by cell, to compare the next with."""
        if snap.kind is not DocKind.NOTEBOOK or not snap.ok or snap.error is not None:
            return None
        assert snap.mapper is not None and snap.mapper.cell_uris is not None
        found: dict[int, list[Any]] = {}
        for d in snap.diagnostics:
            found.setdefault(d.cell_index, []).append((d, d.data))
        return snap.mapper.cell_uris, found

    def _publish_cells(self, snap: Snapshot, touched: set[str]) -> bool:
        """Publish only the cells of a notebook document whose findings changed (or that
        were edited); False when the cells themselves changed and everything must be sent."""
        before = self._cells.get(snap.uri)
        state = self._cell_state(snap)
        if before is None or state is None or before[0] != state[0]:
            return False
        assert snap.mapper is not None
        self._cells[snap.uri] = state
        old, new = before[1], state[1]
        cells = {i for i in old.keys() | new.keys() if old.get(i) != new.get(i)}
        for u in touched:
            i = snap.mapper.cell_of_uri(u)
            if i is not None:
                cells.add(i)
        delta = snap.pipeline.delta
        if delta is not None:
            cells |= delta.changed & (old.keys() | new.keys())
        for i in sorted(cells):
            diags = [to_lsp(snap, d)[1] for d, _ in new.get(i, ())]
            self._send(snap.mapper.uri_of(i), diags, None)
        return True

    def _send(self, uri: str, diags: list[types.Diagnostic], version: int | None) -> None:
        if diags:
            self._last[uri] = diags
        else:
            self._last.pop(uri, None)
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version)
        )

    def closed(self, uri: str) -> None:
        handle = self._pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self._touched.pop(uri, None)
        self._merged.pop(uri, None)
        self._cells.pop(uri, None)
        for target in self._owned.pop(uri, set()):
            self._send(target, [], None)
