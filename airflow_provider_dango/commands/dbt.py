"""`dango dbt manifest`: build the manifest.json the generated DAGs render dbt from (dbt deps + dbt parse)."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("dbt", help="dbt helpers")
    sub = p.add_subparsers(dest="dbt_command", required=True)
    m = sub.add_parser("manifest", parents=[common], help="build target/manifest.json for the DAG factory")
    m.set_defaults(func=run_manifest)


def run_manifest(args: argparse.Namespace) -> int:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import DbtCommandError, build_manifest

    project = load_project(args.project_dir)
    try:
        with console.status("dbt deps + dbt parse..."):
            path = build_manifest(project)
    except DbtCommandError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 1
    console.print(f"manifest written to {path}", markup=False)
    return 0
