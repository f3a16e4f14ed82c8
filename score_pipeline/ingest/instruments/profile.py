"""`perfil_empresa.xlsx`: the company profile sheet, one row per enterprise with its indicators."""

from __future__ import annotations

from score_pipeline.core.wave_files import PROFILE as SOURCE
from score_pipeline.ingest.corrections import by_ruc
from score_pipeline.ingest.instruments.common import (
    Field, Ingested, Problems, Source, coded, columns_of, corrected, field_reader, fixed, frame_of, headers_of,
    last_row_per_key, past_date, quantity, required_headers, rows_with_valid_ruc, text,
)
from score_pipeline.ingest.normalise import parse_yes_no
from score_pipeline.ingest.readers import read_profile_sheet

SIZES = ("Pequeña", "Mediana")
COST_STRUCTURES = ("Mano de obra", "Insumos nacionales", "Insumos importados")
SHARE = 100.0  # a share of a whole is at most 100 % (staff turnover can exceed it: more leavers than the headcount)

FIELDS = (
    text("Razón social", "business_name"),
    text("Región", "region"),
    text("Sector", "sector"),
    coded("Tamaño", "size", SIZES),
    coded("Estructura de costos", "cost_structure", COST_STRUCTURES),
    Field("N° trabajadores", "workers", "DOUBLE", quantity("count")),
    Field("N° trabajadoras", "female_workers", "DOUBLE", quantity("count")),
    Field("Ventas anuales (S/.)", "annual_sales", "DOUBLE", quantity("money")),
    Field("Planilla mensual (S/.)", "monthly_payroll", "DOUBLE", quantity("money")),
    Field("Capacidad instalada utilizada (%)", "capacity_use_pct", "DOUBLE", quantity("percent", SHARE)),
    Field("Accidentes de trabajo (año)", "work_accidents", "DOUBLE", quantity("count")),
    Field("Ausentismo (%)", "absenteeism_pct", "DOUBLE", quantity("percent", SHARE)),
    Field("Rotación de personal (%)", "staff_turnover_pct", "DOUBLE", quantity("percent")),
    Field("Productos defectuosos (%)", "defective_products_pct", "DOUBLE", quantity("percent", SHARE)),
    Field("Desperdicio de materia prima (%)", "raw_material_waste_pct", "DOUBLE", quantity("percent", SHARE)),
    Field("Costo por unidad (S/.)", "unit_cost", "DOUBLE", quantity("money")),
    Field("Usa indicadores de productividad", "uses_productivity_indicators", "BOOLEAN", fixed(parse_yes_no)),
    Field("Política de igualdad de género", "gender_equality_policy", "BOOLEAN", fixed(parse_yes_no)),
    past_date("Fecha de registro", "registered_on"),
)
COLUMNS = {"wave": "VARCHAR", "ruc": "VARCHAR", **columns_of(FIELDS), "source_row": "INTEGER"}
REQUIRED_HEADERS = ["RUC", *required_headers(FIELDS)]


def headers() -> dict[str, str]:
    return {"ruc": "column 'RUC'", **headers_of(FIELDS)}


def ingest(source: Source) -> Ingested:
    path = source.folder / SOURCE
    identifier = source.rules.identifier
    table = read_profile_sheet(path, REQUIRED_HEADERS)
    corrections = corrected(source, "perfil_empresa", table, by_ruc("RUC", identifier))
    problems = Problems(source.wave, "perfil_empresa", path)
    read = field_reader(FIELDS, source, table, problems)
    records = []
    for number, row, ruc in rows_with_valid_ruc(problems, table, "RUC", identifier):
        record = {"wave": source.wave, "ruc": ruc, **read(number, row, ruc), "source_row": number}
        if None not in (record["workers"], record["female_workers"]) and record["female_workers"] > record["workers"]:
            problems.invalid_value(number, "N° trabajadoras", row["N° trabajadoras"],
                                   f"{record['female_workers']:g} women exceed {record['workers']:g} workers", ruc)
            record["female_workers"] = None
        records.append(record)
    kept, superseded = last_row_per_key(records, problems)
    return Ingested(frame_of(kept, COLUMNS), table.rows_received, problems.rejects, superseded, corrections)
