"""`python -m score_pipeline.sample_data --out data/raw [--country CC] [--seed N] [--enterprises N]`.

Writes a programme root (contract 7): each sample country's folder `<out>/<cc>/` with its `country.yaml`
and its waves; with `--country`, that country's folder only. The shipped `data/raw/` is this output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from score_pipeline.sample_data import DEFAULT_SEED, generate_country
from score_pipeline.sample_data.countries import SAMPLE_COUNTRIES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="score-pipeline sample-data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("data/raw"), help="raw root to write into")
    parser.add_argument("--country", choices=sorted(SAMPLE_COUNTRIES),
                        help="write this country's folder only (default: every sample country's)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--enterprises", type=int, help="default: the country's own (Peru 52, Colombia 30)")
    args = parser.parse_args(argv)
    if args.enterprises is not None and args.enterprises < 1:
        parser.error("--enterprises must be at least 1")
    countries = [SAMPLE_COUNTRIES[args.country]] if args.country else list(SAMPLE_COUNTRIES.values())
    folders = [folder for country in countries
               for folder in generate_country(args.out, country, args.seed, args.enterprises)]
    for folder in folders:
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
