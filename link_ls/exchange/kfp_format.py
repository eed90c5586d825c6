"""A pipeline as a Kubeflow Pipelines spec, compiled by the kfp 2 SDK (``--format kfp``).

``link-ls export PATH --format kfp -o pipeline.yaml`` writes the YAML that
``kfp.compiler.Compiler`` produces for a generated pipeline function:

- one lightweight Python component per Link component (its name made a Python
  identifier), on ``base_image`` with ``cloudpickle`` and the extra ``packages``
  installed; the component's code runs at module level of a fresh namespace
  (``exec``), so ``global``, classes and functions behave as in the kernel;
- every pipeline parameter is a typed pipeline input (``int``, ``float``, ``str``,
  ``bool``, ``list``, ``dict``; a ``tuple`` travels as a list and is made a tuple
  again) with the declared value as its default, passed to every component;
- each component writes its namespace (parents' variables, parameters and its own
  definitions) as one cloudpickle'd ``variables`` artifact; a child takes its parents'
  artifacts as inputs — that is the edge, and the task dependency kfp derives from it.
  Parents are restored in pipeline order, so where two parents define a name the later
  one wins, as in one kernel. A value cloudpickle cannot serialise is left out with a
  line on stderr; a child that reads it then fails with a ``NameError``.
- IPython syntax is translated or refused exactly as for ``--format py``
  (:mod:`link_ls.exchange.py_magics`): a container has no IPython.

The kfp SDK is an optional dependency (``pip install 'link-ls[kfp]'``), imported only here
and only when this format is asked for.

Link 2.7 (``mrx-link convert --to-path X.yaml``, ``LinkPipeline.convert_to_kfp``) writes
an Argo ``Workflow`` with the kfp 1.8 SDK instead; see ``docs/scale.md`` for how it differs.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from link_ls.exchange.errors import ExportError
from link_ls.exchange.graph import topological
from link_ls.exchange.model import ExchangeComponent, ExchangePipeline
from link_ls.exchange.py_format import _check_language, _literal
from link_ls.exchange.py_magics import HELPERS, translate
from link_ls.notebook import Parameter
from link_ls.notebook.paramtypes import from_declared, kind_of

#: the image a component runs on unless ``--base-image`` says otherwise (Link uses it too)
DEFAULT_BASE_IMAGE = "python:3.11"
#: what every component needs on top of the base image (kfp adds itself)
REQUIRED_PACKAGES = ("cloudpickle",)
#: the output artifact of every component: its namespace, cloudpickle'd
OUTPUT_NAME = "variables"
#: names the generated module uses itself
_RESERVED = frozenset({"dsl", "Input", "Output", "Artifact", "pipeline", OUTPUT_NAME})


@dataclass(frozen=True)
class KfpOptions:
    """How the components are built: the container image and extra pip packages."""

    base_image: str = DEFAULT_BASE_IMAGE
    packages: tuple[str, ...] = ()


def _identifier(text: str, taken: set[str]) -> str:
    """A fresh lower-case Python identifier for ``text`` (a component or notebook name)."""
    base = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower() or "component"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = f"c_{base}"
    name, n = base, 2
    while name in taken or name in _RESERVED:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _param_type(p: Parameter, where: str) -> tuple[str, str, bool]:
    """(kfp type annotation, default literal, is a tuple) of one pipeline parameter."""
    if not p.name.isidentifier() or keyword.iskeyword(p.name) or p.name in _RESERVED:
        raise ExportError(f"{where}: parameter {p.name!r} cannot be a pipeline input name")
    kind = kind_of(p.type)
    try:
        value = from_declared(kind, p.value)
    except (ValueError, SyntaxError, TypeError):
        raise ExportError(
            f"{where}: parameter {p.name!r}: declared value {p.value!r} is not a valid "
            f"{kind or p.type}"
        ) from None
    is_tuple = isinstance(value, tuple)
    if is_tuple:
        value = list(value)
    for py, ann in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if type(value) is py:
            return ann, _literal(value), False
    if isinstance(value, list):
        return "list", _literal(value), is_tuple
    if isinstance(value, dict):
        return "dict", _literal(value), False
    raise ExportError(
        f"{where}: parameter {p.name!r}: a {type(value).__name__} value cannot be a Kubeflow "
        "pipeline input (use int, float, str, bool, list or dict)"
    )


def _code(c: ExchangeComponent, where: str) -> str:
    """The component's code as plain Python, checked to compile at module level."""
    done = translate(c.source, f"{where}: component {c.name!r}")
    code = "".join(HELPERS[h] for h in sorted(done.helpers)) + done.source
    try:
        compile(code, c.name, "exec", dont_inherit=True)
    except SyntaxError as e:
        raise ExportError(
            f"{where}: component {c.name!r} line {e.lineno}: {e.msg} (not valid outside IPython)"
        ) from None
    return code


