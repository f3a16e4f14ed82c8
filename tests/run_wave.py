"""Run one wave of the wave job in this process (used by the overlapping-runs test)."""

import sys
from dagster import DagsterInstance
from score_pipeline.automation import WAVE_JOB
from score_pipeline.definitions import defs
inst = DagsterInstance.get()
r = defs.resolve_job_def(WAVE_JOB).execute_in_process(partition_key=sys.argv[1], instance=inst, raise_on_error=False,
     run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
print(sys.argv[1], "success" if r.success else "FAILED")
sys.exit(0 if r.success else 1)
