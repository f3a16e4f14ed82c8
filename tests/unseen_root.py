"""An unseen programme root for the reference comparison: Bolivia (`bo`, BOB) and Ghana (`gh`, GHS), three waves
each, written here with csv and openpyxl (not with score_pipeline.sample_data), with the messiness the contract
allows: identifiers spelt with separators or in scientific notation, money with the country's code or symbol
before or after it and a few foreign-currency cells, `ND` / `-`, percent text, practice cells NA / 99 / empty /
invalid, resubmissions, worker labels in odd case and accents, a Windows-1252 worker file, a zero baseline KPI,
a share that is 0 at the baseline, equal global scores reached along different float paths, evaluators, the
perceptions block from the second wave, case studies and corrections logs. Ghana has an evaluation design
(contract 8): a sample frame with rejected rows, an enterprise it does not list, a contaminated comparison
enterprise, more attrition in the comparison arm, and worker codes with stayers, leavers, joiners, anonymous
respondents and a code used twice."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
from dataclasses import dataclass
from pathlib import Path

import openpyxl

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
OUTCOMES = ("condiciones_trabajo", "accidentes", "ausentismo", "defectos", "desperdicio", "costo_unitario",
            "productividad", "ventas", "utilidades", "satisfaccion_clientes")
PROFILE_HEADERS = ("RUC", "Razón social", "Región", "Sector", "Tamaño", "Estructura de costos", "N° trabajadores",
                   "N° trabajadoras", "Ventas anuales (S/.)", "Planilla mensual (S/.)",
                   "Capacidad instalada utilizada (%)", "Usa indicadores de productividad",
                   "Política de igualdad de género", "Accidentes de trabajo (año)", "Ausentismo (%)",
                   "Rotación de personal (%)", "Productos defectuosos (%)", "Desperdicio de materia prima (%)",
                   "Costo por unidad (S/.)", "Fecha de registro")
LABELS = ("Deficiente", "Regular", "Bueno", "Muy bueno", "Excelente")
LABEL_SPELLINGS = {"Muy bueno": ("muy bueno", "MUY BUENO", " Muy  bueno "), "Bueno": ("bueno", "Búeno", "BUENO "),
                   "Excelente": ("excelente", "Éxcelente"), "Regular": ("regular", "REGULAR"),
                   "Deficiente": ("deficiente",)}
# Two endline answer sheets whose global scores are equal (463/150) although their floats, summed module by
# module, differ in the last bit: category means (practice ids in codebook order) per module.
EQUAL_GLOBALS = (
    {"m1": [[3, 2, 2], [2, 3, 2], [2, 4], [2, 3]], "m2": [[4, 4], [4, 3], [4, 2], [4, 4]],
     "m3": [[4, 3, 2], [4, 4], [2, 3]], "m4": [[4, 4], [3, 4], [4, 3], [2, 4]],
     "m5": [[3, 2], [2, 2], [3, 2], [2, 3], [3, 4]]},
    {"m1": [[2, 3, 4], [2, 2, 4], [4, 2], [3, 2]], "m2": [[4, 3], [3, 4], [4, 3], [3, 2]],
     "m3": [[4, 3, 2], [2, 3], [4, 4]], "m4": [[2, 2], [4, 3], [3, 4], [4, 3]],
     "m5": [[3, 4], [4, 2], [4, 3], [3, 2], [2, 4]]},
)


@dataclass(frozen=True)
class CountrySpec:
    code: str
    name: str
    currency: str
    scheme: str
    waves: tuple[str, ...]
    identifiers: tuple[str, ...]
    spellings: dict[str, str]  # identifier -> how the extracts write it
    invalid_identifier: str
    unknown_identifier: str
    money_spellings: tuple[str, ...]  # format strings for the country's own markers
    foreign_money: tuple[str, ...]
    offset: str
    worker_encoding: str  # of the baseline worker file
    design: bool = False  # contract 8: a sample frame and worker codes


BOLIVIA = CountrySpec(
    "bo", "Bolivia", "BOB", r"\d{7,10}", ("2020-baseline", "2021-midterm", "2022-endline"),
    ("1020304", "2345678901", "3456789012", "4567890123", "5678901234", "6789012345", "7890123456", "8901234567",
     "9012345678", "1122334455", "2233445566", "3344556677", "4455667788", "5566778899", "6677889900", "7766554"),
    {"2345678901": "234-567-8901", "3456789012": " 3456789012 ", "4567890123": "4.567890123E9",
     "1020304": "1.020.304", "5678901234": "5678 901 234"},
    "12345", "9999999999", ("Bs {}", "{} Bs", "BOB {}", "{} bob"), ("US$ {}", "$ {}", "{} USD", "PEN {}"),
    "-04:00", "cp1252")
GHANA = CountrySpec(
    "gh", "Ghana", "GHS", r"[CGPQV]\d{10}", ("2018-baseline", "2019-midterm", "2021-followup"),
    ("C0012345678", "C0023456789", "C0034567890", "P0045678901", "P0056789012", "C0067890123", "G0078901234",
     "C0089012345", "C0090123456", "P0101234567", "C0112345678", "Q0123456789", "C0134567890", "V0145678901"),
    {"C0023456789": "C002-345-6789", "P0045678901": "P 0045678901", "C0067890123": "C0067890123 ",
     "G0078901234": "G.007.890.1234"},
    "X123", "P9999999999", ("GH₵ {}", "{} GHS", "ghs {}", "GH₵{}"), ("US$ {}", "€ {}", "{} USD", "COP {}"),
    "+00:00", "utf-8", design=True)
# Ghana's design (contract 8), by the enterprise's position n: the arm of those the frame lists (grupo as typed),
# the rows it rejects, and who drops out before the last wave's management practices questionnaire.
FRAME_GRUPOS = ("Tratamiento", "comparacion", "TRATAMIENTO", "Comparación", "tratamiento", "COMPARACIÓN")
NOT_IN_FRAME, OTHER_GRUPO, LISTED_TWICE, CONTAMINATED = 13, 10, 12, 1  # no arm, no arm, no arm, comparacion + training
NOT_AT_LAST_WAVE = (7, 9, 4)  # two comparison enterprises and a treated one


def codebook(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"codebook_{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, header: list[str], rows: list[list[object]], sep: str, encoding: str = "utf-8",
              bom: bool = False) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding))


class CountryWriter:
    def __init__(self, spec: CountrySpec, folder: Path, corrections: Path, seed: int):
        self.spec, self.folder, self.corrections = spec, folder, corrections
        self.rng = random.Random(seed)
        self.practices = codebook("practices")
        self.items = codebook("worker_items")
        self.size = {i: ("Pequeña" if n % 3 else "Mediana") for n, i in enumerate(spec.identifiers)}
        self.skill = {i: self.rng.uniform(-0.4, 0.4) for i in spec.identifiers}
        self.evaluator = {i: ("EV01", " ev02 ", "EV03")[n % 3] for n, i in enumerate(spec.identifiers)}
        self.evaluator[spec.identifiers[-1]] = "EV04"  # one enterprise only: no Welch test
        self.evaluator[spec.identifiers[-2]] = ""  # no evaluator: left out of evaluator_effects

    def spelt(self, identifier: str) -> str:
        return self.spec.spellings.get(identifier, identifier)

    def write(self) -> None:
        (self.folder).mkdir(parents=True)
        (self.folder / "country.yaml").write_text(
            f"name: {self.spec.name}\ncurrency: {self.spec.currency}\nenterprise_id: {{pattern: '{self.spec.scheme}'}}\n",
            encoding="utf-8")
        for index, wave in enumerate(self.spec.waves):
            folder = self.folder / wave
            folder.mkdir()
            year = int(wave[:4])
            self.write_practices(folder, index, year)
            self.write_profile(folder, index, year)
            self.write_self_assessment(folder, index, year)
            self.write_workers(folder, index, year)
            self.write_training(folder, index, year)
            if self.spec.design and index == 0:
                self.write_frame(folder)
            if index == len(self.spec.waves) - 1:
                self.write_case_studies(folder)
            self.write_sums(folder)
        self.write_corrections()

    # -- practicas_gestion.csv
    def practice_answers(self, identifier: str, index: int) -> dict[str, str]:
        last = index == len(self.spec.waves) - 1
        tied = self.spec.identifiers[:2]
        if identifier in tied:
            if not last:
                return {p["practice_id"]: "2" for p in self.practices}
            sheet = EQUAL_GLOBALS[tied.index(identifier)]
            answers, position = {}, {}
            for p in self.practices:
                n = position.setdefault((p["module"], p["category"]), 0)
                categories = list(dict.fromkeys(q["category"] for q in self.practices if q["module"] == p["module"]))
                answers[p["practice_id"]] = str(sheet[p["module"]][categories.index(p["category"])][n])
                position[(p["module"], p["category"])] = n + 1
            return answers
        level = 2.0 + 0.55 * index + self.skill[identifier]
        answers = {}
        for p in self.practices:
            roll = self.rng.random()
            if roll < 0.03:
                answers[p["practice_id"]] = self.rng.choice(["NA", "99", ""])
            elif roll < 0.045:
                answers[p["practice_id"]] = self.rng.choice(["0", "6", "3.5", "x"])
            else:
                answers[p["practice_id"]] = str(min(5, max(1, round(self.rng.gauss(level, 0.8)))))
        if identifier == self.spec.identifiers[5] and index == 0:  # two modules unanswered: no global score
            for p in self.practices:
                if p["module"] in ("m4", "m5"):
                    answers[p["practice_id"]] = "99"
        return answers

    def write_practices(self, folder: Path, index: int, year: int) -> None:
        header = ["_uuid", "_submission_time", "_index", "ruc", "evaluador", "fecha_visita", "onda"] + [
            f"{p['module']}_grupo/{p['category']}/{p['practice_id']}" for p in self.practices]
        onda = ("linea_base", "medio_termino", "linea_final")[index]
        rows = []

        def row(identifier_text: str, evaluator: str, answers: dict[str, str], day: int, hour: int,
                visit: str | None = None) -> list[object]:
            uuid = f"{self.spec.code}{index}-{len(rows):04d}-4000-8000-{self.rng.randrange(16 ** 12):012x}"
            stamp = f"{year}-05-{day:02d}T{hour:02d}:15:03.000{self.spec.offset}"
            return [uuid, stamp, len(rows) + 1, identifier_text, evaluator, visit or f"{year}-05-{day:02d}", onda] + \
                [answers[p["practice_id"]] for p in self.practices]

        for n, identifier in enumerate(self.spec.identifiers):
            answers = self.practice_answers(identifier, index)
            if self.spec.design and index == len(self.spec.waves) - 1 and n in NOT_AT_LAST_WAVE:
                continue  # attrition: not surveyed at the last wave
            visit = {3: "ayer", 4: "2099-01-01"}.get(n) if index == 1 else None  # invalid visit dates
            if n == 6:  # a resubmission listed first: the later submission time wins
                rows.append(row(self.spelt(identifier), self.evaluator[identifier], answers, 20, 16))
                rows.append(row(identifier, self.evaluator[identifier], self.practice_answers(identifier, index), 20, 9))
                continue
            rows.append(row(self.spelt(identifier), self.evaluator[identifier], answers, 3 + n, 10))
        rows.append(row(self.spec.invalid_identifier, "EV01", self.practice_answers(self.spec.identifiers[3], index), 25, 11))
        rows.append(row(self.spec.unknown_identifier, "EV02", self.practice_answers(self.spec.identifiers[4], index), 26, 11))
        rows.append(row(self.spec.identifiers[8], "EV03", self.practice_answers(self.spec.identifiers[8], index), 27, 9))
        rows[-1][0] = f"{self.spec.code}{index}-drop-4000-8000-000000000001"  # a test submission the log drops
        write_csv(folder / "practicas_gestion.csv", header, rows, ";", bom=True)

    # -- perfil_empresa.xlsx
    def money(self, value: float, n: int, index: int) -> object:
        if (n + index) % 9 == 4:
            return self.spec.foreign_money[(n + index) % len(self.spec.foreign_money)].format(f"{value:,.2f}")
        choice = (n * 3 + index) % 6
        if choice < 4:
            return self.spec.money_spellings[choice].format(f"{value:,.2f}")
        return round(value, 2) if choice == 4 else f"{value:,.2f}"

    def write_profile(self, folder: Path, index: int, year: int) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "perfil"
        sheet.append([f"Ficha de perfil de empresa - {self.spec.name} - {folder.name}"])
        sheet.append([f"Nota: montos en {self.spec.currency}. ND = no disponible."])
        sheet.append(list(PROFILE_HEADERS))
        growth = 1 + 0.08 * index
        for n, identifier in enumerate(self.spec.identifiers):
            workers = 10 + (n * 7) % 40 + 2 * index
            women = workers // 3 + (n % 4)
            sales = (1_000_000 + n * 137_500) * growth
            accidents: object = max(0, 9 - n % 5 - index * 2)
            if n == 2:
                accidents = 0  # a zero baseline KPI: left out of the accidents change
            absenteeism: object = round(6.5 - index * 0.9 + (n % 5) * 0.4, 1)
            cells = [
                identifier if n % 4 else self.spelt(identifier),
                f"Empresa {self.spec.name} {n + 1:02d} S.R.L.", "Región " + "ABC"[n % 3], "Manufactura",
                self.size[identifier], ("Mano de obra", "Insumos nacionales", "insumos importados")[n % 3],
                workers, women if not (n == 7 and index == 1) else workers + 3,  # women above workers: invalid
                self.money(sales, n, index), self.money(sales / 14 / 1.1, n + 1, index),
                f"{55 + n % 7 + 4 * index}.5 %" if n % 2 else 55 + n % 7 + 4 * index,
                "No" if index == 0 else ("Sí", "si", "NO", "no")[n % 4],
                ("No", "Sí", "NO")[n % 3] if index else ("no", "No")[n % 2],
                accidents if n % 6 != 5 else "ND",
                f"{absenteeism}%" if n % 3 == 0 else (absenteeism if n % 3 == 1 else "-"),
                round(18 + n % 9 - index * 1.5, 1) if n != 9 else 120.0,  # turnover may exceed 100 %
                round(5.5 - index * 0.6 + n % 4 * 0.5, 1) if n != 10 else "140 %",  # a share above 100 %: invalid
                round(9.5 - index + n % 3, 1) if n % 5 else None,
                self.money(25 + n * 1.5 - index, n + 2, index) if n != 11 else (-3 if index == 2 else 30),
                dt.datetime(year, 1 + n % 5, 2 + n) if n % 2 else f"{year}-0{1 + n % 5}-{10 + n}",
            ]
            sheet.append(cells)
            if n == 3:  # a percent-formatted capacity cell, read as displayed
                sheet.cell(row=sheet.max_row, column=11, value=0.68).number_format = "0%"
        if index == 1:  # a RUC typed twice: the row below is the correction
            sheet.append([self.spec.identifiers[0]] + [c.value for c in sheet[4]][1:6] + [20, 6] +
                         [c.value for c in sheet[4]][8:])
        sheet.append([])
        sheet.append([None, None])
        book.save(folder / "perfil_empresa.xlsx")

    # -- autoevaluacion.csv
    def write_self_assessment(self, folder: Path, index: int, year: int) -> None:
        header = ["_uuid", "_submission_time", "ruc", "cargo_informante"] + [f"autoeval/m{m}" for m in range(1, 6)]
        if index > 0:
            header += [f"efectos/{o}" for o in OUTCOMES] + [f"influencia_score/{o}" for o in OUTCOMES]
        rows = []
        for n, identifier in enumerate(self.spec.identifiers):
            for attempt in ((0, 1) if n == 3 else (0,)):  # a resubmission
                ratings = [str(self.rng.randint(2, 5)) for _ in range(5)]
                if n == 4:
                    ratings[2] = "7" if index == 1 else ""
                row = [f"{self.spec.code}a{index}-{n:03d}-{attempt}", f"{year}-06-{2 + n:02d}T1{attempt}:00:00{self.spec.offset}",
                       self.spelt(identifier), "Gerente general"] + ratings
                if index > 0:
                    effects = [self.rng.choice(["positivo", "positivo", "ninguno", "negativo", "no_sabe", ""])
                               for _ in OUTCOMES]
                    influence = [self.rng.choice(["mucho", "algo", "nada", "no_sabe", ""]) for _ in OUTCOMES]
                    if n == 5:
                        effects[1], influence[2] = "quizas", "bastante"
                    row += effects + influence
                rows.append(row)
        write_csv(folder / "autoevaluacion.csv", header, rows, ";")

    # -- encuesta_trabajadores.csv
    def label(self, level: float) -> str:
        roll = self.rng.random()
        if roll < 0.05:
            return self.rng.choice(["NS/NR", ""])
        if roll < 0.07:
            return self.rng.choice(["Malo", "4", "xx"])
        text = LABELS[min(4, max(0, round(self.rng.gauss(level, 0.9)) - 1))]
        return self.rng.choice(LABEL_SPELLINGS[text] + (text, text)) if roll < 0.4 else text

    def worker_code(self, n: int, index: int, position: int) -> str:
        """Contract 8.2: the worker's code in its enterprise (`T-0003`, typed in odd case and spaces at times); the
        workforce turns over by two codes a wave, so the first and the last wave share some workers; every
        seventh respondent is anonymous; one code is used twice (both respondents anonymous)."""
        if (n + position) % 7 == 6:
            return ""
        if n == 0 and index == 0 and position == 1:
            position = 0  # the same code as the respondent before: used twice
        code = f"T-{2 * index + position:04d}"
        return code.lower() + " " if (n + position) % 5 == 4 else code

    def write_workers(self, folder: Path, index: int, year: int) -> None:
        header = ["ID encuesta", "RUC", "Sexo", "Edad", "Antigüedad", "Área"] + [
            f"{item['header_prefix']} {item['label_es']}" for item in self.items]
        if self.spec.design:
            header.insert(2, "Código trabajador")
        rows, count = [], 0
        for n, identifier in enumerate(self.spec.identifiers):
            if n == 12 and index == 1:
                continue  # no worker survey from this enterprise in this wave
            for position in range(3 + (n + index) % 5 + 2 * self.spec.design):
                count += 1
                answers = [self.label(3.3 + 0.2 * index) for _ in self.items]
                if count % 11 == 0:  # fewer than 10 valid answers: not scored
                    answers[:6] = ["NS/NR"] * 6
                code = [self.worker_code(n, index, position)] if self.spec.design else []
                rows.append([f"{year}-{count:05d}", self.spelt(identifier), *code,
                             self.rng.choice(["F", "m", "Mujer", "HOMBRE"]), "26-35", "1-3", "Producción"] + answers)
        rows.append([f"{year}-{count + 1:05d}", self.spec.invalid_identifier, *([""] if self.spec.design else []),
                     "F", "18-25", "<1", "Ventas"] + ["Bueno"] * len(self.items))
        encoding = self.spec.worker_encoding if index == 0 else "utf-8"
        write_csv(folder / "encuesta_trabajadores.csv", header, rows, ";", encoding=encoding)

    # -- registro_capacitacion.csv (cumulative)
    def write_training(self, folder: Path, index: int, year: int) -> None:
        header = ["ruc", "modulo", "fecha_inicio", "fecha_fin", "sesiones_aula", "visitas_consultoria", "aporte_usd"]
        rows = []
        for n, identifier in enumerate(self.spec.identifiers):
            if self.spec.design and self.arm(n) == "comparacion" and n != CONTAMINATED:
                continue  # the comparison arm is not trained
            for module in range(1, min(5, 1 + (index + 1) * 2 - n % 2) + 1):
                contribution = 500 if self.size[identifier] == "Pequeña" else 1000
                if n == 1 and module == 2:
                    contribution = 800  # differs from the rule
                rows.append([self.spelt(identifier), module, f"{year - 1}-{module + 1:02d}-10",
                             f"{year - 1}-{module + 2:02d}-20" if module < 5 else "", 3, 2, contribution])
        rows.append([self.spec.identifiers[3], 6, f"{year - 1}-02-01", "", 1, 1, 500])  # module 6: rejected
        rows.append(list(rows[0]))  # the same (RUC, module) again: the earlier one is a duplicate
        write_csv(folder / "registro_capacitacion.csv", header, rows, ",")

    # -- muestra.csv (contract 8.1), in the first wave
    @staticmethod
    def arm(n: int) -> str:
        return "tratamiento" if n % 2 == 0 else "comparacion"

    def write_frame(self, folder: Path) -> None:
        rows = [[self.spelt(identifier), FRAME_GRUPOS[n % len(FRAME_GRUPOS)] if n != OTHER_GRUPO else "control",
                 f"estrato {'AB'[n % 2]}{n % 3}" if n % 4 else ""]
                for n, identifier in enumerate(self.spec.identifiers) if n != NOT_IN_FRAME]
        rows.append([self.spec.identifiers[LISTED_TWICE], "comparacion", "estrato B0"])  # listed twice: both rejected
        rows.append([self.spec.invalid_identifier, "tratamiento", ""])
        rows.append([self.spec.unknown_identifier, "comparacion", ""])  # in no profile sheet: rejected
        write_csv(folder / "muestra.csv", ["ruc", "grupo", "estrato"], rows, ";", bom=True)

    def write_case_studies(self, folder: Path) -> None:
        (folder / "estudios_caso").mkdir()
        for n, identifier in enumerate(self.spec.identifiers[2:4]):
            title = f'titulo: "Empresa {n + 1}: orden, limpieza y seguridad"\n' if n == 0 else ""
            text = (f"---\nruc: \"{identifier}\"\n{title}modulos: [1, {3 + n}]\ntemas: [seguridad, calidad]\n---\n\n"
                    f"# Empresa {n + 1} S.R.L.\n\nEl comité de seguridad -- creado en el Módulo 5 -- redujo los "
                    f"accidentes; la gerencia (y los trabajadores) lo confirman.\n\n- Orden y limpieza: 5S.\n")
            (folder / "estudios_caso" / f"{identifier}.md").write_text(text, encoding="utf-8")

    def write_sums(self, folder: Path) -> None:
        lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(folder).as_posix()}"
                 for path in sorted(folder.rglob("*")) if path.is_file()]
        (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # -- corrections logs
    def write_corrections(self) -> None:
        spec, folder = self.spec, self.corrections / self.spec.code
        folder.mkdir(parents=True)
        midterm, endline = spec.waves[1], spec.waves[2]
        header = ["instrument", "key", "column", "action", "old_value", "new_value", "author", "date", "reason"]
        first_worker = f"{midterm[:4]}-00001"
        lines = [
            ["practicas_gestion", f"{spec.code}1-drop-4000-8000-000000000001", "", "drop_row", "", "", "Ana", f"{midterm[:4]}-07-01", "test form"],
            ["perfil_empresa", spec.identifiers[7], "N° trabajadoras", "replace",
             str(10 + (7 * 7) % 40 + 2 + 3), "9", "Ana", f"{midterm[:4]}-07-02", "women re-counted"],
            ["perfil_empresa", spec.identifiers[1], "Accidentes de trabajo (año)", "replace", "999", "1", "Ana",
             f"{midterm[:4]}-07-02", "a stale line"],
            ["encuesta_trabajadores", first_worker, "P1. Comunicación con los jefes", "replace", "", "Excelente",
             "Ana", f"{midterm[:4]}-07-03", "no_match or stale, whatever the cell holds"],
            ["autoevaluacion", "no-such-uuid", "cargo_informante", "replace", "Gerente", "Dueño", "Ana",
             f"{midterm[:4]}-07-03", "no match"],
            ["registro_capacitacion", f"{spec.identifiers[1]}:2", "aporte_usd", "confirm", "800", "", "Ana",
             f"{midterm[:4]}-07-04", "checked against the invoice"],
        ]
        write_csv(folder / f"{midterm}.csv", header, lines, ",")
        foreign = [n for n in range(len(spec.identifiers)) if (n + 2) % 9 == 4]
        endline_lines = [["perfil_empresa", spec.identifiers[n], "Ventas anuales (S/.)", "replace",
                          spec.foreign_money[(n + 2) % len(spec.foreign_money)].format(
                              f"{(1_000_000 + n * 137_500) * (1 + 0.08 * 2):,.2f}"), "2,500,000", "Ana", f"{endline[:4]}-07-01",
                          "the amount re-typed in the country's currency"] for n in foreign]
        write_csv(folder / f"{endline}.csv", header, endline_lines, ",")


def write_programme_root(raw: Path, corrections: Path) -> None:
    """Bolivia and Ghana under `raw/<cc>/`, their corrections logs under `corrections/<cc>/`."""
    for seed, spec in enumerate((BOLIVIA, GHANA), start=7):
        CountryWriter(spec, raw / spec.code, corrections, seed).write()
