"""`dango profile`: column profiles of the warehouse's tables (null share, distinct, min / max / mean / quantiles,
lengths, top values masked for PII columns), computed in SQL and appended to `dango.dango_column_profiles`."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("profile", parents=[common], help="profile the warehouse's tables (in SQL)")
    p.add_argument("--table", action="append", metavar="SCHEMA.TABLE", help="only this table (repeatable)")
    p.add_argument("--source", action="append", metavar="S", help="a source's tables and the models downstream")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.dbt import DbtCommandError
    from airflow_provider_dango.profile import ProfileError, run_step
    from airflow_provider_dango.steps import Scope

    project = load(args.project_dir)
    if not project.dango_dir.is_dir():
        for p in project.errors:
            err_console.print(str(p), markup=False)
        return 1
    scope = Scope(tables=args.table, sources=args.source, alerts=False)
    try:
        with console.status("profiling inside the warehouse..."):
            result = run_step(project, scope)
    except (ProfileError, DbtCommandError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 1
    console.print(result.summary(), markup=False)
    return 0
