"""Drop verification: a wave is a folder whose SHA256SUMS verifies; problems name the file."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLE_RAW, copy_wave

from score_pipeline.core.waves import DropError, drop_statuses, parse_checksums, split_partition_key, verified_wave_folder, verify_drop
from score_pipeline.sample_data.extracts import write_sha256sums
from score_pipeline.settings import PROJECT_ROOT


def complete_drops(folder: Path) -> list[str]:
    return [status.wave for status in drop_statuses(folder, "pe") if status.complete]


def test_the_sample_waves_are_complete_drops() -> None:
    from conftest import COLOMBIA_RAW, COLOMBIA_WAVES, SAMPLE_RAW, SAMPLE_WAVES

    assert complete_drops(SAMPLE_RAW) == list(SAMPLE_WAVES)
    assert [s.partition_key for s in drop_statuses(COLOMBIA_RAW, "co")] == [f"co/{wave}" for wave in COLOMBIA_WAVES]


def test_partition_keys_are_country_slash_wave() -> None:
    assert split_partition_key("co/2020-midterm") == ("co", "2020-midterm")
    for bad in ("2020-midterm", "co/", "/2020-midterm", "co/Midterm", "co/2020-midterm'"):
        with pytest.raises(ValueError, match="not <country>/<wave>"):
            split_partition_key(bad)


def test_missing_sha256sums_is_not_a_wave(tmp_path: Path) -> None:
    (copy_wave("2017-baseline", tmp_path) / "SHA256SUMS").unlink()
    status = verify_drop(tmp_path / "2017-baseline", "pe")
    assert not status.complete and "SHA256SUMS is missing" in status.problems[0]


def test_a_changed_file_is_named(tmp_path: Path) -> None:
    folder = copy_wave("2018-midterm", tmp_path)
    with (folder / "autoevaluacion.csv").open("a") as handle:
        handle.write("extra\n")
    status = verify_drop(folder, "pe")
    assert status.problems == ["autoevaluacion.csv: checksum mismatch"]
    with pytest.raises(DropError, match="wave pe/2018-midterm .*autoevaluacion.csv: checksum mismatch"):
        verified_wave_folder(tmp_path, "pe", "2018-midterm")


def test_a_listed_file_that_is_missing_is_named(tmp_path: Path) -> None:
    folder = copy_wave("2019-endline", tmp_path)
    (folder / "estudios_caso" / next(p.name for p in (folder / "estudios_caso").iterdir())).unlink()
    assert "listed in SHA256SUMS but missing" in verify_drop(folder, "pe").problems[0]


def test_a_folder_with_a_bad_name_is_not_a_wave(tmp_path: Path) -> None:
    (tmp_path / "Wave 3").mkdir()
    (tmp_path / "2021-Followup").mkdir()
    assert complete_drops(tmp_path) == []
    assert "not a wave key" in verify_drop(tmp_path / "2021-Followup", "pe").problems[0]


def test_checksums_in_binary_mode_and_crlf(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert parse_checksums(f"{digest} *a.csv\r\n{digest}  b/c.md\n") == {"a.csv": digest, "b/c.md": digest}
    with pytest.raises(DropError, match="line 1"):
        parse_checksums("not a checksum line\n")


def test_files_no_instrument_reads_are_reported_not_ignored(tmp_path: Path) -> None:
    folder = shutil.copytree(SAMPLE_RAW / "2019-endline", tmp_path / "2019-endline")
    (folder / "notas_campo.txt").write_text("visitas reprogramadas\n", encoding="utf-8")
    (folder / "practicas_gestion (1).csv").write_bytes((folder / "practicas_gestion.csv").read_bytes())
    (folder / "SHA256SUMS").unlink()
    write_sha256sums(folder)
    (folder / "copia_perfil.xlsx").write_bytes(b"not listed")
    status = verify_drop(folder, "pe")
    assert status.complete  # a note, not a problem: the drop still runs
    assert status.unread == ["notas_campo.txt", "practicas_gestion (1).csv", "copia_perfil.xlsx (not in SHA256SUMS)"]
    clean = shutil.copytree(SAMPLE_RAW / "2019-endline", tmp_path / "clean" / "2019-endline")
    assert verify_drop(clean, "pe").unread == []  # every sample file, case studies included, is read


def test_a_run_covers_neighbouring_waves_only() -> None:
    from score_pipeline.core.waves import contiguous_blocks

    ordered = ["2017-baseline", "2018-midterm", "2019-endline", "2020-followup"]
    assert contiguous_blocks(ordered, ordered) == [ordered]
    assert contiguous_blocks(ordered, ["2017-baseline", "2019-endline", "2020-followup"]) == [
        ["2017-baseline"], ["2019-endline", "2020-followup"]]  # the midterm's drop is incomplete
    assert contiguous_blocks(ordered, ["2018-midterm", "1999-unknown"]) == [["2018-midterm"]]
    assert contiguous_blocks(ordered, []) == []


def readme_checksums_command() -> str:
    """The README's command that writes a new wave's SHA256SUMS, as written there."""
    commands = re.findall(r"cd data/raw/\S+ && .*?> SHA256SUMS", (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == 1, commands
    return commands[0]


@pytest.mark.parametrize("sample_wave", ["2018-midterm", "2019-endline"])  # without, and with, estudios_caso/
def test_the_readme_s_checksums_command_makes_a_complete_drop(tmp_path: Path, sample_wave: str) -> None:
    command = readme_checksums_command()
    folder = tmp_path / "data" / "raw" / "pe" / command.split()[1].rsplit("/", 1)[-1]
    shutil.copytree(SAMPLE_RAW / sample_wave, folder)
    (folder / "SHA256SUMS").unlink()
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    status = verify_drop(folder, "pe")
    assert status.complete and not status.unread, (status.problems, status.unread)
    files = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert parse_checksums((folder / "SHA256SUMS").read_text(encoding="utf-8")) == files
    assert any(name.startswith("estudios_caso/") for name in files) == (sample_wave == "2019-endline")
