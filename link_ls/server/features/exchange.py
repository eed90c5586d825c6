"""link.export and link.import: pipelines and components as JSON files (docs/pipeline-format.md).

Export reads the notebook as the editor has it (or the file) and returns the
file's JSON, writing it too when ``output`` is given. Import is planned by the
core before anything changes; then

- an open text document gets a ``WorkspaceEdit`` (sent with ``workspace/applyEdit``);
- an open notebook document gets nothing written: the result (``ImportResult``'s
  JSON: insert ``cells`` at ``insertAt``, set the parameters when
  ``parametersChanged``) *is* the edit its client applies;
- a notebook that is not open is written (atomically; a new ``.ipynb`` is created).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from link_ls.errors import UsageError
from link_ls.server.args import argument, path_of
from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.server.snapshot import Snapshot


def _refs(a: dict[str, Any]) -> list[str] | None:
    refs = a.get("cells")
    if refs is None:
        return None
    if not isinstance(refs, list) or not all(isinstance(r, (str, int)) for r in refs):
        raise UsageError("'cells' must be a list of cell references")
    return [str(r) for r in refs]


def _pipeline(a: dict[str, Any]) -> Any:
    from link_ls.exchange import load_pipeline, parse_pipeline

    if a.get("data") is not None:
        return parse_pipeline(a["data"], "data")
    if a.get("file") is None:
        raise UsageError("argument needs 'file' (a pipeline JSON file) or 'data' (its JSON)")
    return load_pipeline(path_of(a["file"], "file", needed=False))


def _options(a: dict[str, Any]) -> Any:
    from link_ls.exchange import ImportOptions

    after = a.get("after")
    if after is not None and not isinstance(after, (str, int)):
        raise UsageError("'after' must be a cell reference")
    return ImportOptions(
        None if after is None else str(after),
        a.get("overwriteParameters") is True,
        a.get("linkExisting") is True,
    )


async def link_export(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.exchange import FORMATS, collect, dumps_pipeline, to_json
    from link_ls.notebook.formats import atomic_write_text
    from link_ls.server.workspace import notebook_for

    a = argument(args)
    nb, _ = notebook_for(ls, a["uri"])
    fmt = str(a.get("format", "link-ls"))
    if fmt not in FORMATS:
        raise UsageError(f"'format' must be one of {', '.join(FORMATS)}")
    pipe = collect(nb, _refs(a), a.get("withAncestors") is True)
    text = dumps_pipeline(pipe, fmt, nb.display_name)
    output = None
    if a.get("output") is not None:
        out = path_of(a["output"], "output", needed=False)
        if out.is_dir() or not out.parent.is_dir():
            raise UsageError(f"{out}: not a file in an existing folder")
        atomic_write_text(out, text)
        output = str(out)
    # a script is text; the JSON formats also come back parsed, for clients that show them
    data = None if fmt == "py" else to_json(pipe, fmt, nb.display_name)
    return {"uri": a["uri"], "format": fmt, "output": output, "pipeline": data, "text": text}


async def _import_open(
    ls: LinkServer, a: dict[str, Any], snap: Snapshot, pipe: Any, options: Any
) -> dict[str, Any]:
    """Import into an open document: its client applies the result (or the edit sent)."""
    from link_ls.exchange import apply_import, check_storable, plan_import
    from link_ls.pipeline.edits import working_copy
    from link_ls.server.edits import render
    from link_ls.server.snapshot import DocKind
    from link_ls.server.workspace import deliver

    uri = a["uri"]
    if snap.notebook is None:
        raise UsageError(f"{uri}: {snap.error or 'not a notebook'}")
    result = plan_import(snap.notebook, pipe, options)
    out: dict[str, Any] = {
        "uri": uri,
        **result.to_json(),
        "notebook": snap.path,
        "created": False,
        "written": False,
    }
    if snap.kind is DocKind.NOTEBOOK:
        return {**out, "applied": False, "edit": None}
    if snap.kind is DocKind.VIRTUAL:
        raise UsageError("cannot import into a jupyter-lsp virtual document")
    new = working_copy(snap.notebook)
    apply_import(new, result)
    check_storable(new, result)
    rendered = render(
        snap,
        new,
        document_changes=ls.client.document_changes,
        encoding=ls.store.encoding,
    )
    delivered = await deliver(
        ls, rendered, "import components", apply=a.get("apply", True) is not False
    )
    return {**out, "applied": delivered["applied"], "edit": delivered["edit"]}


async def link_import(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.exchange import apply_import, check_storable, new_notebook, plan_import
    from link_ls.notebook import load, save

    a = argument(args)
    pipe = _pipeline(a)
    options = _options(a)
    uri = a["uri"]
    got = ls.store.get(uri) if ls.store.is_open(uri) else None
    if got is not None:
        return await _import_open(ls, a, got[0], pipe, options)
    path = path_of(uri, "uri", needed=False)
    created = not path.exists()
    if created:
        if path.suffix.lower() != ".ipynb" or not path.parent.is_dir():
            raise UsageError(f"{path}: does not exist; only a new .ipynb can be created")
        nb = new_notebook(pipe)
        nb.path = path
    else:
        nb = load(path)
    result = plan_import(nb, pipe, options)
    apply_import(nb, result)
    check_storable(nb, result)
    await asyncio.to_thread(save, nb, path)
    return {
        "uri": uri,
        **result.to_json(),
        "notebook": str(path),
        "created": created,
        "written": True,
        "applied": False,
        "edit": None,
    }


def register(server: LinkServer) -> None:
    server.command("link.export")(guard(link_export))
    server.command("link.import")(guard(link_import))
