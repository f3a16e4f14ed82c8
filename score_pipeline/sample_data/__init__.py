"""Realistic, calibrated sample extracts: Peru's three SCORE waves, and a synthetic second country."""

from __future__ import annotations

from pathlib import Path

from score_pipeline.core.programme import COUNTRY_FILE
from score_pipeline.sample_data.countries import PERU, SampleCountry
from score_pipeline.sample_data.extracts import write_sample
from score_pipeline.sample_data.model import build_sample

DEFAULT_SEED = 20170614
DEFAULT_ENTERPRISES = PERU.enterprises


def generate(out_dir: Path, seed: int = DEFAULT_SEED, enterprises: int = DEFAULT_ENTERPRISES,
             country: SampleCountry = PERU) -> list[Path]:
    """Write a country's three wave folders under `out_dir`; returns them."""
    return write_sample(build_sample(seed, enterprises, country), out_dir, seed)


def generate_country(root: Path, country: SampleCountry, seed: int = DEFAULT_SEED,
                     enterprises: int | None = None) -> list[Path]:
    """A programme root's country folder (contract 7): `<root>/<code>/country.yaml` and its wave folders."""
    folder = root / country.code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / COUNTRY_FILE).write_text(country.country_yaml, encoding="utf-8")
    return generate(folder, seed, enterprises or country.enterprises, country)
