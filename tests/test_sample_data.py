"""The shipped sample: deterministic, verifiable drops, files as the contract says, and calibrated
to the evaluation summary (checked with the independent reference calculation)."""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from reference import KPI_COLUMNS, Reference, csv_header, nit, read_sha256sums, ruc

from score_pipeline.core.programme import read_layout
from score_pipeline.sample_data import generate
from score_pipeline.sample_data.__main__ import main
from score_pipeline.settings import PROJECT_ROOT

SAMPLE_ROOT = PROJECT_ROOT / "data" / "raw"  # the shipped programme root
SAMPLE = SAMPLE_ROOT / "pe"  # Peru's calibrated waves
WAVES = ["2017-baseline", "2018-midterm", "2019-endline"]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference(SAMPLE)


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_matches_the_committed_sample(tmp_path: Path) -> None:
    """`score-pipeline sample-data --out DIR` writes the shipped programme root, byte for byte: Peru, Colombia and Ghana."""
    assert main(["--out", str(tmp_path / "a")]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["co", "gh", "pe"]
    assert tree_bytes(tmp_path / "a") == tree_bytes(SAMPLE_ROOT)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "b", seed=7, enterprises=10)
    assert tree_bytes(tmp_path / "b")["2017-baseline/practicas_gestion.csv"] != tree_bytes(SAMPLE)["2017-baseline/practicas_gestion.csv"]


