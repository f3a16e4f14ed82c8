"""`python -m score_pipeline.sample_data --out data/raw [--seed N] [--enterprises N]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from score_pipeline.sample_data import DEFAULT_ENTERPRISES, DEFAULT_SEED, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="score-pipeline sample-data", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("data/raw"), help="raw root to write the wave folders into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--enterprises", type=int, default=DEFAULT_ENTERPRISES)
    args = parser.parse_args(argv)
    if args.enterprises < 1:
        parser.error("--enterprises must be at least 1")
    for folder in generate(args.out, args.seed, args.enterprises):
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
