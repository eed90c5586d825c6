"""The error hierarchy: core code raises these, the CLI and the server translate them."""

from __future__ import annotations


class LinkError(Exception):
    """Base of every error link-ls reports to a user as a one-line message."""

    #: exit code the CLI uses for this error
    exit_code: int = 2


class UsageError(LinkError):
    """The request itself is wrong: a bad option, a bad argument combination."""


class NotebookError(LinkError):
    """A notebook cannot be read, parsed or written."""


class NotebookNotFound(NotebookError):
    """The notebook file does not exist."""


class NotebookFormatError(NotebookError):
    """The file is not a notebook link-ls understands (bad JSON, wrong structure, …)."""


class CellReferenceError(LinkError):
    """A cell reference (name, canvas id, cell id or #N) names no cell or several."""


class PipelineError(LinkError):
    """The pipeline cannot do what was asked (e.g. a plan through a cycle)."""


class WriteError(LinkError):
    """An output file cannot be written (read-only file or folder, a folder in the way, …)."""
