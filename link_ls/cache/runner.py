"""The run's step cache: restore the nearest valid cached ancestors, execute the rest, save.

:class:`PipelineStepCache` satisfies ``link_ls.kernel.hooks.StepCache``. At
``prepare`` it computes Merkle keys and decides every step (see
:mod:`link_ls.cache.planner`). At the first ``decide`` it stages every entry to
restore inside the kernel (checked and unpickled, not yet assigned): an entry that
fails is reported once, dropped, and the plan is decided again — all before any
step has executed, so a failed restore never leaves a later step without its
inputs. Each later ``decide`` assigns one staged entry or says execute/skip;
``after_execute`` saves the step when Link's ``diskcache`` flag (or "cache all")
asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from link_ls.cache.errors import CacheError, CacheSaveError
from link_ls.cache.keys import CacheKey, compute_keys, effective_parameters
from link_ls.cache.model import EntryManifest
from link_ls.cache.planner import Disposition, decide_steps
from link_ls.cache.status import wants_cache
from link_ls.cache.store import CacheStore
from link_ls.cache.transfer import apply_entry, discard_staged, save_entry, stage_entries
from link_ls.kernel.hooks import EXECUTE, CacheDecision, StepAction, StepCache
from link_ls.kernel.params import Override
from link_ls.kernel.session import KernelSession
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline, PlanStep, RunPlan, build


@dataclass(frozen=True)
class CacheOptions:
    """How a run uses the cache (the CLI's ``--no-cache`` means: pass no cache at all)."""

    #: store root; default ``$LINK_LS_CACHE_DIR`` or ``.link_ls/cache/`` beside the notebook
    cache_dir: str | None = None
    #: store every component, not only those whose ``canvas.diskcache`` is true
    cache_all: bool = False
    #: ``--param`` / ``-p`` overrides as typed on the command line
    parameters: Mapping[str, Override] = field(default_factory=dict)
    #: limit for one save or restore round trip in the kernel (None: no limit)
    timeout: float | None = None
    #: called with each note from deciding a step (an entry that cannot be restored);
    #: a step that cannot be saved is raised from ``after_execute`` for the run's warnings
    on_note: Callable[[str], None] | None = None


class PipelineStepCache:
    """A :class:`~link_ls.kernel.hooks.StepCache` backed by a :class:`CacheStore`."""

    def __init__(self, store: CacheStore, options: CacheOptions | None = None) -> None:
        self.store = store
        self.options = options or CacheOptions()
        #: one-line notes of this run, each said once
        self.notes: list[str] = []
        self.restored: list[int] = []
        self.saved: list[int] = []
        self._pipeline: Pipeline | None = None
        self._keys: dict[int, CacheKey] = {}
        self._steps: list[int] = []
        self._required: set[int] = set()
        self._entries: dict[int, EntryManifest] = {}
        self._outputs: dict[int, tuple[dict[str, Any], ...]] = {}
        self._disp: dict[int, Disposition] = {}
        self._failed: set[CacheKey] = set()
        self._staged = False

    # -- StepCache -----------------------------------------------------------------
    def prepare(self, nb: Notebook, plan: RunPlan) -> None:
        p = build(nb)
        params = effective_parameters(nb, self.options.parameters)
        self._pipeline = p
        self._keys = compute_keys(nb, p, params)
        self._steps = [s.index for s in plan.steps]
        if plan.mode == "all" or not self._steps:
            self._required = set(self._steps)
        else:
            self._required = {self._steps[-1]}
        self._entries = {}
        for idx in self._steps:
            key = self._keys.get(idx)
            m = self.store.usable(key) if key is not None else None
            if m is not None and p.notebook.language == "python":
                self._entries[idx] = m
        self._outputs = {}
        self._failed = set()
        self._staged = False
        self.restored = []
        self.saved = []
        self._decide()

    def decide(self, session: KernelSession, step: PlanStep) -> CacheDecision:
        if not self._staged:
            self._stage(session)
        d = self._disp.get(step.index, Disposition.EXECUTE)
        if d is Disposition.SKIP:
            return CacheDecision(StepAction.SKIPPED)
        if d is Disposition.EXECUTE:
            return EXECUTE
        apply_entry(session, self._entries[step.index], self.options.timeout)
        self.restored.append(step.index)
        return CacheDecision(StepAction.RESTORED, self._outputs[step.index])

    def after_execute(
        self, session: KernelSession, step: PlanStep, outputs: tuple[dict[str, Any], ...]
    ) -> None:
        p = self._pipeline
        key = self._keys.get(step.index)
        if p is None or key is None or not wants_cache(p, step.index, self.options.cache_all):
            return
        old = self.store.manifest(key)
        # a complete entry is kept; an unusable one was reported when it was saved, and
        # saving it again would only say so again
        if (
            old is not None
            and key not in self._failed
            and (not old.usable or self.store.complete(old))
        ):
            return
        a = p.analyses[step.index]
        try:
            m = save_entry(
                self.store,
                session,
                key=key,
                node=str(p.node_id(step.index)),
                name=step.name,
                language=p.notebook.language,
                names=a.provides,
                deleted=a.deletes,
                outputs=outputs,
                timeout=self.options.timeout,
            )
        except CacheError as e:
            # the runner reports a LinkError from here as a warning "<step>: not cached: …"
            text = str(e).removeprefix(f"{step.name}: ")
            self.notes.append(f"{step.name}: not cached: {text}")
            raise CacheSaveError(text) from None
        if m.usable:
            self.saved.append(step.index)
            return
        bad = "; ".join(f"{u.name} ({u.error})" for u in m.unserialisable)
        text = f"cannot serialise {bad}; later runs will execute it"
        self.notes.append(f"{step.name}: not cached: {text}")
        raise CacheSaveError(text)

    # -- internals -----------------------------------------------------------------
    def _decide(self) -> None:
        p = self._pipeline
        assert p is not None
        restorable = {idx: frozenset(m.absent) for idx, m in self._entries.items()}
        self._disp = decide_steps(p, self._steps, self._required, restorable)

    def _drop(self, idx: int, why: str) -> None:
        m = self._entries.pop(idx)
        self._failed.add(m.key)
        self._note(f"{m.name}: cached result not restorable ({why}); executing it instead")

    def _stage(self, session: KernelSession) -> None:
        """Stage every entry to restore; on a failure, decide again and stage what is new."""
        self._staged = True
        if session.language != "python":
            for idx in list(self._entries):
                self._drop(idx, f"kernel language is {session.language}")
            self._decide()
            return
        discard_staged(session, self.options.timeout)
        staged: set[int] = set()
        while True:
            todo = [
                i
                for i, d in self._disp.items()
                if d is Disposition.RESTORE and i not in staged and i in self._entries
            ]
            if not todo:
                return
            failed: dict[int, str] = {}
            for idx in todo:
                try:
                    self._outputs[idx] = tuple(self.store.read_outputs(self._entries[idx]))
                except CacheError as e:
                    failed[idx] = str(e)
            manifests = [self._entries[i] for i in todo if i not in failed]
            by_key = {self._entries[i].key: i for i in todo}
            for key, why in stage_entries(self.store, session, manifests, None).items():
                failed[by_key[key]] = why
            staged.update(i for i in todo if i not in failed)
            for idx, why in failed.items():
                self._drop(idx, why)
            if failed:
                self._decide()

    def _note(self, text: str) -> None:
        if text in self.notes:
            return
        self.notes.append(text)
        if self.options.on_note is not None:
            self.options.on_note(text)


def preview_plan(
    nb: Notebook,
    plan: RunPlan,
    store: CacheStore,
    parameters: Mapping[str, Any] | None = None,
) -> dict[int, Disposition]:
    """What a cached run of ``plan`` would do per step, without a kernel (for code lenses).

    The same decision as a run makes at ``prepare``; the run itself may still
    execute a step whose entry then fails to load.
    """
    p = build(nb)
    keys = compute_keys(nb, p, parameters)
    steps = [s.index for s in plan.steps]
    required = set(steps) if plan.mode == "all" or not steps else {steps[-1]}
    restorable: dict[int, frozenset[str]] = {}
    if nb.language == "python":
        for idx in steps:
            m = store.usable(keys[idx]) if idx in keys else None
            if m is not None:
                restorable[idx] = frozenset(m.absent)
    return decide_steps(p, steps, required, restorable)


def make_step_cache(
    nb_path: str | os.PathLike[str], options: CacheOptions | None = None
) -> StepCache:
    """The step cache a run of the notebook at ``nb_path`` should use."""
    opts = options or CacheOptions()
    return PipelineStepCache(CacheStore.for_notebook(Path(nb_path), opts.cache_dir), opts)
