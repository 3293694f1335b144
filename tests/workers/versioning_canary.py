"""A workflow that reports which deployment version runs its task, to probe the server's routing.

It lives beside the case on the same worker (so on the same sticky queue): once a ping of
it runs on the new version, the server's routing change has reached that worker's queue.
"""

from __future__ import annotations

from temporalio import workflow


@workflow.defn
class VersionCanary:
    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)

    @workflow.update
    def ping(self) -> str:
        """The build id of the worker running this task."""
        version = workflow.info().get_current_deployment_version()
        return version.build_id if version else ""

    @workflow.signal
    def finish(self) -> None:
        self._done = True
