"""Code run inside the kernel to save and restore variables, and parsing of what it prints.

The kernel's own Python writes each variable to its own file — NumPy arrays as
``.npy``, DataFrames as Parquet, JSON-able built-ins as JSON, the rest with
cloudpickle — and hashes the bytes it wrote; the language server process never
unpickles anything. Each snippet defines one helper, calls it and deletes it, so the user's
namespace is left as it was, and prints one marked JSON line as its result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.stamps import Stamp, valid_stamp

MARKER = "__LINK_LS_CACHE__ "

_SAVE = Template(r"""
def __link_ls_cache_save(ns, names, folder):
    import hashlib, io, json, math, os, sys, types
    try:
        import cloudpickle
    except ImportError:
        raise RuntimeError("cloudpickle is not installed in this kernel") from None

    class Sink:
        # hashes exactly what it writes (a large array goes out in chunks, never copied whole)
        def __init__(self, f):
            self.f, self.h, self.n = f, hashlib.sha256(), 0

        def write(self, b):
            self.h.update(b)
            self.n += len(b)
            return self.f.write(b)

        def flush(self):
            self.f.flush()

    limit = [${json_limit}]

    def jsonable(v, seen, depth):
        # exact round trip only: no tuples, no non-str keys, no NaN, no shared or cyclic parts
        t = type(v)
        limit[0] -= 1
        if limit[0] < 0:
            return False
        if t is str or t is bool or t is int or v is None:
            return True
        if t is float:
            return math.isfinite(v)
        if (t is not list and t is not dict) or depth > 100 or id(v) in seen:
            return False
        seen.add(id(v))
        if t is list:
            return all(jsonable(x, seen, depth + 1) for x in v)
        return all(type(k) is str and jsonable(x, seen, depth + 1) for k, x in v.items())

    def parquet_ready():
        try:
            import pyarrow
        except ImportError:
            return False
        # pyarrow before 14.0.1 could unpickle while reading a file (CVE-2023-47248)
        parts = [int(x) for x in pyarrow.__version__.split(".")[:3] if x.isdigit()]
        return parts >= [14, 0, 1]

    def encode(value, f):
        # the safe formats first; any problem falls back to cloudpickle
        t = type(value)
        if t is types.ModuleType and sys.modules.get(value.__name__) is value:
            f.write(json.dumps({"module": value.__name__}).encode("utf-8"))
            return "module"
        np = sys.modules.get("numpy")
        pd = sys.modules.get("pandas")
        try:
            if np is not None and t is np.ndarray and not value.dtype.hasobject:
                np.save(f, value, allow_pickle=False)
                return "npy"
            if pd is not None and t is pd.DataFrame and not value.attrs and parquet_ready():
                buf = io.BytesIO()
                value.to_parquet(buf)
                back = pd.read_parquet(io.BytesIO(buf.getvalue()))
                pd.testing.assert_frame_equal(value, back, check_exact=True,
                                              check_index_type=True, check_column_type=True)
                f.write(buf.getvalue())
                return "parquet"
            limit[0] = ${json_limit}
            if jsonable(value, set(), 0):
                f.write(json.dumps(value, ensure_ascii=False, allow_nan=False)
                        .encode("utf-8", "surrogatepass"))
                return "json"
        except Exception:
            f.f.seek(0)
            f.f.truncate()
            f.h, f.n = hashlib.sha256(), 0
        f.write(cloudpickle.dumps(value, protocol=5))
        return "pickle"

    def stamp(fd, size):
        # the file as written, after its rename (which sets its ctime): see stamps.py
        st = os.fstat(fd)
        if (not hasattr(os, "getuid") or st.st_uid != os.getuid() or st.st_mode & 0o022
                or st.st_size != size or not st.st_ino):
            return None
        return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]

    ext = {"pickle": "pkl", "npy": "npy", "json": "json", "parquet": "parquet", "module": "mod"}
    saved, failed, absent = [], [], []
    os.makedirs(os.path.join(folder, "vars"), exist_ok=True)
    for i, name in enumerate(names):
        if name not in ns:
            absent.append(name)
            continue
        tmp = os.path.join(folder, "vars", "%03d.tmp" % i)
        try:
            with open(tmp, "wb") as raw:
                sink = Sink(raw)
                fmt = encode(ns[name], sink)
                raw.flush()
                os.fsync(raw.fileno())
                if hasattr(os, "fchmod"):
                    # nobody else may change an entry's data (whatever the umask: 002 is common)
                    os.fchmod(raw.fileno(), os.fstat(raw.fileno()).st_mode & 0o7755)
                rel = "vars/%03d.%s" % (i, ext[fmt])
                os.replace(tmp, os.path.join(folder, rel))
                got = stamp(raw.fileno(), sink.n)
        except BaseException as e:  # anything a __reduce__ raises means "cannot save"
            if isinstance(e, KeyboardInterrupt):
                raise
            if os.path.exists(tmp):
                os.remove(tmp)
            msg = (type(e).__name__ + ": " + str(e)).splitlines()[0][:300]
            failed.append({"name": name, "error": msg})
            continue
        saved.append({"name": name, "path": rel, "size": sink.n, "format": fmt,
                      "sha256": sink.h.hexdigest(), "stamp": got})
    return {"saved": saved, "failed": failed, "absent": absent}
