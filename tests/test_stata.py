"""The marts as Stata files (issue 28): written by pandas' StataWriter, read back here by another reader
(pyreadstat, on ReadStat's C parser) and compared with the DuckDB mart value by value and label by label.
The expected names, labels and codes are worked out from the Stata limits and the dbt YAML, not by the writer."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyreadstat
import pytest
from conftest import PipelineRun, assert_refused_and_untouched, digests

from score_pipeline.publish.stata import StataExportError, write_stata_file
from score_pipeline.settings import DBT_PROJECT_DIR
from score_pipeline.transform.metadata import Relation

STATA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
STATA_INTEGERS = {"int8", "int16", "int32"}  # byte, int, long
# The published marts' columns with a dbt accepted_values test (docs/decisions.md, "Stata files").
CODED = {("wave_summary", "level"), ("category_scores", "module"), ("worker_satisfaction", "item"),
         ("kpi_change", "kpi"), ("kpi_change", "cost_structure"), ("data_quality", "instrument"),
         *((mart, "arm") for mart in ("enterprise_scores", "category_scores", "participation", "panel_coverage"))}


def yaml_documentation() -> tuple[dict[str, dict[str, str]], dict[str, str], dict[tuple[str, str], list[str]]]:
    """From the manifest as dbt wrote it: each mart's column descriptions, its own description, and the
    values each of its columns' accepted_values test lists."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    nodes = {uid: node for uid, node in [*manifest["nodes"].items(), *manifest["sources"].items()]
             if node["resource_type"] in ("model", "source") and node["schema"] == "marts"}
    columns = {node["name"]: {name: column["description"] for name, column in node["columns"].items()} for node in nodes.values()}
    descriptions = {node["name"]: node["description"] for node in nodes.values()}
    accepted = {(nodes[test["attached_node"]]["name"], test["column_name"]): test["test_metadata"]["kwargs"]["values"]
                for test in manifest["nodes"].values()
                if test["resource_type"] == "test" and test.get("test_metadata", {}).get("name") == "accepted_values"
                and test.get("attached_node") in nodes}
    return columns, descriptions, accepted


def assert_label_of(label: str, description: str) -> None:
    """Stata's label of a description: the text without markdown's backticks, whole when it fits 80 characters,
    else cut after a whole word and marked `...`."""
    text = " ".join(description.replace("`", "").split())
    if len(text) <= 80:
        assert label == text
    else:
        kept = label.removesuffix("...")
        assert label.endswith("...") and len(label) <= 80 and text.startswith(kept), (label, text)
        assert text[len(kept)] in " ,;:(" and len(kept) > 40, (label, text)  # a word boundary, not far back


def expected_value(value: Any, data_type: str) -> Any:
    """What Stata holds for a DuckDB value: its missing (`.`, read as NaN; `""` for text), a list as its
    elements joined by spaces, a number or text as it is."""
    if data_type.endswith("[]"):
        return " ".join(str(element) for element in value) if value else ""
    if value is None:
        return "" if data_type == "VARCHAR" else math.nan
    return value


def same(read: Any, expected: Any) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(read, float) and math.isnan(read)
    return read == expected


