"""`dango catalog build [--out DIR]`: the static data catalog (index.html that works from file://, and catalog.json).

Default output: `<project>/target/dango_catalog/`. It reads the dbt manifest (run `dango dbt manifest` first), dbt's
catalog.json when present, and dango's tables in the warehouse; what is missing is said on the page itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from airflow_provider_dango.commands.output import console, err_console


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("catalog", help="the data catalog (`dango catalog build`)")
    sub = p.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND", required=True)
    b = sub.add_parser("build", parents=[common], help="write the static catalog (index.html + catalog.json)")
    b.add_argument("--out", metavar="DIR", help="output folder (default: <project>/target/dango_catalog)")
    b.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    from airflow_provider_dango.catalog.build import build_static
    from airflow_provider_dango.commands._project import load

    project = load(args.project_dir)
    if not project.dango_dir.is_dir():
        for p in project.errors:
            err_console.print(str(p), markup=False)
        return 1
    index = build_static(project, Path(args.out).resolve() if args.out else None)
    console.print(f"Catalog: {index}", markup=False)
    return 0

