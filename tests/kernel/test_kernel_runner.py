"""Running plans in a real ipykernel: order, parameters, outputs, errors, faults."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from link_ls.kernel import (
    CacheDecision,
    ErrorKind,
    KernelExecError,
    KernelNotFound,
    KernelSession,
    RunObserver,
    RunOutcome,
    StepAction,
    StepStatus,
    resolve_parameters,
    run_plan,
)
from link_ls.notebook import Notebook, load, resolve_cell
from link_ls.pipeline import PlanStep, RunPlan, build, plan_all, plan_up_to
from tests.kernel.conftest import FIXTURES

TIMEOUT = 120.0  # generous: the CI machine is small and busy


def fixture(name: str) -> Notebook:
    return load(FIXTURES / name)


def up_to(nb: Notebook, ref: str) -> RunPlan:
    return plan_up_to(build(nb), resolve_cell(nb, ref).index)


def user_names(session: KernelSession) -> list[str]:
    out = session.run_silent(
        "import json as _j\n"
        "print(_j.dumps(sorted(k for k in globals() if not k.startswith('_') "
        "and k not in ('In', 'Out', 'get_ipython', 'exit', 'quit', 'open'))))"
    )
    names: list[str] = json.loads(out)
    return names


def stdout_of(outputs: tuple[dict[str, Any], ...]) -> str:
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream")


def test_plain_run_up_to_executes_exactly_the_ancestors_in_order(session: KernelSession) -> None:
    nb = fixture("plain-chain.ipynb")
    report = run_plan(session, nb, up_to(nb, "#3"), timeout=TIMEOUT)
    assert report.ok
    assert [r.step.index + 1 for r in report.steps] == [1, 3]
    assert [stdout_of(r.outputs) for r in report.steps] == ["one\n", "three 11\n"]
    assert all(r.status is StepStatus.EXECUTED for r in report.steps)
    # cell 2 never ran: its variable does not exist in the kernel
    assert user_names(session) == ["a", "c"]


def test_pipeline_runs_in_dag_order_not_file_order(session: KernelSession) -> None:
    nb = fixture("pipeline-params.ipynb")
    report = run_plan(session, nb, up_to(nb, "summary"), timeout=TIMEOUT)
    assert report.ok, report.to_json()
    # `double` sits below `summary` in the file but must run before it; `side` is no ancestor
    assert [r.step.name for r in report.steps] == ["source", "double", "summary"]
    assert stdout_of(report.steps[-1].outputs) == "summary run True [1, 2] {'k': 1} 0.5 6\n"
    assert "unused" not in user_names(session)


def test_parameters_reach_the_kernel_with_their_types(session: KernelSession) -> None:
    nb = fixture("pipeline-params.ipynb")
    report = run_plan(session, nb, up_to(nb, "source"), timeout=TIMEOUT)
    assert report.ok
    assert dict(report.parameters)["n"] == 3
    types = session.run_silent(
        "print([type(v).__name__ for v in (n, scale, label, flag, items, opts)])"
    )
    assert types.strip() == "['int', 'float', 'str', 'bool', 'list', 'dict']"


def test_overridden_parameters_reach_the_kernel(session: KernelSession) -> None:
    nb = fixture("pipeline-params.ipynb")
    params = resolve_parameters(nb.parameters, {"n": "5", "label": "override"})
    report = run_plan(session, nb, up_to(nb, "summary"), parameters=params, timeout=TIMEOUT)
    assert report.ok
    assert stdout_of(report.steps[-1].outputs) == "summary override True [1, 2] {'k': 1} 0.5 20\n"
    assert report.to_json()["parameters"]["n"] == 5


def test_outputs_are_captured_as_nbformat_outputs(session: KernelSession) -> None:
    nb = fixture("rich-outputs.ipynb")
    report = run_plan(session, nb, plan_all(build(nb)), timeout=TIMEOUT)
    (step,) = report.steps
    kinds = [(o["output_type"], o.get("name")) for o in step.outputs]
    assert kinds == [
        ("stream", "stdout"),
        ("stream", "stderr"),
        ("stream", "stdout"),
        ("display_data", None),
        ("execute_result", None),
    ]
    assert step.outputs[0]["text"] == "out 1\nout 2\n"
    assert "image/png" in step.outputs[3]["data"]
    assert step.outputs[4]["data"] == {"text/plain": "42"}
    assert step.execution_count is not None
    assert step.outputs[4]["execution_count"] == step.execution_count
    assert step.duration is not None and step.duration >= 0


def test_execution_counts_increase_and_run_silent_leaves_no_trace(session: KernelSession) -> None:
    nb = fixture("plain-chain.ipynb")
    report = run_plan(session, nb, plan_all(build(nb)), timeout=TIMEOUT)
    counts = [r.execution_count or 0 for r in report.steps]
    assert all(c > 0 for c in counts)
    assert counts == sorted(counts) and len(set(counts)) == 4
    assert session.run_silent("print('helper')") == "helper\n"
    again = run_plan(session, nb, up_to(nb, "#1"), timeout=TIMEOUT)
    # the helper code took no execution count
    assert again.steps[0].execution_count == counts[-1] + 1


def test_run_silent_raises_with_the_kernel_error(session: KernelSession) -> None:
    with pytest.raises(KernelExecError) as e:
        session.run_silent("{}['missing']")
    assert e.value.ename == "KeyError"
    assert "missing" in e.value.evalue
    assert e.value.traceback


def test_an_error_stops_the_run_and_names_the_cell(session: KernelSession) -> None:
    nb = fixture("raises.ipynb")
    report = run_plan(session, nb, plan_all(build(nb)), timeout=TIMEOUT)
    assert [r.status for r in report.steps] == [
        StepStatus.EXECUTED,
        StepStatus.ERROR,
        StepStatus.NOT_RUN,
    ]
    failed = report.failed
    assert failed is not None and failed.step.name == "explode"
    assert failed.error is not None and failed.error.kind is ErrorKind.EXCEPTION
    assert (failed.error.ename, failed.error.evalue) == ("ValueError", "boom")
    assert stdout_of(failed.outputs) == "before the error\n"
    assert failed.outputs[-1]["output_type"] == "error"
    assert report.outcome is RunOutcome.ERROR
    data = report.to_json()
    assert data["failed"]["name"] == "explode"
    assert data["counts"] == {"executed": 1, "restored": 0, "skipped": 0, "error": 1, "not-run": 1}
    assert "y" not in user_names(session)


def test_timeout_stops_an_endless_cell_and_the_kernel_survives(session: KernelSession) -> None:
    nb = fixture("loops-forever.ipynb")
    report = run_plan(session, nb, plan_all(build(nb)), timeout=3)
    statuses = [r.status for r in report.steps]
    assert statuses == [StepStatus.EXECUTED, StepStatus.ERROR, StepStatus.NOT_RUN]
    err = report.steps[1].error
    assert err is not None and err.kind is ErrorKind.TIMEOUT
    assert "timeout (3 s)" in err.evalue
    assert report.outcome is RunOutcome.TIMEOUT
    # interrupted, not killed: the earlier cell's variable is still there
    assert session.run_silent("print(ready)") == "True\n"


class _CancelWhenSpinning(RunObserver):
    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel

    def step_output(self, step: PlanStep, output: dict[str, Any]) -> None:
        if "spinning" in str(output.get("text", "")):
            # from another thread, as an editor's "interrupt" request would
            threading.Thread(target=self.cancel.set).start()


def test_cancel_interrupts_the_running_cell(session: KernelSession) -> None:
    nb = fixture("loops-forever.ipynb")
    cancel = threading.Event()
    report = run_plan(
        session, nb, plan_all(build(nb)), observer=_CancelWhenSpinning(cancel), cancel=cancel
    )
    assert [r.status for r in report.steps] == [
        StepStatus.EXECUTED,
        StepStatus.ERROR,
        StepStatus.NOT_RUN,
    ]
    err = report.steps[1].error
    assert err is not None and err.kind is ErrorKind.INTERRUPTED
    assert report.outcome is RunOutcome.INTERRUPTED
    assert session.run_silent("print(ready)") == "True\n"


def test_kernel_death_is_reported_and_the_next_run_gets_a_new_kernel(
    session: KernelSession,
) -> None:
    nb = fixture("kernel-dies.ipynb")
    generation = session.generation
    report = run_plan(session, nb, plan_all(build(nb)), timeout=TIMEOUT)
    assert [r.status for r in report.steps] == [
        StepStatus.EXECUTED,
        StepStatus.ERROR,
        StepStatus.NOT_RUN,
    ]
    err = report.steps[1].error
    assert err is not None and err.kind is ErrorKind.KERNEL_DIED
    assert report.outcome is RunOutcome.KERNEL_DIED
    assert "dying True" in stdout_of(report.steps[1].outputs)
    assert not session.is_alive

    plain = fixture("plain-chain.ipynb")
    after = run_plan(session, plain, up_to(plain, "#3"), timeout=TIMEOUT)
    assert after.ok and after.kernel_started
    assert session.generation == generation + 1
    # a new kernel: nothing of the dead one survives
    assert "alive" not in user_names(session)


class _RecordingCache:
    """A small StepCache: restores `source` by defining its variable, skips nothing else."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.stored: dict[str, tuple[dict[str, Any], ...]] = {}

    def prepare(self, nb: Notebook, plan: RunPlan) -> None:
        self.calls.append(f"prepare {plan.mode}")

    def decide(self, session: KernelSession, step: PlanStep) -> CacheDecision:
        self.calls.append(f"decide {step.name}")
        if step.name == "source":
            session.run_silent("data = [10, 20]")
            out = {"output_type": "stream", "name": "stdout", "text": "source (cached)\n"}
            return CacheDecision(StepAction.RESTORED, (out,))
        return CacheDecision(StepAction.EXECUTE)

    def after_execute(
        self, session: KernelSession, step: PlanStep, outputs: tuple[dict[str, Any], ...]
    ) -> None:
        self.calls.append(f"stored {step.name}")
        self.stored[step.name] = outputs


