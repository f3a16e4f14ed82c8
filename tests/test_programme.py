"""The programme's raw layout (contract 7): which countries a raw root holds, each country.yaml, the identifier
schemes, each country's corrections folder, and the entry points that refuse a mixed root (the runs:
test_programme_runs.py).
Expectations are written from the contract's text and, for NITs, from DIAN's check-digit rule."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_schedule_context, build_sensor_context
from conftest import RAW
from reference import nit_check_digit

from score_pipeline.automation import nightly_latest_wave, wave_drop_sensor
from score_pipeline.cli import list_waves, run_all_waves
from score_pipeline.core.programme import IdentifierScheme, LayoutError, read_layout

PERU = "name: Peru\ncurrency: PEN\nenterprise_id: pe.ruc\n"
COLOMBIA = "name: Colombia\ncurrency: COP\nenterprise_id: co.nit\n"


def country(root: Path, code: str, yaml_text: str | None, waves: tuple[str, ...] = ("2019-baseline",)) -> Path:
    folder = root / code
    for wave in waves:
        (folder / wave).mkdir(parents=True)
    if yaml_text is not None:
        (folder / "country.yaml").write_text(yaml_text, encoding="utf-8")
    return folder


def test_a_root_of_wave_folders_is_peru_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORE_COUNTRY", raising=False)
    (tmp_path / "2017-baseline").mkdir()
    layout = read_layout(tmp_path)
    assert layout.single_country and not layout.refused
    [peru] = layout.countries
    assert (peru.code, peru.name, peru.currency, peru.enterprise_id.label, peru.folder) == (
        "pe", "Peru", "PEN", "pe.ruc", tmp_path)


def test_a_single_country_root_of_another_country_needs_its_country_yaml(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "2019-baseline").mkdir()
    monkeypatch.setenv("SCORE_COUNTRY", "co")
    with pytest.raises(LayoutError, match=r"SCORE_COUNTRY='co'.*has no country.yaml"):
        read_layout(tmp_path)
    (tmp_path / "country.yaml").write_text(COLOMBIA, encoding="utf-8")
    [colombia] = read_layout(tmp_path).countries
    assert (colombia.code, colombia.currency, colombia.enterprise_id.label) == ("co", "COP", "co.nit")
    monkeypatch.setenv("SCORE_COUNTRY", "Colombia")
    with pytest.raises(LayoutError, match="not an ISO 3166-1 alpha-2 code"):
        read_layout(tmp_path)


def test_a_programme_root_reads_every_country(tmp_path: Path) -> None:
    country(tmp_path, "pe", PERU, ("2017-baseline", "2019-endline"))
    country(tmp_path, "co", COLOMBIA)
    layout = read_layout(tmp_path)
    assert not layout.single_country and not layout.refused
    assert [(c.code, c.name, c.currency, c.folder) for c in layout.countries] == [
        ("co", "Colombia", "COP", tmp_path / "co"), ("pe", "Peru", "PEN", tmp_path / "pe")]


def test_a_root_mixing_country_and_wave_folders_is_refused_naming_them(tmp_path: Path) -> None:
    country(tmp_path, "co", COLOMBIA)
    (tmp_path / "2017-baseline").mkdir()
    with pytest.raises(LayoutError, match=r"mixes country folders \(co\) and wave folders \(2017-baseline\)"):
        read_layout(tmp_path)


@pytest.mark.parametrize(("folder", "yaml_text", "reason"), [
    ("gh", None, "country.yaml is missing"),
    ("gh", "name: Ghana\ncurrency: GHS\nenterprise_id: [gh.tin\n", "not valid YAML"),
    ("gh", "name: Ghana\ncurrency: GHS\n", "lacks 'enterprise_id'"),
    ("gh", "name: Ghana\ncurrency: GHS\nenterprise_id: gh.tin\nflag: red\n", "unknown key 'flag'"),
    ("gh", "name: Ghana\ncurrency: cedi\nenterprise_id: gh.tin\n", "currency 'cedi' is not an ISO 4217 code"),
    ("gh", "name: Ghana\ncurrency: GHS\nenterprise_id: gh.vat\n", "python-stdnum has no module stdnum.gh.vat"),
    ("gh", "name: Ghana\ncurrency: GHS\nenterprise_id: {pattern: '[0-9'}\n", "is not a regular expression"),
    ("gh", "name: Ghana\ncurrency: GHS\nenterprise_id: {regex: x}\n", "module name or {pattern: <regex>}"),
    ("xx", "name: Nowhere\ncurrency: EUR\nenterprise_id: {pattern: x}\n", "not named by an ISO 3166-1 alpha-2 code"),
    ("colombia", COLOMBIA, "not named by an ISO 3166-1 alpha-2 code"),
])
def test_a_wrong_country_folder_is_refused_alone(tmp_path: Path, folder: str, yaml_text: str | None,
                                                 reason: str) -> None:
    country(tmp_path, "pe", PERU)
    bad = country(tmp_path, folder, yaml_text)
    layout = read_layout(tmp_path)
    assert [c.code for c in layout.countries] == ["pe"]
    assert list(layout.refused) == [bad]
    assert str(bad) in layout.refused[bad] and reason in layout.refused[bad]


def test_nits_are_validated_under_colombia_s_scheme() -> None:
    scheme = IdentifierScheme.from_yaml("co.nit")
    body = "900373913"
    valid = f"{body}{nit_check_digit(body)}"
    wrong = f"{body}{(nit_check_digit(body) + 1) % 10}"
    assert scheme.validate(valid) == valid
    with pytest.raises(ValueError, match=f"{wrong} is not a valid co.nit"):
        scheme.validate(wrong)


def test_a_pattern_scheme_must_match_the_whole_identifier() -> None:
    scheme = IdentifierScheme.from_yaml({"pattern": r"TN\d{7}"})
    assert scheme.validate("TN1234567") == "TN1234567"
    with pytest.raises(ValueError, match="does not match the pattern"):
        scheme.validate("TN12345678")


@pytest.mark.parametrize("module", ["pe.ruc", "co.nit", "gh.tin", "vn.mst", "id.npwp", "cn.uscc", "tn.mf"])
def test_every_scheme_the_contract_names_is_a_validating_stdnum_module(module: str) -> None:
    assert IdentifierScheme.from_yaml(module).label == module


def test_identifiers_are_cleaned_of_their_spellings_before_validation() -> None:
    """Contract 7: scientific notation read as a number, then spaces, dashes and dots removed."""
    scheme = IdentifierScheme.from_yaml("co.nit")
    body = "860007336"
    nit = f"{body}{nit_check_digit(body)}"
    for spelling in (nit, f"{nit[:3]}.{nit[3:6]}.{nit[6:9]}-{nit[9]}", f" {nit} ", f"{nit[0]}.{nit[1:]}E9", int(nit)):
        assert scheme.normalise(spelling).value == nit, spelling
    wrong = scheme.normalise(f"{body}{(nit_check_digit(body) + 1) % 10}")
    assert wrong.value is None and "not a valid co.nit" in wrong.problem
    assert scheme.normalise("").problem == "identifier is empty"
    assert IdentifierScheme.from_yaml("pe.ruc").normalise("20100123454").problem == "RUC 20100123454 fails its check digit"


def test_one_country_s_folder_is_a_single_country_root_of_that_country(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """SCORE_RAW_DIR pointed at `<programme root>/co`: its waves, described by its own country.yaml; its
    corrections logs are the corrections root's own, while in the programme they are `<root>/co/` (contract 5)."""
    monkeypatch.delenv("SCORE_COUNTRY", raising=False)
    folder = country(tmp_path, "co", COLOMBIA)
    alone = read_layout(folder)
    assert alone.single_country and [(c.code, c.currency, c.folder) for c in alone.countries] == [("co", "COP", folder)]
    in_programme = read_layout(tmp_path).countries[0]
    logs = tmp_path / "corrections"
    assert alone.countries[0].corrections_dir(logs) == logs and in_programme.corrections_dir(logs) == logs / "co"


