"""A pipeline as a runnable Python script: parameters as argparse options, components in order.

``link-ls export --format py`` (and ``link-ls convert X.ipynb X.py``) writes a script a
plain ``python`` runs: ``python pipeline.py --epochs 5``.

- Every pipeline parameter is an option (``--n-samples``, also ``--n_samples``, for
  ``n_samples``) whose text is converted to the declared type with the rules of
  ``link-ls run --param`` (:mod:`link_ls.notebook.paramtypes`); its default is the
  declared value. ``python pipeline.py --help`` lists them.
- Components follow in topological order (ties in file order, as ``link-ls run``), each
  headed by a comment with its name and parents, all at module level: a component sees
  the names earlier ones defined, as it does in one kernel.
- IPython syntax is translated or refused (:mod:`link_ls.exchange.py_magics`).

Link 2.7 exports a pipeline as ``.py`` too (JupyterLab "Export as Python"; template
``pycode_template_pipeline.jinja2``). Where this differs, on purpose: Link uses the
parameter's type as argparse's ``type=`` (``bool('False')`` is true, ``list('ab')`` is
``['a', 'b']``) and ``nargs='?'`` (``--seed`` alone sets ``None``), splices a ``str``
default into a quoted ``help`` string (the script does not compile), indents the code
under ``if __name__ == "__main__":`` (which changes multi-line strings) and copies magics
verbatim (the script does not compile). The same component header (``Component: …`` /
``Parents: …``) and the same option names are kept.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from link_ls.exchange.errors import ExportError
from link_ls.exchange.graph import topological
from link_ls.exchange.model import ExchangeComponent, ExchangePipeline
from link_ls.exchange.py_magics import HELPERS, translate
from link_ls.notebook import Parameter
from link_ls.notebook.paramtypes import FALSE_WORDS, TRUE_WORDS, from_declared, kind_of

_RULE = "# " + "=" * 78

#: argparse ``type=`` per kind, and the converter source a kind needs in the script
_TYPE_FUNC = {"int": "int", "float": "float", "str": "str"}
_CONVERTERS = {
    "bool": f'''def _link_bool(text: str) -> bool:
    """A bool option: {", ".join(sorted(TRUE_WORDS))} or {", ".join(sorted(FALSE_WORDS))}."""
    low = text.strip().lower()
    if low in {sorted(TRUE_WORDS)!r}:
        return True
    if low in {sorted(FALSE_WORDS)!r}:
        return False
    raise ValueError(text)
''',
    "literal": '''def _link_literal(text: str) -> object:
    """A list, tuple or dict option: JSON or a Python literal."""
    import ast
    import json

    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (SyntaxError, MemoryError, RecursionError) as e:
        raise ValueError(text) from e  # argparse reports a ValueError as a bad option
''',
    "list": """def _link_list(text: str) -> list[object]:
    value = _link_literal(text)
    if not isinstance(value, (list, tuple)):
        raise ValueError(text)
    return list(value)
""",
    "tuple": """def _link_tuple(text: str) -> tuple[object, ...]:
    value = _link_literal(text)
    if not isinstance(value, (list, tuple)):
        raise ValueError(text)
    return tuple(value)
""",
    "dict": """def _link_dict(text: str) -> dict[object, object]:
    value = _link_literal(text)
    if not isinstance(value, dict):
        raise ValueError(text)
    return value
""",
    "json": """def _link_json(text: str) -> object:
    return _link_literal(text)
""",
    "": '''def _link_any(text: str) -> object:
    """An option of a type link-ls does not know: a Python literal, else the text."""
    try:
        return _link_literal(text)
    except ValueError:
        return text
''',
}
_FUNC_OF_KIND = {
    "bool": "_link_bool",
    "list": "_link_list",
    "tuple": "_link_tuple",
    "dict": "_link_dict",
    "json": "_link_json",
    "": "_link_any",
}


def _one_line(text: str) -> str:
    """A name fit for a ``#`` comment: line breaks would end the comment."""
    return " ".join(text.splitlines()) if text else text


