"""The clean truth behind the sample: firms, their scores and indicators, calibrated.

Everything here is numbers in memory. `extracts.py` renders them into raw files
with the real-world mess of the contract; the mess that changes what the
contract's definitions compute (invalid or missing practice cells) is decided
here, before calibration, so that the figures computed from the files hit the
targets.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from score_pipeline.ingest.instruments.profile import COST_STRUCTURES, SIZES
from score_pipeline.ingest.instruments.self_assessment import PERCEIVED_OUTCOMES
from score_pipeline.ingest.instruments.sample_frame import COMPARISON, TREATMENT
from score_pipeline.sample_data.countries import PERU, Design, SampleCountry
from score_pipeline.settings import CODEBOOK_PRACTICES, CODEBOOK_WORKER_ITEMS

SMALL, MEDIUM = SIZES
MODULES = ("m1", "m2", "m3", "m4", "m5")
KPIS = ("accidents", "absenteeism", "turnover", "defects", "raw_material_waste", "unit_cost")
SECTORS = ("Textil y confecciones", "Alimentos y bebidas", "Metalmecánica", "Plásticos",
           "Madera y muebles", "Cuero y calzado", "Químicos", "Imprenta y papel")
NAME_HEADS = ("Industrias", "Confecciones", "Corporación", "Manufacturas", "Textiles",
              "Inversiones", "Fábrica", "Productos", "Metalúrgica", "Grupo")
NAME_TAILS = ("Andina", "del Sur", "Pacífico", "Inca", "Huamán", "Quispe", "San Martín",
              "Los Olivos", "Santa Rosa", "El Norte", "Chavín", "Nazca", "Mistral",
              "Rímac", "Amazonas", "Titicaca", "Paracas", "Cóndor", "Miraflores", "Tupac")
LEGAL_FORMS = ("S.A.C.", "S.A.C.", "S.R.L.", "E.I.R.L.", "S.A.")

# Latent practice level offsets and per-item worker satisfaction profiles.
MODULE_OFFSET = {"m1": 0.10, "m2": 0.05, "m3": -0.15, "m4": -0.10, "m5": 0.10}
WORKER_ITEM_OFFSET = {"w01": -0.10, "w02": 0.20, "w03": 0.10, "w04": -0.25, "w05": 0.10,
                      "w06": 0.20, "w07": 0.00, "w08": -0.20, "w09": -0.30, "w10": 0.30,
                      "w11": -0.10, "w12": -0.20, "w13": -0.30, "w14": 0.10, "w15": 0.15}
# Extra gain from baseline to endline: tidiness and communication most; pay,
# motivation and facilities least (the summary's account of the workers' view).
WORKER_ITEM_GAIN = {"w01": 0.30, "w02": 0.22, "w03": 0.25, "w04": 0.40, "w05": 0.12,
                    "w06": 0.12, "w07": 0.10, "w08": -0.02, "w09": -0.05, "w10": -0.03,
                    "w11": -0.04, "w12": -0.05, "w13": -0.05, "w14": 0.05, "w15": 0.12}

PRACTICE_NOT_APPLICABLE = 0.03
PRACTICE_NOT_OBSERVED = 0.02
PRACTICE_INVALID = 0.006
PRACTICE_NOT_ASKED = 0.01


@dataclass(frozen=True)
class Practice:
    practice_id: str
    module: str
    category: str


@dataclass
class Firm:
    ruc: str
    name: str
    region: str
    sector: str
    size: str  # one of SIZES, as written in the profile sheet
    cost_structure: str
    registered: str  # ISO date the firm joined the evaluation
    arm: str | None = None  # contract 8: its arm in the sample frame (None: no design, or not in the frame)
    stratum: str | None = None  # the frame's randomisation stratum


@dataclass
class WaveData:
    """The clean values of one wave, indexed like `Sample.firms`."""

    practice_codes: np.ndarray  # (firms, practices) object: "1".."5", "NA", "99", "", or an invalid code
    profile: dict[str, list[float | None]]  # column -> value per firm (None = not available)
    uses_productivity_indicators: list[bool]
    gender_policy: list[bool]
    worker_answers: list[np.ndarray]  # per firm: (respondents, 15) float, NaN = no answer
    self_assessment: np.ndarray  # (firms, 5) ratings 1..5
    perceptions: list[dict[str, tuple[str, str]]] | None  # per firm: outcome -> (efecto, influencia)
    missing_worker_survey: set[int] = field(default_factory=set)
    attrited: set[int] = field(default_factory=set)  # firms that sent no practices, profile, self-assessment or survey
    worker_codes: list[list[str]] | None = None  # per firm, per respondent: its code ("" anonymous); None: no column


@dataclass
class Sample:
    country: SampleCountry
    firms: list[Firm]
    practices: list[Practice]
    worker_items: list[str]
    waves: dict[str, WaveData]
    modules_completed: list[int]


def load_practices() -> list[Practice]:
    with CODEBOOK_PRACTICES.open(encoding="utf-8") as handle:
        return [Practice(r["practice_id"], r["module"], r["category"]) for r in csv.DictReader(handle)]


def load_worker_items() -> list[str]:
    with CODEBOOK_WORKER_ITEMS.open(encoding="utf-8") as handle:
        return [row["item_id"] for row in csv.DictReader(handle)]


def solve_offset(mean_for: Callable[[float], float], target: float, lo: float = -4.0, hi: float = 4.0) -> float:
    """Bisection for the offset at which a non-decreasing `mean_for(offset)` reaches `target`."""
    for _ in range(60):
        mid = (lo + hi) / 2
        if mean_for(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def global_scores(scores: np.ndarray, practices: list[Practice]) -> np.ndarray:
    """The contract's scoring (2.1) on a (firms, practices) array of valid scores (NaN otherwise)."""
    categories = sorted({(p.module, p.category) for p in practices})
    module_sums = {m: np.zeros(scores.shape[0]) for m in MODULES}
    module_counts = {m: np.zeros(scores.shape[0]) for m in MODULES}
    for module, category in categories:
        columns = [i for i, p in enumerate(practices) if (p.module, p.category) == (module, category)]
        block = scores[:, columns]
        valid = (~np.isnan(block)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            mean = np.nansum(block, axis=1) / valid
        has_score = valid * 2 >= len(columns)
        module_sums[module] += np.where(has_score, np.nan_to_num(mean), 0.0)
        module_counts[module] += has_score
    module_scores = np.array([
        np.where(module_counts[m] > 0, module_sums[m] / np.maximum(module_counts[m], 1), np.nan) for m in MODULES
    ]).T
    n_modules = (~np.isnan(module_scores)).sum(axis=1)
    return np.where(n_modules >= 4, row_nanmean(module_scores), np.nan)


def row_nanmean(values: np.ndarray) -> np.ndarray:
    """Mean of each row's non-NaN values; NaN for a row with none."""
    counts = (~np.isnan(values)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(counts > 0, np.nansum(values, axis=1) / np.maximum(counts, 1), np.nan)


WAVE_PROGRESS = (0.0, 0.53, 1.0)  # share of the baseline -> endline change reached at each wave
INVALID_PRACTICE_CODES = ("0", "6", "3.5", "x", "bueno", "55")
NA_CATEGORY_FIRM = 5  # firm whose `residuos` practices never apply: that category is null
THREE_MODULE_FIRM, THREE_MODULE_WAVE = 16, 1  # m4, m5 not observed at the midterm: global null
FEW_RESPONDENTS_FIRM, FEW_RESPONDENTS_WAVE = 9, 1  # only 4 workers answered
NO_WORKER_SURVEY_FIRM, NO_WORKER_SURVEY_WAVE = 30, 1  # the instrument missing for one firm, one wave


def build_sample(seed: int, n_firms: int, country: SampleCountry = PERU) -> Sample:
    """A country's whole sample, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    practices = load_practices()
    worker_items = load_worker_items()
    firms = _make_firms(rng, n_firms, country)
    design_rng = np.random.default_rng([seed, 8])
    if country.design is not None:
        assign_arms(firms, country.design, design_rng)
    codes = _practice_codes(rng, firms, practices, country)
    workers = _calibrated_workers(rng, firms, country)
    profiles = _profiles(rng, firms, workers, country)
    answers = _worker_answers(rng, firms, workers, worker_items, country)
    attrited = _attrited(firms, country.design, design_rng) if country.design is not None else set()
    worker_codes = (_worker_codes(answers, country.design, design_rng, attrited) if country.design is not None
                    else [None] * len(country.waves))
    waves = {}
    for w, wave in enumerate(country.waves):
        waves[wave] = WaveData(
            practice_codes=codes[w],
            profile=profiles[w],
            uses_productivity_indicators=_nested_yes(n_firms, country.targets.n_using_productivity_indicators, w, seed + 1),
            gender_policy=_nested_yes(n_firms, country.targets.n_gender_policy, w, seed + 2),
            worker_answers=answers[w],
            self_assessment=_self_assessment(rng, codes[w]),
            perceptions=_perceptions(rng, n_firms, country.targets.share_positive_effects[w]) if w > 0 else None,
            missing_worker_survey={NO_WORKER_SURVEY_FIRM} if w == NO_WORKER_SURVEY_WAVE and n_firms > 30 else set(),
            attrited=attrited if w == len(country.waves) - 1 else set(),
            worker_codes=worker_codes[w],
        )
    modules_completed = [int(rng.choice([5, 4, 3], p=[0.75, 0.15, 0.10])) for _ in firms]
    if country.design is not None:
        modules_completed = _uptake(firms, modules_completed, country.design)
    return Sample(country, firms, practices, worker_items, waves, modules_completed)


def assign_arms(firms: list[Firm], design: Design, rng: np.random.Generator) -> None:
    """Contract 8.1's frame: every firm but the last `outside_frame` ones, randomised within its stratum (its region):
    half of each stratum treated (the odd one by a coin), the other half the comparison arm."""
    framed = firms[:len(firms) - design.outside_frame]
    for stratum in sorted({f.region for f in framed}):
        members = [f for f in framed if f.region == stratum]
        order = rng.permutation(len(members))
        n_treated = len(members) // 2 + int(len(members) % 2 == 1 and rng.random() < 0.5)
        for rank, index in enumerate(order):
            members[index].arm = TREATMENT if rank < n_treated else COMPARISON
            members[index].stratum = stratum


def change_shares(firms: list[Firm], country: SampleCountry) -> np.ndarray:
    """Each firm's share of the programme's change: 1 for a treated firm (and any firm without a design or outside
    the frame), the design's `comparison_change` for a comparison firm."""
    design = country.design
    return np.array([design.comparison_change if design is not None and f.arm == COMPARISON else 1.0 for f in firms])


def _attrited(firms: list[Firm], design: Design, rng: np.random.Generator) -> set[int]:
    """The firms of each arm (by the design's share) that sent no endline files: attrition, more in one arm."""
    lost: set[int] = set()
    for arm, share in design.endline_attrition.items():
        members = [e for e, f in enumerate(firms) if f.arm == arm]
        lost.update(int(e) for e in rng.choice(members, size=round(share * len(members)), replace=False))
    return lost


def _uptake(firms: list[Firm], modules_completed: list[int], design: Design) -> list[int]:
    """Comparison firms take no training, except the first of them (contaminated: it took some modules anyway)."""
    contaminated = next(e for e, f in enumerate(firms) if f.arm == COMPARISON)
    return [design.contaminated_modules if e == contaminated else 0 if f.arm == COMPARISON else modules
            for e, (f, modules) in enumerate(zip(firms, modules_completed))]


WORKER_CODE_FIRST = 100  # a firm's staff codes count up from T-0100


def _worker_codes(answers: list[list[np.ndarray]], design: Design, rng: np.random.Generator,
                  attrited: set[int]) -> list[list[list[str]]]:
    """Per wave, per firm, each respondent's code (contract 8.2): at each wave after the first, a coded respondent
    of the previous wave answers again with the design's `stayers` share (the others left), and newcomers get the
    firm's next codes (joiners); some respondents leave the code empty. The first firm's baseline repeats a code
    (two respondents typed the same): both rows count as anonymous."""
    per_wave: list[list[list[str]]] = []
    next_code = [WORKER_CODE_FIRST + int(rng.integers(0, 800)) for _ in answers[0]]
    previous: list[list[str]] = [[] for _ in answers[0]]
    for w, firms_answers in enumerate(answers):
        wave_codes = []
        for e, respondents in enumerate(firms_answers):
            returning = [c for c in previous[e] if rng.random() < design.stayers] if w else []
            codes = list(rng.permutation(returning))[:len(respondents)]
            while len(codes) < len(respondents):
                codes.append(f"T-{next_code[e]:04d}")
                next_code[e] += 1
            codes = [str(c) if rng.random() >= design.anonymous else "" for c in codes]
            if w == 0 and e == 0 and len(codes) > 1:
                codes[1] = codes[0] = codes[0] or f"T-{WORKER_CODE_FIRST:04d}"
            wave_codes.append(codes)
        if w == len(answers) - 1:
            wave_codes = [[] if e in attrited else codes for e, codes in enumerate(wave_codes)]
        previous = [list(dict.fromkeys(c for c in codes if c)) for codes in wave_codes]
        per_wave.append(wave_codes)
    return per_wave


def _make_firms(rng: np.random.Generator, n_firms: int, country: SampleCountry) -> list[Firm]:
    firms: list[Firm] = []
    seen_rucs: set[str] = set()
    seen_names: set[str] = set()
    for i in range(n_firms):
        ruc = country.identifiers.make(rng)
        while ruc in seen_rucs:
            ruc = country.identifiers.make_again(rng)
        seen_rucs.add(ruc)
        name = f"{rng.choice(NAME_HEADS)} {rng.choice(NAME_TAILS)} {rng.choice(LEGAL_FORMS)}"
        if name in seen_names:
            name = name.replace(" S.", f" {i + 1} S.", 1) if " S." in name else f"{name} {i + 1}"
        seen_names.add(name)
        month, day = rng.integers(1, 6), rng.integers(1, 28)
        firms.append(Firm(
            ruc=ruc,
            name=name,
            region=str(rng.choice(country.regions)),
            sector=str(rng.choice(SECTORS)),
            size=MEDIUM if rng.random() < 0.42 else SMALL,
            cost_structure=str(rng.choice(COST_STRUCTURES, p=[0.40, 0.35, 0.25])),
            registered=f"{country.waves[0][:4]}-{month:02d}-{day:02d}",
        ))
    return firms


def _practice_codes(rng: np.random.Generator, firms: list[Firm], practices: list[Practice],
                    country: SampleCountry) -> list[np.ndarray]:
    """Per wave, the (firms, practices) cell codes, calibrated to the target global scores."""
    n_firms, n_practices = len(firms), len(practices)
    base = rng.normal(0.0, 0.35, n_firms)
    gain = np.clip(rng.normal(1.0, 0.30, n_firms), 0.45, 1.9) * change_shares(firms, country)
    module_gain = {m: np.clip(gain + rng.normal(0, 0.2, n_firms), 0.2, None) for m in MODULES}
    category_offset = {c: rng.normal(0, 0.15) for c in sorted({p.category for p in practices})}
    structure = np.array([MODULE_OFFSET[p.module] + category_offset[p.category] for p in practices])
    gains = np.array([module_gain[p.module] for p in practices]).T  # (firms, practices)
    codes_per_wave = []
    for w, progress in enumerate(WAVE_PROGRESS):
        latent = base[:, None] + structure[None, :] + progress * gains + rng.normal(0, 0.6, (n_firms, n_practices))
        status = _practice_status(rng, n_firms, practices, w)
        valid = status == ""

        def mean_global(offset: float) -> float:
            scores = np.where(valid, np.clip(np.rint(latent + offset), 1, 5), np.nan)
            return float(np.nanmean(global_scores(scores, practices)))

        offset = solve_offset(mean_global, country.targets.global_score[w])
        scores = np.clip(np.rint(latent + offset), 1, 5).astype(int).astype(str)
        codes_per_wave.append(np.where(valid, scores, status).astype(object))
    return codes_per_wave


def _practice_status(rng: np.random.Generator, n_firms: int, practices: list[Practice], wave: int) -> np.ndarray:
    """'' where the cell holds a score, else the code written instead (NA, 99, empty, invalid)."""
    draw = rng.random((n_firms, len(practices)))
    cuts = np.cumsum([PRACTICE_NOT_APPLICABLE, PRACTICE_NOT_OBSERVED, PRACTICE_NOT_ASKED, PRACTICE_INVALID])
    status = np.full((n_firms, len(practices)), "", dtype=object)
    status[draw < cuts[3]] = "invalid"
    status[draw < cuts[2]] = "not_asked"
    status[draw < cuts[1]] = "99"
    status[draw < cuts[0]] = "NA"
    invalid = status == "invalid"
    status[invalid] = rng.choice(INVALID_PRACTICE_CODES, size=int(invalid.sum()))
    status[status == "not_asked"] = " "  # rendered as an empty cell
    if n_firms > NA_CATEGORY_FIRM:
        status[NA_CATEGORY_FIRM, [i for i, p in enumerate(practices) if p.category == "residuos"]] = "NA"
    if wave == THREE_MODULE_WAVE and n_firms > THREE_MODULE_FIRM:
        status[THREE_MODULE_FIRM, [i for i, p in enumerate(practices) if p.module in ("m4", "m5")]] = "99"
    return status


def _calibrated_workers(rng: np.random.Generator, firms: list[Firm], country: SampleCountry) -> list[np.ndarray]:
    medium = np.array([f.size == MEDIUM for f in firms])
    baseline = np.where(medium, rng.lognormal(np.log(52), 0.35, len(firms)), rng.lognormal(np.log(19), 0.35, len(firms)))
    growth = rng.lognormal(np.log(1.26), 0.10, len(firms))
    result = []
    for w, progress in enumerate(WAVE_PROGRESS):
        raw = baseline * growth**progress
        result.append(calibrate_integers(raw, country.targets.workers[w], minimum=6))
    return result


def calibrate_integers(raw: np.ndarray, target_mean: float, minimum: int) -> np.ndarray:
    """Integers proportional to `raw` whose mean is as close to `target_mean` as integers allow."""
    scale = solve_offset(lambda s: float(np.maximum(np.rint(raw * s), minimum).mean()), target_mean, 0.01, 100.0)
    values = np.maximum(np.rint(raw * scale), minimum).astype(int)
    step = 1 if values.mean() < target_mean else -1
    for i in np.argsort(-raw):
        if abs(values.mean() - target_mean) <= 0.5 / len(values):
            break
        if values[i] + step >= minimum:
            values[i] += step
    return values


def calibrate_scaled(raw: np.ndarray, reported: np.ndarray, target_mean: float, decimals: int) -> np.ndarray:
    """`raw` scaled and rounded so that its mean over the reported entries is `target_mean`."""
    scale = solve_offset(lambda s: float(np.round(raw * s, decimals)[reported].mean()), target_mean, 0.0, 1e6)
    return np.round(raw * scale, decimals)


def _profiles(rng: np.random.Generator, firms: list[Firm], workers: list[np.ndarray],
              country: SampleCountry) -> list[dict[str, list[float | None]]]:
    n = len(firms)
    productivity = rng.lognormal(0.0, 0.30, n)
    wage = rng.lognormal(0.0, 0.15, n)
    capacity_base = rng.normal(0.0, 9.0, n)
    women_share_base = np.clip(np.array([_sector_female_share(f.sector) for f in firms]) + rng.normal(0, 0.08, n), 0.03, 0.9)
    kpis = _kpis(rng, firms, workers[0], country)
    profiles = []
    for w, progress in enumerate(WAVE_PROGRESS):
        reported = rng.random(n) > 0.04
        sales = calibrate_scaled(workers[w] * productivity, reported, country.targets.annual_sales[w], 0)
        payroll = calibrate_scaled(workers[w] * wage, reported, country.targets.monthly_payroll[w], 2)
        capacity_reported = rng.random(n) > 0.10
        capacity_offset = solve_offset(
            lambda c: float(np.clip(np.round(capacity_base + c), 15, 98)[capacity_reported].mean()),
            country.targets.capacity_use_pct[w], 0.0, 100.0)
        capacity = np.clip(np.round(capacity_base + capacity_offset), 15, 98)
        women = _calibrated_women(workers[w], women_share_base, country.targets.female_share_pct[w])
        profile: dict[str, list[float | None]] = {
            "workers": [float(x) for x in workers[w]],
            "women": [float(x) for x in women],
            "sales": [float(x) if r else None for x, r in zip(sales, reported)],
            "payroll": [float(x) if r else None for x, r in zip(payroll, reported)],
            "capacity": [float(x) if r else None for x, r in zip(capacity, capacity_reported)],
        }
        for kpi in KPIS:
            profile[kpi] = kpis[kpi][w]
        profiles.append(profile)
    return profiles


def _sector_female_share(sector: str) -> float:
    return {"Textil y confecciones": 0.52, "Cuero y calzado": 0.40, "Alimentos y bebidas": 0.42}.get(sector, 0.20)


def _calibrated_women(workers: np.ndarray, share: np.ndarray, target_pct: float) -> np.ndarray:
    def mean_share(offset: float) -> float:
        return float((np.rint(workers * np.clip(share + offset, 0, 1)) / workers).mean() * 100)

    offset = solve_offset(mean_share, target_pct, -1.0, 1.0)
    return np.rint(workers * np.clip(share + offset, 0, 1))


KPI_BASELINE = {  # (typical baseline value, lognormal sigma, decimals, share of firms reporting at baseline)
    "accidents": (6.0, 0.55, 0, 0.75),
    "absenteeism": (5.0, 0.40, 1, 0.70),
    "turnover": (20.0, 0.40, 1, 0.70),
    "defects": (6.0, 0.50, 1, 0.65),
    "raw_material_waste": (8.0, 0.45, 1, 0.60),
    "unit_cost": (None, 0.80, 2, 0.70),  # typical: the country's (Targets.unit_cost_typical)
}


def _kpis(rng: np.random.Generator, firms: list[Firm], workers: np.ndarray,
          country: SampleCountry) -> dict[str, list[list[float | None]]]:
    """Per KPI, per wave, each firm's value (None = not measured), calibrated on the baseline-endline pairs."""
    n = len(firms)
    out: dict[str, list[list[float | None]]] = {}
    for kpi, (typical, sigma, decimals, share_reporting) in KPI_BASELINE.items():
        reports_baseline = rng.random(n) < share_reporting
        starts_later = ~reports_baseline & (rng.random(n) < 0.35)
        stops = reports_baseline & (rng.random(n) < 0.05)
        scale = workers / workers.mean() if kpi == "accidents" else np.ones(n)
        typical = country.targets.unit_cost_typical if kpi == "unit_cost" else typical
        baseline = np.round(typical * scale * rng.lognormal(0, sigma, n), decimals)
        if kpi == "accidents":
            baseline[rng.random(n) < 0.06] = 0  # no accident that year: not counted for the % change
        noise = rng.normal(0, 0.15, n)
        pct_target = _kpi_targets(kpi, firms, country)
        counted = reports_baseline & ~stops & (baseline > 0)

        def endline_for(shift: float) -> np.ndarray:
            return np.maximum(np.round(baseline * (1 + pct_target / 100 + shift + noise), decimals), 0)

        endline = np.empty(n)
        for group in np.unique(pct_target):
            members = counted & (pct_target == group)
            if not members.any():
                continue
            shift = solve_offset(
                lambda s: float(((endline_for(s)[members] - baseline[members]) / baseline[members]).mean() * 100), group, -2.0, 2.0)
            endline[pct_target == group] = endline_for(shift)[pct_target == group]
        midterm = np.round(baseline + WAVE_PROGRESS[1] * (endline - baseline), decimals)
        later_value = np.round(typical * scale * rng.lognormal(0, sigma, n) * 0.8, decimals)
        out[kpi] = [
            [float(v) if r else None for v, r in zip(baseline, reports_baseline)],
            [float(m if r else lv) if (r or s) else None for m, lv, r, s in zip(midterm, later_value, reports_baseline & ~stops, starts_later)],
            [float(e if r else lv) if (r or s) else None for e, lv, r, s in zip(endline, later_value, reports_baseline & ~stops, starts_later)],
        ]
    return out


def _kpi_targets(kpi: str, firms: list[Firm], country: SampleCountry) -> np.ndarray:
    if kpi == "unit_cost":
        targets = np.array([country.targets.unit_cost_pct_change_by_cost_structure[f.cost_structure] for f in firms])
    else:
        targets = np.full(len(firms), country.targets.kpi_mean_pct_change[kpi])
    return targets * change_shares(firms, country)


def _nested_yes(n_firms: int, counts: tuple[int, ...], wave: int, seed: int) -> list[bool]:
    """The first `counts[wave]` firms of one fixed order answer Sí: adopters keep their practice."""
    order = np.random.default_rng(seed).permutation(n_firms)
    count = round(counts[wave] * n_firms / 52)
    chosen = set(order[:count].tolist())
    return [i in chosen for i in range(n_firms)]


def _worker_answers(rng: np.random.Generator, firms: list[Firm], workers: list[np.ndarray], items: list[str],
                    country: SampleCountry) -> list[list[np.ndarray]]:
    """Per wave, per firm, a (respondents, items) array: 1..5, NaN for no answer, -1 for an invalid label."""
    n = len(firms)
    firm_effect = rng.normal(0, 0.25, n)
    firm_gain = np.clip(rng.normal(1.0, 0.3, n), 0.2, None) * change_shares(firms, country)
    item_offset = np.array([WORKER_ITEM_OFFSET[i] for i in items])
    item_gain = np.array([WORKER_ITEM_GAIN[i] for i in items])
    scored_items = np.array([i != "w15" for i in items])
    per_wave = []
    for w, progress in enumerate(WAVE_PROGRESS):
        latents, masks = [], []
        for e in range(n):
            n_resp = int(min(workers[w][e], rng.integers(*country.respondents)))
            if w == FEW_RESPONDENTS_WAVE and e == FEW_RESPONDENTS_FIRM:
                n_resp = 4
            respondent = rng.normal(0, 0.4, (n_resp, 1))
            latent = firm_effect[e] + item_offset + progress * firm_gain[e] * item_gain + respondent + rng.normal(0, 0.6, (n_resp, len(items)))
            mask = np.where(rng.random((n_resp, len(items))) < 0.035, np.nan, 1.0)
            partial = rng.random(n_resp) < 0.03
            for r in np.flatnonzero(partial):
                mask[r, rng.choice(len(items), size=int(rng.integers(6, 10)), replace=False)] = np.nan
            mask[rng.random((n_resp, len(items))) < 0.005] = -1.0
            latents.append(latent)
            masks.append(mask)

        def answers_for(offset: float) -> list[np.ndarray]:
            return [np.where(m == 1.0, np.clip(np.rint(l + offset), 1, 5), m) for l, m in zip(latents, masks)]

        def wave_mean(offset: float) -> float:
            return float(np.nanmean([firm_overall(a, scored_items) for a in answers_for(offset)]))

        per_wave.append(answers_for(solve_offset(wave_mean, country.targets.worker_satisfaction[w], 0.0, 6.0)))
    return per_wave


def firm_overall(answers: np.ndarray, scored_items: np.ndarray) -> float:
    """Contract 2.4: mean of the respondent scores (>= 10 valid answers to the scored items)."""
    valid = np.where(answers[:, scored_items] >= 1, answers[:, scored_items], np.nan)
    counts = (~np.isnan(valid)).sum(axis=1)
    scores = row_nanmean(valid)[counts >= 10]
    return float(scores.mean()) if len(scores) else float("nan")


def _self_assessment(rng: np.random.Generator, codes: np.ndarray) -> np.ndarray:
    numeric = np.array([[float(c) if c in ("1", "2", "3", "4", "5") else np.nan for c in row] for row in codes])
    level = row_nanmean(numeric)
    return np.clip(np.rint(level[:, None] + 0.3 + rng.normal(0, 0.7, (len(codes), 5))), 1, 5).astype(int)


def _perceptions(rng: np.random.Generator, n_firms: int, share_positive: float) -> list[dict[str, tuple[str, str]]]:
    result = []
    for _ in range(n_firms):
        answers = {}
        for outcome in PERCEIVED_OUTCOMES:
            p_pos = share_positive - (0.2 if outcome == "costo_unitario" else -0.025)
            rest = (1 - p_pos) / 3
            effect = str(rng.choice(["positivo", "ninguno", "negativo", "no_sabe"], p=[p_pos, rest * 1.4, rest * 0.4, rest * 1.2]))
            influence = str(rng.choice(["mucho", "algo", "nada", "no_sabe"], p=[0.45, 0.33, 0.14, 0.08]))
            if rng.random() < 0.02:
                effect, influence = "", ""
            answers[outcome] = (effect, influence)
        result.append(answers)
    return result