def test_every_mart_reads_back_from_its_stata_file_as_in_duckdb(pipeline: PipelineRun) -> None:
    columns_described, descriptions, accepted = yaml_documentation()
    assert {key for key in accepted if key[0] in descriptions and key[0] in columns_described} >= CODED
    compared = {"missing numbers": 0, "empty text": 0, "lists": 0, "coded": 0, "cut names": 0, "cut labels": 0}
    with duckdb.connect(str(pipeline.database), read_only=True) as connection:
        marts = [mart for (mart,) in connection.execute("select table_name from duckdb_tables() order by all").fetchall()]
        for mart in marts:
            types = dict(connection.execute("select column_name, data_type from duckdb_columns() where table_name = ? "
                                            "order by column_index", [mart]).fetchall())
            rows = connection.execute(f"select * from marts.{mart}").fetchall()
            frame, meta = pyreadstat.read_dta(str(pipeline.publish_dir / f"{mart}.dta"))
            names = {column: column[:32] for column in types}  # the contract's names, cut to Stata's 32 characters
            assert meta.column_names == list(names.values()), mart
            assert all(STATA_NAME.fullmatch(name) for name in meta.column_names), mart
            compared["cut names"] += sum(column != name for column, name in names.items())
            assert len(frame) == len(rows), mart
            assert_label_of(meta.file_label, descriptions[mart])
            for position, (column, data_type) in enumerate(types.items()):
                name = names[column]
                described = columns_described[mart].get(column) or descriptions[mart]  # panel_coverage's wave_* columns
                assert_label_of(meta.column_names_to_labels[name], described)
                compared["cut labels"] += meta.column_names_to_labels[name].endswith("...")
                read = frame[name].tolist()
                if (mart, column) in accepted:
                    labels = meta.variable_value_labels[name]
                    assert list(labels.values()) == accepted[mart, column] and list(labels) == list(range(1, len(labels) + 1))
                    read = [math.nan if math.isnan(code) else labels[int(code)] for code in read]
                    compared["coded"] += 1
                else:
                    assert name not in meta.variable_value_labels, (mart, column)
                expected = [expected_value(row[position], data_type) for row in rows]
                if (mart, column) in accepted:  # a coded column is numeric in Stata: its null is `.`, not ""
                    expected = [math.nan if row[position] is None else value for row, value in zip(rows, expected)]
                mismatches = [(i, r, e) for i, (r, e) in enumerate(zip(read, expected)) if not same(r, e)]
                assert mismatches == [], (mart, column, mismatches[:3])
                stata_type = meta.readstat_variable_types[name]
                if (mart, column) in accepted or data_type in ("BIGINT", "INTEGER", "HUGEINT"):
                    assert stata_type in STATA_INTEGERS, (mart, column, stata_type)
                elif data_type == "VARCHAR" or data_type.endswith("[]"):
                    assert stata_type == "string", (mart, column)
                else:
                    assert (data_type, stata_type) == ("DOUBLE", "double"), (mart, column)
                compared["missing numbers"] += sum(isinstance(e, float) and math.isnan(e) for e in expected)
                compared["empty text"] += sum(e == "" for e in expected)
                compared["lists"] += data_type.endswith("[]")
    assert len(marts) == 20  # contract 4's 16 marts and the four of 8.3
    # Each rule met on the sample: nulls of both kinds, the lists of case_studies (2) and panel_coverage (one per wave
    # of the three countries: 9), the coded columns (contract 8.1's `arm` among them), business_results' pct_using_productivity_indicators (33 characters) and the long descriptions.
    assert compared["missing numbers"] > 0 and compared["empty text"] > 0 and compared["lists"] == 11, compared
    assert compared["coded"] == len(CODED) and compared["cut names"] == 1 and compared["cut labels"] > 0, compared


def test_a_publication_refused_for_its_stata_files_leaves_the_previous_one_byte_identical(
        own_publication: tuple[Path, Path]) -> None:
    """The database and Parquet files are staged before the Stata files: a mart Stata cannot take (a coded
    column holding a value its dbt test does not list) refuses the whole publication, old .dta files included."""
    warehouse, published = own_publication
    assert {name for name in digests(published) if name.endswith(".dta")} == {f"{p.stem}.dta" for p in published.glob("*.parquet")}
    assert_refused_and_untouched(
        warehouse, published, ["update marts.kpi_change set cost_structure = 'Otros' where country = 'co' and cost_structure = 'all'"],
        StataExportError, r"^not published: kpi_change.dta: cost_structure holds 'Otros', outside the values its dbt "
                          r"accepted_values test lists$")


def written(tmp_path: Path, select: str, documented: Relation) -> tuple[Any, Any]:
    """A one-table mart `marts.<documented.name>` from `select`, written and read back."""
    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.execute(f"create table marts.{documented.name} as {select}")
    path = tmp_path / f"{documented.name}.dta"
    write_stata_file(connection, f"marts.{documented.name}", path, documented)
    return pyreadstat.read_dta(str(path))


