"""Kernelspec resolution: ``python3`` is ipykernel in link-ls's own Python, others by name.

The default kernel must see the packages of the environment link-ls runs in, on a
fresh CI machine too (where nobody ran ``ipython kernel install``). So ``python3``
is never looked up on disk: it is ipykernel's built-in spec with ``sys.executable``.
Any other name is looked up through jupyter_client's ``KernelSpecManager``.
"""

from __future__ import annotations

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel

from link_ls.kernel.errors import KernelNotFound

DEFAULT_KERNEL = "python3"


def native_spec() -> KernelSpec:
    """ipykernel's own spec, launched with the current interpreter."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict

    d = get_kernel_dict()
    return KernelSpec(
        name=DEFAULT_KERNEL,
        resource_dir=RESOURCES,
        argv=list(d["argv"]),
        display_name=str(d["display_name"]),
        language=str(d["language"]),
        metadata=dict(d.get("metadata", {})),
    )


class LinkKernelSpecManager(KernelSpecManager):
    """A spec manager whose ``python3`` is always :func:`native_spec`."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == DEFAULT_KERNEL:
            return native_spec()
        return super().get_kernel_spec(kernel_name)

    def find_kernel_specs(self) -> dict[str, str]:
        found: dict[str, str] = super().find_kernel_specs()
        found.setdefault(DEFAULT_KERNEL, "<ipykernel>")
        return found


def available_kernels() -> list[str]:
    return sorted(LinkKernelSpecManager().find_kernel_specs())


def resolve_spec(name: str | None = None) -> KernelSpec:
    """The spec for ``name`` (default ``python3``); an unknown name is :class:`KernelNotFound`."""
    wanted = name or DEFAULT_KERNEL
    try:
        spec: KernelSpec = LinkKernelSpecManager().get_kernel_spec(wanted)
    except NoSuchKernel:
        raise KernelNotFound(wanted, available_kernels()) from None
    return spec
