"""Render a `Sample` into raw extracts exactly as the contract (section 2) describes them,
with the mess they really arrive with: RUC spellings, resubmissions, codes and
labels typed by hand, numbers typed as text, title rows, Windows-1252 files."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import uuid
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl

from score_pipeline.core.wave_files import SAMPLE_FRAME
from score_pipeline.ingest.instruments.sample_frame import COMPARISON
from score_pipeline.ingest.instruments.worker_survey import WORKER_CODE
from score_pipeline.sample_data.countries import SampleCountry
from score_pipeline.sample_data.model import PERCEIVED_OUTCOMES, Sample, WaveData

FORM_WAVE_LABELS = ("linea_base", "medio_termino", "linea_final")  # by wave: baseline, midterm, endline
MODULE_GROUP = {"m1": "m1_cooperacion", "m2": "m2_calidad", "m3": "m3_produccion_limpia",
                "m4": "m4_recursos_humanos", "m5": "m5_seguridad_salud"}
WORKER_ENCODINGS = ("cp1252", "utf-8", "cp1252")  # by wave
SATISFACTION_LABEL = {1: "Deficiente", 2: "Regular", 3: "Bueno", 4: "Muy bueno", 5: "Excelente"}
ACCENTED_LABEL = {1: "Deficiénte", 2: "Regulár", 3: "Búeno", 4: "Muy buéno", 5: "Éxcelente"}
INVALID_LABELS = ("Bueo", "b", "4", "Muy bien", "xx", "Exelente", "Malo")
WORKER_ITEM_LABELS = (
    "Comunicación con los jefes", "Trato respetuoso", "Trabajo en equipo", "Orden y limpieza",
    "Seguridad en el puesto de trabajo", "Equipos de protección personal", "Capacitación recibida",
    "Reconocimiento y motivación", "Salario", "Puntualidad en los pagos", "Servicios higiénicos",
    "Comedor", "Vestuarios", "Iluminación y ventilación", "Satisfacción general con la empresa",
)
PROFILE_HEADERS = (
    "RUC", "Razón social", "Región", "Sector", "Tamaño", "Estructura de costos", "N° trabajadores",
    "N° trabajadoras", "Ventas anuales (S/.)", "Planilla mensual (S/.)", "Capacidad instalada utilizada (%)",
    "Usa indicadores de productividad", "Política de igualdad de género", "Accidentes de trabajo (año)",
    "Ausentismo (%)", "Rotación de personal (%)", "Productos defectuosos (%)", "Desperdicio de materia prima (%)",
    "Costo por unidad (S/.)", "Fecha de registro",
)
PROFILE_KPI_COLUMNS = (("accidents", "count"), ("absenteeism", "pct"), ("turnover", "pct"),
                       ("defects", "pct"), ("raw_material_waste", "pct"), ("unit_cost", "money"))
RESPONDENT_ROLES = ("Gerente general", "Jefe de producción", "Administrador(a)", "Dueño", "Jefe de calidad")
AREAS = ("Producción", "Producción", "Producción", "Almacén", "Administración", "Calidad", "Mantenimiento", "Ventas")
FIXED_ZIP_TIME = (2019, 1, 1, 0, 0, 0)
RESUBMITTED_FIRMS_PER_WAVE = 4
# Evaluators EV01..EV04 are drawn at random, except in Peru's midterm (SampleCountry.flagged_evaluator_wave):
# there EV03 visited the fifth of the
# firms with the highest practice answers, and only those. marts.evaluator_effects flags EV03 in that wave
# and no other evaluator anywhere (contract 6: a flag to look at, not proof: here it is whom EV03 visited,
# not how EV03 scored). Only the labels move: every answer, and so every score, stays as drawn.
FLAGGED_EVALUATOR, FLAGGED_SHARE = "EV03", 0.2
OTHER_EVALUATORS = ("EV01", "EV02", "EV04")
# Peru's baseline test submission (an invalid RUC, rejected) repeats a real submission's `_uuid`
# (SampleCountry.cloned_tablet_wave): a corrections line keyed by that `_uuid` is `ambiguous` (the shipped log has one).


def write_sample(sample: Sample, out_dir: Path, seed: int) -> list[Path]:
    """Write every wave folder (replacing any with the same name) and return them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    folders = []
    for w, wave in enumerate(sample.country.waves):
        rng = np.random.default_rng([seed, w])
        staging = out_dir / f".{wave}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        data = sample.waves[wave]
        _write_practices(staging / "practicas_gestion.csv", sample, wave, data, rng)
        _write_profile(staging / "perfil_empresa.xlsx", sample, wave, data, rng)
        _write_self_assessment(staging / "autoevaluacion.csv", sample, wave, data, rng)
        _write_worker_survey(staging / "encuesta_trabajadores.csv", sample, wave, data, rng)
        _write_training_records(staging / "registro_capacitacion.csv", sample, wave, rng)
        if wave == sample.country.waves[-1]:
            _write_case_studies(staging / "estudios_caso", sample, rng)
        if wave == sample.country.waves[0] and sample.country.design is not None:
            _write_sample_frame(staging / SAMPLE_FRAME, sample, rng)
        write_sha256sums(staging)
        final = out_dir / wave
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
        folders.append(final)
    return folders


