"""``textDocument/diagnostic``: diagnostics LNK001–LNK012 answered on pull.

Answered from the document's snapshot, with the document version as ``resultId``;
the push side is ``link_ls.server.diagnostics.Publisher``.
"""

from __future__ import annotations

from lsprotocol import types

from link_ls.server.base import LinkServer, guard
from link_ls.server.capabilities import SOURCE


def register(server: LinkServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=False
        ),
    )
    @guard
    def pull(
        ls: LinkServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        got = ls.store.get(params.text_document.uri)
        if got is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        snap, _cell = got
        result_id = f"{snap.uri}@{snap.version}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        from link_ls.server.diagnostics import by_uri

        items = by_uri(snap).get(params.text_document.uri, [])
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)
