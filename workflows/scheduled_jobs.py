"""What the workflows that Temporal Schedules start (archiving, retention) share.

Their bodies stay their own: each records its own activities in its own order, and running
jobs replay them.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# A job runs again at its next interval, so an activity that still fails after this many
# tries fails the run rather than retrying for hours.
SCHEDULED_JOB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
)
