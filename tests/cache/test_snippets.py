"""The kernel-side save/stage/apply code, run in a plain Python subprocess (no kernel needed)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from link_ls.cache.snippets import (
    apply_code,
    discard_code,
    parse_result,
    parse_save,
    save_code,
    stage_code,
)


def _python(*chunks: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "\n".join(chunks)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _save(tmp_path: Path) -> tuple[Path, list[tuple[str, Path, int, str, str]]]:
    folder = tmp_path / "entry"
    setup = (
        "import threading\n"
        "nums = list(range(5))\n"
        "def twice(v):\n    return 2 * v\n"
        "lock = threading.Lock()\n"
    )
    out = _python(setup, save_code(["nums", "twice", "missing"], folder))
    report = parse_save(out)
    assert [s.name for s in report.saved] == ["nums", "twice"]
    assert report.failed == () and report.absent == ("missing",)
    items = [(s.name, folder / s.path, s.size, s.sha256, s.format) for s in report.saved]
    return folder, items


def test_save_writes_one_file_per_variable_with_its_sha256(tmp_path: Path) -> None:
    folder, items = _save(tmp_path)

    for _name, path, size, digest, _fmt in items:
        data = path.read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == digest
    # a list of ints needs no pickle; a function does
    assert sorted(p.name for p in (folder / "vars").iterdir()) == ["000.json", "001.pkl"]
    assert [i[4] for i in items] == ["json", "pickle"]


def test_save_lists_what_cannot_be_pickled_and_leaves_the_namespace_clean(tmp_path: Path) -> None:
    out = _python(
        "import threading\nlock = threading.Lock()\nok = 1\n",
        save_code(["lock", "ok"], tmp_path / "e"),
        "print(sorted(n for n in globals() if 'link_ls' in n))",
    )
    report = parse_save(out)
    assert [n for n, _ in report.failed] == ["lock"]
    assert "lock" in report.failed[0][1]
    assert out.strip().splitlines()[-1] == "[]"


def test_stage_then_apply_restores_values_and_functions_in_a_fresh_process(tmp_path: Path) -> None:
    _, items = _save(tmp_path)
    out = _python(
        "gone = 'still here'\n",
        stage_code([("k1", items, ["gone"])]),
        "print('after stage', 'nums' in globals(), 'gone' in globals())",
        apply_code("k1"),
        "import json; print('RESULT', json.dumps([nums, twice(21), 'gone' in globals()]))",
    )
    assert "after stage False True" in out  # staging assigns nothing
    result = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    assert json.loads(result[7:]) == [[0, 1, 2, 3, 4], 42, False]


def test_a_damaged_file_fails_its_whole_entry_and_assigns_nothing(tmp_path: Path) -> None:
    _, items = _save(tmp_path)
    damaged = items[1][1]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
    out = _python(stage_code([("k1", items, [])]), "print('nums' in globals())")
    lines = out.strip().splitlines()
    result = parse_result("\n".join(lines[:-1]))
    assert result["staged"] == [] and "twice" in result["failed"]["k1"]
    assert lines[-1] == "False"


def test_a_pickle_needing_a_missing_module_fails_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    mod = tmp_path / "mod"
    mod.mkdir()
    (mod / "helper_mod_xyz.py").write_text("class Thing:\n    pass\n")
    out = _python(
        f"import sys; sys.path.insert(0, {str(mod)!r})\n",
        "import helper_mod_xyz\nthing = helper_mod_xyz.Thing()\n",
        save_code(["thing"], folder),
    )
    s = parse_save(out).saved[0]
    item = (s.name, folder / s.path, s.size, s.sha256, s.format)
    out = _python(stage_code([("k", [item], [])]))
    assert "helper_mod_xyz" in parse_result(out)["failed"]["k"]


def test_apply_of_an_unstaged_entry_raises_and_discard_is_harmless() -> None:
    done = subprocess.run(
        [sys.executable, "-c", discard_code() + "\n" + apply_code("nope")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "was not staged" in done.stderr


def test_names_and_paths_are_never_spliced_as_code(tmp_path: Path) -> None:
    odd = tmp_path / 'it\'s ${folder} "odd"'
    out = _python("x = 1\n", save_code(["x"], odd))
    assert parse_save(out).saved[0].name == "x"
    assert (odd / "vars" / "000.json").is_file()


def test_a_pickle_others_may_write_is_checked_in_memory_and_still_restores(tmp_path: Path) -> None:
    _, items = _save(tmp_path)
    for item in items:
        item[1].chmod(0o666)  # a shared folder's files: checked and loaded from one copy
    out = _python(stage_code([("k1", items, [])]), apply_code("k1"), "print('RESULT', twice(4))")
    assert "RESULT 8" in out
    damaged = items[1][1]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
    out = _python(stage_code([("k1", items, [])]))
    assert "does not match its manifest" in parse_result(out)["failed"]["k1"]