def write_sha256sums(folder: Path) -> None:
    """`SHA256SUMS` in `sha256sum`'s output format, over every file of the folder."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    (folder / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


# -- spellings ---------------------------------------------------------------------------------

def spell_ruc(country: SampleCountry, ruc: str, rng: np.random.Generator, scientific: bool = False) -> str:
    draw = rng.random()
    if draw < 0.08:
        return country.identifiers.dashed(ruc)
    if draw < 0.16:
        return f" {ruc} "
    if scientific and country.identifiers.numeric and draw < 0.24:
        return f"{ruc[0]}.{ruc[1:]}E{len(ruc) - 1}"
    return ruc


def spell_money(country: SampleCountry, value: float, rng: np.random.Generator, decimals: int) -> object:
    draw = rng.random()
    if draw < 0.4:
        return value
    text = f"{value:,.{decimals}f}"
    if draw < 0.7:
        return text
    usual, other = country.money_prefixes
    return f"{usual}{text}" if draw < 0.9 else f"{other}{value:,.2f}"


def spell_percent(value: float, rng: np.random.Generator) -> object:
    draw = rng.random()
    if draw < 0.4:
        return value
    text = f"{value:g}"
    return f"{text}%" if draw < 0.7 else f"{text} %"


def spell_missing(rng: np.random.Generator) -> str | None:
    return str(rng.choice(["ND", "ND", "-", ""])) or None


def spell_yes_no(answer: bool, rng: np.random.Generator) -> str:
    return str(rng.choice(["Sí", "Sí", "Si", "SI"])) if answer else str(rng.choice(["No", "No", "NO", "no"]))


def spell_satisfaction(value: float, rng: np.random.Generator) -> str:
    if np.isnan(value):
        return "NS/NR" if rng.random() < 0.6 else ""
    if value < 0:
        return str(rng.choice(INVALID_LABELS))
    label = SATISFACTION_LABEL[int(value)]
    draw = rng.random()
    if draw < 0.10:
        return label.lower()
    if draw < 0.18:
        return label.upper()
    if draw < 0.25:
        return f" {label}  " if draw < 0.22 else label.replace(" ", "  ")
    if draw < 0.30:
        return ACCENTED_LABEL[int(value)]
    return label


def spell_sex(sex: str, rng: np.random.Generator) -> str:
    options = ["F", "f", "Mujer", "mujer", "MUJER"] if sex == "F" else ["M", "m", "Hombre", "hombre", "HOMBRE"]
    return str(rng.choice(options))


def spell_worker_code(code: str, rng: np.random.Generator) -> str:
    """A worker code as typed from the staff list: mostly as listed, now and then in lower case or with spaces."""
    draw = rng.random()
    if not code or draw >= 0.15:
        return code
    return code.lower() if draw < 0.08 else f" {code} "


def spell_arm(arm: str, rng: np.random.Generator) -> str:
    """A frame's `grupo` as typed: any case, `comparación` with or without its accent."""
    label = "comparación" if arm == COMPARISON and rng.random() < 0.5 else arm
    draw = rng.random()
    return label.capitalize() if draw < 0.3 else label.upper() if draw < 0.4 else label


def submission_time(day: date, rng: np.random.Generator) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0) + timedelta(seconds=int(rng.integers(0, 9 * 3600)))


