"""dbt for the pipeline's steps, run inside the step's own process through dbt's programmatic API.

dagster-dbt's `DbtCliResource` starts `dbt` as a subprocess for every invocation: before its first
model that process spends ~2.6 s importing dbt and ~1.2 s re-reading the project (partial parse),
on every wave run and twice in a `make run`, although the step's process has already imported dbt
(dagster-dbt does). Here dbt runs in the step's process (`dbtRunner`) on a project parsed once per
process and warehouse. dagster-dbt still decides what the step builds (its subset selection) and
turns dbt's results into Dagster events (`DbtCoreCliEventMessage`), so the assets, the checks and
their metadata are exactly those it would make.

The parse is made without `--vars`: the `partitions` var (transform/project.py) is read only where
models are compiled (`macros/waves.sql`), which dbt does at run time with the invocation's vars.

dagster-dbt's API this leans on is not the one its package exports, and is confined to this module:
`asset_utils.get_updated_cli_invocation_params_for_context` (the step's selection, manifest and translator),
`core.dbt_cli_event.DbtCoreCliEventMessage` (dbt's result events as Dagster events) and
`dbt_project.using_dagster_dev`. tests/test_transform.py fails if they move or change shape (the dbt steps'
materializations, checks, row counts and column lineage; the code location loaded as `dagster dev` loads it).
dbt-duckdb's private API is transform/dbt_duckdb.py's.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, ConfigurableResource, Failure
from dagster_dbt import DbtProject
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_dbt.dbt_project import using_dagster_dev
from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt.contracts.graph.manifest import Manifest
from dbt_common.events.base_types import EventMsg
from dbt_common.events.functions import msg_to_dict

from score_pipeline import settings
from score_pipeline.transform.dbt_duckdb import release_warehouse
from score_pipeline.transform.partial_parse import keep_parse, seed_parse

RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})


def common_args(project_dir: Path, target: Path) -> list[str]:
    """Where dbt reads the project and writes its artifacts and its log (in the target folder: nothing on the
    console, where Dagster's run log is), and no usage statistics sent. The log is dbt's console text (each node's
    start and result, warnings, errors with their SQL's error): its debug level (every statement and connection)
    in JSON took a fifth of a build's time (docs/benchmarks.md)."""
    return ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--target-path", str(target),
            "--log-path", str(target), "--log-level", "none", "--log-level-file", "info", "--log-format-file", "text",
            "--no-use-colors-file", "--no-send-anonymous-usage-stats"]


EventCallback = Callable[[EventMsg], None]


def invoke(project_dir: Path, target: Path, args: Sequence[str], manifest: Manifest | None = None,
           callbacks: Sequence[EventCallback] = ()) -> dbtRunnerResult:
    """One dbt command in this process, from the project's folder as the dbt CLI runs (the profile's default
    warehouse is relative to it; dagster-dbt's own in-process adapter does the same); the warehouse is
    released whatever happens."""
    try:
        with contextlib.chdir(project_dir):
            result = dbtRunner(manifest=manifest, callbacks=list(callbacks)).invoke(
                [*args, *common_args(project_dir, target)])
    finally:
        release_warehouse()
    if result.exception is not None and not isinstance(result.exception, Exception):
        raise result.exception  # an interrupt (the run terminated): not dbt's failure to report
    return result


def parse(project_dir: Path, target: Path) -> Manifest:
    """`dbt parse` in this process, into `target`; raises with dbt's errors if the project does not parse."""
    errors: list[str] = []
    result = invoke(project_dir, target, ["parse"], callbacks=[error_collector(errors)])
    if not result.success:
        raise Failure(description=failure_text("dbt parse", result, errors, target))
    return result.result


def prepare_if_dev(project: DbtProject) -> None:
    """Under `dagster dev` (make ui), parse the project so that edited models show without a restart.

    dagster-dbt's own `DbtProject.prepare_if_dev` runs a bare `dbt` from PATH, which `dagster dev`
    does not have (the venv is not activated there): the code location failed to load. This runs
    the same `dbt parse` in this process, where dbt is already imported.
    """
    if using_dagster_dev():
        parse(project.project_dir, project.project_dir / project.target_path)


_PARSED: dict[tuple[Path, Path], Manifest] = {}


def parsed_project(project_dir: Path, warehouse: Path, target: Path) -> Manifest:
    """The project parsed once per process and warehouse (the profile, and so the relations' database, follow
    the warehouse): the first call parses into `target`, seeded with the warehouse's last parse."""
    key = (project_dir, warehouse)
    if key not in _PARSED:
        seed_parse(target, warehouse)
        _PARSED[key] = parse(project_dir, target)
        keep_parse(target, warehouse)
    return _PARSED[key]


def error_collector(errors: list[str]) -> EventCallback:
    def collect(event: EventMsg) -> None:
        if event.info.level == "error" and event.info.msg:
            errors.append(event.info.msg)
    return collect


def failure_text(command: str, result: dbtRunnerResult, errors: Sequence[str], target: Path) -> str:
    reasons = [*errors, *([str(result.exception)] if result.exception is not None else [])]
    return "\n".join([f"{command} failed; its log is {target / 'dbt.log'}", *reasons[-20:]])


@dataclass
class DbtInvocation:
    """What one `dbt build` in this process produced: Dagster's events for it, the manifest they were made
    from, and the failure to raise once they are reported (None when dbt succeeded)."""

    manifest: dict[str, Any]
    events: list[Any] = field(default_factory=list)
    failure: Exception | None = None

    def stream(self) -> Iterator[Any]:
        yield from self.events
        if self.failure is not None:
            raise self.failure


class InProcessDbtResource(ConfigurableResource):
    """dbt-core in the step's process: `build` for a `@dbt_assets` step."""

    project_dir: str

    def build(self, context: AssetExecutionContext, args: Sequence[str], target: Path) -> DbtInvocation:
        """`dbt <args>` for the step's selection (dagster-dbt's), its results as Dagster events."""
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest={}, dagster_dbt_translator=None)  # both are taken from the step's assets
        project_dir = Path(params.dbt_project.project_dir) if params.dbt_project else Path(self.project_dir)
        own_project = project_dir.resolve() == Path(self.project_dir).resolve()
        # dagster-dbt moves a very large selection into a selector file of a temporary copy of the project,
        # which this process has not parsed: dbt parses that copy itself.
        manifest = parsed_project(project_dir, settings.warehouse_path(), target) if own_project else None
        indirect = ["--indirect-selection", params.indirect_selection] if params.indirect_selection else []
        results: list[dict[str, Any]] = []
        errors: list[str] = []

        def collect(event: EventMsg) -> None:
            if event.info.name in RESULT_EVENTS:
                results.append(msg_to_dict(event))

        result = invoke(project_dir, target, [*args, *params.selection_args, *indirect], manifest,
                        callbacks=[collect, error_collector(errors)])
        invocation = DbtInvocation(manifest=params.manifest)
        for raw in results:
            message = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            invocation.events.extend(message.to_default_asset_events(
                manifest=params.manifest, dagster_dbt_translator=params.dagster_dbt_translator, context=context,
                target_path=target, project=params.dbt_project))
        if not result.success:
            invocation.failure = Failure(description=failure_text(f"dbt {args[0]}", result, errors, target))
        return invocation


