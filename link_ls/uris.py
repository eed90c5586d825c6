"""URIs to paths: the one ``uri_to_path`` for the CLI, the server and the core."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

#: a URI scheme; two letters at least, so a Windows drive (``C:``) stays a path
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def uri_to_path(uri: str) -> Path:
    """The percent-decoded path of a URI (``file:``, ``untitled:``, …), or a plain path as is."""
    if _SCHEME.match(uri):
        return Path(unquote(urlparse(uri).path))
    return Path(uri)