def test_a_mixed_root_is_refused_by_every_entry_point_in_one_sentence(isolated: Path) -> None:
    """make run, `score-pipeline waves`, the drop sensor and the nightly schedule: one sentence, nothing run."""
    raw = isolated / "raw"
    country(raw, "co", COLOMBIA)
    (raw / "2017-baseline").mkdir()
    sentence = (f"raw root {raw} mixes country folders (co) and wave folders (2017-baseline): put each wave under "
                "its country's folder")
    out, listing = io.StringIO(), io.StringIO()
    assert run_all_waves(out=out) == 1 and list_waves(out=listing) == 1
    assert out.getvalue().strip() == listing.getvalue().strip() == sentence
    instance = DagsterInstance.get()
    tick = wave_drop_sensor(build_sensor_context(instance=instance, resources=RAW))
    assert not tick.run_requests and tick.skip_reason.skip_message == sentence
    assert nightly_latest_wave(build_schedule_context(instance=instance, resources=RAW)).skip_message == sentence
    assert instance.get_runs_count() == 0


def test_a_programme_s_corrections_logs_live_in_their_country_s_folder(tmp_path: Path) -> None:
    """Contract 5: `<corrections root>/<country>/<wave>.csv`; a log anywhere else applies to nothing and is named."""
    root, logs = tmp_path / "raw", tmp_path / "corrections"
    country(root, "co", COLOMBIA, waves=("2019-baseline", "2020-midterm"))
    for log in ("co/2019-baseline.csv", "co/2020-midtem.csv", "2020-midterm.csv", "gh/2020-midterm.csv"):
        (logs / log).parent.mkdir(parents=True, exist_ok=True)
        (logs / log).write_text("instrument,key,column,action,old_value,new_value,author,date,reason\n", encoding="utf-8")
    layout = read_layout(root)
    assert layout.orphan_logs(root, logs) == [
        f"2020-midtem.csv: no wave folder '2020-midtem' under {root / 'co'}: applied to nothing",
        f"2020-midterm.csv: not under a country's folder of {root} (<country>/<wave>.csv): applied to nothing",
        f"gh/2020-midterm.csv: not under a country's folder of {root} (<country>/<wave>.csv): applied to nothing"]
