"""`python -m score_pipeline.sample_data --out data/raw [--country CC] [--seed N] [--enterprises N]`.

Without `--country`, Peru's wave folders go straight under `--out` (a single-country root); with it, the
country's folder `<out>/<cc>/` with its `country.yaml` and its waves (a programme root, contract 7).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from score_pipeline.sample_data import DEFAULT_SEED, generate, generate_country
from score_pipeline.sample_data.countries import PERU, SAMPLE_COUNTRIES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="score-pipeline sample-data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("data/raw"), help="raw root to write into")
    parser.add_argument("--country", choices=sorted(SAMPLE_COUNTRIES),
                        help="write this country's folder of a programme root (default: Peru's waves, v1 layout)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--enterprises", type=int, help="default: the country's own (Peru 52, Colombia 30)")
    args = parser.parse_args(argv)
    if args.enterprises is not None and args.enterprises < 1:
        parser.error("--enterprises must be at least 1")
    if args.country:
        folders = generate_country(args.out, SAMPLE_COUNTRIES[args.country], args.seed, args.enterprises)
    else:
        folders = generate(args.out, args.seed, args.enterprises or PERU.enterprises)
    for folder in folders:
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
