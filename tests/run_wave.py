"""Run one wave of the wave job in this process (used by the overlapping-runs test).

The run that finds the warehouse's pool slot taken waits for it sleeping until its next claim, as Dagster's
InstanceConcurrencyContext means it to: in Dagster 1.13 the time to the next claim is `min(0, ...)`, never more than
0, so the in-process executor claims again at once and takes a core for as long as the other run holds the slot
(docs/reliability.md, "Faults"). The claims, the pool and the runs stay Dagster's own.
"""

import sys
import time

from dagster import DagsterInstance
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext

from score_pipeline.automation import WAVE_JOB
from score_pipeline.definitions import defs


def seconds_to_next_claim(context: InstanceConcurrencyContext) -> float:
    """Until the earliest of the pending claims may be tried again (0 when one may now, or none is pending)."""
    if not context.has_pending_claims():
        return 0.0
    return max(0.0, min(context._pending_timeouts.values(), default=0.0) - time.time())


InstanceConcurrencyContext.interval_to_next_pending_claim_check = seconds_to_next_claim
inst = DagsterInstance.get()
r = defs.resolve_job_def(WAVE_JOB).execute_in_process(partition_key=sys.argv[1], instance=inst, raise_on_error=False,
     run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
print(sys.argv[1], "success" if r.success else "FAILED")
sys.exit(0 if r.success else 1)
