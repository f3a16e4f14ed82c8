"""`python -m score_pipeline.cli`: the `score-pipeline` command (what `make run` calls)."""

import sys

from score_pipeline.cli import main

sys.exit(main())
