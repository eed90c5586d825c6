"""Which entries a scaled-out run may unpickle: only those the caller's key signed.

The caller loads its cache key once (:func:`~link_ls.cache.trust.load_user_key`) and
each :class:`~link_ls.executors.model.ComponentTask` carries it in memory, so a
component on a Dask worker of another machine signs its entry with the caller's key
(not the worker's own) and restores an ancestor only when the ancestor's manifest
carries the caller's valid signature. Checked twice:

- up front, by the caller (:func:`restore_up_front`): a component whose entry is
  not trusted is executed instead, and the run's cache report says so as a serial
  run does ("N cached components are untrusted …: run `link-ls cache trust …`");
- on the worker, for every ancestor a component restores (:func:`trusted_entry`):
  an untrusted one refuses the component before a byte of it is loaded, with a
  message that names the entry and the command that trusts it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import EntryManifest
from link_ls.cache.store import CacheStore, EntryTrust
from link_ls.cache.trust import TrustState, UserKey, describe_untrusted
from link_ls.executors.events import Outcomes
from link_ls.executors.model import ComponentResult, ComponentTask
from link_ls.executors.remote import RemoteStore, open_store
from link_ls.kernel.report import StepStatus

if TYPE_CHECKING:  # the run's cache report is the caller's; workers do not import it
    from link_ls.cache.runner import UntrustedStep


class UntrustedEntryError(CacheError):
    """An ancestor's entry is not signed with the caller's key: nothing of it was loaded."""


def task_user(task: ComponentTask) -> UserKey:
    if task.user is None:
        # never fall back to this process's own key: on a worker it is not the caller's
        raise CacheError("the task carries no cache key (the caller's key signs and checks)")
    return task.user


def _command(task: ComponentTask) -> str:
    return shlex.join(task.trust_command) if task.trust_command else "link-ls cache trust"


def trusted_entry(
    store: CacheStore, remote: RemoteStore | None, task: ComponentTask, name: str, key: CacheKey
) -> EntryManifest:
    """An ancestor's manifest, only when the caller's key signed it (raises otherwise)."""
    user = task_user(task)
    m = remote.fetch(key, user) if remote is not None else store.usable(key)
    if m is None:
        raise CacheError(f"ancestor {name!r} has no usable entry in {store.root}")
    t = store.entry_trust(key, user)
    if t is None or t.manifest != m:
        raise CacheError(f"ancestor {name!r}: its entry changed or vanished while it was read")
    if t.trusted:
        return t.manifest
    where = store.entry_dir(key)
    if t.state is TrustState.ALTERED:
        raise UntrustedEntryError(
            f"ancestor {name!r}: cache entry {where} refused: "
            f"{describe_untrusted(t.state, None)}; nothing was loaded from it"
        )
    raise UntrustedEntryError(
        f"ancestor {name!r}: cache entry {where} is untrusted "
        f"({describe_untrusted(t.state, t.origin)}); nothing was loaded from it: run "
        f"`{_command(task)}` to use it"
    )


class UpFront:
    """What the caller found in the store before the run: restored, untrusted, refused."""

    def __init__(self) -> None:
        self.todo: list[ComponentTask] = []
        self.restored = 0
        self.untrusted: list[UntrustedStep] = []
        self.refused: list[UntrustedStep] = []
        self.notes: list[str] = []
        self.command: tuple[str, ...] = ()

    def hold(self, task: ComponentTask, t: EntryTrust) -> None:
        from link_ls.cache.runner import UntrustedStep

        step = UntrustedStep(task.index, task.node, task.name, task.key, t)
        if t.state is TrustState.ALTERED:
            self.refused.append(step)
            self.notes.append(
                f"{task.name}: cache entry refused: {describe_untrusted(t.state, None)}; "
                "executing it instead"
            )
        else:
            self.untrusted.append(step)
            self.command = task.trust_command

    def note_untrusted(self) -> None:
        n = len(self.untrusted)
        if not n:
            return
        reasons = list(
            dict.fromkeys(describe_untrusted(u.trust.state, u.trust.origin) for u in self.untrusted)
        )
        what, it = ("component is", "it") if n == 1 else ("components are", "them")
        command = shlex.join(self.command) if self.command else "link-ls cache trust"
        self.notes.insert(
            0,
            f"{n} cached {what} untrusted ({'; '.join(reasons)}): run `{command}` to use "
            f"{it}; executing {it} instead (this run's signed results replace {it})",
        )

    def report(self, store: str, saved: int) -> dict[str, Any]:
        """The run report's ``cache`` part, in the shape a serial run gives it."""
        return {
            "store": store,
            "restored": self.restored,
            "saved": saved,
            "untrusted": [u.to_json() for u in self.untrusted],
            "refused": [u.to_json() for u in self.refused],
            "trustCommand": list(self.command) if self.untrusted else None,
            "notes": list(self.notes),
        }


def restore_up_front(
    tasks: Sequence[ComponentTask], outcomes: Outcomes, reuse: bool, user: UserKey
) -> UpFront:
    """Record as restored each component whose entry the caller's key signed; the rest
    are left to run (``todo``), the untrusted ones noted."""
    found = UpFront()
    for task in tasks:
        store, remote = open_store(task)
        m = None
        if reuse:
            m = remote.fetch(task.key, user) if remote is not None else store.usable(task.key)
        t = store.entry_trust(task.key, user) if m is not None else None
        if t is None or t.manifest != m:
            found.todo.append(task)
            continue
        if not t.trusted:
            found.hold(task, t)
            found.todo.append(task)
            continue
        try:
            outputs = tuple(store.read_outputs(t.manifest))
        except CacheError:
            found.todo.append(task)
            continue
        found.restored += 1
        outcomes.record(ComponentResult(task.index, StepStatus.RESTORED, outputs, where="cache"))
    found.note_untrusted()
    return found
