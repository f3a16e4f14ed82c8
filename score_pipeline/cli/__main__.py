"""`python -m score_pipeline.cli`: the `score-pipeline` command (what `make run` calls)."""

from score_pipeline.cli import command

command()
