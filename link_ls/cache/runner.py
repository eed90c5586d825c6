"""The run's step cache: restore the nearest valid cached ancestors, execute the rest, save.

:class:`PipelineStepCache` satisfies ``link_ls.kernel.hooks.StepCache``. At
``prepare`` it computes Merkle keys and decides every step (see
:mod:`link_ls.cache.planner`). At the first ``decide`` it stages every entry to
restore inside the kernel (checked and unpickled, not yet assigned): an entry that
fails is reported once, dropped, and the plan is decided again — all before any
step has executed, so a failed restore never leaves a later step without its
inputs. Each later ``decide`` assigns one staged entry or says execute/skip;
``after_execute`` saves the step when Link's ``diskcache`` flag (or "cache all")
asks for it, signed with the user's key.

Only entries signed with the user's key are restored (:mod:`link_ls.cache.trust`).
An untrusted entry (imported, or found in a shared store) is executed instead and
reported once per run ("N cached components are untrusted (imported from X): run
`link-ls cache trust …` to use them"); an altered one is refused with its reason.
:meth:`PipelineStepCache.report` gives the same as data for the run report.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from link_ls.cache.errors import CacheError, CacheSaveError
from link_ls.cache.keys import CacheKey, compute_keys, effective_parameters
from link_ls.cache.model import EntryManifest
from link_ls.cache.planner import Disposition, decide_steps
from link_ls.cache.status import wants_cache
from link_ls.cache.store import CacheStore, EntryTrust
from link_ls.cache.transfer import apply_entry, discard_staged, save_entry, stage_and_apply
from link_ls.cache.trust import TrustState, UserKey, describe_untrusted, load_user_key
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
    #: the key that signs and checks entries (default: the user's own, see trust.py)
    user_key: UserKey | None = None


@dataclass(frozen=True)
class UntrustedStep:
    """A step whose entry under its current key is not trusted, so it was not restored."""

    index: int
    node: str
    name: str
    key: CacheKey
    trust: EntryTrust

    def to_json(self) -> dict[str, Any]:
        o = self.trust.origin
        return {
            "index": self.index + 1,
            "id": self.node,
            "name": self.name,
            "key": self.key,
            "trust": self.trust.state.value,
            "reason": describe_untrusted(self.trust.state, o),
            "origin": o.to_json() if o is not None else None,
        }


def trust_command(
    nb_path: Path | None, cache_dir: str | None, store_url: str | None = None
) -> list[str]:
    """The command that trusts a notebook's store (what the run note tells the user to run):
    its folder (``--cache-dir``), or a remote store where every machine reads it (``--store``)."""
    argv = ["link-ls", "cache", "trust", str(nb_path) if nb_path is not None else "NOTEBOOK"]
    if store_url:
        return [*argv, "--store", store_url]
    return [*argv, "--cache-dir", cache_dir] if cache_dir else argv


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
        #: steps whose entry the staging message already assigned
        self._applied: set[int] = set()
        self._user: UserKey | None = self.options.user_key
        self._nb_path: Path | None = None
        #: steps of this run whose entry would have been restored had it been trusted
        self.untrusted: list[UntrustedStep] = []
        #: steps whose entry was refused as altered (claims the user's key, does not match)
        self.refused: list[UntrustedStep] = []

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
        self._nb_path = nb.path
        self._outputs = {}
        self._failed = set()
        self._staged = False
        self._applied = set()
        self.restored = []
        self.saved = []
        self.untrusted = []
        self.refused = []
        if self._user is None:
            try:
                self._user = load_user_key()
            except CacheError as e:
                self._note(f"not using the cache: {e}")
        held: dict[int, UntrustedStep] = {}
        for idx in self._steps:
            key = self._keys.get(idx)
            if key is None or self._user is None or p.notebook.language != "python":
                continue
            t = self.store.entry_trust(key, self._user)
            if t is None or not t.manifest.usable or not self.store.complete(t.manifest):
                continue
            if t.trusted:
                self._entries[idx] = t.manifest
            else:
                held[idx] = UntrustedStep(idx, str(p.node_id(idx)), p.cell(idx).name, key, t)
        self._decide()
        if held:
            self._report_untrusted(held)

    def decide(self, session: KernelSession, step: PlanStep) -> CacheDecision:
        if not self._staged:
            self._stage(session)
        d = self._disp.get(step.index, Disposition.EXECUTE)
        if d is Disposition.SKIP:
            return CacheDecision(StepAction.SKIPPED)
        if d is Disposition.EXECUTE:
            return EXECUTE
        if step.index not in self._applied:
            apply_entry(session, self._entries[step.index], self.options.timeout)
        self.restored.append(step.index)
        return CacheDecision(StepAction.RESTORED, self._outputs[step.index])

    def after_execute(
        self, session: KernelSession, step: PlanStep, outputs: tuple[dict[str, Any], ...]
    ) -> None:
        p = self._pipeline
        key = self._keys.get(step.index)
        user = self._user
        if (
            p is None
            or key is None
            or user is None
            or not wants_cache(p, step.index, self.options.cache_all)
        ):
            return
        t = self.store.entry_trust(key, user)
        if t is not None and key not in self._failed:
            old = t.manifest
            complete = old.usable and self.store.complete(old)
            # an untrusted entry waits for the user's decision (`cache trust`): kept as it
            # is; a complete trusted one is kept; an unusable one was reported when it was
            # saved, and saving it again would only say so again. An altered one is replaced.
            if t.state in (TrustState.UNSIGNED, TrustState.FOREIGN) and complete:
                return
            if t.trusted and (complete or not old.usable):
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
                user=user,
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

    def report(self) -> dict[str, Any]:
        """What the cache did in this run, as JSON for the run report (``RunReport.cache``).

        ``untrusted``: steps executed because their entry is not trusted (each with
        ``trust``, ``reason`` and ``origin``); ``refused``: entries refused as altered;
        ``trustCommand``: the command that trusts this notebook's store (argv), set when
        ``untrusted`` is not empty; ``notes``: every note of the run, one line each.
        """
        return {
            "store": str(self.store.folder),
            "restored": len(self.restored),
            "saved": len(self.saved),
            "untrusted": [u.to_json() for u in self.untrusted],
            "refused": [u.to_json() for u in self.refused],
            "trustCommand": trust_command(self._nb_path, self.options.cache_dir)
            if self.untrusted
            else None,
            "notes": list(self.notes),
        }

    # -- internals -----------------------------------------------------------------
    def _report_untrusted(self, held: Mapping[int, UntrustedStep]) -> None:
        """Say once which entries a run leaves out for want of trust (only those it needed)."""
        p = self._pipeline
        assert p is not None
        for u in held.values():
            if u.trust.state is TrustState.ALTERED:
                self.refused.append(u)
                self._note(
                    f"{u.name}: cache entry refused: {describe_untrusted(u.trust.state, None)}; "
                    "executing it instead"
                )
        waiting = {i: u for i, u in held.items() if u.trust.state is not TrustState.ALTERED}
        if not waiting:
            return
        # the steps that a trusted store would have restored: the only ones worth a word
        restorable = {idx: frozenset(m.absent) for idx, m in self._entries.items()}
        restorable.update({i: frozenset(u.trust.manifest.absent) for i, u in waiting.items()})
        would = decide_steps(p, self._steps, self._required, restorable)
        self.untrusted = [u for i, u in waiting.items() if would.get(i) is Disposition.RESTORE]
        if not self.untrusted:
            return
        reasons = list(
            dict.fromkeys(describe_untrusted(u.trust.state, u.trust.origin) for u in self.untrusted)
        )
        n = len(self.untrusted)
        what = "component is" if n == 1 else "components are"
        command = shlex.join(trust_command(self._nb_path, self.options.cache_dir))
        self._note(
            f"{n} cached {what} untrusted ({'; '.join(reasons)}): run `{command}` to use "
            f"{'it' if n == 1 else 'them'}; executing {'it' if n == 1 else 'them'} instead"
        )

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
        staged: set[int] = set()
        fresh = True  # the first staging drops what a stopped run left behind
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
            # the restores that open the plan are assigned by the staging message itself
            # (one kernel round trip instead of one more per step), when nothing failed
            lead = self._leading_restores() if not failed and fresh else []
            if not manifests:
                if fresh:
                    discard_staged(session, self.options.timeout)
                    fresh = False
                staged_now: dict[CacheKey, str] = {}
            else:
                staged_now, applied = stage_and_apply(
                    self.store,
                    session,
                    manifests,
                    None,
                    self._user,
                    fresh=fresh,
                    apply=[self._entries[i].key for i in lead],
                )
                fresh = False
                if applied:
                    self._applied.update(lead)
            for key, why in staged_now.items():
                failed[by_key[key]] = why
            staged.update(i for i in todo if i not in failed)
            for idx, why in failed.items():
                self._drop(idx, why)
            if failed:
                self._decide()

    def _leading_restores(self) -> list[int]:
        """The steps restored before the plan's first executed one (skipped ones pass)."""
        lead: list[int] = []
        for idx in self._steps:
            d = self._disp.get(idx, Disposition.EXECUTE)
            if d is Disposition.EXECUTE:
                break
            if d is Disposition.RESTORE:
                lead.append(idx)
        return lead

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
    user: UserKey | None = None,
) -> dict[int, Disposition]:
    """What a cached run of ``plan`` would do per step, without a kernel (for code lenses).

    The same decision as a run makes at ``prepare`` (untrusted entries are not
    restored; ``user`` defaults to the user's key); the run itself may still
    execute a step whose entry then fails to load.
    """
    p = build(nb)
    keys = compute_keys(nb, p, parameters)
    steps = [s.index for s in plan.steps]
    required = set(steps) if plan.mode == "all" or not steps else {steps[-1]}
    restorable: dict[int, frozenset[str]] = {}
    signer = user
    if signer is None:
        try:
            signer = load_user_key()
        except CacheError:
            signer = None
    if nb.language == "python" and signer is not None:
        for idx in steps:
            m = store.trusted_manifest(keys[idx], signer) if idx in keys else None
            if m is not None and m.usable and store.complete(m):
                restorable[idx] = frozenset(m.absent)
    return decide_steps(p, steps, required, restorable)


def make_step_cache(
    nb_path: str | os.PathLike[str], options: CacheOptions | None = None
) -> StepCache:
    """The step cache a run of the notebook at ``nb_path`` should use."""
    opts = options or CacheOptions()
    return PipelineStepCache(CacheStore.for_notebook(Path(nb_path), opts.cache_dir), opts)
