"""Errors of the kernel layer: missing kernelspecs, kernels that fail, helper code that raises."""

from __future__ import annotations

from collections.abc import Sequence

from link_ls.errors import LinkError, UsageError


class KernelError(LinkError):
    """A kernel could not be started or stopped answering."""

    exit_code = 1


class KernelNotFound(KernelError):
    """No kernelspec of the requested name is installed (bad input: exit 2)."""

    exit_code = 2

    def __init__(self, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        listed = ", ".join(self.available) if self.available else "none"
        super().__init__(
            f"no Jupyter kernel named {name!r} is installed (installed kernels: {listed}; "
            "see `jupyter kernelspec list`)"
        )


class KernelStartError(KernelError):
    """The kernel process was launched but never became ready."""


class KernelDiedError(KernelError):
    """The kernel process exited while link-ls was waiting for it."""


class KernelTimeoutError(KernelError):
    """Helper code did not finish within its timeout (the kernel was interrupted)."""


class KernelExecError(KernelError):
    """Code run with :meth:`KernelSession.run_silent` raised inside the kernel."""

    def __init__(self, ename: str, evalue: str, traceback: Sequence[str] = ()) -> None:
        self.ename = ename
        self.evalue = evalue
        self.traceback = tuple(traceback)
        super().__init__(f"kernel code raised {ename}: {evalue}")


class ParameterError(UsageError):
    """A pipeline parameter or a ``--param`` override has a name or value that does not fit."""