def iso_with_offset(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000-05:00")


def visit_day(wave: str, rng: np.random.Generator) -> date:
    return date(int(wave[:4]), 5, 2) + timedelta(days=int(rng.integers(0, 75)))


def invalid_ruc(country: SampleCountry, rng: np.random.Generator) -> str:
    ruc = country.identifiers.make_again(rng)
    check = int(ruc[-1]) if ruc[-1].isdigit() else 7  # a TIN's check digit may be X (10)
    return ruc[:-1] + str((check + 3) % 10)


# -- instruments -------------------------------------------------------------------------------

def _write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str, delimiter: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def highest_answering(practice_codes: list[list[str]]) -> set[int]:
    """The firms (by index) in the top FLAGGED_SHARE by their mean valid answer, ties by index."""
    means = [np.mean([int(c) for c in codes if c.strip() in {"1", "2", "3", "4", "5"}] or [0]) for codes in practice_codes]
    ranked = sorted(range(len(means)), key=lambda e: (-means[e], e))
    return set(ranked[:round(len(means) * FLAGGED_SHARE)])


def _write_practices(path: Path, sample: Sample, wave: str, data: WaveData, rng: np.random.Generator) -> None:
    header = ["_uuid", "_submission_time", "_index", "ruc", "evaluador", "fecha_visita", "onda"]
    header += [f"{MODULE_GROUP[p.module]}/{p.category}/{p.practice_id}" for p in sample.practices]
    submissions: list[tuple[datetime, list[object]]] = []
    resubmitted = set(rng.choice(len(sample.firms), size=min(RESUBMITTED_FIRMS_PER_WAVE, len(sample.firms)), replace=False).tolist())
    highest = highest_answering(data.practice_codes) if wave == sample.country.flagged_evaluator_wave else None
    for e, firm in enumerate(sample.firms):
        if e in data.attrited:
            continue
        day = visit_day(wave, rng)
        evaluator = f"EV{int(rng.integers(1, 5)):02d}"
        if highest is not None:
            evaluator = FLAGGED_EVALUATOR if e in highest else (
                OTHER_EVALUATORS[e % len(OTHER_EVALUATORS)] if evaluator == FLAGGED_EVALUATOR else evaluator)
        final_time = submission_time(day, rng)
        codes = [c.strip() for c in data.practice_codes[e]]
        submissions.append((final_time, [firm.ruc, evaluator, day, codes]))
        if e in resubmitted:  # a first, corrected later: different scores, earlier time
            draft = [str(int(rng.integers(1, 6))) if c in {"1", "2", "3", "4", "5"} and rng.random() < 0.3 else c for c in codes]
            submissions.append((final_time - timedelta(hours=int(rng.integers(2, 48))), [firm.ruc, evaluator, day, draft]))
    test_day = visit_day(wave, rng)
    test_time = submission_time(test_day, rng)
    test_submission = [invalid_ruc(sample.country, rng), "EV01", test_day, ["3"] * len(sample.practices)]
    submissions.append((test_time, test_submission))
    submissions.sort(key=lambda item: item[0])
    rows = [
        [_uuid(rng), iso_with_offset(moment), index, spell_ruc(sample.country, ruc, rng), evaluator, day.isoformat(),
         FORM_WAVE_LABELS[sample.country.waves.index(wave)], *codes]
        for index, (moment, (ruc, evaluator, day, codes)) in enumerate(submissions, start=1)
    ]
    if wave == sample.country.cloned_tablet_wave:  # the test submission came from a tablet cloned from another: same _uuid
        test_row = next(i for i, (_, submission) in enumerate(submissions) if submission is test_submission)
        rows[test_row][0] = rows[test_row - 1 if test_row else 1][0]
    _write_csv(path, header, rows, "utf-8-sig", ";")


def _write_profile(path: Path, sample: Sample, wave: str, data: WaveData, rng: np.random.Generator) -> None:
    firms, country = sample.firms, sample.country
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "perfil"
    sheet.append([f"Ficha de perfil de empresa - Evaluación SCORE {country.name_in_spanish} - {wave}"])
    sheet.append([f"Nota: cifras declaradas por la empresa. ND = no disponible. {country.amounts_note}"])
    sheet.append(list(PROFILE_HEADERS))
    p = data.profile
    for e, firm in enumerate(firms):
        if e in data.attrited:
            continue
        kpi_cells = []
        for kpi, kind in PROFILE_KPI_COLUMNS:
            value = p[kpi][e]
            if value is None:
                kpi_cells.append(spell_missing(rng))
            elif kind == "count":
                kpi_cells.append(int(value) if rng.random() < 0.7 else str(int(value)))
            elif kind == "pct":
                kpi_cells.append(spell_percent(value, rng))
            else:
                kpi_cells.append(spell_money(country, value, rng, 2))
        as_number = rng.random() < 0.4 and country.identifiers.numeric
        ruc_cell: object = int(firm.ruc) if as_number else spell_ruc(country, firm.ruc, rng)
        workers = int(p["workers"][e])
        sheet.append([
            ruc_cell, firm.name, firm.region, firm.sector, firm.size, firm.cost_structure,
            workers if rng.random() < 0.7 else str(workers),
            int(p["women"][e]),
            spell_money(country, p["sales"][e], rng, 0) if p["sales"][e] is not None else spell_missing(rng),
            spell_money(country, p["payroll"][e], rng, 2) if p["payroll"][e] is not None else spell_missing(rng),
            spell_percent(p["capacity"][e], rng) if p["capacity"][e] is not None else spell_missing(rng),
            spell_yes_no(data.uses_productivity_indicators[e], rng),
            spell_yes_no(data.gender_policy[e], rng),
            *kpi_cells,
            datetime.fromisoformat(firm.registered),
        ])
    for _ in range(2):
        sheet.append([" "])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_reproducible_zip(buffer.getvalue()))


