"""The evaluation summary's figures the sample is calibrated to (per wave: baseline, midterm, endline).

Midterm values are not in the summary; they sit between baseline and endline.
"""

from __future__ import annotations

GLOBAL_SCORE = (2.04, 2.58, 3.06)
WORKER_SATISFACTION = (3.64, 3.72, 3.79)
CAPACITY_USE_PCT = (63.0, 68.0, 72.0)
ANNUAL_SALES = (7_050_000.0, 7_900_000.0, 8_850_000.0)
WORKERS = (33.7, 38.0, 42.5)
MONTHLY_PAYROLL = (56_069.0, 63_500.0, 71_000.0)
FEMALE_SHARE_PCT = (32.0, 33.5, 35.0)
N_USING_PRODUCTIVITY_INDICATORS = (5, 7, 9)  # of 52: under 20 % throughout
N_GENDER_POLICY = (7, 12, 18)

# Mean % change baseline -> endline over the enterprises that report both.
KPI_MEAN_PCT_CHANGE = {
    "accidents": -42.0,
    "absenteeism": -34.0,
    "turnover": -12.0,
    "defects": -22.0,
    "raw_material_waste": -33.0,
}
# Unit cost "mostly remained the same": down slightly for labour- and domestic
# input-intensive firms, up for those dependent on (revalued) imported inputs.
UNIT_COST_PCT_CHANGE_BY_COST_STRUCTURE = {
    "Mano de obra": -4.0,
    "Insumos nacionales": -3.0,
    "Insumos importados": 7.0,
}
SHARE_POSITIVE_EFFECTS = (None, 0.74, 0.85)
SHARE_GAIN_GT_ONE_POINT = 0.5
