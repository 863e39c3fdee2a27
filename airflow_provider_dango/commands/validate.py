"""`dango validate` (alias `dango config validate`): one `FILE:LINE: message` line per problem, exit 1 on errors."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("validate", parents=[common], help="check a project's .dango/ files")
    p.add_argument(
        "--deep",
        action="store_true",
        help="also import each dlt source's function, and bind each monitor's SQL against the warehouse",
    )
    p.add_argument(
        "--airflow",
        action="store_true",
        help="also check the Airflow metadata database of $AIRFLOW_HOME: the pools and connections the project uses",
    )
    p.set_defaults(func=run)
    config = subparsers.add_parser("config", help="Dango's spelling: `dango config validate`")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    alias = config_sub.add_parser("validate", parents=[common], help="same as `dango validate`")
    alias.add_argument("--deep", action="store_true", help=argparse.SUPPRESS)
    alias.add_argument("--airflow", action="store_true", help=argparse.SUPPRESS)
    alias.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from airflow_provider_dango.config import Problem, load_project
    from airflow_provider_dango.config.monitors import load_monitors
    from airflow_provider_dango.sync import SourceImportError, resolve_source

    project = load_project(args.project_dir)
    monitors = load_monitors(project.root)
    problems = list(project.problems) + monitors.problems
    if args.deep:
        for _name, source in project.sources.items():
            try:
                resolve_source(project, source)
            except SourceImportError as exc:
                problems.append(Problem(project.dango_dir.relative_to(project.root) / "sources.yml", None, str(exc)))
        problems.extend(_monitor_sql_problems(project, monitors))
    from airflow_provider_dango.config.pii_overrides import load_pii_overrides

    problems.extend(load_pii_overrides(project.dango_dir, project.root)[1])
    problems.extend(_warehouse_problems(project))
    problems.extend(_downstream_problems(project))
    if getattr(args, "airflow", False):
        problems.extend(_airflow_problems(project))
    problems.sort(key=lambda p: (str(p.file), p.line or 0))
    errors = [p for p in problems if p.level == "error"]
    for p in problems:
        (err_console if p.level == "error" else console).print(str(p), markup=False, soft_wrap=True)
    if errors:
        return 1
    console.print(
        f"ok: {len(project.schedules)} schedule(s), {len(project.sources)} source(s) in {project.root}",
        markup=False,
    )
    return 0


def _warehouse_problems(project: Any) -> list[Any]:
    """The warehouse is named once: the dbt target must resolve, and `platform.duckdb_path` must agree with it."""
    from airflow_provider_dango.config import Problem
    from airflow_provider_dango.warehouse import WarehouseConfigError, for_project, mismatch

    project_yml = project.dango_dir.relative_to(project.root) / "project.yml"
    if project.settings.airflow.warehouse_conn_id:
        return []  # an Airflow connection: resolved inside Airflow, not here
    try:
        target = for_project(project).target
    except WarehouseConfigError as exc:
        return [Problem(project_yml, None, f"warehouse: {exc}", "warning")]
    if target.path is None:
        return _server_problems(project_yml, target)
    message = mismatch(project, target)
    if message is None:
        return []
    line = None
    path = project.root / project_yml
    if path.exists():
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if text.strip().startswith("duckdb_path:"):
                line = i
                break
    return [Problem(project_yml, line, message)]


def _server_problems(project_yml: Any, target: Any) -> list[Any]:
    """A server warehouse must answer, and be PostgreSQL 14 or newer (what the dango_monitors macros support)."""
    from airflow_provider_dango.config import Problem
    from airflow_provider_dango.warehouse import WarehouseUnreachableError
    from airflow_provider_dango.warehouse import postgres as postgres_backend

    try:
        number, text = postgres_backend.server_version(target.credentials)
    except WarehouseUnreachableError as exc:
        return [Problem(project_yml, None, f"warehouse: {exc}")]
    minimum = postgres_backend.MIN_SERVER_VERSION
    if number < minimum:
        return [Problem(project_yml, None, f"warehouse: {target.describe()} runs PostgreSQL {text}; dango needs "
                                           f"PostgreSQL {minimum // 10000} or newer")]
    return []


def _monitor_sql_problems(project: Any, monitors: Any) -> list[Any]:
    """Each monitor's table, expression and filter bound against the warehouse (EXPLAIN: nothing is scanned)."""
    from airflow_provider_dango.config import Problem
    from airflow_provider_dango.config.loader import ConfigError, load_yaml
    from airflow_provider_dango.monitors.core import probe_monitors
    from airflow_provider_dango.warehouse import WarehouseConfigError, for_project

    shown = monitors.path.relative_to(project.root)
    if not monitors.monitors:
        return []
    try:
        warehouse = for_project(project)
    except WarehouseConfigError as exc:
        return [Problem(shown, None, f"monitors not checked against the warehouse: {exc}", "warning")]
    if not warehouse.exists():
        message = f"monitors not checked against the warehouse: {warehouse.path} does not exist yet"
        return [Problem(shown, None, message, "warning")]
    errors = probe_monitors(project, monitors.monitors)
    try:
        doc = load_yaml(monitors.path, display_path=shown)
    except ConfigError:
        doc = None
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    key = "metrics" if "metrics" in data and "monitors" not in data else "monitors"
    items = data.get(key) if isinstance(data.get(key), list) else []
    index = {item.get("name"): i for i, item in reversed(list(enumerate(items))) if isinstance(item, dict)}
    out = []
    for name, error in errors.items():
        i = index.get(name)
        line = doc.line_of((key, i)) if doc is not None and i is not None else None
        out.append(Problem(shown, line, f"{key}[{i}] ({name!r}): {error}"))
    return out


