"""Hostile files × every CLI command, and unwritable targets (issue 18).

Each case must end in exit 0, 1 or 2 — never 70 ("internal error") — with a one-line
error, every input byte-identical and no partial output (``tests/cli/hostile.py``).
Hypothesis adds byte-mutated notebooks (fixed seed; ``LINK_LS_FUZZ_EXAMPLES`` scales it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.hostile import (
    COMMANDS,
    GOOD,
    HOSTILE,
    WRITERS,
    Command,
    check_case,
    run_cli,
    unwritable_targets,
)
from tests.fuzzing import examples


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_command_survives_each_hostile_file(name: str, tmp_path: Path) -> None:
    broken = [
        problem
        for cmd in COMMANDS
        if (problem := check_case(tmp_path / cmd.name, cmd, HOSTILE[name])) is not None
    ]
    assert broken == []


def test_deep_nesting_and_lone_surrogates_are_one_line_format_errors(tmp_path: Path) -> None:
    # the failing inputs: RecursionError and UnicodeEncodeError, exit 70
    for name, message in (
        ("nested-200000", "nested deeper than 100 levels"),
        ("nested-900", "nested deeper than 100 levels"),
        ("lone-surrogate-escaped", "lone surrogate"),
        ("surrogate-in-canvas", "lone surrogate"),
    ):
        path = tmp_path / f"{name}.ipynb"
        path.write_bytes(HOSTILE[name])
        for argv in (["check", str(path)], ["graph", str(path)], ["export", str(path)]):
            got = run_cli(argv)
            assert got.code == 2, (argv, got)
            assert message in got.stderr and len(got.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_an_unwritable_target_is_a_one_line_error(writer: str, tmp_path: Path) -> None:
    good = tmp_path / "good.ipynb"
    good.write_text(GOOD)
    good_json = tmp_path / "good.json"
    assert run_cli(["export", str(good), "-o", str(good_json)]).code == 0
    for where, target in unwritable_targets(tmp_path / "targets").items():
        got = run_cli(WRITERS[writer](str(good), str(good_json), target))
        if got.code == 0:
            continue  # e.g. a folder named like the target minus its suffix: writable after all
        assert got.code in (1, 2), (where, got)
        assert "internal error" not in got.stderr, (where, got)
        assert len(got.stderr.strip().splitlines()) == 1, (where, got)
    assert good.read_text() == GOOD


MUTATIONS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, len(GOOD)), st.binary(max_size=8)), max_size=4
)


def _mutated(ops: list[tuple[int, int, bytes]]) -> bytes:
    data = GOOD.encode()
    for op, at, piece in ops:
        if op == 0:
            data = data[:at] + piece + data[at:]
        elif op == 1:
            data = data[:at] + data[at + len(piece) + 1 :]
        elif op == 2:
            data = data[:at]
        elif op == 3:
            data = data.replace(b'"code"', b'"markdown"', 1)
        else:
            data = data[:at] + b"[" * 150 + data[at:]
    return data


@settings(
    max_examples=examples(40),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(MUTATIONS, st.sampled_from(COMMANDS))
def test_mutated_notebooks_under_random_commands(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[int, int, bytes]], cmd: Command
) -> None:
    folder = tmp_path_factory.getbasetemp() / "mutated"
    assert check_case(folder, cmd, _mutated(ops)) is None


@pytest.mark.parametrize(
    "argv",
    [["check"], ["graph", "--format", "nope", "x.ipynb"], ["nosuch"], ["cache", "export", "x"]],
)
def test_a_usage_error_is_one_line_and_exit_2(argv: list[str]) -> None:
    got = run_cli(argv)
    assert got.code == 2
    (line,) = got.stderr.strip().splitlines()
    assert "error:" in line and "--help" in line