@pytest.mark.parametrize("wave", WAVES)
def test_every_file_is_listed_in_sha256sums_and_matches(wave: str) -> None:
    folder = SAMPLE / wave
    listed = read_sha256sums(folder)
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("wave", WAVES)
def test_files_are_shaped_as_the_contract_says(wave: str) -> None:
    folder = SAMPLE / wave
    assert (folder / "practicas_gestion.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    header = csv_header(folder / "practicas_gestion.csv", "utf-8-sig", ";")
    assert header[:7] == ["_uuid", "_submission_time", "_index", "ruc", "evaluador", "fecha_visita", "onda"]
    assert len([c for c in header if c.count("/") == 2]) == 43
    sheet = openpyxl.load_workbook(folder / "perfil_empresa.xlsx").worksheets[0]
    assert sheet.title == "perfil"
    assert [c.value for c in sheet[3]][:3] == ["RUC", "Razón social", "Región"]
    assert sheet.cell(1, 2).value is None and sheet.cell(2, 1).value
    worker_bytes = (folder / "encuesta_trabajadores.csv").read_bytes()
    encoding = "utf-8" if wave == "2018-midterm" else "cp1252"
    if encoding == "cp1252":
        with pytest.raises(UnicodeDecodeError):
            worker_bytes.decode("utf-8")
    assert csv_header(folder / "encuesta_trabajadores.csv", encoding, ";")[4:6] == ["Antigüedad", "Área"]
    assert csv_header(folder / "registro_capacitacion.csv", "utf-8", ",")[0] == "ruc"
    self_header = csv_header(folder / "autoevaluacion.csv", "utf-8", ";")
    assert ("efectos/accidentes" in self_header) == (wave != "2017-baseline")


def test_the_mess_of_the_contract_is_there(ref: Reference) -> None:
    practices = ref.baseline.practices_raw
    assert practices["ruc"].str.contains("-").any() and practices["ruc"].str.startswith(" ").any()
    assert practices["ruc_n"].isna().sum() >= 1  # an invalid RUC
    assert practices["ruc_n"].dropna().duplicated().sum() >= 2  # resubmissions
    cells = practices[[c for c in practices.columns if c.count("/") == 2]].stack()
    assert {"NA", "99", ""} <= set(cells) and (~cells.isin(["1", "2", "3", "4", "5", "NA", "99", ""])).sum() > 0
    workers = ref.baseline.workers_raw
    answers = workers[[c for c in workers.columns if c.startswith("P")]].stack()
    assert {"NS/NR", "muy bueno", "MUY BUENO"} & set(answers) and answers.str.contains("E10").sum() == 0
    assert workers["RUC"].str.contains("E10").any()
    assert set(workers["Sexo"].str.lower()) >= {"f", "m", "mujer", "hombre"}
    profile = ref.baseline.profile
    assert profile["Ventas anuales (S/.)"].astype(str).str.startswith("S/").any()
    assert profile["Capacidad instalada utilizada (%)"].astype(str).str.contains("%").any()
    assert (profile[list(KPI_COLUMNS.values())].astype(str) == "ND").any().any()
    midterm_firms = set(ref.waves[1].worker_answers["ruc_n"])
    assert len(ref.waves[1].known - midterm_firms) == 1  # one firm missed the worker survey at the midterm
    assert len(list((SAMPLE / "2019-endline" / "estudios_caso").glob("*.md"))) >= 5


def test_firms_are_realistic(ref: Reference) -> None:
    profile = ref.baseline.profile
    assert len(ref.baseline.known) == 52
    assert set(profile["Tamaño"]) == {"Pequeña", "Mediana"}
    assert set(profile["Estructura de costos"]) == {"Mano de obra", "Insumos nacionales", "Insumos importados"}
    assert profile["Región"].nunique() >= 5 and profile["Sector"].nunique() >= 5


def test_global_scores_reproduce_the_summary(ref: Reference) -> None:
    assert ref.global_mean(ref.baseline) == pytest.approx(2.04, abs=0.02)
    assert ref.global_mean(ref.endline) == pytest.approx(3.06, abs=0.02)
    pairs = ref.pairs("global")
    assert len(pairs) == 52 and (pairs["change"] > 0).all()
    assert 0.40 <= (pairs["change"] > 1).mean() <= 0.60
    baseline, endline = ref.baseline.scores, ref.endline.scores
    for column in [c for c in baseline.columns if c.startswith("m") and c != "n_practices_scored"]:
        assert endline[column].mean() > baseline[column].mean(), column


@pytest.mark.parametrize("kpi,target", [("accidents", -42), ("absenteeism", -34), ("turnover", -12),
                                        ("defects", -22), ("raw_material_waste", -33)])
def test_kpi_changes_reproduce_the_summary(ref: Reference, kpi: str, target: float) -> None:
    changes = ref.kpi_changes(kpi)
    assert len(changes) >= 20
    assert changes["pct_change"].mean() == pytest.approx(target, abs=2)


def test_unit_cost_is_about_unchanged_with_the_cost_structure_split(ref: Reference) -> None:
    changes = ref.kpi_changes("unit_cost")
    assert abs(changes["pct_change"].mean()) < 3
    by_structure = changes.groupby("cost_structure")["pct_change"].mean()
    assert by_structure["Mano de obra"] < 0 and by_structure["Insumos nacionales"] < 0
    assert by_structure["Insumos importados"] > 0


def test_business_results_reproduce_the_summary(ref: Reference) -> None:
    b, e = ref.baseline, ref.endline
    assert ref.business_mean(b, "Capacidad instalada utilizada (%)") == pytest.approx(63, rel=0.02)
    assert ref.business_mean(e, "Capacidad instalada utilizada (%)") == pytest.approx(72, rel=0.02)
    assert ref.business_mean(b, "Ventas anuales (S/.)") == pytest.approx(7.05e6, rel=0.02)
    assert ref.business_mean(e, "Ventas anuales (S/.)") == pytest.approx(8.85e6, rel=0.02)
    assert ref.business_mean(b, "N° trabajadores") == pytest.approx(33.7, rel=0.02)
    assert ref.business_mean(e, "N° trabajadores") == pytest.approx(42.5, rel=0.02)
    assert ref.business_mean(b, "Planilla mensual (S/.)") == pytest.approx(56069, rel=0.02)
    assert ref.business_mean(e, "Planilla mensual (S/.)") == pytest.approx(71000, rel=0.02)
    ratio = [ref.business_mean(w, "Ventas anuales (S/.)") / ref.business_mean(w, "N° trabajadores") for w in (b, e)]
    assert ratio[1] == pytest.approx(ratio[0], rel=0.02)
    for wave in ref.waves:
        yes, answered = wave.yes_count("Usa indicadores de productividad")
        assert yes / answered < 0.20
    assert ref.female_share(b) == pytest.approx(32, abs=0.5) and ref.female_share(e) == pytest.approx(35, abs=0.5)
    assert e.yes_count("Política de igualdad de género")[0] == 18


def test_worker_satisfaction_reproduces_the_summary(ref: Reference) -> None:
    assert ref.worker_satisfaction(ref.baseline) == pytest.approx(3.64, abs=0.02)
    assert ref.worker_satisfaction(ref.endline) == pytest.approx(3.79, abs=0.02)
    change = {f"w{i:02d}": ref.worker_satisfaction(ref.endline, f"w{i:02d}") - ref.worker_satisfaction(ref.baseline, f"w{i:02d}")
              for i in range(1, 15)}
    most = {"w01", "w02", "w03", "w04"}  # communication, tidiness
    least = {"w08", "w09", "w10", "w11", "w12", "w13"}  # motivation, pay, facilities
    assert min(change[i] for i in most) > max(change[i] for i in least)


def test_over_80_percent_of_perceived_effects_are_positive(ref: Reference) -> None:
    effects = ref.perceived(ref.endline)
    assert effects["n_positive"].sum() / effects["n_responses"].sum() > 0.80


def dates_of(path: Path, delimiter: str, *columns: str) -> list[tuple[date, ...]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [tuple(date.fromisoformat(row[c]) for c in columns) for row in csv.DictReader(handle, delimiter=delimiter)]


@pytest.mark.parametrize("country", ["co", "pe"])
def test_training_records_lie_within_the_country_s_waves(country: str) -> None:
    """Each wave's cumulative training records run between the start of the country's baseline year and the wave's
    first survey visit (Colombia's waves, 2019 to 2021, once carried Peru's 2017 schedule)."""
    waves = sorted(p for p in (SAMPLE_ROOT / country).iterdir() if p.is_dir())
    first_year = int(waves[0].name[:4])
    for wave in waves:
        records = dates_of(wave / "registro_capacitacion.csv", ",", "fecha_inicio", "fecha_fin")
        first_visit = min(dates_of(wave / "practicas_gestion.csv", ";", "fecha_visita"))[0]
        assert records and first_visit.year == int(wave.name[:4]), wave
        assert all(date(first_year, 1, 1) <= start <= end < first_visit for start, end in records), wave


# -- the synthetic second country (contract 7), generated with --country co ----------------------

@pytest.fixture(scope="module")
def colombia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("programme")
    assert main(["--out", str(root), "--country", "co"]) == 0
    return root


def test_colombia_is_a_country_folder_of_a_programme_root(colombia: Path, tmp_path: Path) -> None:
    [country] = read_layout(colombia).countries
    assert (country.code, country.name, country.currency, country.enterprise_id.label) == ("co", "Colombia", "COP", "co.nit")
    assert sorted(p.name for p in (colombia / "co").iterdir() if p.is_dir()) == [
        "2019-baseline", "2020-midterm", "2021-endline"]
    assert main(["--out", str(tmp_path), "--country", "co"]) == 0  # deterministic
    assert tree_bytes(tmp_path / "co") == tree_bytes(colombia / "co")


def test_colombia_s_enterprises_have_valid_nits_and_its_own_effects(colombia: Path) -> None:
    co = Reference(colombia / "co", identifier=nit)
    assert len(co.baseline.known) == 30  # every profile row a valid NIT by DIAN's rule
    assert all(ruc(identifier) is None for identifier in co.baseline.known)  # not Peruvian RUCs
    assert co.global_mean(co.baseline) == pytest.approx(2.30, abs=0.03)
    assert co.global_mean(co.endline) == pytest.approx(2.95, abs=0.03)
    accidents = co.kpi_changes("accidents")
    assert accidents["pct_change"].mean() == pytest.approx(-25, abs=2)  # the tolerance of Peru's KPI test
    amounts = [cell for cell in co.endline.profile["Ventas anuales (S/.)"] if isinstance(cell, str) and "$" in cell]
    assert amounts  # pesos, written the ways a sheet writes them
