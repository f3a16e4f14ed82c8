"""`make bench`: the whole pipeline at 52, 520 and 5,200 enterprises, time and peak memory per stage,
against one hand-written DuckDB SQL script computing the same marts from the same raw tables.

    python -m score_pipeline.benchmark [--sizes 52 520 5200] [--workdir data/benchmarks]

Each size runs in a fresh process with its own raw root, warehouse, publication and Dagster home
under the work folder; the generated extracts are kept there and reused (the generator is
deterministic). Results: a markdown table on stdout and `<workdir>/results.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from score_pipeline import settings
from score_pipeline.sample_data import DEFAULT_SEED, generate

STAGE_ORDER = ("ingest", "dbt", "field checks", "statistics", "publication", "orchestration")  # ingest includes its checks


def extracts(workdir: Path, enterprises: int) -> tuple[Path, float | None]:
    """The sample's extracts at this size (generated once); returns the raw root and the seconds it took."""
    raw = workdir / f"raw_{enterprises}"
    if (raw / "2019-endline" / "SHA256SUMS").exists():
        return raw, None
    began = time.perf_counter()
    generate(raw, DEFAULT_SEED, enterprises)
    return raw, time.perf_counter() - began


def measure(workdir: Path, enterprises: int) -> dict[str, object]:
    raw, generated_in = extracts(workdir, enterprises)
    run = workdir / f"run_{enterprises}"
    shutil.rmtree(run, ignore_errors=True)
    (run / "dagster_home").mkdir(parents=True)
    shutil.copy(settings.LOCAL_INSTANCE_CONFIG, run / "dagster_home" / "dagster.yaml")
    env = {**os.environ, "SCORE_RAW_DIR": str(raw), "SCORE_WAREHOUSE": str(run / "warehouse" / "score.duckdb"),
           "SCORE_PUBLISH_DIR": str(run / "published"), "DAGSTER_HOME": str(run / "dagster_home"),
           "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "False", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    result_file = run / "result.json"
    subprocess.run([sys.executable, "-m", "score_pipeline.benchmark.measure", str(result_file)], env=env, check=True)
    result = json.loads(result_file.read_text())
    raw_bytes = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
    return {"enterprises": enterprises, "raw_mb": raw_bytes / 2**20, "generated_seconds": generated_in, **result}


def markdown(results: list[dict[str, object]]) -> str:
    sizes = [r["enterprises"] for r in results]
    lines = ["| | " + " | ".join(f"{n:,} enterprises" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    row("raw extracts (MB)", [f"{r['raw_mb']:.1f}" for r in results])
    row("raw rows loaded", [f"{sum(r['raw_rows'].values()):,}" for r in results])
    for stage in STAGE_ORDER:
        row(f"{stage}: s / peak MB", [f"{r['stages'][stage]['seconds']:.1f} / {r['stages'][stage]['peak_mb']:.0f}"
                                     for r in results])
    row("**end to end: s**", [f"**{r['wall_seconds']:.1f}**" for r in results])
    row("**peak memory: MB**", [f"**{r['peak_mb']:.0f}**" for r in results])
    row("one more wave, the others loaded (sensor path): s", [f"{r['one_more_wave_seconds']:.1f}" for r in results])
    row("baseline SQL script: s", [f"{r['baseline_seconds']:.2f}" for r in results])
    row("pipeline / baseline", [f"{r['wall_seconds'] / r['baseline_seconds']:.0f}x" for r in results])
    row("after ingest / baseline", [
        f"{(r['wall_seconds'] - r['stages']['ingest']['seconds']) / r['baseline_seconds']:.0f}x" for r in results])
    matching = [all(v.startswith("equal") for v in r["baseline_comparison"].values()) for r in results]
    row("baseline marts equal the pipeline's", ["yes" if ok else "NO" for ok in matching])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m score_pipeline.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[52, 520, 5200])
    parser.add_argument("--workdir", type=Path, default=settings.PROJECT_ROOT / "data" / "benchmarks")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for enterprises in args.sizes:
        print(f"{enterprises:,} enterprises ...", file=sys.stderr, flush=True)
        results.append(measure(args.workdir.resolve(), enterprises))
    (args.workdir / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(markdown(results))
    mismatches = {r["enterprises"]: {m: v for m, v in r["baseline_comparison"].items() if not v.startswith("equal")}
                  for r in results}
    return 1 if any(mismatches.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
