"""IPython syntax in a component, rewritten as plain Python for a script, or refused.

IPython's own transformer (``TransformerManager``, as the analysis uses) turns ``%magic``,
``!cmd`` and ``%%cell`` syntax into ``get_ipython()`` calls; each such statement is then
replaced, line for line, by what a plain Python script does instead:

==========================  ===============================================================
``%time STMT``, ``%%time``  the statement(s), then ``Wall time: … s`` on stdout
``%timeit STMT``            ``timeit.Timer(STMT).autorange()``, a ``… per loop`` line
``!cmd``                    ``subprocess.run(cmd, shell=True)`` (a failing command does
                            not stop the script, as in IPython)
``x = !cmd``                the command's output lines (stdout and stderr), a ``list``
``%%bash``, ``%%sh``        the body fed to ``bash`` / ``sh``
``%pip ARGS``               ``python -m pip ARGS`` with the script's own interpreter
``%cd DIR``, ``%env A=B``   ``os.chdir``, ``os.environ``
``%%writefile [-a] PATH``   the body written (appended) to PATH
``%matplotlib``,            dropped, with a comment: they only set up the interactive
``%load_ext``,              session
``%autoreload``, ``%config``
==========================  ===============================================================

In ``!cmd`` and magic arguments ``{expr}`` becomes an f-string field and ``$$`` a
``$``, as IPython expands them; ``$name`` is refused, because outside IPython it is
unknowable whether it meant a Python name or a shell variable. Every other magic (and a
``get_ipython()`` call written by hand) is refused with an :class:`ExportError` naming
the component and the line.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from link_ls.exchange.errors import ExportError

#: helper name -> its source, emitted once at the top of a script that uses it
HELPERS = {
    "_link_os": "import os as _link_os\n",
    "_link_time": "import time as _link_time\n",
    "_link_timeit": "import timeit as _link_timeit\n",
    "_link_sh": '''def _link_sh(command: str) -> int:
    """`!command` in IPython: run it in a shell, its output going where this script's goes."""
    import subprocess
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.run(command, shell=True, check=False).returncode
''',
    "_link_sh_lines": '''def _link_sh_lines(command: str) -> list[str]:
    """`x = !command` in IPython: the command's output (stdout and stderr) as lines."""
    import subprocess

    done = subprocess.run(
        command, shell=True, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    return done.stdout.decode(errors="replace").splitlines()
''',
    "_link_script": '''def _link_script(shell: str, body: str) -> int:
    """`%%bash` / `%%sh` in IPython: the cell's body run by that shell."""
    import subprocess
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.run([shell], input=body.encode(), check=False).returncode
''',
    "_link_pip": '''def _link_pip(args: str) -> int:
    """`%pip` in IPython: pip of the interpreter that runs this script."""
    import shlex
    import subprocess
    import sys

    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "pip", *shlex.split(args)]).returncode