def _reproducible_zip(content: bytes) -> bytes:
    """The xlsx with fixed timestamps, so the same seed gives the same bytes (and SHA256SUMS)."""
    fixed_stamp = "2019-01-01T00:00:00Z"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + fixed_stamp.encode(), payload)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME), payload, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _write_self_assessment(path: Path, sample: Sample, wave: str, data: WaveData, rng: np.random.Generator) -> None:
    firms = sample.firms
    header = ["_uuid", "_submission_time", "ruc", "cargo_informante"] + [f"autoeval/m{m}" for m in range(1, 6)]
    if data.perceptions is not None:
        header += [f"efectos/{o}" for o in PERCEIVED_OUTCOMES] + [f"influencia_score/{o}" for o in PERCEIVED_OUTCOMES]
    entries: list[tuple[datetime, list[object]]] = []
    resubmitted = set(rng.choice(len(firms), size=min(2, len(firms)), replace=False).tolist())
    for e, firm in enumerate(firms):
        if e in data.attrited:
            continue
        moment = submission_time(visit_day(wave, rng), rng)
        ratings = [int(x) for x in data.self_assessment[e]]
        perceptions: list[object] = []
        if data.perceptions is not None:
            answers = data.perceptions[e]
            perceptions = [answers[o][0] for o in PERCEIVED_OUTCOMES] + [answers[o][1] for o in PERCEIVED_OUTCOMES]
            if firm.arm == COMPARISON:  # contract 8.1: the comparison arm answers no perceptions block
                perceptions = [""] * len(perceptions)
        entries.append((moment, [firm.ruc, str(rng.choice(RESPONDENT_ROLES)), *ratings, *perceptions]))
        if e in resubmitted:
            draft = [int(rng.integers(1, 6)) for _ in ratings]
            entries.append((moment - timedelta(days=1), [firm.ruc, str(rng.choice(RESPONDENT_ROLES)), *draft, *perceptions]))
    entries.sort(key=lambda item: item[0])
    rows = [[_uuid(rng), iso_with_offset(moment), spell_ruc(sample.country, values[0], rng), *values[1:]] for moment, values in entries]
    _write_csv(path, header, rows, "utf-8", ";")


def _write_worker_survey(path: Path, sample: Sample, wave: str, data: WaveData, rng: np.random.Generator) -> None:
    firms, country = sample.firms, sample.country
    header = ["ID encuesta", "RUC", "Sexo", "Edad", "Antigüedad", "Área"]
    coded = data.worker_codes is not None
    if coded:
        header.append(WORKER_CODE.header)
    header += [f"P{i}. {label}" for i, label in enumerate(WORKER_ITEM_LABELS, start=1)]
    respondents: list[tuple[str, np.ndarray, str]] = []
    for e, firm in enumerate(firms):
        if e not in data.missing_worker_survey and e not in data.attrited:
            codes = data.worker_codes[e] if coded else [""] * len(data.worker_answers[e])
            respondents += [(firm.ruc, answers, code) for answers, code in zip(data.worker_answers[e], codes)]
    stray = np.array([float(rng.integers(2, 6)) for _ in WORKER_ITEM_LABELS])
    respondents.append((invalid_ruc(country, rng) if wave == country.waves[0] else country.identifiers.make_again(rng), stray, ""))  # a bad or unknown RUC
    rows = []
    for n, (ruc, answers, code) in enumerate(respondents, start=1):
        rows.append([
            f"{wave[:4]}-{n:05d}", spell_ruc(country, ruc, rng, scientific=True),
            spell_sex("F" if rng.random() < 0.35 else "M", rng),
            str(rng.choice(["18-25", "26-35", "36-45", "46+"])), str(rng.choice(["<1", "1-3", "3-5", ">5"])),
            str(rng.choice(AREAS)), *([spell_worker_code(code, rng)] if coded else []),
            *[spell_satisfaction(a, rng) for a in answers],
        ])
    _write_csv(path, header, rows, WORKER_ENCODINGS[country.waves.index(wave)], ";")