_DOC = '"' * 3
_BODY = """    import sys

    import cloudpickle

    ns = {{"__name__": "__main__"}}
    ns.update({params})
    for path in [{parents}]:
        with open(path, "rb") as f:
            ns.update(cloudpickle.load(f))
    exec(compile({code}, {label}, "exec"), ns)
    keep = {{}}
    for name, value in ns.items():
        if name.startswith("_"):
            continue
        try:
            cloudpickle.dumps(value)
        except Exception as e:
            print(f"link-ls: {{name!r}} is not passed on: {{e}}", file=sys.stderr)
            continue
        keep[name] = value
    with open({out}.path, "wb") as f:
        cloudpickle.dump(keep, f)
"""


def _component(
    fn: str,
    c: ExchangeComponent,
    code: str,
    params: Sequence[tuple[str, str, str, bool]],
    parents: Sequence[str],
    opts: KfpOptions,
) -> str:
    packages = [*REQUIRED_PACKAGES, *opts.packages]
    args = [f"{p}: {ann}" for p, ann, _d, _t in params]
    args += [f"from_{par}: Input[Artifact]" for par in parents]
    args.append(f"{OUTPUT_NAME}: Output[Artifact]")
    values = ", ".join(f"{p!r}: {f'tuple({p})' if t else p}" for p, _a, _d, t in params)
    body = _BODY.format(
        params="{" + values + "}",
        parents=", ".join(f"from_{par}.path" for par in parents),
        code=repr(code),
        label=repr(f"<component {c.name}>"),
        out=OUTPUT_NAME,
    )
    return (
        f"@dsl.component(base_image={opts.base_image!r}, packages_to_install={packages!r})\n"
        f"def {fn}({', '.join(args)}):\n"
        f"    {_DOC}Link component {c.name!r}{_DOC}\n" + body
    )


def pipeline_module(pipe: ExchangePipeline, name: str, opts: KfpOptions) -> str:
    """The Python source of the kfp pipeline (components and the pipeline function)."""
    _check_language(pipe, name)
    missing = [p for c in pipe.components for p in c.parents if pipe.component(p) is None]
    if missing:
        raise ExportError(
            f"{name}: a Kubeflow pipeline needs every parent; {pipe.parent_name(missing[0])!r} "
            "is not exported (add --with-ancestors)"
        )
    params = [(p.name, *_param_type(p, name)) for p in pipe.parameters]
    order = topological(pipe)
    taken = {p.name for p in pipe.parameters}
    fns = {c.id: _identifier(c.name, taken) for c in order}
    rank = {c.id: i for i, c in enumerate(order)}
    parts = ["from kfp import dsl\nfrom kfp.dsl import Artifact, Input, Output\n"]
    calls: list[str] = []
    for c in order:
        parents = sorted(c.parents, key=rank.__getitem__)
        pnames = [fns[p] for p in parents]
        parts.append(_component(fns[c.id], c, _code(c, name), params, pnames, opts))
        kw = [f"{p}={p}" for p, *_ in params]
        kw += [f"from_{fns[p]}=t_{fns[p]}.outputs[{OUTPUT_NAME!r}]" for p in parents]
        calls.append(f"    t_{fns[c.id]} = {fns[c.id]}({', '.join(kw)})\n")
        calls.append(f"    t_{fns[c.id]}.set_display_name({c.name!r})\n")
    stem = PurePath(name).stem if name and not name.startswith("<") else "pipeline"
    title = re.sub(r"[^0-9a-z]+", "-", stem.lower()).strip("-") or "pipeline"
    sig = ", ".join(f"{p}: {ann} = {default}" for p, ann, default, _t in params)
    parts.append(
        f"@dsl.pipeline(name={title!r}, description={f'{name}, exported by link-ls'!r})\n"
        f"def pipeline({sig}):\n" + ("".join(calls) or "    pass\n")
    )
    return "\n\n".join(parts)


def _kfp_compiler() -> Any:
    try:
        from kfp import compiler
    except ImportError:
        raise ExportError(
            "the kfp format needs the Kubeflow Pipelines SDK: pip install 'link-ls[kfp]'"
        ) from None
    return compiler


def to_kfp(pipe: ExchangePipeline, name: str = "pipeline", opts: KfpOptions | None = None) -> str:
    """The compiled pipeline spec (YAML text); :class:`ExportError` if it cannot be built."""
    source = pipeline_module(pipe, name, opts or KfpOptions())
    compiler = _kfp_compiler()
    # kfp reads each component's source with inspect, so the module must be a real file
    with tempfile.TemporaryDirectory(prefix="link-ls-kfp-") as tmp:
        mod_name = f"_link_ls_kfp_{uuid.uuid4().hex}"
        path = Path(tmp) / f"{mod_name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(mod_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
            out = Path(tmp) / "pipeline.yaml"
            compiler.Compiler().compile(module.pipeline, package_path=str(out))
            return out.read_text(encoding="utf-8")
        except Exception as e:  # kfp raises plain ValueError/TypeError for what it refuses
            raise ExportError(f"{name}: the kfp compiler refused the pipeline: {e}") from None
        finally:
            sys.modules.pop(mod_name, None)