''',
}

#: magics that only configure the interactive session: dropped, with a comment
_SESSION_ONLY = frozenset(
    {"matplotlib", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "config"}
)


@dataclass(frozen=True)
class Translated:
    """A component's source as plain Python, and the helpers that code calls."""

    source: str
    helpers: frozenset[str]


def _ipython_call(node: ast.AST) -> tuple[str, list[str]] | None:
    """``get_ipython().METHOD('a', 'b')`` -> (METHOD, ['a', 'b']); None for anything else."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    owner = node.func.value
    if not (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "get_ipython"
    ):
        return None
    args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(args) != len(node.args) or node.keywords:
        return None
    return node.func.attr, args


class _Refused(Exception):
    """One statement cannot become plain Python; the message says why."""


def expand(text: str) -> str:
    """IPython's expansion of ``{expr}`` and ``$$`` in a command, as a Python expression."""
    if re.search(r"(?<!\$)\$(?!\$)", text.replace("$$", "")):
        raise _Refused(
            f"{text!r} uses $-expansion, which outside IPython may mean a Python name or a "
            "shell variable; write {name} for a Python value or $$name for a shell variable"
        )
    literal = text.replace("$$", "$")
    if "{" not in literal and "}" not in literal:
        return repr(literal)
    code = "f" + repr(literal)
    try:
        ast.parse(code, mode="eval")
    except SyntaxError:
        raise _Refused(f"{text!r}: its {{…}} fields are not Python expressions") from None
    return code


def _time(code: list[str], target: str) -> list[str]:
    # `x = %time expr` keeps the value, as IPython returns it
    if target:
        code = [f"{target}{code[0]}", *code[1:]] if len(code) == 1 else code
    return [
        "_link_t0 = _link_time.perf_counter()",
        *code,
        'print(f"Wall time: {_link_time.perf_counter() - _link_t0:.3f} s")',
    ]


class _Rewriter:
    """Replacement lines for one ``get_ipython()`` statement; collects the helpers used."""

    def __init__(self, translate_body: Callable[[str, int], Translated]) -> None:
        self.helpers: set[str] = set()
        self._body = translate_body
        #: line of the statement being rewritten (a cell magic's body starts below it)
        self.line = 1

    def statement(self, method: str, args: list[str], target: str) -> list[str]:
        if method == "system" and not target:
            self.helpers.add("_link_sh")
            return [f"_link_sh({expand(args[0])})"]
        if method == "getoutput":
            self.helpers.add("_link_sh_lines")
            return [f"{target}_link_sh_lines({expand(args[0])})"]
        if method == "run_line_magic" and len(args) == 2:
            return self._line(args[0], args[1], target)
        if method == "run_cell_magic" and len(args) == 3 and not target:
            return self._cell(args[0], args[1], args[2])
        raise _Refused(f"get_ipython().{method}(…) needs IPython")

    def _line(self, name: str, line: str, target: str) -> list[str]:
        if name == "time":
            self.helpers.add("_link_time")
            return _time([_code(line)], target)
        if target:
            raise _Refused(f"the value of %{name} cannot be used outside IPython")
        if name in _SESSION_ONLY:
            return [f"pass  # %{name} {line}: dropped, it only sets up an interactive session"]
        if name == "timeit" and not line.lstrip().startswith("-"):
            self.helpers.add("_link_timeit")
            stmt = repr(_code(line))
            return [
                f"_link_n, _link_s = _link_timeit.Timer({stmt}, globals=globals()).autorange()",
                'print(f"{_link_s / _link_n * 1e6:.3g} µs per loop ({_link_n} loops)")',
            ]
        if name == "pip":
            self.helpers.add("_link_pip")
            return [f"_link_pip({expand(line)})"]
        if name == "cd" and not line.lstrip().startswith("-"):
            parts = shlex.split(line) or ["~"]
            if len(parts) != 1:
                raise _Refused(f"%cd {line}: expected one folder")
            self.helpers.add("_link_os")
            return [f"_link_os.chdir(_link_os.path.expanduser({expand(parts[0])}))"]
        if name == "env" and line.strip():
            key, sep, value = line.strip().partition("=")
            if not sep:
                key, _, value = line.strip().partition(" ")
            if key.strip().isidentifier() and value.strip():
                self.helpers.add("_link_os")
                return [f"_link_os.environ[{key.strip()!r}] = {expand(value.strip())}"]
        raise _Refused(f"IPython magic %{name} has no plain-Python translation")

    def _cell(self, name: str, line: str, body: str) -> list[str]:
        if name == "time" and not line.strip():
            self.helpers.add("_link_time")
            inner = self._body(body, self.line)
            self.helpers |= inner.helpers
            return _time(inner.source.rstrip("\n").split("\n"), "")
        if name in ("bash", "sh") and not line.strip():
            self.helpers.add("_link_script")
            return [f"_link_script({name!r}, {body!r})"]
        if name == "writefile":
            parts = shlex.split(line)
            append = parts[:1] in (["-a"], ["--append"])
            if append:
                parts = parts[1:]
            if len(parts) == 1:
                mode = "a" if append else "w"
                self.helpers.add("_link_os")
                return [
                    f"with open(_link_os.path.expanduser({expand(parts[0])}), {mode!r}, "
                    'encoding="utf-8") as _link_f:',
                    f"    _link_f.write({body!r})",
                ]
        raise _Refused(f"IPython cell magic %%{name} has no plain-Python translation")


def _code(text: str) -> str:
    """The statement of ``%time``/``%timeit``, checked to be Python."""
    try:
        ast.parse(text)
    except SyntaxError:
        raise _Refused(f"{text!r} is not a Python statement") from None
    return text


def _ipython_transform(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    out: str = TransformerManager().transform_cell(source)
    return out


def translate(source: str, where: str, first_line: int = 0) -> Translated:
    """``source`` as plain Python; :class:`ExportError` "``where`` line N: why" if it cannot be.

    Only statements IPython rewrote are touched: every other line stays as written.
    ``first_line`` is added to line numbers in messages (for a cell magic's body).
    """
    try:
        ast.parse(source)
        text = source
    except SyntaxError:
        text = _ipython_transform(source)
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        line = (e.lineno or 1) + first_line
        raise ExportError(f"{where} line {line}: syntax error: {e.msg}") from None
    lines = text.split("\n")
    rewriter = _Rewriter(lambda body, line: translate(body, where, first_line + line))
    edits: list[tuple[int, int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr):
            call, target = _ipython_call(node.value), ""
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            call = _ipython_call(node.value)
            target = "".join(f"{t.id} = " for t in node.targets if isinstance(t, ast.Name))
        else:
            continue
        if call is None:
            continue
        assert node.end_lineno is not None
        rewriter.line = node.lineno
        try:
            new = rewriter.statement(*call, target)
        except _Refused as e:
            raise ExportError(f"{where} line {node.lineno + first_line}: {e}") from None
        pad = lines[node.lineno - 1][: node.col_offset]
        if not pad:  # a dropped magic needs no `pass` outside a block
            new = [ln.removeprefix("pass  ") for ln in new]
        edits.append((node.lineno - 1, node.end_lineno, [pad + ln for ln in new]))
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = new
    out = "\n".join(lines)
    for node in ast.walk(ast.parse(out)):
        if isinstance(node, ast.Name) and node.id == "get_ipython":
            raise ExportError(
                f"{where} line {node.lineno + first_line}: get_ipython() needs IPython; a "
                "script cannot run it"
            )
    return Translated(out, frozenset(rewriter.helpers))
