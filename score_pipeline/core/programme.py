"""The programme's countries (contract 7): the layout of a raw root, each country's `country.yaml`, and the
scheme its enterprise identifiers are validated under.

A raw root holds either one country's wave folders (v1; the country is `SCORE_COUNTRY`, default `pe`,
described by V1_COUNTRY) or one folder per country, `<root>/<cc>/country.yaml` and `<root>/<cc>/<wave>/`.
A root mixing the two is refused as a whole; a country whose folder or `country.yaml` is wrong is refused
alone, with the reason, and the other countries go on.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from babel import Locale
from babel.numbers import list_currencies
from stdnum.exceptions import ValidationError

from score_pipeline.core.cells import Parsed, as_text, memoised
from score_pipeline.core.identifiers import RUC_PREFIXES, compact_identifier, normalise_ruc
from score_pipeline.core.waves import (
    COUNTRY_CODE, DropStatus, drop_statuses, first_wave_of, is_wave_name, orphan_logs, partition_key,
)

COUNTRY_FILE = "country.yaml"
COUNTRY_ENV = "SCORE_COUNTRY"
DEFAULT_COUNTRY = "pe"
COUNTRY_KEYS = ("name", "currency", "enterprise_id")


class LayoutError(Exception):
    """A raw root, or one country folder of it, that the pipeline cannot read."""


def is_country_code(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code in lower case (`pe`, `co`, `gh`)."""
    return bool(COUNTRY_CODE.fullmatch(code)) and code.upper() in Locale("en").territories


@dataclass(frozen=True)
class IdentifierScheme:
    """How a country's enterprise identifiers are validated: a python-stdnum module (`pe.ruc`, `co.nit`) or a
    regular expression the whole cleaned identifier must match."""

    stdnum_module: str | None = None
    pattern: str | None = None

    @classmethod
    def from_yaml(cls, value: Any) -> IdentifierScheme:
        if isinstance(value, str):
            if not re.fullmatch(r"[a-z]{2}\.[a-z_]+", value):
                raise LayoutError(f"enterprise_id {value!r} is not a python-stdnum module name such as 'co.nit'")
            try:
                module = importlib.import_module(f"stdnum.{value}")
            except ImportError:
                raise LayoutError(f"enterprise_id {value!r}: python-stdnum has no module stdnum.{value}") from None
            if not callable(getattr(module, "validate", None)):
                raise LayoutError(f"enterprise_id {value!r}: stdnum.{value} does not validate numbers")
            return cls(stdnum_module=value)
        if isinstance(value, Mapping) and set(value) == {"pattern"} and isinstance(value["pattern"], str):
            try:
                re.compile(value["pattern"])
            except re.error as error:
                raise LayoutError(f"enterprise_id pattern {value['pattern']!r} is not a regular expression: {error}") from None
            return cls(pattern=value["pattern"])
        raise LayoutError(f"enterprise_id must be a python-stdnum module name or {{pattern: <regex>}}, not {value!r}")

    @property
    def label(self) -> str:
        return self.stdnum_module or f"pattern {self.pattern}"

    @cached_property
    def _module(self) -> ModuleType | None:
        return importlib.import_module(f"stdnum.{self.stdnum_module}") if self.stdnum_module else None

    @property
    def shape(self) -> str:
        """A regular expression of a valid compact identifier, for the GX structure check (the independent gate
        after ingest): exact for Peru's RUC (contract 2) and for a pattern; upper-case letters and digits for
        another python-stdnum scheme, whose check digits ingest has verified."""
        if self.stdnum_module == "pe.ruc":
            return f"^(?:{'|'.join(RUC_PREFIXES)})[0-9]{{9}}$"
        return f"^(?:{self.pattern})$" if self.pattern else "^[0-9A-Z]+$"

    def normalise(self, raw: object) -> Parsed[str]:
        """A cell's identifier cleaned of its spellings and valid under the scheme, or the reason it is not.
        Peru's RUC keeps the contract's own reasons (prefix, check digit: section 2)."""
        return normalise_ruc(raw) if self.stdnum_module == "pe.ruc" else _normalised(self, raw)

    def validate(self, compact: str) -> str:
        """The identifier in the scheme's compact form; ValueError saying why it is not valid."""
        if self._module is not None:
            try:
                return self._module.validate(compact)
            except ValidationError as error:
                raise ValueError(f"{compact} is not a valid {self.stdnum_module}: {error.message}") from None
        if not re.fullmatch(self.pattern, compact):
            raise ValueError(f"{compact} does not match the pattern {self.pattern}")
        return compact


