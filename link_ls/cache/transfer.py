"""Moving a component's state between the kernel and the store: save after a run, restore.

Both directions go through the kernel's ``run_silent`` and the snippets in
:mod:`link_ls.cache.snippets`; this module adds the store side: staging folders,
outputs, manifests, and the all-or-nothing rules.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from link_ls.cache.errors import CacheError, CacheRestoreError, CacheSaveError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import (
    MANIFEST_NAME,
    OUTPUTS_NAME,
    VARS_DIR,
    EntryManifest,
    FileRecord,
    Unserialisable,
    VariableRecord,
)
from link_ls.cache.snippets import (
    StageItem,
    apply_code,
    discard_code,
    parse_result,
    parse_save,
    save_code,
    stage_code,
)
from link_ls.cache.stamps import Stamp, read_stamps, valid_stamp, write_stamps
from link_ls.cache.store import CacheStore, sign_folder, write_json
from link_ls.cache.trust import UserKey, describe_untrusted, load_user_key


class SilentSession(Protocol):
    """What the cache needs from a kernel session (``link_ls.kernel.KernelSession``)."""

    def run_silent(self, code: str, timeout: float | None = None) -> str: ...


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def save_entry(
    store: CacheStore,
    session: SilentSession,
    *,
    key: CacheKey,
    node: str,
    name: str,
    language: str,
    names: Iterable[str],
    deleted: Iterable[str],
    outputs: Sequence[dict[str, Any]],
    timeout: float | None = None,
    user: UserKey | None = None,
) -> EntryManifest:
    """Save a component that just ran: its outputs and its variables, as one new entry.

    The entry is signed with the user's key (``user``, default: the user's own
    key from :func:`~link_ls.cache.trust.load_user_key`), so this user's later runs
    restore it. When a variable cannot be saved, the entry is still written,
    without any variable files and listing what failed, so later runs know it is
    unusable without trying again.
    """
    signer = user or load_user_key()
    try:
        return _save(
            store, session, key, node, name, language, names, deleted, outputs, timeout, signer
        )
    except OSError as e:
        # a full disk, a store folder removed under us: the run goes on, uncached
        raise CacheSaveError(f"{name}: cannot write to {store.root}: {e.strerror or e}") from None


def _save(
    store: CacheStore,
    session: SilentSession,
    key: CacheKey,
    node: str,
    name: str,
    language: str,
    names: Iterable[str],
    deleted: Iterable[str],
    outputs: Sequence[dict[str, Any]],
    timeout: float | None,
    user: UserKey,
) -> EntryManifest:
    with store.staging() as stage:
        try:
            stdout = session.run_silent(save_code(sorted(set(names)), stage), timeout)
            report = parse_save(stdout)
        except CacheError as e:
            raise CacheSaveError(f"{name}: cannot save to the cache: {e}") from None
        except Exception as e:  # the kernel's own error type; keep the kernel layer optional
            raise CacheSaveError(f"{name}: cannot save to the cache: {_one_line(e)}") from None
        variables: tuple[VariableRecord, ...] = ()
        if report.failed:
            # an unusable entry keeps no data: it is a note that says "do not try again"
            shutil.rmtree(stage / VARS_DIR, ignore_errors=True)
        else:
            for s in report.saved:
                path = stage / s.path
                if not path.is_file() or path.stat().st_size != s.size:
                    raise CacheSaveError(f"{name}: the kernel did not write {s.path} completely")
            variables = tuple(
                VariableRecord(s.name, FileRecord(s.path, s.size, s.sha256), s.format)
                for s in report.saved
            )
        out_rec = write_json(stage / OUTPUTS_NAME, list(outputs))
        manifest = EntryManifest(
            key=key,
            notebook=store.notebook,
            node=node,
            name=name,
            language=language,
            created=now_iso(),
            outputs=out_rec,
            variables=variables,
            unserialisable=tuple(Unserialisable(n, err) for n, err in report.failed),
            absent=tuple(sorted(report.absent)),
            deleted=tuple(sorted(set(deleted))),
        )
        signed = write_json(stage / MANIFEST_NAME, manifest.to_json())
        sign_folder(stage, user, (stage / MANIFEST_NAME).read_bytes())
        stamps = {s.path: s.stamp for s in report.saved if s.stamp and variables}
        if stamps:
            write_stamps(stage, user, signed.sha256, stamps)
        store.commit(stage, key)
    return manifest


def stage_entries(
    store: CacheStore,
    session: SilentSession,
    manifests: Sequence[EntryManifest],
    timeout: float | None = None,
    user: UserKey | None = None,
    *,
    fresh: bool = False,
) -> dict[CacheKey, str]:
    """Check and load entries inside the kernel, ready to apply; returns failures by key.

    Only an entry whose manifest carries the user's valid signature (``user``,
    default: the user's own key) and says exactly what ``manifests`` says is sent
    to the kernel; any other fails here, before a byte of it is loaded. The kernel
    then checks each file's sha256 (from the signed manifest) before loading it.

    Staging loads everything a run will restore before the run executes anything,
    so a file that does not load (a missing module, a damaged file) is found
    while the plan can still change, and a failed entry never half-assigns names.
    ``fresh`` drops what an earlier run left staged, in the same kernel message.
    """
    failed, _ = stage_and_apply(store, session, manifests, timeout, user, fresh=fresh)
    return failed


def stage_and_apply(
    store: CacheStore,
    session: SilentSession,
    manifests: Sequence[EntryManifest],
    timeout: float | None = None,
    user: UserKey | None = None,
    *,
    fresh: bool = False,
    apply: Sequence[CacheKey] = (),
) -> tuple[dict[CacheKey, str], bool]:
    """:func:`stage_entries`, then assign ``apply`` (in order) in the same kernel message.

    The keys in ``apply`` are assigned only when every entry staged (the second
    value says whether they were); otherwise nothing is assigned and each is left
    to :func:`apply_entry`, as after :func:`stage_entries`.
    """
    signer = user or load_user_key()
    failed: dict[CacheKey, str] = {}
    items: list[StageItem] = []
    stamps: dict[str, Stamp] = {}
    #: per entry: its folder, manifest digest, stamps and variable files (to add fresh stamps)
    known: list[_Stamped] = []
    for m in manifests:
        if not m.usable:
            failed[m.key] = "cannot serialise " + ", ".join(u.name for u in m.unserialisable)
            continue
        t = store.entry_trust(m.key, signer)
        if t is None or t.manifest != m:
            failed[m.key] = "its manifest changed or vanished since it was checked"
            continue
        if not t.trusted:
            failed[m.key] = "not trusted: " + describe_untrusted(t.state, t.origin)
            continue
        base = store.entry_dir(m.key)
        files = [
            (v.name, base / v.file.path, v.file.size, v.file.sha256, v.format) for v in m.variables
        ]
        items.append((m.key, files, m.deleted))
        have = read_stamps(base, signer, t.manifest_sha256)
        stamps.update((str(base / rel), s) for rel, s in have.items())
        known.append((base, t.manifest_sha256, have, [v.file.path for v in m.variables]))
    if not items:
        if fresh:
            discard_staged(session, timeout)
        return failed, False
    keys = {m.key for m in manifests}
    wanted = list(apply) if not failed and all(k in keys for k in apply) else []
    try:
        code = stage_code(items, fresh=fresh, apply=wanted, stamps=stamps)
        data = parse_result(session.run_silent(code, timeout))
    except Exception as e:
        raise CacheRestoreError(f"cannot restore from the cache: {_one_line(e)}") from None
    _add_stamps(signer, known, data.get("stamps"))
    reported = data.get("failed")
    if isinstance(reported, dict):
        for key, why in reported.items():
            failed[CacheKey(str(key))] = str(why)
    applied = bool(wanted) and not failed and data.get("applied") == wanted
    return failed, applied


_Stamped = tuple[Path, str, dict[str, Stamp], list[str]]


def _add_stamps(user: UserKey, known: Sequence[_Stamped], reported: Any) -> None:
    """Write the stamps of files the kernel just checked by hash, for the next restore."""
    if not isinstance(reported, dict) or not reported:
        return
    for base, digest, have, rels in known:
        fresh = {}
        for rel in rels:
            s = valid_stamp(reported.get(str(base / rel)))
            if s is not None and have.get(rel) != s:
                fresh[rel] = s
        if fresh:
            write_stamps(base, user, digest, {**have, **fresh})


def apply_entry(session: SilentSession, m: EntryManifest, timeout: float | None = None) -> None:
    """Assign a staged entry's variables in the user namespace."""
    try:
        parse_result(session.run_silent(apply_code(m.key), timeout))
    except Exception as e:
        raise CacheRestoreError(
            f"{m.name}: cannot restore from the cache: {_one_line(e)}"
        ) from None


def discard_staged(session: SilentSession, timeout: float | None = None) -> None:
    """Drop anything still staged in the kernel (best effort: the kernel may be gone)."""
    with contextlib.suppress(Exception):
        session.run_silent(discard_code(), timeout)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[-1] if text else type(e).__name__
