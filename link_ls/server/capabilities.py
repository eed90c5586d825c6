"""What the client can do, read once from its ``initialize`` capabilities into one typed value,
and the names the server announces in its own (diagnostic source, a command)."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

#: ``Diagnostic.source`` of every link-ls diagnostic, and the pull diagnostics' identifier
SOURCE = "link-ls"
#: the command the conflict quick fixes and lenses run (registered by ``features/merging``)
RESOLVE_CONFLICT = "link.resolveConflict"


@dataclass(frozen=True)
class ClientFeatures:
    """The client capabilities link-ls acts on (all False for a client that sent none)."""

    #: ``textDocument/diagnostic``: the client pulls diagnostics
    pull_diagnostics: bool = False
    #: ``workspace/diagnostic/refresh``
    diagnostics_refresh: bool = False
    #: ``workspace/codeLens/refresh``
    code_lens_refresh: bool = False
    #: server-initiated ``window/workDoneProgress``
    work_done_progress: bool = False
    #: ``workspace/applyEdit``
    apply_edit: bool = False
    #: versioned ``documentChanges`` in a ``WorkspaceEdit``
    document_changes: bool = False
    #: ``codeAction/resolve`` can fill in an action's ``edit``
    resolve_code_action_edit: bool = False

    @classmethod
    def of(cls, caps: types.ClientCapabilities | None) -> ClientFeatures:
        if caps is None:
            return cls()
        ws, text, window = caps.workspace, caps.text_document, caps.window
        code_action = text.code_action if text is not None else None
        resolve = code_action.resolve_support if code_action is not None else None
        return cls(
            pull_diagnostics=text is not None and bool(text.diagnostic),
            diagnostics_refresh=bool(ws and ws.diagnostics and ws.diagnostics.refresh_support),
            code_lens_refresh=bool(ws and ws.code_lens and ws.code_lens.refresh_support),
            work_done_progress=bool(window and window.work_done_progress),
            apply_edit=bool(ws and ws.apply_edit),
            document_changes=bool(ws and ws.workspace_edit and ws.workspace_edit.document_changes),
            resolve_code_action_edit=resolve is not None and "edit" in resolve.properties,
        )
