"""`dango sync SOURCE`: run one dlt source into the warehouse, outside Airflow."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console, print_json, table


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("sync", parents=[common], help="sync one or more dlt sources now")
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="source names (default: all)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.steps import Scope, new_run_id
    from airflow_provider_dango.sync import SourceImportError, UnknownSourceError, run_step
    from airflow_provider_dango.warehouse import WarehouseConfigError

    project = load(args.project_dir)
    results = []
    run_id = new_run_id("sync")
    for name in args.sources or sorted(project.sources):
        with console.status(f"syncing {name}...") if not args.json else _null():
            try:
                results.append(run_step(project, Scope(sources=[name], alerts=False), run_id=run_id))
            except (SourceImportError, UnknownSourceError, WarehouseConfigError) as exc:
                err_console.print(f"error: {exc}", markup=False, soft_wrap=True)
                return 1
            except Exception as exc:
                step_failed = _dlt_step_failure(exc)
                if step_failed is None:
                    raise
                err_console.print(f"error: sync {name}: {step_failed}", markup=False, soft_wrap=True)
                return 1
    if args.json:
        print_json({"results": [r.as_dict() for r in results]})
        return 0
    rows = [[f"{r.schema}.{t}", n] for r in results for t, n in r.rows_loaded.items()]
    table("rows loaded", ["table", "rows"], rows, right={1})
    return 0


def _dlt_step_failure(exc: Exception) -> str | None:
    """One line for a dlt step that failed (the source raised while extracting, a load job failed), else None."""
    from dlt.pipeline.exceptions import PipelineStepFailed

    if not isinstance(exc, PipelineStepFailed):
        return None
    cause: BaseException = exc.exception
    while isinstance(cause.__cause__, Exception) and type(cause).__module__.startswith("dlt."):
        cause = cause.__cause__  # dlt wraps the user's exception: show that one
    text = (str(cause).strip().splitlines() or [""])[0]
    return f"{exc.step} failed: {type(cause).__name__}" + (f": {text}" if text else "")


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
