"""`dango init DIR [--dbt-project PATH]`: scaffold a project that `dango validate` accepts and whose DAGs import
cleanly, or adopt an existing dbt project (no scaffolded `dbt/`)."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("init", help="create a new dango project")
    p.add_argument("directory", metavar="DIR", help="folder to create (must be empty or absent)")
    p.add_argument("--name", help="project name (default: the folder's name)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder, keeping existing files")
    p.add_argument(
        "--dbt-project", metavar="PATH", help="adopt this existing dbt project: write only .dango/ and the DAG file"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from airflow_provider_dango.scaffold import ScaffoldError, adopt, scaffold

    try:
        if args.dbt_project:
            written = adopt(Path(args.directory), Path(args.dbt_project), name=args.name, force=args.force)
        else:
            written = scaffold(Path(args.directory), name=args.name, force=args.force)
    except ScaffoldError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 1
    for path in written:
        console.print(f"  created {path}", markup=False)
    if args.dbt_project:
        console.print(
            "\nAdd dango_monitors to the dbt project's packages.yml (see the README, `dango dbt package-path`), "
            f"then: dango validate --project-dir {args.directory}",
            markup=False,
        )
        return 0
    console.print(
        f"\nNext: dango validate --project-dir {args.directory}\n"
        f"      dango dbt manifest --project-dir {args.directory}\n"
        f"      dango demo --project-dir {args.directory}",
        markup=False,
    )
    return 0
