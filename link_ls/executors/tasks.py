"""From a notebook and a run plan to independent component tasks, or a refusal that says why.

A component run apart from the others sees only what its ancestors left (restored
from their cache entries), so a pipeline whose edges do not say where every read
comes from cannot be run this way: an edge diagnostic (a read from a non-parent, a
cycle, an ambiguous definition, a missing parent, a duplicate id) or any error-level
diagnostic (a syntax error) refuses the run with those diagnostics. The cache keys
are the serial run's (:func:`link_ls.cache.keys.compute_keys`), so entries move
between executors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from link_ls.cache.keys import compute_keys, effective_parameters
from link_ls.cache.remote import is_remote, local_folder
from link_ls.cache.store import CacheStore, default_root
from link_ls.cache.trust import UserKey
from link_ls.executors.model import ComponentTask, ExecutorError, UnsafePipelineError
from link_ls.kernel.params import Override, ParamValue, parameters_code
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline, RunPlan, Severity, build, check
from link_ls.pipeline.codes import Code

#: diagnostics that say an edge does not tell where a read comes from, whatever their
#: severity in the editor: in one kernel the run order hides them, apart they change results
EDGE_ERRORS = frozenset(
    str(c)
    for c in (
        Code.CYCLE,
        Code.BAD_PARENT,
        Code.MISSING_PARENT,
        Code.AMBIGUOUS,
        Code.DUPLICATE,
        Code.OUT_OF_ORDER,
    )
)


@dataclass(frozen=True)
class TaskGraph:
    """The plan's components as tasks, with the plan-internal parents of each."""

    tasks: tuple[ComponentTask, ...]
    parents: Mapping[int, tuple[int, ...]]
    store_root: Path
    #: the fsspec URL of a remote store (``store_root`` is then this machine's mirror)
    store_url: str | None = None


def store_root(nb: Notebook, store: str | None) -> tuple[Path, str | None]:
    """The store as a local folder, and its URL when it is remote.

    A path or ``file://`` URL is used as it is (workers must reach the same folder: one
    machine, or a shared mount); the default is the notebook's cache folder. Any other
    fsspec URL (``s3://bucket/cache``) is remote: each machine works in a local mirror
    (:mod:`link_ls.executors.remote`).
    """
    if nb.path is None:
        raise ExecutorError("a scaled-out run needs the notebook saved to a file")
    if not store:
        return default_root(Path(nb.path)), None
    if not is_remote(store):
        return local_folder(store), None
    from link_ls.executors.remote import RemoteStore, mirror_root

    name = Path(nb.path).name
    RemoteStore(store, name, CacheStore(mirror_root(store), name))  # protocol known?
    return mirror_root(store), store


def refuse_unsafe(p: Pipeline, plan: RunPlan) -> None:
    """Raise :class:`UnsafePipelineError` if an edge error touches the plan."""
    members = {s.index for s in plan.steps}
    errors = tuple(
        d
        for d in check(p)
        if (d.severity is Severity.ERROR or str(d.code) in EDGE_ERRORS) and d.cell_index in members
    )
    if errors:
        lines = "; ".join(f"cell {d.cell_index + 1} {d.code}: {d.message}" for d in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise UnsafePipelineError(
            f"{p.notebook.display_name}: cannot run components apart while the pipeline "
            f"has edge errors: {lines}{more}",
            errors,
        )


def build_tasks(
    nb: Notebook,
    plan: RunPlan,
    params: Sequence[ParamValue],
    overrides: Mapping[str, Override] | None,
    store: str | None,
    timeout: float | None,
    user: UserKey | None = None,
) -> TaskGraph:
    """Tasks for every plan step, keyed exactly as a serial run keys them, each carrying
    ``user``: the caller's key, which signs and checks every entry the tasks touch."""
    # here, not at the top: Dask workers import this package and need no kernel client
    from link_ls.cache.runner import trust_command

    p = build(nb)
    refuse_unsafe(p, plan)
    if nb.language != "python":
        raise ExecutorError(f"{nb.display_name}: scaled-out runs need a Python notebook")
    root, url = store_root(nb, store)
    assert nb.path is not None  # store_root checked it
    keys = compute_keys(nb, p, effective_parameters(nb, overrides))
    members = [s.index for s in plan.steps]
    rank = {idx: i for i, idx in enumerate(members)}
    code = parameters_code(params)
    # a remote store is trusted where every machine reads it: at its URL
    trust = tuple(trust_command(Path(nb.path), str(root) if store else None, url))
    tasks: list[ComponentTask] = []
    parents: dict[int, tuple[int, ...]] = {}
    for step in plan.steps:
        idx = step.index
        a = p.analyses[idx]
        ancestors = _suppliers(p, idx, rank)
        tasks.append(
            ComponentTask(
                index=idx,
                node=str(step.node),
                name=step.name,
                source=p.cell(idx).source,
                key=keys[idx],
                ancestors=tuple((p.cell(x).name, keys[x]) for x in ancestors),
                provides=tuple(sorted(a.provides)),
                deletes=tuple(sorted(a.deletes)),
                parameters_code=code,
                store_root=str(root),
                notebook=Path(nb.path).name,
                language=nb.language,
                cwd=str(Path(nb.path).absolute().parent),
                timeout=timeout,
                store_url=url,
                user=user,
                trust_command=trust,
            )
        )
        parents[idx] = tuple(x for x in p.parents(idx) if x in rank)
    return TaskGraph(tuple(tasks), parents, root, url)


def _suppliers(p: Pipeline, idx: int, rank: Mapping[int, int]) -> list[int]:
    """The ancestors whose entries a component needs, in pipeline order.

    Those that provide, mutate or delete a name it reads or mutates — every one of them,
    not only the latest, since an entry may record a name as absent (a branch not taken)
    and then the earlier value is the one a serial run would see — and those whose
    definitions are unknown (``exec``, star imports). A component whose own reads are
    unknown gets every ancestor. Restoring in pipeline order leaves what one kernel would.
    """
    ancestors = sorted((x for x in p.ancestors(idx) if x in rank), key=rank.__getitem__)
    a = p.analyses[idx]
    if a.unknown:
        return ancestors
    wanted = a.reads | a.mutations
    out = []
    for x in ancestors:
        b = p.analyses[x]
        if b.unknown or wanted & (b.provides | b.deletes):
            out.append(x)
    return out
