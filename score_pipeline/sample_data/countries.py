"""The countries the sample generator writes: Peru (calibrated to the evaluation summary), Colombia
(clearly synthetic: fewer enterprises, other waves, effects of its own, NITs, pesos) and Ghana (clearly synthetic
too: a randomised evaluation design, contract 8: a sample frame with a comparison arm, and worker codes; TINs,
cedis)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from stdnum.co import nit as co_nit
from stdnum.gh import tin as gh_tin
from stdnum.pe import ruc as pe_ruc

from score_pipeline.ingest.instruments.sample_frame import COMPARISON, TREATMENT
from score_pipeline.sample_data.targets import COLOMBIA as COLOMBIA_TARGETS
from score_pipeline.sample_data.targets import GHANA as GHANA_TARGETS
from score_pipeline.sample_data.targets import PERU as PERU_TARGETS
from score_pipeline.sample_data.targets import Targets


def _digits(rng: np.random.Generator, count: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, size=count))


class RucMaker:
    """Peruvian RUCs: 9 in 10 companies (prefix 20), the rest persons with a business (10)."""

    numeric = True  # a spreadsheet may hold it as a number (scientific notation in a CSV)

    def make(self, rng: np.random.Generator) -> str:
        return self.with_prefix(rng, "20" if rng.random() < 0.9 else "10")

    def make_again(self, rng: np.random.Generator) -> str:
        return self.with_prefix(rng, "20")

    @staticmethod
    def with_prefix(rng: np.random.Generator, prefix: str) -> str:
        body = prefix + _digits(rng, 8)
        return body + pe_ruc.calc_check_digit(body)

    @staticmethod
    def dashed(ruc: str) -> str:
        return f"{ruc[:2]}-{ruc[2:10]}-{ruc[10]}"


class NitMaker:
    """Colombian NITs of companies: nine digits from 800 000 000 up, and DIAN's check digit."""

    numeric = True

    def make(self, rng: np.random.Generator) -> str:
        body = str(int(rng.integers(8, 10))) + _digits(rng, 8)
        return body + co_nit.calc_check_digit(body)

    make_again = make

    @staticmethod
    def dashed(nit: str) -> str:
        return f"{nit[:3]}.{nit[3:6]}.{nit[6:9]}-{nit[9]}"


class TinMaker:
    """Ghanaian TINs of companies: `C00`, seven digits and the GRA's check digit (`X` for 10)."""

    numeric = False  # letters: never a number cell

    def make(self, rng: np.random.Generator) -> str:
        body = "C00" + _digits(rng, 7)
        return body + gh_tin.calc_check_digit(body)

    make_again = make

    @staticmethod
    def dashed(tin: str) -> str:
        return f"{tin[:3]}-{tin[3:10]}-{tin[10]}"


@dataclass(frozen=True)
class Design:
    """A randomised evaluation design (contract 8): the frame's arms drawn within strata (the firms' regions),
    the programme's effect on the treated, a smaller change in the comparison arm, attrition by arm, and worker
    codes with turnover."""

    comparison_change: float  # the comparison arm's change as a share of the treated arm's (scores, KPIs, satisfaction)
    endline_attrition: dict[str, float]  # per arm, the share of its firms with no endline files
    stayers: float  # share of a wave's coded respondents who answer again at the next wave
    anonymous: float  # share of respondents who leave their code empty
    outside_frame: int = 1  # the last firms of the profile sheets: not in the frame (no arm)
    contaminated_modules: int = 2  # the first comparison firm took this many modules anyway


@dataclass(frozen=True)
class SampleCountry:
    code: str
    name: str
    name_in_spanish: str  # as the profile sheet's title writes it
    currency: str
    enterprise_id: str  # the python-stdnum module its country.yaml names
    waves: tuple[str, str, str]
    enterprises: int
    targets: Targets
    identifiers: RucMaker | NitMaker | TinMaker
    regions: tuple[str, ...]
    money_prefixes: tuple[str, str]  # how the profile sheet writes amounts: mostly the first, now and then the second
    amounts_note: str  # the profile sheet's note on its currency
    flagged_evaluator_wave: str | None = None  # the wave whose EV03 visited the best firms (contract 6's calibration)
    cloned_tablet_wave: str | None = None  # the wave whose test submission repeats a real _uuid (an `ambiguous` line)
    design: Design | None = None  # contract 8: a sample frame and worker codes
    respondents: tuple[int, int] = (26, 35)  # respondents per firm and wave: drawn in [low, high)
    note: str | None = None  # a comment line on top of its country.yaml

    @property
    def country_yaml(self) -> str:
        comment = f"# {self.note}\n" if self.note else ""
        return f"{comment}name: {self.name}\ncurrency: {self.currency}\nenterprise_id: {self.enterprise_id}\n"


PERU = SampleCountry(
    code="pe", name="Peru", name_in_spanish="Perú", currency="PEN", enterprise_id="pe.ruc",
    waves=("2017-baseline", "2018-midterm", "2019-endline"), enterprises=52, targets=PERU_TARGETS,
    identifiers=RucMaker(),
    regions=("Lima", "Lima", "Lima", "Lima", "Callao", "Arequipa", "La Libertad", "Piura", "Lambayeque", "Junín",
             "Cusco", "Ica"),
    money_prefixes=("S/ ", "S/. "), amounts_note="Montos en soles (S/.).",
    flagged_evaluator_wave="2018-midterm", cloned_tablet_wave="2017-baseline",
)

COLOMBIA = SampleCountry(
    code="co", name="Colombia", name_in_spanish="Colombia", currency="COP", enterprise_id="co.nit",
    waves=("2019-baseline", "2020-midterm", "2021-endline"), enterprises=30, targets=COLOMBIA_TARGETS,
    identifiers=NitMaker(),
    regions=("Bogotá D.C.", "Bogotá D.C.", "Antioquia", "Antioquia", "Valle del Cauca", "Atlántico", "Santander",
             "Cundinamarca"),
    money_prefixes=("$ ", "COP "), amounts_note="Montos en pesos colombianos (COP).",
)

GHANA = SampleCountry(
    code="gh", name="Ghana", name_in_spanish="Ghana", currency="GHS", enterprise_id="gh.tin",
    waves=("2022-baseline", "2023-midterm", "2024-endline"), enterprises=72, targets=GHANA_TARGETS,
    identifiers=TinMaker(),
    regions=("Greater Accra", "Greater Accra", "Ashanti", "Western", "Eastern"),
    money_prefixes=("GH₵ ", "GHS "), amounts_note="Montos en cedis (GHS).",
    design=Design(comparison_change=0.3, endline_attrition={TREATMENT: 0.06, COMPARISON: 0.2}, stayers=0.75,
                  anonymous=0.08),
    respondents=(10, 16),
    note="Synthetic sample data (score_pipeline/sample_data): not a real SCORE evaluation.",
)

SAMPLE_COUNTRIES = {country.code: country for country in (PERU, COLOMBIA, GHANA)}
