"""The baseline for the throughput benchmark: a bare workflow shaped like a case.

Activity, wait for a signal, activity: what any engine must do per case. Its own module,
free of side effects, because the workflow sandbox re-imports it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bare_step")
async def bare_step(name: str) -> str:
    return name


@workflow.defn
class BareCaseWorkflow:
    def __init__(self) -> None:
        self._answered = False

    @workflow.run
    async def run(self, case_id: str) -> str:
        await workflow.execute_activity(
            bare_step, case_id, start_to_close_timeout=timedelta(seconds=30)
        )
        await workflow.wait_condition(lambda: self._answered)
        return await workflow.execute_activity(
            bare_step, case_id, start_to_close_timeout=timedelta(seconds=30)
        )

    @workflow.signal
    def answer(self) -> None:
        self._answered = True
