"""Errors of the exchange package: a bad pipeline file, a clash the user must decide."""

from __future__ import annotations

from link_ls.errors import LinkError


class ExchangeError(LinkError):
    """Export or import cannot proceed; the message names the file and what is wrong."""


class ExchangeFormatError(ExchangeError):
    """The pipeline file is not valid: bad JSON, unknown format/version, schema, graph."""


class ParameterClashError(ExchangeError):
    """Imported parameters differ from the notebook's (without ``--overwrite-parameters``)."""


class ExportError(ExchangeError):
    """The notebook cannot be exported as asked (no components, duplicate names, …)."""
