"""One component run apart from the others: fresh namespace, ancestors restored, run, saved.

Both scaled-out executors run a component the same way, whatever runs the code (a
Jupyter kernel for ``parallel``, an IPython shell on a Dask worker for ``dask``):

1. the namespace is emptied and the pipeline parameters are set, as at the start of
   a serial run;
2. every ancestor's cache entry is checked and unpickled, all before any is applied,
   then applied in pipeline order (what the serial run would have left in its kernel:
   each ancestor's defined, mutated and deleted names) — with the cache's own kernel
   snippets, so entries are read exactly as a serial run reads them;
3. the code runs; on success its entry is written with the cache's ``save_entry``
   (staged, then renamed into place: a worker that dies mid-save leaves no entry).

A component whose variables cannot be serialised has no usable entry, so its
descendants could not start: it is reported as a cache error.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from link_ls.cache.errors import CacheError, CacheRestoreError
from link_ls.cache.keys import CacheKey
from link_ls.cache.snippets import apply_code, parse_result
from link_ls.cache.store import CacheStore
from link_ls.cache.transfer import discard_staged, save_entry, stage_and_apply
from link_ls.errors import LinkError
from link_ls.executors.model import ComponentResult, ComponentTask
from link_ls.executors.remote import RemoteStore, open_store
from link_ls.executors.trusted import task_user, trusted_entry
from link_ls.kernel.helpercode import join_code
from link_ls.kernel.report import ErrorKind, StepError, StepStatus

#: empties the user namespace of an IPython kernel or shell, output history included, as
#: ``%reset -f`` does but without its full ``gc.collect`` (slow in a Dask worker's heap)
RESET_CODE = """
def __link_ls_reset():
    ip = get_ipython()
    ns, hidden = ip.user_ns, ip.user_ns_hidden
    for name in [n for n in ns if n not in hidden and not n.startswith("__")]:
        del ns[name]
    if isinstance(ns.get("Out"), dict):
        ns["Out"].clear()
    ns.update({"_": "", "__": "", "___": ""})
try:
    __link_ls_reset()
finally:
    del __link_ls_reset
"""

OutputCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class CellRun:
    """A cell's outputs and, when it failed, why."""

    outputs: tuple[dict[str, Any], ...]
    error: StepError | None = None
    execution_count: int | None = None


class ComponentSession(Protocol):
    """What running a component needs from the thing that executes Python."""

    def run_silent(self, code: str, timeout: float | None = None) -> str: ...

    def run_cell(
        self, source: str, timeout: float | None, on_output: OutputCallback | None
    ) -> CellRun: ...


def host_label() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def _fail(
    task: ComponentTask, kind: ErrorKind, ename: str, evalue: str, t0: float, where: str
) -> ComponentResult:
    return ComponentResult(
        task.index,
        StepStatus.ERROR,
        error=StepError(kind, ename, evalue),
        where=where,
        started=t0,
        finished=time.time(),
    )


def run_component(
    session: ComponentSession,
    task: ComponentTask,
    where: str,
    on_output: OutputCallback | None = None,
) -> ComponentResult:
    """Run ``task`` in ``session`` against the store; never raises for the component's own
    failure (the result says it)."""
    t0 = time.time()
    try:
        user = task_user(task)
        store, remote = open_store(task)
        _restore(session, store, remote, task)
    except LinkError as e:
        return _fail(task, ErrorKind.CACHE, type(e).__name__, str(e), t0, where)
    except Exception as e:  # the kernel's own errors (died, timed out) — one line each
        return _fail(task, ErrorKind.KERNEL_DIED, type(e).__name__, str(e), t0, where)
    run = session.run_cell(task.source, task.timeout, on_output)
    done = time.time()
    if run.error is not None:
        return ComponentResult(
            task.index,
            StepStatus.ERROR,
            run.outputs,
            run.error,
            where,
            t0,
            done,
            execution_count=run.execution_count,
        )
    try:
        m = save_entry(
            store,
            session,
            key=task.key,
            node=task.node,
            name=task.name,
            language=task.language,
            names=task.provides,
            deleted=task.deletes,
            outputs=run.outputs,
            timeout=task.timeout,
            user=user,  # the caller's key, whatever machine this is
        )
    except LinkError as e:
        return _fail(task, ErrorKind.CACHE, "CacheSaveError", str(e), t0, where)
    if remote is not None and m.usable:
        try:
            remote.publish(task.key)
        except LinkError as e:
            return _fail(task, ErrorKind.CACHE, "CacheSaveError", str(e), t0, where)
    if not m.usable:
        bad = ", ".join(f"{u.name} ({u.error})" for u in m.unserialisable)
        why = f"cannot serialise {bad}: its descendants cannot be given its variables"
        return _fail(task, ErrorKind.CACHE, "CacheSaveError", why, t0, where)
    return ComponentResult(
        task.index,
        StepStatus.EXECUTED,
        run.outputs,
        None,
        where,
        t0,
        time.time(),
        execution_count=run.execution_count,
    )


class _Prelude:
    """A session whose next helper message starts with ``code``: the namespace reset and the
    parameters travel with the ancestors' restore, one kernel round trip instead of two."""

    def __init__(self, session: ComponentSession, code: str) -> None:
        self.session = session
        self.pending = code
        #: the kernel's own error from that message (died, timed out), not the cache's
        self.error: Exception | None = None

    def run_silent(self, code: str, timeout: float | None = None) -> str:
        code, self.pending = join_code(self.pending, code), ""
        try:
            return self.session.run_silent(code, timeout)
        except LinkError:
            raise
        except Exception as e:
            self.error = e
            raise


def _restore(
    session: ComponentSession,
    store: CacheStore,
    remote: RemoteStore | None,
    task: ComponentTask,
) -> None:
    """Reset the namespace, set the parameters, and put the supplying ancestors' entries in
    it, all checked before any is applied: each must carry the caller's signature
    (``task.user``), else nothing is loaded. One kernel message when all goes well."""
    manifests = [trusted_entry(store, remote, task, name, key) for name, key in task.ancestors]
    prelude = _Prelude(session, join_code(RESET_CODE, task.parameters_code))
    if manifests:
        keys = [m.key for m in manifests]
        try:
            failed, applied = stage_and_apply(
                store, prelude, manifests, task.timeout, task_user(task), apply=keys
            )
        except CacheRestoreError:
            if prelude.error is not None:
                raise prelude.error from None  # the kernel died or timed out: say that
            raise
        if failed:
            key, why = next(iter(failed.items()))
            name = next(n for n, k in task.ancestors if k == key)
            discard_staged(session, task.timeout)
            raise CacheError(f"cannot restore ancestor {name!r}: {why}")
        if not applied:  # staged, not assigned (never expected): one message for all
            _apply(session, keys, task.timeout)
    if prelude.pending:
        session.run_silent(prelude.pending, task.timeout)


def _apply(session: ComponentSession, keys: list[CacheKey], timeout: float | None) -> None:
    try:
        parse_result(session.run_silent(join_code(*(apply_code(k) for k in keys)), timeout))
    except LinkError:
        raise
    except Exception as e:  # the kernel's own error type
        raise CacheRestoreError(f"cannot restore the ancestors' variables: {e}") from None
