"""Load a project's `.dango/` files into validated models, keeping every good part when some parts are bad.

`load_project` never raises for a bad schedule or source: it records a Problem (file, line, message) and leaves that
entry out, so the DAG factory can still build every other DAG and `dango validate` can list all problems at once.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from airflow_provider_dango.config.loader import (
    ConfigError,
    Problem,
    YamlDocument,
    did_you_mean,
    format_loc,
    load_yaml,
    validation_problems,
)
from airflow_provider_dango.config.notifications import NotificationsConfig, Webhook
from airflow_provider_dango.config.project import ProjectFile
from airflow_provider_dango.config.schedules import CRON_PRESETS, Schedule, SchedulesFile, ScheduleType
from airflow_provider_dango.config.sources import Source, SourcesFile

__all__ = [
    "CRON_PRESETS",
    "ConfigError",
    "DangoProject",
    "NotificationsConfig",
    "Problem",
    "Schedule",
    "ScheduleType",
    "Source",
    "Webhook",
    "load_project",
]

DANGO_DIR = ".dango"
M = TypeVar("M", bound=BaseModel)


@dataclass
class DangoProject:
    """A loaded project: the valid parts, plus every problem found on the way."""

    root: Path
    settings: ProjectFile = field(default_factory=ProjectFile)
    sources: dict[str, Source] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)
    problems: list[Problem] = field(default_factory=list)
    broken_schedules: dict[str, list[Problem]] = field(default_factory=dict)
    # Set by `warehouse.for_project` / `warehouse.bind_profile`: the resolved warehouse and an Airflow connection's
    # profile. Config knows nothing of databases; the warehouse layer keeps its cache here, one per loaded project.
    _warehouse: Any = field(default=None, repr=False, compare=False)
    _warehouse_profile: Any = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def path(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.root / p).resolve()

    @property
    def dango_dir(self) -> Path:
        return self.root / DANGO_DIR

    @property
    def duckdb_path(self) -> Path:
        """Dango's `platform.duckdb_path`: the default file of a scaffolded profile (the dbt target decides)."""
        return self.path(self.settings.platform.duckdb_path)

    @property
    def dbt_project_dir(self) -> Path:
        return self.path(self.settings.platform.dbt_project_dir)

    @property
    def manifest_path(self) -> Path:
        configured = self.settings.airflow.manifest_path
        return self.path(configured) if configured else self.dbt_project_dir / "target" / "manifest.json"

    @property
    def python_paths(self) -> list[Path]:
        return [self.path(p) for p in self.settings.airflow.extra_python_paths]

    def provides_module(self, module: str) -> Path | None:
        """The file in the project's own folders that defines `module`, found without importing anything."""
        rel = Path(*module.split("."))
        for base in self.python_paths:
            for candidate in (base / rel.with_suffix(".py"), base / rel / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    @contextmanager
    def importable(self) -> Iterator[None]:
        """Put the project's own folders on sys.path while its dlt sources are resolved or run.

        A top-level package of the same name already imported from elsewhere (another project's `pipelines`, say)
        is set aside for the duration, so this project's modules are the ones found.
        """
        added = [str(p) for p in self.python_paths if str(p) not in sys.path]
        sys.path[:0] = added
        set_aside: dict[str, Any] = {}
        for name in [m for m in sys.modules if "." not in m]:
            origin = getattr(sys.modules[name], "__file__", None) or ""
            own = self.provides_module(name)
            if own is not None and Path(origin).resolve() != own.resolve():
                for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                    set_aside[key] = sys.modules.pop(key)
        try:
            yield
        finally:
            for p in added:
                if p in sys.path:
                    sys.path.remove(p)
            # The project's modules stay imported (dlt looks its sources' modules up by name later); the packages
            # set aside come back only where the project did not replace them.
            for key, module in set_aside.items():
                sys.modules.setdefault(key, module)


def _read(path: Path, root: Path, problems: list[Problem]) -> YamlDocument | None:
    if not path.exists():
        return None
    try:
        doc = load_yaml(path, display_path=path.relative_to(root) if path.is_relative_to(root) else path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    problems.extend(doc.problems)
    return doc


def _validate(doc: YamlDocument, model: type[M], data: Any, base: tuple = ()) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, validation_problems(doc, exc, model, base)


def _top_level(doc: YamlDocument | None, model: type[M], problems: list[Problem], data: Any = None) -> M:
    """Validate a file's top level (or `data`, a filtered copy of it); on error keep the defaults so the rest of
    the project still loads."""
    data = doc.data if data is None and doc is not None else data
    if doc is None or data is None:
        return model()
    if not isinstance(data, dict):
        problems.append(doc.problem((), "expected a mapping at the top of the file"))
        return model()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(doc, exc, model))
        bad_keys = {err["loc"][0] for err in exc.errors() if err["loc"]}
    # Keep the parts that did validate: drop only the offending top-level keys.
    kept = {k: v for k, v in data.items() if k not in bad_keys and k in model.model_fields}
    partial, _ = _validate(doc, model, kept)
    return partial or model()


def _entries(
    doc: YamlDocument | None, key: str, model: type[M], problems: list[Problem]
) -> tuple[list[tuple[int, M]], dict[str, list[Problem]]]:
    """Validate each list entry on its own so one broken entry leaves the others intact.

    Returns the good entries with their index, and the problems of each broken entry keyed by its name.
    """
    if doc is None or not isinstance(doc.data, dict):
        return [], {}
    items = doc.data.get(key) or []
    if not isinstance(items, list):
        problems.append(doc.problem((key,), f"{key}: expected a list"))
        return [], {}
    good: list[tuple[int, M]] = []
    broken: dict[str, list[Problem]] = {}
    for i, item in enumerate(items):
        if doc.has_duplicate_in((key, i)):
            label = item.get("name") if isinstance(item, dict) else None
            broken.setdefault(str(label or f"{key}[{i}]"), [])  # reported by load_yaml
            continue
        if not isinstance(item, dict):
            found = [doc.problem((key, i), f"{key}[{i}]: expected a mapping")]
        else:
            loaded, found = _validate(doc, model, item, (key, i))
            name = item.get("name")
            found = [Problem(p.file, p.line, p.message + (f" (in {name!r})" if name else ""), p.level) for p in found]
            if not found and loaded is not None:
                good.append((i, loaded))
                continue
        problems.extend(found)
        label = item.get("name") if isinstance(item, dict) else None
        broken.setdefault(str(label or f"{key}[{i}]"), []).extend(found)
    return good, broken


def _without_bad_webhooks(doc: YamlDocument, problems: list[Problem]) -> tuple[Any, list[int]]:
    """schedules.yml's data minus the webhooks that fail on their own (each reported), so one bad webhook leaves
    the others, and the rest of `notifications:`, in place. Also returns the file index of each kept webhook."""
    data = doc.data
    notifications = data.get("notifications") if isinstance(data, dict) else None
    hooks = notifications.get("webhooks") if isinstance(notifications, dict) else None
    if not isinstance(hooks, list):
        return data, []
    kept: list[Any] = []
    index: list[int] = []
    for i, item in enumerate(hooks):
        loc = ("notifications", "webhooks", i)
        if doc.has_duplicate_in(loc):
            continue  # reported by load_yaml
        if not isinstance(item, dict):
            problems.append(doc.problem(loc, f"{format_loc(loc)}: expected a mapping"))
            continue
        _, found = _validate(doc, Webhook, item, loc)
        if found:
            name = item.get("name")
            problems.extend(
                Problem(p.file, p.line, p.message + (f" (webhook {name!r} is left out)" if name else ""), p.level)
                for p in found
            )
            continue
        kept.append(item)
        index.append(i)
    return {**data, "notifications": {**notifications, "webhooks": kept}}, index


def _source_problems(doc: YamlDocument, i: int, source: Source, project: DangoProject) -> list[Problem]:
    """Cheap checks that a source can run here, without importing it (parse time must stay fast)."""
    target = source.callable_path
    if target is None:
        return [
            doc.problem(
                ("sources", i, "type"),
                f"sources[{i}].type: {source.type!r} needs Dango's source registry; give source {source.name!r} "
                "`function: package.module:function` to sync it with dlt here",
            )
        ]
    module = target.split(":")[0]
    found = project.provides_module(module) is not None
    if not found:
        try:  # an installed package: find_spec locates it (importing only its parent packages)
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
    if not found:
        key = "function" if source.function else "dlt_native"
        message = f"sources[{i}].{key}: module {module!r} not found (source {source.name!r})"
        return [doc.problem(("sources", i, key), message)]
    return []


def _schedule_problems(
    doc: YamlDocument, i: int, schedule: Schedule, project: DangoProject, source_lines: dict[str, list[Problem]]
) -> list[Problem]:
    found: list[Problem] = []
    for j, name in enumerate([*schedule.sources, *schedule.on_assets]):
        key = "sources" if j < len(schedule.sources) else "on_assets"
        idx = j if key == "sources" else j - len(schedule.sources)
        if name not in project.sources:
            hint = did_you_mean(name, project.sources)
            msg = f"schedules[{i}].{key}[{idx}]: unknown source {name!r}{hint}"
            if name in source_lines:
                msg = f"schedules[{i}].{key}[{idx}]: source {name!r} is invalid (see sources.yml)"
            found.append(doc.problem(("schedules", i, key, idx), msg))
    if schedule.runs_dbt and not (project.dbt_project_dir / "dbt_project.yml").exists():
        found.append(
            doc.problem(
                ("schedules", i, "type"),
                f"schedules[{i}]: type {schedule.type.value} runs dbt but no dbt project was found at "
                f"{project.dbt_project_dir} (platform.dbt_project_dir in .dango/project.yml)",
            )
        )
    if schedule.type == ScheduleType.SCRIPT and not (project.root / (schedule.script_path or "")).is_file():
        found.append(doc.problem(("schedules", i, "script_path"), f"schedules[{i}].script_path: file not found"))
    return found


def _overlap_warnings(doc: YamlDocument, indexed: list[tuple[int, Schedule]]) -> list[Problem]:
    """Dango's warning: two enabled schedules of one source firing within 60 s of each other (next 10 firings)."""
    from croniter import croniter

    firings: dict[str, list[float]] = {}

    def next_times(cron: str) -> list[float]:
        if cron not in firings:
            it = croniter(cron, 0.0)
            firings[cron] = [it.get_next(float) for _ in range(10)]
        return firings[cron]

    warnings: list[Problem] = []
    by_source: dict[str, list[tuple[int, Schedule]]] = {}
    for i, s in indexed:
        if s.enabled and s.cron and s.type in (ScheduleType.SYNC, ScheduleType.SYNC_ONLY):
            for src in s.sources:
                by_source.setdefault(src, []).append((i, s))
    for src, items in by_source.items():
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                (_, sa), (ib, sb) = items[a], items[b]
                if sa.timezone != sb.timezone:
                    continue  # compared in one fixed reference frame, so only same-zone pairs are meaningful
                times_b = next_times(sb.cron or "")
                if any(abs(x - y) < 60 for x in next_times(sa.cron or "") for y in times_b):
                    warnings.append(
                        doc.problem(
                            ("schedules", ib, "cron"),
                            f"schedules[{ib}]: {sb.name!r} and {sa.name!r} both sync {src!r} within 60 s",
                            "warning",
                        )
                    )
    return warnings


def load_project(root: str | Path) -> DangoProject:
    """Load `.dango/project.yml`, `sources.yml` and `schedules.yml` under `root`."""
    root = Path(root).resolve()
    project = DangoProject(root=root)
    problems = project.problems
    dango = root / DANGO_DIR
    if not dango.is_dir():
        problems.append(Problem(Path(DANGO_DIR), None, f"no .dango/ folder in {root} (run `dango init {root}`)"))
        return project

    project.settings = _top_level(_read(dango / "project.yml", root, problems), ProjectFile, problems)

    sources_doc = _read(dango / "sources.yml", root, problems)
    _top_level(sources_doc, SourcesFile, problems)
    bad_sources: dict[str, list[Problem]] = {}
    good_sources, _ = _entries(sources_doc, "sources", Source, problems)
    for i, source in good_sources:
        if source.name in project.sources:
            problems.append(
                sources_doc.problem(("sources", i, "name"), f"sources[{i}].name: duplicate source {source.name!r}")
            )
            continue
        found = _source_problems(sources_doc, i, source, project) if source.enabled else []
        if found:
            problems.extend(found)
            bad_sources[source.name] = found
        else:
            project.sources[source.name] = source
    if sources_doc is not None and isinstance(sources_doc.data, dict):
        for item in sources_doc.data.get("sources") or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"] not in project.sources:
                bad_sources.setdefault(item["name"], [])
    for name in [n for n, s in project.sources.items() if not s.enabled]:
        del project.sources[name]
        bad_sources.setdefault(name, [])

    schedules_doc = _read(dango / "schedules.yml", root, problems)
    if schedules_doc is None and not (dango / "schedules.yml").exists():
        return project
    if schedules_doc is None:
        project.notifications = _top_level(schedules_doc, SchedulesFile, problems).notifications
        return project
    if schedules_doc.data is None:
        problems.append(
            schedules_doc.problem((), "the file is empty: no schedules and no notifications are defined", "warning")
        )
    data, webhook_index = _without_bad_webhooks(schedules_doc, problems)
    top = _top_level(schedules_doc, SchedulesFile, problems, data)
    project.notifications = top.notifications
    for position, webhook in enumerate(top.notifications.webhooks):
        i = webhook_index[position] if position < len(webhook_index) else position
        if webhook.url_is_plaintext:
            problems.append(
                schedules_doc.problem(
                    ("notifications", "webhooks", i, "url"),
                    f"notifications.webhooks[{i}].url: webhook {webhook.name!r} has its URL in plain text; "
                    "use ${ENV_VAR} or `conn_id` so the secret stays out of the repository",
                    "warning",
                )
            )
        for key, var in webhook.unset_env_refs():
            # Alerts resolve ${VAR} where they are sent: the scheduler, the dag-processor (DAG-level callbacks) and
            # the workers (task callbacks) all need it. Checked in the process that loads the project.
            problems.append(
                schedules_doc.problem(
                    ("notifications", "webhooks", i, *key.split(".", 1)),
                    f"notifications.webhooks[{i}].{key}: webhook {webhook.name!r} needs environment variable {var}, "
                    "which is not set here; its alerts fail until it is (scheduler, dag-processor and workers)",
                    "warning",
                )
            )
        for header in webhook.plaintext_secret_headers:
            problems.append(
                schedules_doc.problem(
                    ("notifications", "webhooks", i, "headers", header),
                    f"notifications.webhooks[{i}].headers.{header}: looks like a credential in plain text; "
                    "use ${ENV_VAR}",
                    "warning",
                )
            )

    indexed, project.broken_schedules = _entries(schedules_doc, "schedules", Schedule, problems)
    seen: dict[str, int] = {}
    for i, schedule in indexed:
        found = _schedule_problems(schedules_doc, i, schedule, project, bad_sources)
        if schedule.name in seen:
            found.append(
                schedules_doc.problem(
                    ("schedules", i, "name"),
                    f"schedules[{i}].name: duplicate schedule name {schedule.name!r} "
                    f"(first at schedules[{seen[schedule.name]}])",
                )
            )
        seen.setdefault(schedule.name, i)
        if found:
            problems.extend(found)
            project.broken_schedules.setdefault(schedule.name, []).extend(found)
        else:
            project.schedules.append(schedule)
    problems.extend(_overlap_warnings(schedules_doc, [(i, s) for i, s in indexed if s in project.schedules]))
    return project
