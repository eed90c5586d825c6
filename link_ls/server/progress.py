"""Work-done progress and cancellation for long requests (commands over big notebooks).

A :class:`Work` reports ``$/progress`` begin/report/end (end always, in ``finally``)
when the client supports server-initiated progress, and ``checkpoint()`` yields to
the event loop so a ``$/cancelRequest`` or ``window/workDoneProgress/cancel`` can
land, then stops the work if either arrived.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import Future
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from link_ls.analysis import default_cache
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline, build

if TYPE_CHECKING:
    from link_ls.server.base import LinkServer

log = logging.getLogger(__name__)

#: cells analysed between two progress reports / cancellation checks
CHUNK = 200


class Work:
    def __init__(self, ls: LinkServer, title: str) -> None:
        self.ls = ls
        self.title = title
        self.token: str | None = None
        self._cancel: Future[Any] | None = None
        #: the request this work answers (None outside a request)
        self._msg_id = ls.protocol.msg_id

    async def __aenter__(self) -> Work:
        if self.ls.client.work_done_progress:
            token = f"link-ls/{uuid.uuid4()}"
            try:
                await self.ls.work_done_progress.create_async(token)
            except Exception as e:  # a client may refuse: work on without progress
                log.info("progress not created: %s", e)
            else:
                self.token = token
                self.ls.work_done_progress.begin(
                    token, types.WorkDoneProgressBegin(title=self.title, cancellable=True)
                )
                self._cancel = self.ls.work_done_progress.tokens.get(token)
        return self

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.token is not None:
            self.ls.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    @property
    def cancelled(self) -> bool:
        return bool(self._cancel is not None and self._cancel.cancelled()) or self.request_cancelled

    @property
    def request_cancelled(self) -> bool:
        """``$/cancelRequest`` arrived: pygls has already answered the request as cancelled."""
        return self.ls.was_cancelled(self._msg_id)

    async def checkpoint(self) -> None:
        await asyncio.sleep(0)
        if self.cancelled:
            raise JsonRpcRequestCancelled(f"{self.title}: cancelled")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.token is not None:
            msg = "cancelled" if self.cancelled else ("failed" if exc else "done")
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=msg))
            self.ls.work_done_progress.tokens.pop(self.token, None)
        self.ls.forget_request(self._msg_id)

    async def build(self, nb: Notebook) -> Pipeline:
        """``pipeline.build`` with progress: the cache is warmed chunk by chunk first."""
        code = [c for c in nb.cells if c.is_code]
        if nb.language == "python":
            for start in range(0, len(code), CHUNK):
                for c in code[start : start + CHUNK]:
                    default_cache.analyze(c.source)
                done = min(start + CHUNK, len(code))
                self.report(f"analysed {done}/{len(code)} cells", 100 * done // max(len(code), 1))
                await self.checkpoint()
        return build(nb)