DOCS_ARTIFACTS = ("static_index.html", "manifest.json", "catalog.json")


def docs_site(new_target: Callable[[], Path]) -> Path:
    """The folder of the docs site: `dbt docs generate --static`'s one-file site (`static_index.html`), the
    manifest with every model's compiled SQL (the docs show it, and a figure's trace follows it: lineage/) and
    the catalog of the warehouse's columns. They depend on the code alone (the project, the raw tables' declared
    columns, dbt's version, the warehouse's name), not on the rows: generated in `target` (in this process, on
    the parsed project) only when no earlier run generated them for the same code (docs_fingerprint)."""
    warehouse = settings.warehouse_path()
    kept = settings.DBT_PROJECT_DIR / "target" / "docs" / docs_fingerprint(warehouse)
    if all((kept / name).is_file() for name in DOCS_ARTIFACTS):
        return kept
    project_dir, target = settings.DBT_PROJECT_DIR, new_target()
    errors: list[str] = []
    result = invoke(project_dir, target, ["docs", "generate", "--static"], parsed_project(project_dir, warehouse, target),
                    callbacks=[error_collector(errors)])
    if not result.success:
        raise Failure(description=failure_text("dbt docs generate", result, errors, target))
    staged = kept.with_name(f".{kept.name}.{target.name}")
    staged.mkdir(parents=True)
    for name in DOCS_ARTIFACTS:
        shutil.copyfile(target / name, staged / name)
    with contextlib.suppress(OSError):  # another process kept the same docs first
        staged.rename(kept)
    return kept if kept.is_dir() else target


def docs_fingerprint(warehouse: Path) -> str:
    """What the docs site is a function of: the dbt project's files, dbt's version, the raw tables' columns the
    ingest declares (the catalog lists them), and the warehouse's name (the relations' database)."""
    from dbt.version import __version__ as dbt_version

    from score_pipeline.ingest.load import declared_raw_columns

    digest = hashlib.sha256(f"{dbt_version}|{warehouse.stem}|{declared_raw_columns()}".encode())
    project = settings.DBT_PROJECT_DIR
    for path in sorted(p for folder in ("models", "macros", "seeds", "tests") for p in (project / folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes())
    digest.update((project / "dbt_project.yml").read_bytes() + (project / "profiles.yml").read_bytes())
    return digest.hexdigest()[:16]


def dbt_resource() -> InProcessDbtResource:
    return InProcessDbtResource(project_dir=str(settings.DBT_PROJECT_DIR))
