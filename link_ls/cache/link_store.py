"""One component of Link's disk cache: its two python-diskcache stores, read and written safely.

Verified against the real Link 2.7.0 (``mrx_link_core.components.code_cell``), a
component's cache folder ``component-<id>/`` holds:

``cache.db`` (a diskcache ``Cache``), keys
    ``status``            ``MRXLinkDiskcacheStatus`` (a ``str`` enum); Link loads the
                          component only when it equals ``"cached"``
    ``identifier``        the component id; must equal the component's id
    ``code``              the component's code; must equal its current code exactly
    ``module_statements`` ``{name: "__import__('math', fromlist=[''])"}`` for modules
    ``last_output``       the value of the cell's last expression
    ``captured``          ``[MRXLinkCapturedModel]``: the outputs (stream pieces, displays)
    ``outputs_summary``   ``MRXLinkComponentOutputsSummaryModel`` (objects, functions, …)

``non_module_outputs/cache.db`` (a diskcache ``Cache``)
    every non-module variable visible after the component ran — its own and
    everything it inherited from its ancestors — name → value (pickled by
    diskcache with protocol 5; values over 32 KiB live in ``xx/yy/<hex>.val`` files
    beside the database).

Nothing here unpickles a variable in this process: :class:`RawDisk` hands back the
pickle bytes as they are stored, and Link's own metadata (``status``,
``captured``) is read with an unpickler that only knows Link's three model
classes and builds inert stand-ins for them. Writing goes the other way: bytes
that are already a pickle are stored as diskcache's pickle mode, unchanged.
"""

from __future__ import annotations

import ast
import functools
import importlib
import io
import os
import pickle
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diskcache  # type: ignore[import-untyped]

from link_ls.cache.errors import ArchiveError

NON_MODULE_OUTPUTS = "non_module_outputs"
DB_NAME = "cache.db"
#: what Link's CodeCell writes for a cached component (a ``str`` enum value)
CACHED = "cached"
#: Link's own settings for a component store (size_limit is 256 GiB in Link 2.7)
LINK_SETTINGS: dict[str, Any] = {**diskcache.DEFAULT_SETTINGS, "size_limit": 1 << 38}
#: reading must never evict: culling would delete what is being imported
_READ_SETTINGS: dict[str, Any] = {**LINK_SETTINGS, "eviction_policy": "none"}
_KNOWN_SETTINGS = frozenset(diskcache.DEFAULT_SETTINGS) | frozenset(diskcache.core.METADATA)
_VAL_FILE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{28}\.val$")
_SETTING_TEXT = re.compile(r"^[A-Za-z0-9_-]{0,40}$")


@dataclass(frozen=True)
class Pickled:
    """A value that is already a pickle: stored and fetched as its bytes, never loaded here."""

    data: bytes


class RawDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache's Disk that returns pickled values as :class:`Pickled` bytes and stores them so.

    File names come from the database, which came from an archive: a name that is
    not diskcache's own ``xx/yy/<28 hex>.val`` shape is refused before any file is
    opened, so a crafted row cannot read outside the store.
    """

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if filename is not None and not _VAL_FILE.match(filename):
            raise ArchiveError(f"diskcache row points at an unexpected file {filename!r}")
        if mode == diskcache.core.MODE_PICKLE:
            if value is None:
                if filename is None:
                    raise ArchiveError("diskcache row has neither a value nor a file")
                with open(os.path.join(self._directory, filename), "rb") as f:
                    return Pickled(f.read())
            return Pickled(bytes(value))
        return super().fetch(mode, filename, value, read)

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if not isinstance(value, Pickled):
            return super().store(value, read, key=key)
        data = value.data
        if len(data) < self.min_file_size:
            return 0, diskcache.core.MODE_PICKLE, None, sqlite3.Binary(data)
        filename, full_path = self.filename(key, value)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        with open(full_path, "xb") as f:
            f.write(data)
        return len(data), diskcache.core.MODE_PICKLE, filename, None


@functools.cache
def _diskcache_triggers() -> frozenset[tuple[str, str, str]]:
    """The triggers and views diskcache itself creates (read from a fresh, empty store)."""
    with tempfile.TemporaryDirectory() as tmp:
        with diskcache.Cache(tmp, **LINK_SETTINGS):
            pass
        return frozenset(_schema_objects(Path(tmp) / DB_NAME))


def _schema_objects(db: Path) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        return [
            (str(t), str(n), str(q))
            for t, n, q in con.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')"
            )
        ]
    finally:
        con.close()


def _check_settings(db: Path) -> None:
    """Refuse a database diskcache would run foreign SQL for: unknown settings become
    PRAGMAs or arguments, and a trigger or view that is not diskcache's own would run
    on every write diskcache makes."""
    try:
        con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT key, value FROM Settings").fetchall()
        finally:
            con.close()
        foreign = set(_schema_objects(db)) - _diskcache_triggers()
    except sqlite3.Error as e:
        raise ArchiveError(f"{db.name} is not a diskcache database ({e})") from None
    if foreign:
        kind, name, _ = sorted(foreign)[0]
        raise ArchiveError(f"{db.name} has a {kind} {name!r} that diskcache does not make")
    for key, value in rows:
        if key not in _KNOWN_SETTINGS:
            raise ArchiveError(f"{db.name} has an unknown diskcache setting {key!r}")
        if isinstance(value, str) and not _SETTING_TEXT.match(value):
            raise ArchiveError(f"{db.name} has an unexpected value for setting {key!r}")
        if not isinstance(value, (int, float, str)):
            raise ArchiveError(f"{db.name} has an unexpected value for setting {key!r}")


def open_store(folder: Path, *, create: bool = False) -> diskcache.Cache:
    """A diskcache ``Cache`` over ``folder`` with :class:`RawDisk` (settings checked first)."""
    if not create:
        db = folder / DB_NAME
        if not db.is_file():
            raise ArchiveError(f"{folder.name}: no {DB_NAME}")
        _check_settings(db)
    settings = LINK_SETTINGS if create else _READ_SETTINGS
    try:
        return diskcache.Cache(str(folder), disk=RawDisk, **settings)
    except (sqlite3.Error, OSError) as e:
        raise ArchiveError(f"{folder.name}: cannot open the diskcache store ({e})") from None


# -- Link's own metadata, read without importing Link -------------------------------


class _Model:
    """Inert stand-in for a pickled pydantic model of Link: keeps its field values."""

    fields: dict[str, Any]

    def __setstate__(self, state: Any) -> None:
        d = state.get("__dict__") if isinstance(state, dict) else None
        self.fields = dict(d) if isinstance(d, dict) else {}


def _status(value: Any) -> str:
    return str(value)


_LINK_CLASSES: dict[tuple[str, str], Any] = {
    ("mrx_link_core.misc.models.captured", "MRXLinkCapturedModel"): _Model,
    ("mrx_link_core.misc.models.component", "MRXLinkComponentOutputsSummaryModel"): _Model,
    ("mrx_link_core.misc.enums.diskcache_status", "MRXLinkDiskcacheStatus"): _status,
}


class _LinkUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _LINK_CLASSES.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not one of Link's cache models")
        return found


def load_link_metadata(value: Any) -> Any:
    """A metadata value of Link's ``cache.db``: plain data, or a pickle of Link's models."""
    if not isinstance(value, Pickled):
        return value
    try:
        return _LinkUnpickler(io.BytesIO(value.data)).load()
    except Exception as e:  # any malformed pickle: a bad archive, not a crash
        raise ArchiveError(f"unreadable Link cache metadata ({type(e).__name__}: {e})") from None


def captured_to_outputs(captured: Any) -> list[dict[str, Any]]:
    """Link's captured pieces as nbformat outputs (adjacent stream pieces joined)."""
    if not isinstance(captured, list):
        return []
    out: list[dict[str, Any]] = []
    for item in captured:
        f = item.fields if isinstance(item, _Model) else item
        if not isinstance(f, Mapping):
            continue
        kind = f.get("type")
        if kind == "stream" and isinstance(f.get("text"), str):
            name = str(f.get("name") or "stdout").strip("<>")
            if out and out[-1]["output_type"] == "stream" and out[-1]["name"] == name:
                out[-1]["text"] += f["text"]
            else:
                out.append({"output_type": "stream", "name": name, "text": f["text"]})
        elif kind in ("display_data", "execute_result") and isinstance(f.get("data"), Mapping):
            o: dict[str, Any] = {
                "output_type": kind,
                "data": dict(f["data"]),
                "metadata": dict(f.get("metadata") or {}),
            }
            if kind == "execute_result":
                o["execution_count"] = f.get("execution_count")
            out.append(o)
    return out


