"""`dango drift check|accept|baseline export` (and Dango's `dango governance accept SOURCE`), plus the drift part of
`dango demo`."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console, print_json, table

SEVERITY_STYLE = {"breaking": "red", "additive": "yellow"}


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("drift", parents=[common], help="schema drift: check raw tables against baselines")
    sub = p.add_subparsers(dest="drift_command", metavar="ACTION", required=True)
    c = sub.add_parser("check", parents=[common], help="compare the warehouse's columns with the accepted baselines")
    c.add_argument("--source", action="append", metavar="S", help="only this source (repeatable; default: all)")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=run_check)
    _add_accept(sub, common)
    _add_baseline(sub, common)
    _add_governance_alias(subparsers, common)


def _add_baseline(sub: Any, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("baseline", parents=[common], help="the accepted baselines as committed files (dbt CI)")
    bsub = b.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    e = bsub.add_parser(
        "export",
        parents=[common],
        help="write the accepted baselines to a YAML file and the dbt seed dango_drift_baseline",
    )
    e.add_argument("--out", metavar="PATH", help="YAML file to write (default: .dango/drift_baseline.yml)")
    e.add_argument("--seed-dir", metavar="DIR", help="folder for the seed (default: the dbt project's first seed path)")
    e.set_defaults(func=run_baseline_export)


def run_baseline_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.drift_baseline import BaselineExportError, export
    from airflow_provider_dango.warehouse import WarehouseConfigError

    try:
        project = load(args.project_dir)
        result = export(project, Path(args.out) if args.out else None, Path(args.seed_dir) if args.seed_dir else None)
    except (BaselineExportError, WarehouseConfigError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 2
    console.print(result.summary(), markup=False)
    console.print("commit both files; in CI run `dbt build --vars '{dango_drift_compare_to: committed}'`", markup=False)
    return 0


def _add_accept(sub: Any, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("accept", parents=[common], help="accept a source's current columns as its new baseline")
    a.add_argument("sources", nargs="*", metavar="SOURCE")
    a.add_argument("--all", action="store_true", help="accept every schema's current columns")
    a.set_defaults(func=run_accept)


def _add_governance_alias(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """`dango governance accept SOURCE`, Dango's spelling; joins a `governance` command another module made."""
    existing = subparsers.choices.get("governance")
    if existing is None:
        g = subparsers.add_parser("governance", parents=[common], help="Dango's governance commands (aliases)")
        gsub = g.add_subparsers(dest="governance_command", metavar="ACTION", required=True)
    else:
        actions = [a for a in existing._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            return
        gsub = actions[0]
        if "accept" in gsub.choices:
            return
    _add_accept(gsub, common)


def run_check(args: argparse.Namespace) -> int:
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.drift import DriftError, run_step
    from airflow_provider_dango.steps import Scope
    from airflow_provider_dango.warehouse import WarehouseConfigError

    try:
        project = load(args.project_dir)
        scope = Scope(sources=args.source, alerts=False)
        if args.json:
            report = run_step(project, scope).report
        else:
            with console.status("checking schemas against their baselines..."):
                report = run_step(project, scope).report
    except (DriftError, WarehouseConfigError) as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 2
    if args.json:
        print_json(report.as_json())
    else:
        print_report(report, synced=set(project.sources))
    return 1 if report.has_breaking else 0


def print_report(report: Any, out: Any = None, synced: set[str] | None = None) -> None:
    """The verdict for people; `synced` (the project's dlt sources) decides which breaking sources really block dbt."""
    from airflow_provider_dango.drift import display_name

    out = out or console
    if report.baselined:
        out.print(f"baseline stored (first sight): {', '.join(report.baselined)}")
    if not report.changes:
        out.print("no schema changes against the accepted baselines")
        return
    rows = [
        [
            display_name(c),
            c.change,
            f"[{SEVERITY_STYLE.get(c.severity, '')}]{c.severity}[/]",
            c.old_type or "",
            c.new_type or "",
            c.note,
        ]
        for c in report.changes
    ]
    columns = ["table.column", "change", "severity", "old", "new", "note"]
    if out.width < 110:  # narrow terminal: the note is the least needed column
        columns, rows = columns[:-1], [r[:-1] for r in rows]
    _table(out, "schema changes", columns, rows)
    if not report.blocked_sources:
        out.print("additive changes only: baselines advanced")
    for source in report.blocked_sources:
        if synced is None or source in synced:
            out.print(
                f"[red]blocked[/]: dbt models downstream of source [bold]{source}[/] are skipped until you run "
                f"`dango drift accept {source}`"
            )
        else:  # only a synced source's DAG runs the drift gate before dbt: claiming a block here would be false
            out.print(
                f"[red]breaking[/]: [bold]{source}[/] is not a synced source, so no DAG gates dbt on it and nothing is "
                f"blocked; fix the change, or accept it with `dango drift accept {source}`"
            )


def _table(out: Any, title: str, columns: list[str], rows: list[list[Any]]) -> None:
    if out is console:
        table(title, columns, rows)
        return
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*[str(v) for v in row])
    out.print(t)


def run_accept(args: argparse.Namespace) -> int:
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.drift import DriftError, accept

    if not args.sources and not args.all:
        err_console.print("error: name a SOURCE to accept, or use --all", markup=False)
        return 2
    project = load(args.project_dir)
    try:
        tables = accept(project, sources=args.sources or None, accept_all=args.all)
    except DriftError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 2
    what = "every schema" if args.all else ", ".join(args.sources)
    if tables:
        console.print(f"accepted the current columns of {what}: {', '.join(tables)}")
    else:
        console.print(f"{what}: the baseline already matched the warehouse; nothing to accept")
    console.print("the next run builds the dbt models downstream again")
    return 0
