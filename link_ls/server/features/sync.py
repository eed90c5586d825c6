"""Document sync: the only handlers that change server state (text and notebook documents).

pygls applies every content change to its workspace first; these handlers then
hand the new content to the document store and ask for diagnostics. They do no
analysis themselves, so a burst of edits stays cheap.
"""

from __future__ import annotations

from lsprotocol import types

from link_ls.server.base import LinkServer, guard


def _notebook_texts(ls: LinkServer, nb_doc: types.NotebookDocument) -> dict[str, str]:
    ws = ls.workspace
    return {c.document: ws.get_text_document(c.document).source for c in nb_doc.cells}


def _refresh_notebook(ls: LinkServer, uri: str, touched: set[str] | None) -> None:
    nb_doc = ls.workspace.get_notebook_document(notebook_uri=uri)
    if nb_doc is None:
        return
    ls.store.set_notebook(nb_doc, _notebook_texts(ls, nb_doc))
    ls.publisher.changed(uri, touched)


def initialize(ls: LinkServer, params: types.InitializeParams) -> None:
    ls.encoding = ls.workspace.position_encoding or types.PositionEncodingKind.Utf16
    opts = params.initialization_options
    if isinstance(opts, dict) and opts.get("diagnosticMode") in ("push", "pull", "auto"):
        ls.diagnostic_mode = str(opts["diagnosticMode"])
    if isinstance(opts, dict):
        ls.cache_all = opts.get("cacheAll") is True
        if isinstance(opts.get("cacheDir"), str):
            ls.cache_dir = str(opts["cacheDir"])


def did_open(ls: LinkServer, params: types.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    if ls.workspace.get_notebook_document(cell_uri=doc.uri) is not None:
        return  # a notebook cell opened as text: the notebook owns it
    ls.store.set_text(doc.uri, doc.text, doc.version)
    ls.publisher.changed(doc.uri, None)


def did_change(ls: LinkServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    owner = ls.workspace.get_notebook_document(cell_uri=uri)
    if owner is not None:
        # a client that syncs cell text outside notebookDocument/didChange
        _refresh_notebook(ls, owner.uri, {uri})
        return
    doc = ls.workspace.get_text_document(uri)
    ls.store.set_text(uri, doc.source, params.text_document.version)
    ls.publisher.changed(uri, {uri})


def did_save(ls: LinkServer, params: types.DidSaveTextDocumentParams) -> None:
    # a jupyter-lsp virtual document takes its pipeline metadata from the saved .ipynb
    got = ls.store.get(params.text_document.uri)
    if got is not None and got[0].text is not None and got[1] is None:
        snap = got[0]
        ls.store.set_text(snap.uri, snap.text or "", snap.version)
        ls.publisher.changed(snap.uri, None)


def did_close(ls: LinkServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.workspace.get_notebook_document(cell_uri=uri) is not None:
        return
    ls.store.close_text(uri)
    ls.publisher.closed(uri)


def nb_open(ls: LinkServer, params: types.DidOpenNotebookDocumentParams) -> None:
    _refresh_notebook(ls, params.notebook_document.uri, None)


def nb_change(ls: LinkServer, params: types.DidChangeNotebookDocumentParams) -> None:
    touched: set[str] = set()
    cells = params.change.cells
    uri = params.notebook_document.uri
    if (
        cells is not None
        and cells.text_content
        and cells.structure is None
        and not cells.data
        and params.change.metadata is None
    ):
        # the common case, typing in a cell: only those cells are re-read
        ws = ls.workspace
        edited = {t.document.uri for t in cells.text_content}
        texts = {u: ws.get_text_document(u).source for u in edited}
        if ls.store.set_cell_texts(uri, params.notebook_document.version, texts) is not None:
            ls.publisher.changed(uri, edited)
            return
    if cells is not None:
        touched.update(t.document.uri for t in cells.text_content or ())
        touched.update(c.document for c in cells.data or ())
        if cells.structure is not None:
            touched.update(d.uri for d in cells.structure.did_open or ())
    _refresh_notebook(ls, uri, touched)


def nb_save(ls: LinkServer, params: types.DidSaveNotebookDocumentParams) -> None:
    return None


def nb_close(ls: LinkServer, params: types.DidCloseNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    ls.store.close_notebook(uri)
    ls.publisher.closed(uri)


def register(server: LinkServer) -> None:
    server.feature(types.INITIALIZE)(guard(initialize))
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(guard(did_open))
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(guard(did_change))
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(guard(did_save))
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(guard(did_close))
    server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)(guard(nb_open))
    server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)(guard(nb_change))
    server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)(guard(nb_save))
    server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)(guard(nb_close))