def _q(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def _literal(value: Any) -> str:
    """Python source that evaluates to ``value`` (a typed parameter value)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    text = repr(value)
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        same = False
    if same:
        return text
    # e.g. a list holding NaN: JSON keeps it, a repr does not
    return f"__import__('json').loads({json.dumps(value, allow_nan=True)!r})"


def _argument(p: Parameter, name: str) -> tuple[str, str]:
    """The ``add_argument`` call for ``p``, and the kind of converter it needs."""
    if not p.name.isidentifier() or keyword.iskeyword(p.name) or p.name.startswith("_link_"):
        raise ExportError(f"{name}: parameter {p.name!r} cannot be a Python variable")
    kind = kind_of(p.type)
    try:
        value = from_declared(kind, p.value)
    except (ValueError, SyntaxError, TypeError):
        raise ExportError(
            f"{name}: parameter {p.name!r}: declared value {p.value!r} is not a valid "
            f"{kind or p.type}"
        ) from None
    flags = [f"--{p.name.replace('_', '-')}"]
    if "_" in p.name:
        flags.append(f"--{p.name}")
    func = _TYPE_FUNC.get(kind) or _FUNC_OF_KIND[kind]
    shown = (p.type or "any").replace("%", "%%")
    call = (
        "    parser.add_argument(\n"
        + "".join(f"        {_q(f)},\n" for f in flags)
        + f"        dest={_q(p.name)},\n"
        + f"        type={func},\n"
        + f"        default={_literal(value)},\n"
        + f'        help="type={shown}, default=%(default)r",\n'
        + "    )\n"
    )
    return call, kind


def _parser(params: Sequence[Parameter], name: str) -> tuple[str, set[str]]:
    calls, kinds = [], set()
    for p in params:
        call, kind = _argument(p, name)
        calls.append(call)
        if kind not in _TYPE_FUNC:
            kinds.add(kind)
    needs = set(kinds)
    if kinds - {"bool"}:
        needs.add("literal")
    source = (
        "def _link_parse_args() -> argparse.Namespace:\n"
        f"    parser = argparse.ArgumentParser(description={_q(f'The pipeline of {name}.')})\n"
        + "".join(calls)
        + "    return parser.parse_args()\n"
    )
    return source, needs


def _header(pipe: ExchangePipeline, name: str, n: int) -> str:
    stem = PurePath(name).stem if name and not name.startswith("<") else "pipeline"
    usage = " ".join(
        [f"python {stem}.py"]
        + [f"--{p.name.replace('_', '-')} {p.name.upper()}" for p in pipe.parameters[:3]]
        + (["..."] if len(pipe.parameters) > 3 else [])
    )
    doc = (
        f"{name}: {n} component{'s' if n != 1 else ''} in pipeline order, exported by "
        f"link-ls.\n\nRun: {usage}\n"
        + ("(every option is optional; --help lists them with their defaults)\n")
    )
    doc = doc.replace("\\", "\\\\").replace('"', '\\"')
    return "#!/usr/bin/env python3\n" + f'"""{doc}"""\n'


def _check_language(pipe: ExchangePipeline, name: str) -> None:
    langs = {
        str(x.get(k)).lower()
        for x, k in ((pipe.kernelspec, "language"), (pipe.language_info, "name"))
        if x and x.get(k)
    }
    if langs - {"python", "python3"}:
        raise ExportError(
            f"{name}: a {'/'.join(sorted(langs))} pipeline cannot become a Python script"
        )


def to_script(pipe: ExchangePipeline, name: str = "pipeline") -> str:
    """The script's text; :class:`ExportError` if a parameter or a component cannot be
    written as plain Python (the message names it)."""
    _check_language(pipe, name)
    order = topological(pipe)
    parser, converters = _parser(pipe.parameters, name)
    blocks: list[str] = []
    helpers: set[str] = set()
    future: list[str] = []
    for c in order:
        where = f"{name}: component {c.name!r}"
        done = translate(c.source, where)
        helpers |= done.helpers
        code, hoisted = _hoist_future(done.source)
        future += [f for f in hoisted if f not in future]
        parents = ", ".join(
            _one_line(pipe.parent_name(p)) + ("" if pipe.component(p) else " (not in this script)")
            for p in c.parents
        )
        body = code.strip("\n")
        blocks.append(
            f"{_RULE}\n# Component: {_one_line(c.name)}\n# Parents: {parents or '(none)'}\n"
            + (body + "\n" if body else "")
        )
    parts = [_header(pipe, name, len(order)), "\n", *future, "import argparse\n"]
    parts += [HELPERS[h] for h in sorted(helpers) if not HELPERS[h].startswith("def ")]
    defs = [HELPERS[h] for h in sorted(helpers) if HELPERS[h].startswith("def ")]
    defs += [
        _CONVERTERS[k]
        for k in ("literal", "bool", "list", "tuple", "dict", "json", "")
        if k in converters
    ]
    parts += ["\n\n" + d for d in [*defs, parser]]
    assign = "".join(f"{p.name} = _link_args.{p.name}\n" for p in pipe.parameters)
    parts.append("\n\n_link_args = _link_parse_args()\n" + assign + "del _link_args\n")
    head = "".join(parts)
    script = head + "".join("\n" + b for b in blocks)
    try:
        compile(script, f"{name}.py", "exec", dont_inherit=True)
    except SyntaxError as e:
        raise ExportError(_compile_error(e, head, blocks, order, name)) from None
    return script


def _compile_error(
    e: SyntaxError, head: str, blocks: list[str], order: list[ExchangeComponent], name: str
) -> str:
    """Which component (and its line) keeps the script from compiling, e.g. top-level await."""
    line = (e.lineno or 0) - head.count("\n")
    for block, c in zip(blocks, order, strict=True):
        size = block.count("\n") + 1  # the blank line before each block
        if 0 < line <= size:
            # three header lines (rule, name, parents) and a blank line precede the code
            return f"{name}: component {c.name!r} line {line - 4}: {e.msg} (not valid in a script)"
        line -= size
    return f"{name}: the script would not compile (line {e.lineno}: {e.msg})"


def _hoist_future(source: str) -> tuple[str, list[str]]:
    """``from __future__`` imports must open a file: take them out of a component."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, []
    lines = source.split("\n")
    found: list[str] = []
    for node in reversed(tree.body):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            assert node.end_lineno is not None
            found.insert(0, ast.unparse(node) + "\n")
            lines[node.lineno - 1 : node.end_lineno] = []
    return "\n".join(lines), found
