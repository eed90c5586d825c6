"""The kernel pool the server uses: one kernel per notebook, interrupt, restart, shutdown."""

from __future__ import annotations

import threading
from typing import Any

from link_ls.kernel import KernelPool, RunObserver, RunOutcome, StepStatus
from link_ls.notebook import load, resolve_cell
from link_ls.pipeline import PlanStep, build, plan_all, plan_up_to
from tests.kernel.conftest import FIXTURES
from tests.kernel.procs import pid_alive

TIMEOUT = 120.0


class _Spinning(RunObserver):
    def __init__(self) -> None:
        self.spinning = threading.Event()

    def step_output(self, step: PlanStep, output: dict[str, Any]) -> None:
        if "spinning" in str(output.get("text", "")):
            self.spinning.set()


def test_pool_keeps_a_kernel_per_notebook_and_interrupts_from_another_thread() -> None:
    pool = KernelPool()
    try:
        plain = load(FIXTURES / "plain-chain.ipynb")
        loops = load(FIXTURES / "loops-forever.ipynb")
        first = pool.run("plain", plain, plan_up_to(build(plain), 0), timeout=TIMEOUT)
        assert first.ok and first.kernel_started
        # the start-up is reported apart from the cells' time
        assert 0 < first.kernel_start <= first.duration
        assert first.to_json()["kernelStartDuration"] == round(first.kernel_start, 6)
        again = pool.run(
            "plain",
            plain,
            plan_up_to(build(plain), resolve_cell(plain, "#3").index),
            timeout=TIMEOUT,
        )
        # same kernel: no new start, and `a` from the first run is still defined
        assert again.ok and not again.kernel_started
        assert again.kernel_start == 0 and again.steps_duration == again.duration

        spin = _Spinning()
        reports = []
        worker = threading.Thread(
            target=lambda: reports.append(
                pool.run("loops", loops, plan_all(build(loops)), observer=spin)
            )
        )
        worker.start()
        assert spin.spinning.wait(TIMEOUT)
        assert pool.interrupt("loops")
        worker.join(TIMEOUT)
        assert not worker.is_alive()
        (report,) = reports
        assert report.outcome is RunOutcome.INTERRUPTED
        assert [r.status for r in report.steps][-1] is StepStatus.NOT_RUN
        assert not pool.interrupt("loops")  # nothing runs any more

        plain_session = pool.get("plain")
        loops_session = pool.get("loops")
        assert plain_session is not None and loops_session is not None
        assert plain_session.pid != loops_session.pid
        assert plain_session.run_silent("print(c)") == "11\n"

        old_pid = plain_session.pid
        assert pool.restart("plain")
        assert plain_session.pid != old_pid
        assert plain_session.run_silent("print('c' in globals())") == "False\n"
        assert not pool.restart("unknown")
    finally:
        pids = [s.pid for s in pool.sessions().values()]
        pool.shutdown_all()
    assert pids and all(p is not None for p in pids)
    assert not [p for p in pids if p is not None and pid_alive(p)]
    assert pool.keys() == []
