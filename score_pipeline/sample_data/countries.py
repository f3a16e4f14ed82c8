"""The countries the sample generator writes: Peru (calibrated to the evaluation summary) and Colombia
(clearly synthetic: fewer enterprises, other waves, effects of its own, NITs, pesos)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from stdnum.co import nit as co_nit
from stdnum.pe import ruc as pe_ruc

from score_pipeline.sample_data.targets import COLOMBIA as COLOMBIA_TARGETS
from score_pipeline.sample_data.targets import PERU as PERU_TARGETS
from score_pipeline.sample_data.targets import Targets


def _digits(rng: np.random.Generator, count: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, size=count))


class RucMaker:
    """Peruvian RUCs: 9 in 10 companies (prefix 20), the rest persons with a business (10)."""

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

    def make(self, rng: np.random.Generator) -> str:
        body = str(int(rng.integers(8, 10))) + _digits(rng, 8)
        return body + co_nit.calc_check_digit(body)

    make_again = make

    @staticmethod
    def dashed(nit: str) -> str:
        return f"{nit[:3]}.{nit[3:6]}.{nit[6:9]}-{nit[9]}"


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
    identifiers: RucMaker | NitMaker
    regions: tuple[str, ...]
    money_prefixes: tuple[str, str]  # how the profile sheet writes amounts: mostly the first, now and then the second
    amounts_note: str  # the profile sheet's note on its currency
    flagged_evaluator_wave: str | None = None  # the wave whose EV03 visited the best firms (contract 6's calibration)
    cloned_tablet_wave: str | None = None  # the wave whose test submission repeats a real _uuid (an `ambiguous` line)

    @property
    def country_yaml(self) -> str:
        return f"name: {self.name}\ncurrency: {self.currency}\nenterprise_id: {self.enterprise_id}\n"


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

SAMPLE_COUNTRIES = {country.code: country for country in (PERU, COLOMBIA)}