def test_cache_hooks_restore_steps_and_see_executed_outputs(session: KernelSession) -> None:
    nb = fixture("pipeline-params.ipynb")
    cache = _RecordingCache()
    report = run_plan(session, nb, up_to(nb, "summary"), cache=cache, timeout=TIMEOUT)
    assert report.ok
    assert [r.status for r in report.steps] == [
        StepStatus.RESTORED,
        StepStatus.EXECUTED,
        StepStatus.EXECUTED,
    ]
    assert report.steps[0].execution_count is None
    assert stdout_of(report.steps[0].outputs) == "source (cached)\n"
    # the restored value, not a recomputation from n=3, flowed downstream
    assert stdout_of(report.steps[1].outputs) == "double 2\n"
    assert cache.calls == [
        "prepare upTo",
        "decide source",
        "decide double",
        "stored double",
        "decide summary",
        "stored summary",
    ]
    assert stdout_of(cache.stored["summary"]).endswith(" 60\n")


def test_missing_kernelspec_is_a_clear_error() -> None:
    with pytest.raises(KernelNotFound) as e:
        KernelSession("no-such-kernel-xyz")
    assert e.value.exit_code == 2
    assert "no-such-kernel-xyz" in str(e.value)
    assert "python3" in str(e.value)


def test_a_kernel_that_ignores_interrupts_is_replaced() -> None:
    stubborn = KernelSession(cwd=FIXTURES, interrupt_grace=2)
    try:
        stubborn.start()
        first_pid = stubborn.pid
        ex = stubborn.execute(
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
            timeout=2,
        )
        assert ex.status.value == "timeout"
        assert ex.ename == "KernelRestarted" and "variables are lost" in ex.evalue
        assert not stubborn.is_alive
        assert stubborn.start()
        assert stubborn.pid != first_pid
        assert stubborn.run_silent("print('back')") == "back\n"
    finally:
        stubborn.shutdown()