@memoised
def _normalised(scheme: IdentifierScheme, raw: object) -> Parsed[str]:
    """IdentifierScheme.normalise for the schemes other than Peru's RUC, cached like normalise_ruc: a wave's
    files repeat each enterprise's identifier in every row."""
    compact = compact_identifier(raw)
    if compact is None:
        return Parsed(None, "identifier is empty" if as_text(raw) == "" else f"identifier {as_text(raw)!r} is not one")
    try:
        return Parsed(scheme.validate(compact))
    except ValueError as error:
        return Parsed(None, str(error))


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    currency: str
    enterprise_id: IdentifierScheme
    folder: Path  # its wave folders' parent: the raw root itself for a v1 root
    in_programme: bool = False  # a country folder of a programme root, not a v1 root

    def corrections_dir(self, corrections_root: Path) -> Path:
        """Its corrections logs' folder (contract 5): the corrections root itself for a v1 root,
        `<corrections root>/<country>/` in a programme."""
        return corrections_root / self.code if self.in_programme else corrections_root

    def partition_key(self, wave: str) -> str:
        return partition_key(self.code, wave)

    def first_wave(self) -> str | None:
        """Its first wave folder in key order (contract 1: the baseline), complete or not."""
        return first_wave_of(self.folder)

    def drops(self, corrections_root: Path | None = None) -> list[DropStatus]:
        """Its wave folders, verified (with its corrections logs' versions when given their root)."""
        return drop_statuses(self.folder, self.code, self.corrections_dir(corrections_root) if corrections_root else None)


V1_COUNTRY = {"name": "Peru", "currency": "PEN", "enterprise_id": "pe.ruc"}  # contract 7: the v1 root's country
V1_SCHEME = IdentifierScheme(stdnum_module=V1_COUNTRY["enterprise_id"])


def country_from_yaml(code: str, folder: Path, document: Any, in_programme: bool = False) -> Country:
    """A country from its parsed `country.yaml`; LayoutError naming the field otherwise."""
    if not isinstance(document, Mapping):
        raise LayoutError(f"{COUNTRY_FILE} must be a mapping of {', '.join(COUNTRY_KEYS)}")
    missing = [key for key in COUNTRY_KEYS if key not in document]
    unknown = sorted(set(document) - set(COUNTRY_KEYS))
    if missing or unknown:
        raise LayoutError("; ".join([*(f"{COUNTRY_FILE} lacks {key!r}" for key in missing),
                                     *(f"{COUNTRY_FILE} has an unknown key {key!r}" for key in unknown)]))
    name, currency = document["name"], document["currency"]
    if not isinstance(name, str) or not name.strip():
        raise LayoutError(f"{COUNTRY_FILE}: name must be the country's name, not {name!r}")
    if not isinstance(currency, str) or currency not in list_currencies():
        raise LayoutError(f"{COUNTRY_FILE}: currency {currency!r} is not an ISO 4217 code such as 'COP'")
    return Country(code, name.strip(), currency, IdentifierScheme.from_yaml(document["enterprise_id"]), folder,
                   in_programme)


def read_country(folder: Path) -> Country:
    """The country of a programme root's country folder; LayoutError naming the folder and the problem."""
    try:
        if not is_country_code(folder.name):
            raise LayoutError("the folder is not named by an ISO 3166-1 alpha-2 code in lower case (pe, co, gh)")
        return read_country_file(folder / COUNTRY_FILE, folder.name, in_programme=True)
    except LayoutError as error:
        raise LayoutError(f"country folder {folder}: {error}") from None


