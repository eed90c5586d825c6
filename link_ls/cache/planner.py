"""Which plan steps to restore from the cache, execute, or skip — a pure decision.

The rule (DESIGN §4): walk the plan backwards from what must exist at the end
(the target, or every step for "run all"). A needed step with a usable entry is
restored; a needed step without one is executed, and then everything it reads
from upstream is needed too: its graph parents, and for every name it reads, the
nearest earlier step in the plan that provides that name. A step nobody needs is
skipped. So a restored step stops the walk, an upstream edit (new Merkle key, no
entry) pulls execution down to the target, and every name an executing step reads
is supplied by a step that is restored or executed before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from link_ls.pipeline import Pipeline


class Disposition(str, Enum):
    RESTORE = "restore"
    EXECUTE = "execute"
    SKIP = "skip"


def _provider(
    p: Pipeline,
    steps: Sequence[int],
    pos: int,
    name: str,
    restorable: Mapping[int, frozenset[str]],
) -> int | None:
    """The nearest step before ``steps[pos]`` that leaves ``name`` set, or one that may."""
    for earlier in reversed(steps[:pos]):
        a = p.analyses.get(earlier)
        if a is None:
            continue
        if a.unknown:
            return earlier  # a star import or exec may define anything: keep it
        if name in a.provides or name in a.deletes:
            absent = restorable.get(earlier)
            if absent is not None and name in absent:
                continue  # its entry says the name was not set: look further up
            return earlier
    return None


def decide_steps(
    p: Pipeline,
    steps: Sequence[int],
    required: Iterable[int],
    restorable: Mapping[int, frozenset[str]],
) -> dict[int, Disposition]:
    """Disposition of every step (cell indexes in plan order).

    ``restorable`` maps each step with a usable cache entry to the names its entry
    records as absent; ``required`` are the steps whose result the user asked for.
    """
    in_plan = set(steps)
    position = {s: i for i, s in enumerate(steps)}
    need = set(required) & in_plan
    out: dict[int, Disposition] = {}
    for pos in range(len(steps) - 1, -1, -1):
        step = steps[pos]
        if step not in need:
            out[step] = Disposition.SKIP
            continue
        if step in restorable:
            out[step] = Disposition.RESTORE
            continue
        out[step] = Disposition.EXECUTE
        need.update(par for par in p.parents(step) if par in in_plan)
        a = p.analyses.get(step)
        if a is None:
            continue
        for name in sorted(a.reads | a.mutations):
            src = _provider(p, steps, pos, name, restorable)
            if src is not None and position[src] < pos:
                need.add(src)
    return {s: out[s] for s in steps}