try:
    __link_ls_r = __link_ls_cache_save(globals(), ${names}, ${folder})
    print(${marker} + __import__("json").dumps(__link_ls_r))
    del __link_ls_r
finally:
    del __link_ls_cache_save
""")

_STAGE = Template(r"""
def __link_ls_cache_stage(entries, ns, apply, stamps):
    import hashlib, io, json, os, pickle, sys, types

    def decode(fmt, data):
        # only "pickle" can run code; the others never unpickle
        if fmt == "pickle":
            return pickle.loads(data)
        if fmt == "json":
            return json.loads(data.decode("utf-8", "surrogatepass"))
        if fmt == "module":
            import importlib
            return importlib.import_module(json.loads(data.decode("utf-8"))["module"])
        if fmt == "npy":
            return npy(data)
        if fmt == "parquet":
            import pyarrow
            parts = [int(x) for x in pyarrow.__version__.split(".")[:3] if x.isdigit()]
            if parts < [14, 0, 1]:
                raise RuntimeError("pyarrow %s may unpickle while reading (CVE-2023-47248); "
                                   "14.0.1 or later is needed" % pyarrow.__version__)
            import pandas
            return pandas.read_parquet(io.BytesIO(data))
        raise RuntimeError("unknown variable format %r" % fmt)

    def npy(data):
        # the array is made on the checked buffer itself (no copy of a large payload);
        # numpy.load(allow_pickle=False) for the header versions this does not parse
        import numpy
        fmt = numpy.lib.format
        head = io.BytesIO(bytes(memoryview(data)[:1 << 16]))
        version = fmt.read_magic(head)
        if version not in ((1, 0), (2, 0)):
            return numpy.load(io.BytesIO(data), allow_pickle=False)
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = read(head)
        if dtype.hasobject:
            raise ValueError("an object array needs pickle")
        count = 1
        for n in shape:
            count *= n
        arr = numpy.frombuffer(data, dtype=dtype, count=count, offset=head.tell())
        return arr.reshape(shape, order="F" if fortran else "C")

    def private(f):
        # owned by this user and writable by nobody else: its stamp (see stamps.py), else None
        st = os.fstat(f.fileno())
        if not hasattr(os, "getuid") or st.st_uid != os.getuid() or st.st_mode & 0o022:
            return None
        return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]

    def unchanged(fmt, f):
        # a file that kept the stamp it had when its bytes were checked: loaded straight
        # from the file, as a bare load would
        if fmt == "pickle":
            return pickle.load(f)
        if fmt == "npy":
            import numpy
            return numpy.lib.format.read_array(f, allow_pickle=False)
        return decode(fmt, f.read())

    def hashed(f):
        h, n, buf = hashlib.sha256(), 0, bytearray(1 << 20)
        view = memoryview(buf)
        while True:
            k = f.readinto(buf)
            if not k:
                return n, h.hexdigest()
            h.update(view[:k])
            n += k

    box = sys.modules.get(${box})
    if box is None or ${fresh}:
        box = types.ModuleType(${box})
        box.entries = {}
        sys.modules[${box}] = box
    staged, failed = [], {}
    restamped = {}
    for key, items, deleted in entries:
        loaded, fresh_stamps = {}, {}
        try:
            for name, path, size, digest, fmt in items:
                # every file is checked before anything is loaded from it, and loaded from
                # exactly what was checked: the same bytes in memory, or (a pickle, to spare
                # a copy of a large payload) the same open file when nobody else can change
                # it in place (a rename cannot touch an open file); a private file that
                # still has the stamp it had when it was last checked needs no new hash
                with open(path, "rb") as f:
                    now = private(f)
                    if now is not None and now[2] == size and now == stamps.get(path):
                        load = lambda: unchanged(fmt, f)
                    elif fmt == "pickle" and now is not None:
                        if hashed(f) != (size, digest):
                            raise RuntimeError("file for %r does not match its manifest" % name)
                        f.seek(0)
                        load = lambda: pickle.load(f)
                    else:
                        data = bytearray(size)  # writable: an array can live on it
                        got = f.readinto(data)
                        while got < size:
                            k = f.readinto(memoryview(data)[got:])
                            if not k:
                                break
                            got += k
                        if got != size or f.read(1) or hashlib.sha256(data).hexdigest() != digest:
                            raise RuntimeError("file for %r does not match its manifest" % name)
                        load = lambda: decode(fmt, data)
                    try:
                        value = load()
                    except Exception as e:
                        raise RuntimeError("cannot load %r: %s: %s"
                                           % (name, type(e).__name__, e)) from None
                    data = load = None
                    if now is not None and now != stamps.get(path) and private(f) == now:
                        fresh_stamps[path] = now  # checked just now, unchanged meanwhile
                loaded[name] = value
                del value
        except Exception as e:
            failed[key] = (str(e).splitlines() or [type(e).__name__])[0][:300]
            continue
        box.entries[key] = (loaded, list(deleted))
        staged.append(key)
        restamped.update(fresh_stamps)
    if not apply or failed:
        return {"staged": staged, "failed": failed, "stamps": restamped}
    # every entry staged: assign the leading ones now (in order, deletes first), as
    # _APPLY would one message each
    for key in apply:
        loaded, deleted = box.entries.pop(key)
        for name in deleted:
            ns.pop(name, None)
        ns.update(loaded)
    if not box.entries:
        del sys.modules[${box}]
    return {"staged": staged, "failed": failed, "applied": list(apply), "stamps": restamped}
