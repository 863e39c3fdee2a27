"""`dango pii scan`: find personal data in the warehouse, in SQL inside it; only masked examples come out.

`--json` prints exactly `{"findings": [{table, column, entity, prevalence, confidence, sample_size, example, new}]}`.
A scan is not a test: it exits 0 whatever it finds (use the dbt test `dango_monitors.no_unexpected_pii` to fail CI).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow_provider_dango.commands.output import console, err_console, print_json, table


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("pii", help="PII scanning (`dango pii scan`)")
    sub = p.add_subparsers(dest="pii_command", metavar="SUBCOMMAND", required=True)
    s = sub.add_parser("scan", parents=[common], help="scan the warehouse's string columns for personal data")
    s.add_argument("--schema", action="append", metavar="S", help="only this schema (repeatable)")
    s.add_argument(
        "--table", action="append", metavar="T", help="only this table, `table` or `schema.table` (repeatable)"
    )
    s.add_argument("--full", action="store_true", help="scan every row instead of the reproducible sample")
    s.add_argument(
        "--sample-rows", type=int, metavar="N", help="sample size (default 10000, var dango_pii_sample_rows)"
    )
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=run_scan)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """dbt logs to stdout; with --json, stdout must carry the JSON document only."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_scan(args: argparse.Namespace) -> int:
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.dbt import DbtCommandError
    from airflow_provider_dango.pii import run_step
    from airflow_provider_dango.steps import Scope

    project = load(args.project_dir)
    if not project.dango_dir.is_dir():
        for p in project.errors:
            err_console.print(str(p), markup=False)
        return 1
    scope = Scope(schemas=args.schema, tables=args.table, full=args.full, sample_rows=args.sample_rows, alerts=False)
    try:
        if args.json:
            with _stdout_to_stderr():
                result = run_step(project, scope)
        else:
            with console.status("scanning string columns inside the warehouse..."):
                result = run_step(project, scope)
    except DbtCommandError as exc:
        missing = "could not find a macro" in str(exc).lower()
        hint = "\n(is dango_monitors installed in the dbt project? run `dango dbt manifest`)" if missing else ""
        err_console.print(f"error: {exc}{hint}", markup=False, soft_wrap=True)
        return 1
    for problem in result.problems:
        err_console.print(str(problem), markup=False)
    if args.json:
        print_json({"findings": [f.as_json() for f in result.findings]})
        return 0
    print_findings(result)
    return 0


def print_findings(result: Any, out: Any = None) -> None:
    out = out or console
    if not result.findings:
        out.print("No PII found.")
    else:
        t_rows = [
            [
                f"{f.table}.{f.column}",
                f.entity,
                "in text" if f.match_mode == "contains" else "value",
                f"{f.prevalence:.1%}",
                f"{f.confidence:.2f}",
                f.sample_size,
                f.example,
                ("new" if f.new else "") + (" (acknowledged)" if f.status == "acknowledged" else ""),
            ]
            for f in result.findings
        ]
        _table(
            out,
            f"PII findings ({'full scan' if result.full else 'sample'}, run {result.run_id})",
            ["column", "entity", "match", "share", "conf.", "sample", "example", ""],
            t_rows,
        )
    reasons: dict[str, int] = {}
    for s in result.skips:
        if not s.reason.startswith("not a string column"):
            out.print(f"skipped {s.table}{'.' + s.column if s.column else ''}: {s.reason}", markup=False)
        else:
            reasons[s.reason] = reasons.get(s.reason, 0) + 1
    if reasons:
        out.print(f"{sum(reasons.values())} non-string columns skipped.", markup=False)


def _table(out: Any, title: str, columns: list[str], rows: list[list[Any]]) -> None:
    if out is console:
        table(title, columns, rows, right={3, 4, 5})
        return
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(v) for v in r])
    out.print(t)
