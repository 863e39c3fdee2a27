"""The `dango` command line. Each command lives in `airflow_provider_dango.commands.<name>` and registers itself.

Every subcommand takes `--project-dir DIR` (default `.`). Dango's own spellings work as aliases where they overlap
(`dango config validate`, `dango monitor run`, `dango governance accept`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import airflow_provider_dango.commands as commands_pkg
import airflow_provider_dango.hooks  # noqa: F401  (commands read Airflow connections when Airflow has them)

# Listed first in help; every other module in `commands/` with a `register(subparsers, common)` follows.
FIRST = ["init", "validate", "demo", "sync", "dbt"]


def command_modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(commands_pkg.__path__) if not m.name.startswith("_")]
    ordered = [n for n in FIRST if n in names] + sorted(n for n in names if n not in FIRST)
    return [f"{commands_pkg.__name__}.{n}" for n in ordered]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--project-dir", default=".", metavar="DIR", help="dango project folder (default: .)")
    parser = argparse.ArgumentParser(
        prog="dango",
        description="Dango schedules, syncs, drift, PII, monitors and alerts for dlt + dbt on Airflow.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in command_modules():
        module = importlib.import_module(name)
        if hasattr(module, "register"):
            module.register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from airflow_provider_dango.warehouse.target import WarehouseConfigError, WarehouseUnreachableError

    try:
        return int(args.func(args) or 0)
    except (WarehouseUnreachableError, WarehouseConfigError) as exc:
        print(f"dango: {exc}", file=sys.stderr)  # one line, no traceback: the target is named, never the password
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