def _write_training_records(path: Path, sample: Sample, wave: str, rng: np.random.Generator) -> None:
    """Cumulative: every module finished before the wave's survey visits (from May), of a schedule that starts
    in the February of the country's baseline year (the same schedule in every wave's file)."""
    cutoff = date(int(wave[:4]), 5, 1)
    first_start = date(int(sample.country.waves[0][:4]), 2, 1)
    module_rng = np.random.default_rng([len(sample.firms), 99])
    rows = []
    for e, firm in enumerate(sample.firms):
        start = first_start + timedelta(days=int(module_rng.integers(0, 40)))
        for module in range(1, sample.modules_completed[e] + 1):
            end = start + timedelta(weeks=int(module_rng.integers(6, 11)))
            classes, visits = int(module_rng.integers(2, 5)), int(module_rng.integers(2, 6))
            if end < cutoff:
                contribution = 500 if firm.size == "Pequeña" else 1000
                rows.append([spell_ruc(sample.country, firm.ruc, rng), module, start.isoformat(), end.isoformat(), classes, visits, contribution])
            start = end + timedelta(days=int(module_rng.integers(20, 60)))
    _write_csv(path, ["ruc", "modulo", "fecha_inicio", "fecha_fin", "sesiones_aula", "visitas_consultoria", "aporte_usd"], rows, "utf-8", ",")


CASE_STUDY_THEMES = {
    1: ("comunicacion", "Reuniones semanales entre la gerencia y los trabajadores abrieron un canal de comunicación que antes no existía."),
    2: ("calidad", "El control de calidad en proceso redujo los reclamos de los clientes y los productos defectuosos."),
    3: ("produccion_limpia", "La medición del consumo de agua y energía permitió identificar desperdicios que nadie había notado."),
    4: ("recursos_humanos", "Con perfiles de puesto y un plan de capacitación, la rotación del personal bajó de manera visible."),
    5: ("seguridad", "La matriz IPERC y el comité de seguridad hicieron que los accidentes se registren e investiguen."),
}


def _write_case_studies(folder: Path, sample: Sample, rng: np.random.Generator) -> None:
    folder.mkdir()
    chosen = rng.choice(len(sample.firms), size=min(6, len(sample.firms)), replace=False)
    for firm_index in sorted(chosen.tolist()):
        firm = sample.firms[firm_index]
        modules = sorted(rng.choice(range(1, 6), size=int(rng.integers(1, 4)), replace=False).tolist())
        themes = [CASE_STUDY_THEMES[m][0] for m in modules] + ["respeto", "confianza"][: int(rng.integers(0, 3))]
        paragraphs = [
            f"{firm.name} es una empresa {firm.size.lower()} del sector {firm.sector.lower()} ubicada en {firm.region}.",
            *(CASE_STUDY_THEMES[m][1] for m in modules),
            "Según la gerencia, lo más valioso del Módulo 1 fue una comunicación más abierta entre los trabajadores "
            "y la alta dirección, con más respeto mutuo y confianza.",
            "Los trabajadores señalan que el orden y la limpieza del taller mejoraron desde la primera visita del consultor.",
        ]
        front_matter = "\n".join([
            "---", f'ruc: "{firm.ruc}"', f'titulo: "{firm.name}: aprender a conversar para mejorar"',
            f"modulos: [{', '.join(str(m) for m in modules)}]", f"temas: [{', '.join(themes)}]", "---",
        ])
        body = "\n\n".join(paragraphs)
        (folder / f"{firm.ruc}.md").write_text(f"{front_matter}\n\n# {firm.name}\n\n{body}\n", encoding="utf-8")


def _write_sample_frame(path: Path, sample: Sample, rng: np.random.Generator) -> None:
    """Contract 8.1's `muestra.csv`: the framed firms in identifier order, each with its arm and stratum."""
    framed = sorted((f for f in sample.firms if f.arm is not None), key=lambda f: f.ruc)
    rows = [[spell_ruc(sample.country, f.ruc, rng), spell_arm(f.arm, rng), f.stratum] for f in framed]
    _write_csv(path, ["ruc", "grupo", "estrato"], rows, "utf-8-sig", ";")
