"""The pygls server class: its state (documents, diagnostics publisher) and error policy.

Error policy: a handler that fails never takes the server down. A typed core
error (:class:`~link_ls.errors.LinkError`) is answered as a JSON-RPC error with
its one-line message; anything else is logged with its traceback and answered
as an internal error (pygls does that part). A request whose params do not even
match the protocol types is answered with "invalid params" instead of being
dropped, so a client never waits forever.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from link_ls import __version__
from link_ls.errors import LinkError
from link_ls.server.capabilities import ClientFeatures

if TYPE_CHECKING:
    from link_ls.cache.index import CacheIndexes
    from link_ls.kernel import KernelPool
    from link_ls.server.diagnostics import Publisher
    from link_ls.server.documents import DocumentStore

log = logging.getLogger("link_ls.server")

F = TypeVar("F", bound=Callable[..., Any])

#: the request a malformed request becomes: its handler answers "invalid params"
MALFORMED = "$/link-ls/malformed"


class _Rejected:
    """A message already answered (or dropped) while being read: nothing to dispatch."""


REJECTED = _Rejected()


def _is_notification(method: str) -> bool:
    known = types.METHOD_TO_TYPES.get(method)
    return known is not None and known[0].__name__.endswith("Notification")


class LinkProtocol(LanguageServerProtocol):
    """pygls' protocol, answering every request (even malformed ones) and remembering
    cancelled ones.

    What pygls would drop or crash on gets a JSON-RPC error instead: a request whose id is
    not a string or number (answered with id ``null``), a message without
    ``"jsonrpc": "2.0"``, a notification-only method sent as a request (``InvalidRequest``),
    params that do not match the protocol types (``InvalidParams`` naming the field).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: ids of requests the client cancelled (``$/cancelRequest``) while they ran
        self.cancelled_ids: set[Any] = set()
        #: called once the first message (normally ``initialize``) is answered
        self.after_first_message: Callable[[], None] | None = None

    def _reject(self, msg_id: Any, message: str) -> _Rejected:
        log.warning("invalid request %r: %s", msg_id, message)
        # sent as plain JSON: pygls' own message type would leave out an id of null
        error = JsonRpcInvalidRequest(message)
        self._send_data(
            {
                "jsonrpc": "2.0",
                "id": msg_id,
                "error": {"code": error.code, "message": error.message},
            }
        )
        return REJECTED

    def _invalid_request(self, data: dict[str, Any]) -> _Rejected | None:
        msg_id, method = data["id"], data["method"]
        if isinstance(msg_id, bool) or not isinstance(msg_id, (str, int)):
            return self._reject(None, f"request id must be a string or a number, not {msg_id!r}")
        if data.get("jsonrpc") != "2.0":
            return self._reject(msg_id, 'not a JSON-RPC 2.0 message (needs "jsonrpc": "2.0")')
        if not isinstance(method, str):
            return self._reject(msg_id, f"method must be a string, not {method!r}")
        if _is_notification(method):
            return self._reject(msg_id, f"{method} is a notification: send it without an id")
        return None

    def structure_message(self, data: dict[str, Any]) -> Any:
        # json.loads calls this for every object, inner ones first: only a message (it has
        # "jsonrpc") is checked here; a top-level object without it reaches handle_message
        if "jsonrpc" in data and "id" in data and "method" in data:
            rejected = self._invalid_request(data)
            if rejected is not None:
                return rejected
        try:
            return super().structure_message(data)
        except JsonRpcException as e:
            if "id" in data and "method" in data:
                method = str(data.get("method"))
                log.warning("malformed %s request %r: %s", method, data.get("id"), e.__cause__)
                # same id, a method whose handler answers with the error (see ``LinkServer``)
                why = f"invalid params for {method}: {_reason(e)}"
                return super().structure_message(
                    {
                        "jsonrpc": "2.0",
                        "id": data["id"],
                        "method": MALFORMED,
                        "params": {"why": why},
                    }
                )
            log.warning("dropped a malformed message: %s", _reason(e))
            return REJECTED

    def handle_message(self, message: Any) -> None:
        try:
            self._handle(message)
        finally:
            hook, self.after_first_message = self.after_first_message, None
            if hook is not None:
                hook()

    def _handle(self, message: Any) -> None:
        if message is REJECTED:
            return
        if not hasattr(message, "jsonrpc"):
            # valid JSON that is no JSON-RPC message (a list, a number, an object without
            # "jsonrpc"): answer it if it looks like a request, else drop it
            if isinstance(message, dict) and "id" in message and "method" in message:
                msg_id = message["id"]
                ok_id = isinstance(msg_id, (str, int)) and not isinstance(msg_id, bool)
                self._reject(
                    msg_id if ok_id else None,
                    'not a JSON-RPC 2.0 message (needs "jsonrpc": "2.0")',
                )
            else:
                log.warning("dropped a message that is not JSON-RPC 2.0: %.200r", message)
            return
        if getattr(message, "method", None) == types.CANCEL_REQUEST:
            request = getattr(message, "params", None)
            if request is not None:
                self.cancelled_ids.add(request.id)
        super().handle_message(message)

    # -- document sync for documents the client never opened ----------------------------
    # pygls' own handlers raise KeyError for them (a notification: nobody would hear of
    # it but the user, as "Error in server"); the change is dropped with a warning instead.
    def _has_text(self, uri: str) -> bool:
        return unquote(uri) in self.workspace.text_documents

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        if not self._has_text(params.text_document.uri):
            log.warning("didChange for %s, which is not open: ignored", params.text_document.uri)
            return
        try:
            for change in params.content_changes:
                self.workspace.update_text_document(params.text_document, change)
        except (IndexError, ValueError) as e:
            log.warning("didChange for %s does not apply: %s", params.text_document.uri, e)
        handler = self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def lsp_notebook_document__did_change(
        self, params: types.DidChangeNotebookDocumentParams
    ) -> Any:
        uri = params.notebook_document.uri
        if unquote(uri) not in self.workspace.notebook_documents:
            log.warning("notebookDocument/didChange for %s, which is not open: ignored", uri)
            return
        try:
            self.workspace.update_notebook_document(params)
        except (KeyError, IndexError, ValueError) as e:
            log.warning("notebookDocument/didChange for %s does not apply: %r", uri, e)
        handler = self.fm.features.get(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
        if handler is not None:
            yield handler, (params,), None


def _camel(segment: str) -> str:
    head, *rest = segment.split("_")
    return head + "".join(r[:1].upper() + r[1:] for r in rest)


def _reason(e: BaseException) -> str:
    """What is wrong and where: ``expected int at params.position.line`` (cattrs' report)."""
    cause = e.__cause__
    if isinstance(cause, Exception):
        try:
            from cattrs.v import transform_error

            found = transform_error(cause, path="$")
        except Exception:
            found = []
        parts = []
        for item in found[:3]:
            what, _, where = item.partition(" @ $.")
            path = ".".join(_camel(s) for s in where.split(".")) if where else "message"
            parts.append(f"{path}: {what}")
        if parts:
            return "; ".join(parts)[:300]
    text = str(cause or e).splitlines()[0] if str(cause or e) else type(cause or e).__name__
    return text[:200]


class _GarbageIsNoError(logging.Filter):
    """Bytes that are not JSON are the client's fault: pygls' "Unable to handle message"
    for them is a warning, not an error (an error log means a bug, see tests/lsp/)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if record.levelno >= logging.ERROR and isinstance(exc, ValueError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class LinkServer(LanguageServer):
    """link-ls: documents of every kind, mapped onto the core's Notebook model."""

    def __init__(self) -> None:
        super().__init__(
            "link-ls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithNotebook(notebook="jupyter-notebook"),
                ],
                save=True,
            ),
            protocol_cls=LinkProtocol,
        )
        logging.getLogger("pygls.server").addFilter(_GarbageIsNoError())
        # made on first use (the first document): ``initialize`` imports none of the core
        self._store: DocumentStore | None = None
        self._publisher: Publisher | None = None
        self._encoding: str = types.PositionEncodingKind.Utf16
        #: "push", "pull" or "auto" (pull when the client can, else push)
        self.diagnostic_mode = "auto"
        #: initializationOptions ``cacheAll`` / ``cacheDir`` (docs/server.md)
        self.cache_all = False
        self.cache_dir: str | None = None
        #: bumped when a run or a cache command changes what the cache holds (lens text)
        self.cache_generation = 0
        self._kernels: KernelPool | None = None
        self._cache_indexes: CacheIndexes | None = None
        self._client: tuple[object, ClientFeatures] | None = None

        @self.feature(MALFORMED)
        def malformed(ls: LinkServer, params: Any) -> None:
            why = params.get("why") if isinstance(params, dict) else getattr(params, "why", None)
            raise JsonRpcInvalidParams(message=str(why))

    @property
    def store(self) -> DocumentStore:
        """The open documents and their snapshots."""
        if self._store is None:
            from link_ls.server.documents import DocumentStore

            self._store = DocumentStore(self._encoding)
        return self._store

    @store.setter
    def store(self, store: DocumentStore) -> None:
        self._store = store

    @property
    def publisher(self) -> Publisher:
        """Pushes diagnostics (made with the store, on first use)."""
        if self._publisher is None:
            from link_ls.server.diagnostics import Publisher

            self._publisher = Publisher(self)
        return self._publisher

    @property
    def encoding(self) -> str:
        """The position encoding agreed at ``initialize``; the store converts columns with it."""
        return self._encoding if self._store is None else self._store.encoding

    @encoding.setter
    def encoding(self, encoding: str) -> None:
        self._encoding = encoding
        if self._store is not None:
            self._store.encoding = encoding

    @property
    def client(self) -> ClientFeatures:
        """What the client said it can do at ``initialize`` (read once per capabilities)."""
        caps = self.client_capabilities
        if self._client is None or self._client[0] is not caps:
            self._client = (caps, ClientFeatures.of(caps))
        return self._client[1]

    def was_cancelled(self, msg_id: Any) -> bool:
        """Whether the client cancelled request ``msg_id`` (``$/cancelRequest``)."""
        proto = self.protocol
        return isinstance(proto, LinkProtocol) and msg_id in proto.cancelled_ids

    def forget_request(self, msg_id: Any) -> None:
        """The request is answered: its cancellation need not be remembered."""
        proto = self.protocol
        if isinstance(proto, LinkProtocol):
            proto.cancelled_ids.discard(msg_id)

    @property
    def cache_indexes(self) -> CacheIndexes:
        """What each cache store holds, in memory (made on first use: the lens, a hover)."""
        if self._cache_indexes is None:
            from link_ls.cache.index import CacheIndexes

            self._cache_indexes = CacheIndexes()
        return self._cache_indexes

    @property
    def kernels(self) -> KernelPool:
        """One kernel pool for the server, made on first use (jupyter_client loads then)."""
        if self._kernels is None:
            from link_ls.kernel import KernelPool

            self._kernels = KernelPool()
        return self._kernels

    @property
    def existing_kernels(self) -> KernelPool | None:
        """The pool if any run made it (interrupt and restart need not start one)."""
        return self._kernels

    def shutdown_kernels(self) -> None:
        """End every kernel this server started (shutdown request, exit, SIGTERM)."""
        if self._kernels is not None:
            self._kernels.shutdown_all()

    def cache_changed(self) -> None:
        """The cache of some notebook changed: lens texts ("k cached") are stale."""
        self.cache_generation += 1
        if self._cache_indexes is not None:
            self._cache_indexes.refresh()
        self.refresh_code_lenses()

    def refresh_code_lenses(self) -> None:
        """Ask the client to request code lenses again (when it can be asked)."""
        if self.client.code_lens_refresh:
            try:
                self.workspace_code_lens_refresh(None)
            except Exception as e:  # a client that fails the refresh still works
                log.info("codeLens/refresh failed: %s", e)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # request errors are already in the response; others go to the log and the user
        name = getattr(source, "__name__", str(source))
        if isinstance(error, ValueError) and name == "JsonRpcException":
            log.warning("link-ls: a message that is not JSON: %s", error)
            return  # garbage on the wire: the client's fault, nothing to show the user
        level = logging.INFO if name == "FeatureRequestError" else logging.ERROR
        log.log(level, "link-ls: %s: %s", name, error)
        super().report_server_error(error, source)

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))


def guard(fn: F) -> F:
    """Turn core errors (and OSErrors: a target that cannot be written) into a one-line
    JSON-RPC error; log anything unexpected."""

    def convert(e: Exception) -> Exception:
        if isinstance(e, LinkError):
            return JsonRpcInvalidParams(message=str(e))
        if isinstance(e, OSError):
            # the environment refused (a read-only target the client named): as the CLI does
            where = f"{e.filename}: " if e.filename else ""
            return JsonRpcInvalidParams(message=f"{where}{e.strerror or e}")
        if isinstance(e, JsonRpcException):
            return e
        log.exception("link-ls: %s failed", fn.__name__)
        return e

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except Exception as e:
                raise convert(e) from None

        return cast(F, awrapper)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise convert(e) from None

    return cast(F, wrapper)
