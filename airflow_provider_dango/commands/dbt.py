"""`dango dbt manifest` builds the manifest.json the generated DAGs render dbt from (dbt deps + dbt parse);
`dango dbt package-path` prints where the dango_monitors dbt package is installed."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("dbt", help="dbt helpers")
    sub = p.add_subparsers(dest="dbt_command", required=True)
    m = sub.add_parser("manifest", parents=[common], help="build target/manifest.json for the DAG factory")
    m.set_defaults(func=run_manifest)
    pp = sub.add_parser(
        "package-path",
        help="print the dango_monitors package folder (for running dbt yourself: "
        "export DANGO_MONITORS_PATH=$(dango dbt package-path))",
    )
    pp.set_defaults(func=run_package_path)


def run_package_path(args: argparse.Namespace) -> int:
    from airflow_provider_dango.dbt import dango_monitors_path

    path = dango_monitors_path()
    if not (path / "dbt_project.yml").is_file():
        err_console.print(f"error: the dango_monitors dbt package is missing at {path}", markup=False)
        return 1
    print(path)
    return 0


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