def read_country_file(path: Path, code: str, in_programme: bool = False) -> Country:
    if not path.is_file():
        raise LayoutError(f"{COUNTRY_FILE} is missing")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise LayoutError(f"{COUNTRY_FILE} is not valid YAML: {error}") from None
    return country_from_yaml(code, path.parent, document, in_programme)


@dataclass(frozen=True)
class Layout:
    """The countries a raw root holds, and the country folders refused (folder -> reason)."""

    countries: list[Country]
    refused: dict[Path, str] = field(default_factory=dict)
    single_country: bool = False

    def country(self, code: str) -> Country:
        """The country of a partition key; LayoutError saying why there is none (refused, or no folder)."""
        found = [country for country in self.countries if country.code == code]
        if found:
            return found[0]
        reasons = [reason for folder, reason in self.refused.items() if folder.name == code]
        raise LayoutError(reasons[0] if reasons else f"the raw root has no country {code!r} any more")

    def drops(self, corrections_root: Path | None = None) -> list[DropStatus]:
        """Every country's wave folders, verified, country by country in code order."""
        return [status for country in self.countries for status in country.drops(corrections_root)]

    def orphan_logs(self, root: Path, corrections_root: Path) -> list[str]:
        """Corrections logs applied to nothing: a country's log named after no wave folder of its and, in a
        programme, a log outside every country's folder (contract 5: `<root>/<country>/<wave>.csv`)."""
        found = [orphan for country in self.countries
                 for orphan in orphan_logs(country.folder, country.corrections_dir(corrections_root))]
        if self.single_country or not corrections_root.is_dir():
            return found
        codes = {country.code for country in self.countries}
        return found + [f"{log.relative_to(corrections_root)}: not under a country's folder of {root} "
                        f"(<country>/<wave>.csv): applied to nothing"
                        for log in sorted(corrections_root.rglob("*.csv")) if log.parent.name not in codes
                        or log.parent.parent != corrections_root]


def visible_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []


def looks_like_country(folder: Path) -> bool:
    return (folder / COUNTRY_FILE).exists() or bool(COUNTRY_CODE.fullmatch(folder.name))


def read_layout(root: Path) -> Layout:
    """The countries of a raw root (contract 7). LayoutError when the root mixes country and wave folders.

    A root is a programme root when a folder of it has a `country.yaml` or a two-letter name; every other
    folder of a programme root is then a country folder refused with its reason, not skipped in silence.
    """
    folders = visible_folders(root)
    waves = [f for f in folders if is_wave_name(f.name)]
    if not any(looks_like_country(f) for f in folders):
        return Layout([single_country(root, os.environ.get(COUNTRY_ENV))], single_country=True)
    if waves:
        countries = [f for f in folders if f not in waves]
        raise LayoutError(f"raw root {root} mixes country folders ({', '.join(f.name for f in countries)}) and wave "
                          f"folders ({', '.join(f.name for f in waves)}): put each wave under its country's folder")
    read, refused = [], {}
    for folder in folders:
        try:
            read.append(read_country(folder))
        except LayoutError as error:
            refused[folder] = str(error)
    return Layout(read, refused)


def single_country(root: Path, code: str | None) -> Country:
    """The country of a v1 root: `SCORE_COUNTRY` (else the root's own name when it is a country folder with its
    `country.yaml`, else `pe`), described by a `country.yaml` at the root if there is one, else Peru's v1
    defaults; any other country without one is refused (its scheme is unknown)."""
    has_file = (root / COUNTRY_FILE).is_file()
    code = code or (root.name if has_file and is_country_code(root.name) else DEFAULT_COUNTRY)
    if not is_country_code(code):
        raise LayoutError(f"{COUNTRY_ENV}={code!r} is not an ISO 3166-1 alpha-2 code in lower case (pe, co, gh)")
    if has_file:
        country = read_country_file(root / COUNTRY_FILE, code)
    elif code == DEFAULT_COUNTRY:
        country = country_from_yaml(code, root, V1_COUNTRY)
    else:
        raise LayoutError(f"{COUNTRY_ENV}={code!r}: raw root {root} has no {COUNTRY_FILE} saying the country's name, "
                          f"currency and enterprise_id (only {DEFAULT_COUNTRY!r} has defaults)")
    return country
