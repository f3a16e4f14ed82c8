"""`estudios_caso/*.md`: case studies, markdown with a YAML front matter (optional: a wave without the
folder simply has none)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from score_pipeline.core.cells import as_text
from score_pipeline.core.identifiers import IdentifierRule
from score_pipeline.core.wave_files import CASE_STUDIES as SOURCE
from score_pipeline.ingest.instruments.common import Ingested, Problems, Source, frame_of
from score_pipeline.ingest.readers import IngestError, decode

COLUMNS = {
    "wave": "VARCHAR", "ruc": "VARCHAR", "title": "VARCHAR", "modules": "INTEGER[]", "themes": "VARCHAR[]",
    "word_count": "INTEGER", "source_file": "VARCHAR",
}
MODULES = (1, 2, 3, 4, 5)
LISTS = ("modulos", "temas")  # the front matter's lists (contract 2.6)
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)


def headers() -> dict[str, str]:
    return {"ruc": "front matter 'ruc'", "title": "front matter 'titulo'", "modules": "front matter 'modulos'",
            "themes": "front matter 'temas'", "word_count": "the text after the front matter: what white space separates, markdown marks aside",
            "source_file": "the file's name"}


def files(folder: Path) -> list[Path]:
    directory = folder / SOURCE
    return sorted(directory.glob("*.md")) if directory.is_dir() else []


def count(folder: Path) -> int:
    return len(files(folder))


def ingest(source: Source) -> Ingested:
    """Case studies take no corrections (contract 5 lists the five instruments that do)."""
    found, wave = files(source.folder), source.wave
    problems = Problems(wave, "estudios_caso", source.folder / SOURCE)
    records = []
    for path in found:
        problems.source_file = f"{wave}/estudios_caso/{path.name}"
        record = case_study(path, wave, problems, source.rules.identifier)
        if record:
            records.append(record)
    return Ingested(frame_of(records, COLUMNS), len(found), problems.rejects)


def word_count(body: str) -> int:
    """The words of a case study's text: what white space separates (`S.A.C.` is one word), a markdown mark
    standing alone (`#`, `-`, `**`) is none."""
    return sum(1 for token in body.split() if any(character.isalnum() for character in token))


def case_study(path: Path, wave: str, problems: Problems, identifier: IdentifierRule) -> dict[str, object] | None:
    try:
        text = decode(path)[0].replace("\r\n", "\n").replace("\r", "\n")
    except IngestError as error:
        problems.reject_row(None, path.name, error.problem)
        return None
    match = FRONT_MATTER.match(text)
    try:
        meta = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError as error:
        meta, reason = None, f"front matter is not YAML ({error.__class__.__name__})"
    else:
        reason = "no YAML front matter between --- lines"
    if not isinstance(meta, dict):
        problems.reject_row(None, path.name, reason)
        return None
    ruc = identifier(meta.get("ruc"))
    if ruc.problem:
        problems.reject_row(None, path.name, ruc.problem)
        return None
    for key in LISTS:  # contract 3: a key the contract lists is never read as an empty list because it is absent
        if key not in meta:
            problems.invalid_value(1, key, "", f"{key} is missing from the front matter (an empty list is `{key}: []`)",
                                   ruc.value)
    modules = meta.get("modulos") or []
    if not isinstance(modules, list) or any(m not in MODULES for m in modules):
        problems.invalid_value(1, "modulos", modules, "modulos is not a list of 1..5", ruc.value)
        modules = [m for m in modules if m in MODULES] if isinstance(modules, list) else []
    themes = meta.get("temas") or []
    title = as_text(meta.get("titulo")) or None
    if title is None:
        problems.invalid_value(1, "titulo", "", "titulo is missing or empty", ruc.value)
    return {
        "wave": wave, "ruc": ruc.value, "title": title,
        "modules": sorted(set(modules)) if "modulos" in meta else None,
        "themes": ([str(t) for t in themes] if isinstance(themes, list) else [str(themes)]) if "temas" in meta else None,
        "word_count": word_count(match.group(2)), "source_file": problems.source_file,
    }
