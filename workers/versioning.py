"""Worker Deployment Versioning from settings: which version of the workflow code a worker is.

With CANCELFLOW_TEMPORAL__BUILD_ID set, the worker polls as version
<deployment_name>.<build_id>; the server routes tasks only to the deployment's current (or
ramping) version, so a release is rolled out by starting its workers, then making their version
current with `temporal worker deployment set-current-version ... --yes`. Running cases move to
the new version on their next task (auto-upgrade; a task in the moment before the switch
reaches the old workers' caches may still run old code): long-lived cases cannot wait for old
workers, which is why workflow changes stay replay-safe behind `workflow.patched` (README,
"Changing workflow code safely"; tests/workers/test_versioning.py runs the rollout).
"""

from __future__ import annotations

from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import WorkerDeploymentConfig

from workers.settings import TemporalSettings


def deployment_config(temporal: TemporalSettings) -> WorkerDeploymentConfig | None:
    """The worker's deployment version, or None (unversioned) when no build id is set."""
    if not temporal.build_id:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(
            deployment_name=temporal.deployment_name, build_id=temporal.build_id
        ),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.AUTO_UPGRADE,
    )
