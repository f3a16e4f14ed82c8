"""Realistic, calibrated sample extracts for the three SCORE Peru waves."""

from __future__ import annotations

from pathlib import Path

from score_pipeline.sample_data.extracts import write_sample
from score_pipeline.sample_data.model import build_sample

DEFAULT_SEED = 20170614
DEFAULT_ENTERPRISES = 52


def generate(out_dir: Path, seed: int = DEFAULT_SEED, enterprises: int = DEFAULT_ENTERPRISES) -> list[Path]:
    """Write the three wave folders under `out_dir`; returns them."""
    return write_sample(build_sample(seed, enterprises), out_dir, seed)