def test_what_the_sample_does_not_hold_is_written_as_stata_holds_it(tmp_path: Path) -> None:
    """Long and multibyte text (strL), booleans, dates, timestamps (a zoned one in UTC), integers beyond Stata's
    long (a double), decimals, names Stata would refuse, an undescribed column, and a column of DuckDB's type NULL
    (what a scipy mart holds when a statistic is null on every row: programme_summary.p_value after one wave)."""
    long_text = "ñ" * 1500  # 1,500 characters, 3,000 bytes: beyond a str2045
    frame, meta = written(tmp_path, f"""
        select * from (values
            ('{long_text}', true, date '2021-03-04', timestamp '2021-03-04 05:06:07.123', timestamptz '2021-03-04 05:06:07+05',
             3000000000::bigint, 1.25::decimal(9, 2), 1, 2, [1, 2], ['a b', 'c'], null),
            (null, null, null, null, null, null, null, null, null, null, null, null)
        ) t("text", flag, "day", "moment", zoned, big, amount, "2nd", "in", numbers, words, nothing)""",
        Relation("marts", "oddities", {"text": "`Long` text.", "2nd": "A name Stata refuses."}, description="Odd columns."))
    assert meta.column_names == ["text", "flag", "day", "moment", "zoned", "big", "amount", "_2nd", "_in", "numbers", "words",
                                 "nothing"]
    assert meta.readstat_variable_types["text"] == "string" and frame["text"].tolist() == [long_text, ""]
    assert meta.column_names_to_labels["text"] == "Long text." and meta.column_names_to_labels["_2nd"] == "A name Stata refuses."
    assert meta.column_names_to_labels["flag"] == "Odd columns."  # undescribed: the mart's description
    assert frame["flag"].tolist()[0] == 1 and math.isnan(frame["flag"].tolist()[1])
    assert frame["day"].tolist()[0] == date(2021, 3, 4)
    assert frame["moment"].tolist()[0] == datetime(2021, 3, 4, 5, 6, 7, 123000)
    assert frame["zoned"].tolist()[0] == datetime(2021, 3, 4, 0, 6, 7)
    assert meta.readstat_variable_types["big"] == "double" and frame["big"].tolist()[0] == 3_000_000_000
    assert frame["amount"].tolist()[0] == 1.25
    assert frame["numbers"].tolist() == ["1 2", ""] and frame["words"].tolist() == ["a b c", ""]
    assert frame[["day", "moment", "zoned", "big", "amount", "_2nd", "_in"]].iloc[1].isna().all()  # Stata's missing
    assert meta.readstat_variable_types["nothing"] == "double" and frame["nothing"].isna().all()  # DuckDB's type NULL


def test_an_empty_mart_is_written(tmp_path: Path) -> None:
    """A country's first wave has no perceptions yet: its mart has columns and no rows."""
    frame, meta = written(tmp_path, "select 'pe' as country, 'ventas' as outcome, 1::bigint as n, 1.5 as pct limit 0",
                          Relation("marts", "perceived_effects", {}, description="Perceived effects.",
                                   accepted_values={"outcome": ("ventas",)}))
    assert len(frame) == 0 and meta.column_names == ["country", "outcome", "n", "pct"]


@pytest.mark.parametrize(("select", "problem"), [
    ("select 1 as a, {'x': 1} as pair", r"^not published: odd.dta: pair is a STRUCT\(x INTEGER\), which has no Stata type"),
    ("select 9007199254740993::bigint as big", r"^not published: odd.dta: big holds an integer beyond 2\^53"),
    ("select 1 as " + "a" * 33 + ", 2 as " + "a" * 32,
     r"^not published: odd.dta: columns a{33} and a{32} are both a{32} in Stata$"),
    ("select 1 as \"global\"", r"^not published: odd.dta: .*global"),  # a name pandas would rename
])
def test_a_column_stata_cannot_hold_is_refused_in_one_line(tmp_path: Path, select: str, problem: str) -> None:
    with pytest.raises(StataExportError, match=problem) as refused:
        written(tmp_path, select, Relation("marts", "odd", {}, description="Odd."))
    assert "\n" not in str(refused.value)


def test_a_label_is_cut_at_a_word_boundary() -> None:
    from score_pipeline.publish.stata import stata_label

    description = "Waves in which all of practicas_gestion, perfil_empresa, autoevaluacion and encuesta_trabajadores arrived."
    assert stata_label(description) == "Waves in which all of practicas_gestion, perfil_empresa, autoevaluacion and..."
    assert stata_label("x" * 90) == "x" * 77 + "..."  # one word: cut inside it


def test_a_mart_the_dbt_yaml_does_not_document_is_refused_in_one_line(tmp_path: Path) -> None:
    from score_pipeline.publish.marts import write_stata_files

    documented = {"case_studies": Relation("marts", "case_studies", {})}
    with pytest.raises(StataExportError, match=r"^not published: no dbt YAML documents enterprise_scores, category_scores, "):
        write_stata_files(duckdb.connect(), tmp_path, documented)
    assert list(tmp_path.iterdir()) == []
