"""The link-ls language server (pygls): documents of every editor mapped onto the core."""

from __future__ import annotations

from link_ls.server.app import create_server, serve

__all__ = ["create_server", "serve"]
