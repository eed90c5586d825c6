"""Use cases: one function per user-visible job, called by the CLI and the server alike.

Each use case composes the core packages below it (pipeline, merge, kernel, cache,
…); the CLI only parses arguments and prints, the server only maps LSP documents
and positions. docs/architecture.md names, per CLI subcommand, its server command
and the use case both call.
"""

from __future__ import annotations

from link_ls.usecases.diagnose import diagnose

__all__ = ["diagnose"]
