"""One entry point per direction for cache archives, whichever layout: link-ls's own or Link's.

Import recognises the layout from the archive itself; export takes it as an
argument. The CLI and the server call these, so both accept Link's archives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from link_ls.cache.archive import ImportLimits
from link_ls.cache.export import ExportReport, export_cache
from link_ls.cache.importer import ImportReport, import_cache
from link_ls.cache.link_archive import LinkImportReport, import_link_cache, is_link_archive
from link_ls.cache.link_export import LinkExportReport, export_link_cache
from link_ls.cache.store import CacheStore
from link_ls.notebook import Notebook

ArchiveLayout = Literal["link-ls", "link"]
LAYOUTS: tuple[ArchiveLayout, ...] = ("link-ls", "link")


def import_archive(
    archive: Path,
    store: CacheStore,
    nb: Notebook,
    *,
    limits: ImportLimits | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> ImportReport | LinkImportReport:
    """Validate and import a link-ls or a Link cache archive (told apart by its first member)."""
    if is_link_archive(archive):
        return import_link_cache(archive, store, nb, limits=limits, parameters=parameters)
    return import_cache(archive, store, nb, limits=limits, parameters=parameters)


def export_archive(
    nb: Notebook,
    store: CacheStore,
    output: Path,
    *,
    layout: ArchiveLayout = "link-ls",
    cells: Sequence[int] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> ExportReport | LinkExportReport:
    """Write the valid entries as link-ls's archive or as Link's ``-diskcache.tar.gz``."""
    if layout == "link":
        return export_link_cache(nb, store, output, cells=cells, parameters=parameters)
    return export_cache(nb, store, output, cells=cells, parameters=parameters)
