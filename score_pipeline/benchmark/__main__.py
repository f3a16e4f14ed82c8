"""`make bench`: the whole pipeline at 52, 520 and 5,200 enterprises, and the programme case (11
countries x 3 waves x 52 enterprises), time and peak memory per stage, against one hand-written DuckDB
SQL script computing the same marts from the same raw tables.

    python -m score_pipeline.benchmark [--sizes 52 520 5200] [--countries 11] [--workdir data/benchmarks]

Each case runs in a fresh process with its own raw root, warehouse, publication and Dagster home
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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from score_pipeline import settings
from score_pipeline.core.identifiers import RUC_PREFIXES
from score_pipeline.core.programme import COUNTRY_FILE
from score_pipeline.sample_data import DEFAULT_SEED, generate
from score_pipeline.sample_data.countries import PERU

STAGE_ORDER = ("ingest", "dbt", "field checks", "statistics", "publication", "orchestration")  # ingest includes its checks


# The seed's 11 SCORE countries (contract 7) for the programme case: each is Peru's generator with a seed
# of its own under the country's code, name and currency. Its identifiers are RUCs, so every country but
# Peru declares them as a pattern scheme (the path a country without a python-stdnum module takes).
PROGRAMME = (("bo", "Bolivia", "BOB"), ("cn", "China", "CNY"), ("co", "Colombia", "COP"), ("et", "Ethiopia", "ETB"),
             ("gh", "Ghana", "GHS"), ("id", "Indonesia", "IDR"), ("in", "India", "INR"), ("mm", "Myanmar", "MMK"),
             ("pe", "Peru", "PEN"), ("tn", "Tunisia", "TND"), ("vn", "Vietnam", "VND"))
RUC_PATTERN = f"(?:{'|'.join(RUC_PREFIXES)})[0-9]{{9}}"
PROGRAMME_ENTERPRISES = 52
SAMPLE_ENDLINE = "2019-endline"  # the generator's last wave: its SHA256SUMS marks a complete set of extracts


@dataclass(frozen=True)
class Case:
    label: str  # the table's column
    enterprises: int  # per country
    countries: int
    partitions: int


def extracts(workdir: Path, enterprises: int) -> tuple[Path, float | None]:
    """The sample's extracts at this size (generated once); returns the raw root and the seconds it took."""
    raw = workdir / f"raw_{enterprises}"
    if (raw / SAMPLE_ENDLINE / "SHA256SUMS").exists():
        return raw, None
    began = time.perf_counter()
    generate(raw, DEFAULT_SEED, enterprises)
    return raw, time.perf_counter() - began


def programme_extracts(workdir: Path, countries: int) -> tuple[Path, float | None]:
    """A programme root of the first `countries` of PROGRAMME (generated once)."""
    root = workdir / f"programme_{countries}x{PROGRAMME_ENTERPRISES}"
    began, generated = time.perf_counter(), False
    for index, (code, name, currency) in enumerate(PROGRAMME[:countries]):
        folder = root / code
        if (folder / SAMPLE_ENDLINE / "SHA256SUMS").exists():
            continue
        scheme = "pe.ruc" if code == "pe" else json.dumps({"pattern": RUC_PATTERN})
        folder.mkdir(parents=True, exist_ok=True)
        (folder / COUNTRY_FILE).write_text(f"name: {name}\ncurrency: {currency}\nenterprise_id: {scheme}\n",
                                           encoding="utf-8")
        # Peru's generator, its amounts marked with the country's own ISO code (contract 2.2)
        country = PERU if code == "pe" else replace(PERU, code=code, name=name, currency=currency,
                                                    money_prefixes=(f"{currency} ", f"{currency} "))
        generate(folder, DEFAULT_SEED + index, PROGRAMME_ENTERPRISES, country)
        generated = True
    return root, time.perf_counter() - began if generated else None


def measure(workdir: Path, case: Case, raw: Path, generated_in: float | None) -> dict[str, object]:
    run = workdir / f"run_{case.label.replace(' ', '_')}"
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
    return {**asdict(case), "raw_mb": raw_bytes / 2**20, "generated_seconds": generated_in, **result}


def markdown(results: list[dict[str, object]]) -> str:
    lines = ["| | " + " | ".join(r["label"] for r in results) + " |", "|---|" + "---|" * len(results)]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    row("raw extracts (MB)", [f"{r['raw_mb']:.1f}" for r in results])
    row("raw rows loaded", [f"{sum(r['raw_rows'].values()):,}" for r in results])
    for stage in STAGE_ORDER:
        row(f"{stage}: s / peak MB (PSS / RSS summed)", [
            f"{r['stages'][stage]['seconds']:.1f} / {r['stages'][stage]['peak_mb']:.0f} / "
            f"{r['stages'][stage]['peak_rss_sum_mb']:.0f}" for r in results])
    row("**end to end: s**", [f"**{r['wall_seconds']:.1f}**" for r in results])
    row("**peak memory (PSS): MB**", [f"**{r['peak_mb']:.0f}**" for r in results])
    row("peak of the processes' resident memory summed (RSS; a shared page counted in each): MB",
        [f"{r['peak_rss_sum_mb']:.0f}" for r in results])
    row("wave runs: s each", [", ".join(f"{s:.1f}" for s in r["wave_run_seconds"]) if len(
        r["wave_run_seconds"]) < 4 else f"{min(r['wave_run_seconds']):.1f} to {max(r['wave_run_seconds']):.1f}"
                                                  for r in results])
    row("end to end per partition (country x wave): s", [f"{r['wall_seconds'] / r['partitions']:.1f}" for r in results])
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
    parser.add_argument("--sizes", type=int, nargs="*", default=[52, 520, 5200])
    parser.add_argument("--countries", type=int, default=len(PROGRAMME), choices=range(0, len(PROGRAMME) + 1),
                        metavar=f"0..{len(PROGRAMME)}", help="countries of the programme case (0: none)")
    parser.add_argument("--workdir", type=Path, default=settings.PROJECT_ROOT / "data" / "benchmarks")
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for enterprises in args.sizes:
        print(f"{enterprises:,} enterprises ...", file=sys.stderr, flush=True)
        case = Case(f"{enterprises:,} enterprises", enterprises, 1, 3)
        results.append(measure(workdir, case, *extracts(workdir, enterprises)))
    if args.countries:
        print(f"programme: {args.countries} countries x 3 waves x {PROGRAMME_ENTERPRISES} ...", file=sys.stderr, flush=True)
        case = Case(f"{args.countries} countries x {PROGRAMME_ENTERPRISES}", PROGRAMME_ENTERPRISES, args.countries,
                    3 * args.countries)
        results.append(measure(workdir, case, *programme_extracts(workdir, args.countries)))
    (workdir / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(markdown(results))
    mismatches = {r["label"]: {m: v for m, v in r["baseline_comparison"].items() if not v.startswith("equal")}
                  for r in results}
    return 1 if any(mismatches.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
