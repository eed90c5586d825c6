"""Code run inside the kernel to save and restore variables, and parsing of what it prints.

The kernel's own Python serialises each variable with cloudpickle to its own file
and hashes the bytes it wrote; the language server process never unpickles
anything. Each snippet defines one helper, calls it and deletes it, so the user's
namespace is left as it was, and prints one marked JSON line as its result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from link_ls.cache.errors import CacheError

MARKER = "__LINK_LS_CACHE__ "

_SAVE = Template(r"""
def __link_ls_cache_save(ns, names, folder):
    import hashlib, json, os
    try:
        import cloudpickle
    except ImportError:
        raise RuntimeError("cloudpickle is not installed in this kernel") from None
    saved, failed, absent = [], [], []
    os.makedirs(os.path.join(folder, "vars"), exist_ok=True)
    for i, name in enumerate(names):
        if name not in ns:
            absent.append(name)
            continue
        try:
            data = cloudpickle.dumps(ns[name], protocol=5)
        except BaseException as e:  # anything a __reduce__ raises means "cannot save"
            if isinstance(e, KeyboardInterrupt):
                raise
            msg = (type(e).__name__ + ": " + str(e)).splitlines()[0][:300]
            failed.append({"name": name, "error": msg})
            continue
        rel = "vars/%03d.pkl" % i
        with open(os.path.join(folder, rel), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        saved.append({"name": name, "path": rel, "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()})
        del data
    return {"saved": saved, "failed": failed, "absent": absent}
try:
    __link_ls_r = __link_ls_cache_save(globals(), ${names}, ${folder})
    print(${marker} + __import__("json").dumps(__link_ls_r))
    del __link_ls_r
finally:
    del __link_ls_cache_save
""")

_STAGE = Template(r"""
def __link_ls_cache_stage(entries):
    import hashlib, pickle, sys, types

    class Hashing:
        # unpickle straight from the file (no second copy of a large payload),
        # hashing exactly the bytes the unpickler reads
        def __init__(self, f):
            self.f, self.h, self.n = f, hashlib.sha256(), 0

        def read(self, n=-1):
            b = self.f.read(n)
            self.h.update(b)
            self.n += len(b)
            return b

        def readline(self):
            b = self.f.readline()
            self.h.update(b)
            self.n += len(b)
            return b

        def readinto(self, buf):
            k = self.f.readinto(buf)
            self.h.update(memoryview(buf)[:k])
            self.n += k
            return k

    box = sys.modules.get(${box})
    if box is None:
        box = types.ModuleType(${box})
        box.entries = {}
        sys.modules[${box}] = box
    staged, failed = [], {}
    for key, items, deleted in entries:
        loaded = {}
        try:
            for name, path, size, digest in items:
                with open(path, "rb") as f:
                    src = Hashing(f)
                    try:
                        value = pickle.load(src)
                    except Exception as e:
                        raise RuntimeError("cannot unpickle %r: %s: %s"
                                           % (name, type(e).__name__, e)) from None
                    src.read()  # trailing bytes count too
                if src.n != size or src.h.hexdigest() != digest:
                    raise RuntimeError("file for %r does not match its manifest" % name)
                loaded[name] = value
                del value
        except Exception as e:
            failed[key] = (str(e).splitlines() or [type(e).__name__])[0][:300]
            continue
        box.entries[key] = (loaded, list(deleted))
        staged.append(key)
    return {"staged": staged, "failed": failed}
try:
    print(${marker} + __import__("json").dumps(__link_ls_cache_stage(${entries})))
finally:
    del __link_ls_cache_stage
""")

_APPLY = Template(r"""
def __link_ls_cache_apply(ns, key):
    import sys
    box = sys.modules.get(${box})
    if box is None or key not in box.entries:
        raise RuntimeError("cache entry %s was not staged" % key)
    loaded, deleted = box.entries.pop(key)
    for name in deleted:
        ns.pop(name, None)
    ns.update(loaded)
    if not box.entries:
        del sys.modules[${box}]
    return {"restored": sorted(loaded)}
try:
    print(${marker} + __import__("json").dumps(__link_ls_cache_apply(globals(), ${key})))
finally:
    del __link_ls_cache_apply
""")

_DISCARD = Template(r"""
__import__("sys").modules.pop(${box}, None)
print(${marker} + "{}")
""")

#: a private module in the kernel's ``sys.modules`` holds staged values, not the user namespace
STAGING_MODULE = "_link_ls_cache_staging"


@dataclass(frozen=True)
class SavedVariable:
    name: str
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SaveReport:
    """What the kernel saved, what it could not, and which names did not exist."""

    saved: tuple[SavedVariable, ...]
    failed: tuple[tuple[str, str], ...]
    absent: tuple[str, ...]


def save_code(names: Sequence[str], folder: Path) -> str:
    """Code that pickles ``names`` from the kernel namespace into ``folder/vars/NNN.pkl``."""
    # Template substitutes in one pass, so a name or path can never be re-substituted
    return _SAVE.substitute(marker=repr(MARKER), names=repr(list(names)), folder=repr(str(folder)))


#: one entry to stage: key, [(name, file, size, sha256)], names the component deletes
StageItem = tuple[str, Sequence[tuple[str, Path, int, str]], Sequence[str]]


def stage_code(entries: Sequence[StageItem]) -> str:
    """Code that checks and unpickles entries into a private module, touching no user name.

    An entry fails as a whole (reported by key) when any of its files does not
    match its sha256 or does not unpickle. ``cloudpickle`` output is read with
    plain ``pickle``, as cloudpickle intends (objects pickled by value still need the
    ``cloudpickle`` package importable in the kernel, as do the modules they reference).
    """
    flat = [
        (key, [(n, str(p), size, digest) for n, p, size, digest in items], list(deleted))
        for key, items, deleted in entries
    ]
    return _STAGE.substitute(marker=repr(MARKER), box=repr(STAGING_MODULE), entries=repr(flat))


def apply_code(key: str) -> str:
    """Code that moves one staged entry into the user namespace (deletes first)."""
    return _APPLY.substitute(marker=repr(MARKER), box=repr(STAGING_MODULE), key=repr(key))


def discard_code() -> str:
    """Code that drops whatever is still staged (a run that stopped early)."""
    return _DISCARD.substitute(marker=repr(MARKER), box=repr(STAGING_MODULE))


def parse_result(stdout: str) -> dict[str, Any]:
    """The snippet's JSON result: the last marked line of its stdout."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            try:
                data = json.loads(line[len(MARKER) :])
            except ValueError:
                break
            if isinstance(data, dict):
                return data
            break
    raise CacheError("the kernel did not report a cache result")


def parse_save(stdout: str) -> SaveReport:
    data = parse_result(stdout)
    try:
        saved = tuple(
            SavedVariable(str(s["name"]), str(s["path"]), int(s["size"]), str(s["sha256"]))
            for s in data["saved"]
        )
        failed = tuple((str(f["name"]), str(f["error"])) for f in data["failed"])
        absent = tuple(str(a) for a in data["absent"])
    except (KeyError, TypeError, ValueError):
        raise CacheError("the kernel reported a malformed cache result") from None
    return SaveReport(saved, failed, absent)
