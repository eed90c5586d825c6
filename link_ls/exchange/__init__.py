"""Pipeline and component export/import as JSON: link-ls's own format and Link's file.

Core entry points (the CLI and the server only translate arguments and results):

- :func:`export_pipeline` — a notebook's components as the JSON to write;
- :func:`load_pipeline` / :func:`parse_pipeline` — read and validate a file, either format;
  :func:`file_text` — the exact text to write for :func:`export_pipeline`'s JSON;
- :func:`plan_import` → :class:`ImportResult` — decide an import without touching anything;
  :func:`apply_import` performs it on a notebook; :func:`new_notebook` starts an empty one;
- :func:`dumps_pipeline` with format "py" — the pipeline as a runnable Python script;
- :func:`plan_convert` / :func:`convert` — one file into another by extension
  (``.ipynb``, Link ``.json``, ``.py``), like ``mrx-link convert``.

The formats are documented in ``docs/pipeline-format.md``.
"""

from __future__ import annotations

from link_ls.exchange.convert import Conversion, convert, plan_convert
from link_ls.exchange.errors import (
    ExchangeError,
    ExchangeFormatError,
    ExportError,
    ParameterClashError,
)
from link_ls.exchange.export import collect, export_pipeline, from_notebook
from link_ls.exchange.files import (
    FORMATS,
    dumps_pipeline,
    file_text,
    load_pipeline,
    loads_pipeline,
    parse_pipeline,
    to_json,
)
from link_ls.exchange.importer import (
    ImportedComponent,
    ImportOptions,
    ImportResult,
    OutsideParent,
    apply_import,
    check_storable,
    import_pipeline,
    new_notebook,
    plan_import,
)
from link_ls.exchange.linkls_format import schema
from link_ls.exchange.model import (
    LINK_LS_FORMAT,
    LINK_LS_VERSION,
    DroppedComponent,
    ExchangeComponent,
    ExchangePipeline,
    ExternalParent,
)

__all__ = [
    "FORMATS",
    "LINK_LS_FORMAT",
    "LINK_LS_VERSION",
    "Conversion",
    "DroppedComponent",
    "ExchangeComponent",
    "ExchangeError",
    "ExchangeFormatError",
    "ExchangePipeline",
    "ExportError",
    "ExternalParent",
    "ImportOptions",
    "ImportResult",
    "ImportedComponent",
    "OutsideParent",
    "ParameterClashError",
    "apply_import",
    "check_storable",
    "collect",
    "convert",
    "dumps_pipeline",
    "export_pipeline",
    "file_text",
    "from_notebook",
    "import_pipeline",
    "load_pipeline",
    "loads_pipeline",
    "new_notebook",
    "parse_pipeline",
    "plan_convert",
    "plan_import",
    "schema",
    "to_json",
]
