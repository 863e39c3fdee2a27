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
    p.set_defaults(func=run)
    config = subparsers.add_parser("config", help="Dango's spelling: `dango config validate`")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    alias = config_sub.add_parser("validate", parents=[common], help="same as `dango validate`")
    alias.add_argument("--deep", action="store_true", help=argparse.SUPPRESS)
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
