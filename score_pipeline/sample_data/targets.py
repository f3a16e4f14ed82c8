"""The figures each country's sample is calibrated to (per wave: baseline, midterm, endline).

Peru's are the evaluation summary's (its midterm values are not in the summary; they sit between
baseline and endline). Colombia's and Ghana's are invented, clearly synthetic: programmes with effects
of their own, in pesos and cedis (Ghana's are over both arms of its evaluation: the treated change more).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Targets:
    global_score: tuple[float, float, float]
    worker_satisfaction: tuple[float, float, float]
    capacity_use_pct: tuple[float, float, float]
    annual_sales: tuple[float, float, float]
    workers: tuple[float, float, float]
    monthly_payroll: tuple[float, float, float]
    female_share_pct: tuple[float, float, float]
    n_using_productivity_indicators: tuple[int, int, int]  # of 52 enterprises (scaled to the sample's size)
    n_gender_policy: tuple[int, int, int]  # of 52 enterprises
    kpi_mean_pct_change: dict[str, float]  # mean % change baseline -> endline over the enterprises reporting both
    unit_cost_pct_change_by_cost_structure: dict[str, float]
    share_positive_effects: tuple[None, float, float]
    unit_cost_typical: float  # a baseline unit cost, in the country's currency


PERU = Targets(
    global_score=(2.04, 2.58, 3.06),
    worker_satisfaction=(3.64, 3.72, 3.79),
    capacity_use_pct=(63.0, 68.0, 72.0),
    annual_sales=(7_050_000.0, 7_900_000.0, 8_850_000.0),
    workers=(33.7, 38.0, 42.5),
    monthly_payroll=(56_069.0, 63_500.0, 71_000.0),
    female_share_pct=(32.0, 33.5, 35.0),
    n_using_productivity_indicators=(5, 7, 9),  # under 20 % throughout
    n_gender_policy=(7, 12, 18),
    kpi_mean_pct_change={"accidents": -42.0, "absenteeism": -34.0, "turnover": -12.0, "defects": -22.0,
                         "raw_material_waste": -33.0},
    # Unit cost "mostly remained the same": down slightly for labour- and domestic input-intensive firms,
    # up for those dependent on (revalued) imported inputs.
    unit_cost_pct_change_by_cost_structure={"Mano de obra": -4.0, "Insumos nacionales": -3.0,
                                            "Insumos importados": 7.0},
    share_positive_effects=(None, 0.74, 0.85),
    unit_cost_typical=25.0,
)

COLOMBIA = Targets(
    global_score=(2.30, 2.62, 2.95),
    worker_satisfaction=(3.50, 3.58, 3.70),
    capacity_use_pct=(58.0, 61.0, 66.0),
    annual_sales=(2_400_000_000.0, 2_600_000_000.0, 2_900_000_000.0),
    workers=(28.0, 30.5, 33.0),
    monthly_payroll=(52_000_000.0, 56_000_000.0, 61_000_000.0),
    female_share_pct=(38.0, 39.0, 40.5),
    n_using_productivity_indicators=(8, 11, 15),
    n_gender_policy=(10, 14, 20),
    kpi_mean_pct_change={"accidents": -25.0, "absenteeism": -18.0, "turnover": -8.0, "defects": -30.0,
                         "raw_material_waste": -15.0},
    unit_cost_pct_change_by_cost_structure={"Mano de obra": -2.0, "Insumos nacionales": -5.0,
                                            "Insumos importados": 4.0},
    share_positive_effects=(None, 0.68, 0.78),
    unit_cost_typical=30_000.0,
)

GHANA = Targets(
    global_score=(2.20, 2.50, 2.80),
    worker_satisfaction=(3.40, 3.50, 3.62),
    capacity_use_pct=(55.0, 59.0, 63.0),
    annual_sales=(3_200_000.0, 3_500_000.0, 3_900_000.0),
    workers=(30.0, 32.0, 34.5),
    monthly_payroll=(65_000.0, 70_000.0, 76_000.0),
    female_share_pct=(41.0, 42.0, 43.5),
    n_using_productivity_indicators=(6, 8, 11),
    n_gender_policy=(9, 12, 16),
    kpi_mean_pct_change={"accidents": -35.0, "absenteeism": -25.0, "turnover": -15.0, "defects": -28.0,
                         "raw_material_waste": -20.0},
    unit_cost_pct_change_by_cost_structure={"Mano de obra": -6.0, "Insumos nacionales": -4.0,
                                            "Insumos importados": 3.0},
    share_positive_effects=(None, 0.70, 0.80),
    unit_cost_typical=45.0,
)