try:
    print(${marker} + __import__("json").dumps(__link_ls_cache_stage(${entries}, globals(),
                                                                      ${apply}, ${stamps})))
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


#: a list or dict of more elements than this is pickled (checking it would cost more)
JSON_ELEMENT_LIMIT = 1_000_000


@dataclass(frozen=True)
class SavedVariable:
    name: str
    path: str
    size: int
    sha256: str
    format: str = "pickle"
    #: the file as the kernel left it (see :mod:`link_ls.cache.stamps`); None: not private
    stamp: Stamp | None = None


@dataclass(frozen=True)
class SaveReport:
    """What the kernel saved, what it could not, and which names did not exist."""

    saved: tuple[SavedVariable, ...]
    failed: tuple[tuple[str, str], ...]
    absent: tuple[str, ...]


def save_code(names: Sequence[str], folder: Path) -> str:
    """Code that saves ``names`` from the kernel namespace into ``folder/vars/NNN.<ext>``.

    Each value goes in the first format that gives it back exactly: a module as
    its name (imported again), a NumPy array without objects as ``.npy``, a pandas
    DataFrame as Parquet (pyarrow 14.0.1 or later, checked by reading it back),
    JSON-able built-ins as ``.json``; anything else is pickled with cloudpickle.
    """
    # Template substitutes in one pass, so a name or path can never be re-substituted
    return _SAVE.substitute(
        marker=repr(MARKER),
        names=repr(list(names)),
        folder=repr(str(folder)),
        json_limit=JSON_ELEMENT_LIMIT,
    )


#: one entry to stage: key, [(name, file, size, sha256, format)], names the component deletes
StageItem = tuple[str, Sequence[tuple[str, Path, int, str, str]], Sequence[str]]


def stage_code(
    entries: Sequence[StageItem],
    *,
    fresh: bool = False,
    apply: Sequence[str] = (),
    stamps: Mapping[str, Stamp] | None = None,
) -> str:
    """Code that checks and loads entries into a private module, touching no user name.

    Each file's size and sha256 are checked before it is loaded, and what is
    loaded is exactly what was checked: the same bytes, read once into memory, or —
    for a pickle owned by this user and writable by nobody else — the same open
    file, read again (no second copy of a large payload; a rename cannot touch an
    open file, and nobody else can write into it). So a changed file is never
    unpickled. An entry fails as a whole
    (reported by key) when any of its files does not match or does not load.
    ``fresh`` first drops whatever an earlier, stopped run left staged (in the same
    kernel message, sparing :func:`discard_code`'s round trip).

    ``apply``: keys (all among ``entries``) to move into the user namespace, in
    order, as :func:`apply_code` would, in the same message — only when every entry
    staged; the result then lists them under ``"applied"``.
    ``stamps``: by file path, the stamp a file had when it was last checked (signed,
    see :mod:`link_ls.cache.stamps`); a private file that still has it is loaded
    without hashing it again. The result lists under ``"stamps"`` (by path) the
    private files of staged entries that were hashed, with their stamp.
    ``cloudpickle`` output is read with plain ``pickle``, as cloudpickle intends
    (objects pickled by value still need the ``cloudpickle`` package importable in
    the kernel, as do the modules they reference).
    """
    flat = [
        (key, [(n, str(p), size, digest, fmt) for n, p, size, digest, fmt in items], list(deleted))
        for key, items, deleted in entries
    ]
    return _STAGE.substitute(
        marker=repr(MARKER),
        box=repr(STAGING_MODULE),
        entries=repr(flat),
        fresh=repr(fresh),
        apply=repr([str(k) for k in apply]),
        stamps=repr({str(p): list(s) for p, s in (stamps or {}).items()}),
    )


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
            SavedVariable(
                str(s["name"]),
                str(s["path"]),
                int(s["size"]),
                str(s["sha256"]),
                str(s.get("format", "pickle")),
                valid_stamp(s.get("stamp")),
            )
            for s in data["saved"]
        )
        failed = tuple((str(f["name"]), str(f["error"])) for f in data["failed"])
        absent = tuple(str(a) for a in data["absent"])
    except (KeyError, TypeError, ValueError):
        raise CacheError("the kernel reported a malformed cache result") from None
    return SaveReport(saved, failed, absent)