def outputs_to_captured(outputs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """nbformat outputs in the shape of Link's ``MRXLinkCapturedModel`` (plain dicts).

    Link 2.7 loads a component whose ``captured`` holds plain dicts; pydantic turns
    them into its models when the pipeline is shown.
    """
    out: list[dict[str, Any]] = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            out.append({"type": "stream", "name": o.get("name", "stdout"), "text": o.get("text")})
        elif kind in ("display_data", "execute_result"):
            c: dict[str, Any] = {
                "type": kind,
                "data": dict(o.get("data") or {}),
                "metadata": dict(o.get("metadata") or {}),
                "transient": {},
            }
            if kind == "execute_result":
                c["execution_count"] = o.get("execution_count")
            out.append(c)
    return out


# -- module statements <-> pickles --------------------------------------------------


def _module_ref(module: str, attr: str | None) -> bytes:
    """A pickle that imports ``module`` (and takes ``attr`` from it) when loaded."""

    class _Import:
        def __reduce__(self) -> tuple[Any, tuple[str]]:
            return importlib.import_module, (module,)

    class _Attr:
        def __reduce__(self) -> tuple[Any, tuple[Any, str]]:
            return getattr, (_Import(), attr or "")

    return pickle.dumps(_Attr() if attr else _Import(), protocol=5)


def module_statement_pickle(statement: str) -> bytes | None:
    """Link's module statement as a pickle that re-imports it; None for a shape we do not know.

    Link writes ``__import__('pkg.mod', fromlist=[''])`` (``import pkg.mod as x``) and
    wraps it in ``getattr(…, 'name')`` for ``from pkg import name``. The statement is
    parsed, never evaluated.
    """
    try:
        node = ast.parse(statement.strip(), mode="eval").body
    except SyntaxError:
        return None
    attr: str | None = None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        attr = node.args[1].value
        node = node.args[0]
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "__import__"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return None
    module = node.args[0].value
    if not re.match(r"^[A-Za-z_][\w.]*$", module) or (attr and not attr.isidentifier()):
        return None
    return _module_ref(module, attr)


# -- reading a component ------------------------------------------------------------


@dataclass(frozen=True)
class LinkComponentCache:
    """What one of Link's component folders holds, with variables still as pickle bytes."""

    status: str
    identifier: str
    code: str
    outputs: tuple[dict[str, Any], ...]
    variables: Mapping[str, bytes]
    modules: Mapping[str, str]


def _as_pickle(value: Any) -> bytes:
    if isinstance(value, Pickled):
        return value.data
    # diskcache keeps int, float, str and bytes unpickled: pickling them here is safe
    return pickle.dumps(value, protocol=5)


def _items(cache: diskcache.Cache) -> Iterator[tuple[str, Any]]:
    for key in list(cache.iterkeys()):
        if isinstance(key, str):
            yield key, cache.get(key)


def read_component(folder: Path) -> LinkComponentCache:
    """Read one ``component-<id>/`` folder (already extracted to a private place)."""
    with open_store(folder) as main:
        meta = dict(_items(main))
    status = load_link_metadata(meta.get("status"))
    identifier, code = meta.get("identifier"), meta.get("code")
    if not isinstance(identifier, str) or not isinstance(code, str):
        raise ArchiveError(f"{folder.name}: {DB_NAME} lacks the component's identifier or code")
    modules = load_link_metadata(meta.get("module_statements"))
    if not isinstance(modules, dict):
        modules = {}
    outputs = captured_to_outputs(load_link_metadata(meta.get("captured")))
    last = meta.get("last_output")
    if (
        last is not None
        and not isinstance(last, Pickled)
        and not any(o["output_type"] == "execute_result" for o in outputs)
    ):
        # Link shows the last expression apart from the captured output; a plain value
        # (kept unpickled by diskcache) becomes the execute_result a kernel would give
        outputs.append(
            {
                "output_type": "execute_result",
                "data": {"text/plain": repr(last)},
                "metadata": {},
                "execution_count": None,
            }
        )
    sub = folder / NON_MODULE_OUTPUTS
    variables: dict[str, bytes] = {}
    if (sub / DB_NAME).is_file():
        with open_store(sub) as nmo:
            variables = {k: _as_pickle(v) for k, v in _items(nmo)}
    return LinkComponentCache(
        status=str(status),
        identifier=identifier,
        code=code,
        outputs=tuple(outputs),
        variables=variables,
        modules={str(k): str(v) for k, v in modules.items()},
    )


def write_component(
    folder: Path,
    *,
    identifier: str,
    code: str,
    outputs: Sequence[Mapping[str, Any]],
    variables: Mapping[str, bytes],
) -> None:
    """Write one ``component-<id>/`` folder the way Link 2.7 loads it."""
    folder.mkdir(parents=True, exist_ok=False)
    with open_store(folder, create=True) as main:
        main.set("status", CACHED)
        main.set("identifier", identifier)
        main.set("code", code)
        main.set("module_statements", Pickled(pickle.dumps({}, protocol=5)))
        main.set("last_output", Pickled(pickle.dumps(None, protocol=5)))
        main.set("captured", Pickled(pickle.dumps(outputs_to_captured(outputs), protocol=5)))
        summary = {"objects": sorted(variables), "functions": [], "classes": [], "modules": []}
        main.set("outputs_summary", Pickled(pickle.dumps(summary, protocol=5)))
    with open_store(folder / NON_MODULE_OUTPUTS, create=True) as nmo:
        for name, data in variables.items():
            nmo.set(name, Pickled(data))