def _downstream_problems(project: Any) -> list[Any]:
    """A warning per sync schedule source with no dbt model downstream (by the manifest): its dbt step builds nothing
    for that source, and no drift gate protects anything. Without a manifest there is nothing to check against."""
    from airflow_provider_dango.config import Problem, ScheduleType
    from airflow_provider_dango.drift import _manifest_or_none, models_behind, schema_sources

    manifest = _manifest_or_none(project)
    if manifest is None:
        return []
    mapping = schema_sources(project, manifest)
    schedules_yml = project.dango_dir.relative_to(project.root) / "schedules.yml"
    path = project.root / schedules_yml
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    problems = []
    for schedule in project.schedules:
        if schedule.type != ScheduleType.SYNC or not schedule.enabled:
            continue
        line = next(
            (
                i
                for i, text in enumerate(lines, 1)
                if text.strip() in (f"- name: {schedule.name}", f"name: {schedule.name}")
            ),
            None,
        )
        for source in schedule.sources:
            if models_behind(manifest, mapping, [source]):
                continue
            schema = project.sources[source].schema_name if source in project.sources else f"raw_{source}"
            message = (
                f"schedule {schedule.name!r}: source {source!r} has no dbt models downstream (no model selects "
                f"from a dbt source on schema {schema}): its dbt step builds nothing for it; add models, or make "
                "the schedule `type: sync_only`"
            )
            problems.append(Problem(schedules_yml, line, message, "warning"))
    return problems


def _airflow_problems(project: Any) -> list[Any]:
    """Against the metadata database of $AIRFLOW_HOME: the pool the DuckDB DAGs run in exists with one slot, and
    every connection the project names exists (`warehouse_conn_id`, webhooks' `conn_id` and `secret: conn:`)."""
    from airflow_provider_dango.config import Problem

    project_yml = project.dango_dir.relative_to(project.root) / "project.yml"
    schedules_yml = project.dango_dir.relative_to(project.root) / "schedules.yml"
    try:
        from airflow.models.connection import Connection

        from airflow_provider_dango.hooks.pools import pool_problems
        from airflow_provider_dango.hooks.warehouse import DangoWarehouseHook
    except Exception as exc:
        return [Problem(project_yml, None, f"--airflow: Airflow cannot be imported here: {exc}")]
    needed: list[tuple[Any, str, str]] = []  # (file, key, conn_id)
    conn_id = project.settings.airflow.warehouse_conn_id
    if conn_id:
        needed.append((project_yml, "airflow.warehouse_conn_id", conn_id))
    for i, hook in enumerate(project.notifications.webhooks):
        if hook.conn_id:
            needed.append((schedules_yml, f"notifications.webhooks[{i}].conn_id ({hook.name!r})", hook.conn_id))
        if hook.secret_conn_id:
            needed.append((schedules_yml, f"notifications.webhooks[{i}].secret ({hook.name!r})", hook.secret_conn_id))
    out = []
    for file, key, cid in needed:
        try:
            Connection.get_connection_from_secrets(cid)
        except Exception as exc:
            if type(exc).__name__ != "AirflowNotFoundException":
                return [Problem(file, None, f"--airflow: cannot read the Airflow metadata database: {exc}")]
            out.append(Problem(file, None, f"{key}: Airflow connection {cid!r} does not exist in {_home()}"))
    if conn_id and not any(p.message.startswith("airflow.warehouse_conn_id:") for p in out):  # exists
        out.extend(_warehouse_schema_problems(project_yml, project, conn_id))
    schedules = [s for s in project.schedules if s.enabled]
    try:
        uses_pool = bool(schedules) and DangoWarehouseHook(project).serialise_writers()
    except Exception:
        uses_pool = bool(schedules)  # the missing warehouse connection is reported above
    if uses_pool:
        pool = project.settings.airflow.pool
        try:
            found = pool_problems({pool})
        except Exception as exc:
            return [*out, Problem(project_yml, None, f"--airflow: cannot read the Airflow metadata database: {exc}")]
        users = ", ".join(s.name for s in schedules)
        out.extend(Problem(project_yml, None, f"airflow.pool: {p} (used by {users})") for p in found)
    return out


def _warehouse_schema_problems(project_yml: Any, project: Any, conn_id: str) -> list[Any]:
    """A PostgreSQL warehouse connection needs a dbt schema (`airflow.warehouse_schema` or a PostgreSQL target's):
    said here rather than as the DAG file's import error."""
    from airflow_provider_dango.config import Problem
    from airflow_provider_dango.hooks.warehouse import profile_mapping
    from airflow_provider_dango.warehouse import WarehouseConfigError

    try:
        profile_mapping(conn_id, project)
    except WarehouseConfigError as exc:
        message = str(exc)
        prefix = f"{project_yml}: "
        return [Problem(project_yml, None, message[len(prefix):] if message.startswith(prefix) else message)]
    return []


def _home() -> str:
    import os

    return f"AIRFLOW_HOME={os.environ.get('AIRFLOW_HOME', '~/airflow')}"
