"""`dango drift check|accept` (and Dango's `dango governance accept SOURCE`), plus the drift part of `dango demo`."""

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
    _add_governance_alias(subparsers, common)


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
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.drift import DriftError, check

    project = load_project(args.project_dir)
    try:
        if args.json:
            report = check(project, sources=args.source)
        else:
            with console.status("checking schemas against their baselines..."):
                report = check(project, sources=args.source)
    except DriftError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 2
    if args.json:
        print_json(report.as_json())
    else:
        print_report(report)
    return 1 if report.has_breaking else 0


def print_report(report: Any, out: Any = None) -> None:
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
    if report.blocked_sources:
        for source in report.blocked_sources:
            out.print(
                f"[red]blocked[/]: dbt models downstream of source [bold]{source}[/] are skipped until you run "
                f"`dango drift accept {source}`"
            )
    else:
        out.print("additive changes only: baselines advanced")


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
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.drift import DriftError, accept

    if not args.sources and not args.all:
        err_console.print("error: name a SOURCE to accept, or use --all", markup=False)
        return 2
    project = load_project(args.project_dir)
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


# --- `dango demo` ----------------------------------------------------------------------------------------------------

DEMO_TABLE = ("raw_shop", "orders", "customer_id")
DEMO_ORIGINAL_TYPE = "BIGINT"
DEMO_NARROW_TYPE = "INTEGER"


def _drift_result(dag_run: Any) -> dict[str, Any] | None:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from airflow_provider_dango.operators.drift import DRIFT_TASK_ID

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter(XComModel.dag_id == dag_run.dag_id, XComModel.run_id == dag_run.run_id)
            .filter(XComModel.task_id == DRIFT_TASK_ID, XComModel.key == "return_value")
            .one_or_none()
        )
        return XComModel.deserialize_value(row) if row is not None else None


def _column_type(project: Any) -> str | None:
    from airflow_provider_dango.warehouse import connect

    schema, table_name, column = DEMO_TABLE
    with connect(project.warehouse_path, read_only=True) as con:
        row = con.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? AND column_name = ?",
            [schema, table_name, column],
        ).fetchone()
    return row[0] if row else None


def _set_type(project: Any, data_type: str) -> None:
    from airflow_provider_dango.warehouse import connect, quote_ident

    schema, table_name, column = DEMO_TABLE
    with connect(project.warehouse_path) as con:
        con.execute(
            f"ALTER TABLE {quote_ident(schema)}.{quote_ident(table_name)} "
            f"ALTER COLUMN {quote_ident(column)} TYPE {data_type}"
        )


def _run_dag(dag: Any, what: str) -> Any:
    import os
    from pathlib import Path

    from airflow_provider_dango.commands.output import output_to_file

    log_path = Path(os.environ.get("AIRFLOW_HOME", ".")) / "demo.log"
    with output_to_file(log_path) as terminal, terminal.status(what):
        return dag.test()


def demo_section(project: Any, dag: Any, dag_run: Any, out: Any) -> None:
    """Breaking drift caught and dbt blocked on a second run, accepted, built on a third; the warehouse is left
    as it was (the column widened back, which is additive), so `make demo` can run again."""
    from airflow_provider_dango.commands.demo import task_states
    from airflow_provider_dango.drift import accept, check, read_report

    if "shop" not in project.sources or _column_type(project) is None:
        return
    out.rule("Schema drift")
    first = _drift_result(dag_run)
    if first and first["baselined"]:
        out.print(f"First run: baselines stored silently for {', '.join(first['baselined'])}")
    if _column_type(project) != DEMO_ORIGINAL_TYPE:  # a previous demo stopped half-way: put things back first
        _set_type(project, DEMO_ORIGINAL_TYPE)
        accept(project, ["shop"])

    schema, table_name, column = DEMO_TABLE
    out.print(
        f"Someone narrows {schema}.{table_name}.{column} from {DEMO_ORIGINAL_TYPE} to {DEMO_NARROW_TYPE} "
        "(ALTER TABLE); the next sync still loads into it. Running the DAG again..."
    )
    _set_type(project, DEMO_NARROW_TYPE)
    second = _run_dag(dag, "second DAG run: drift check, then dbt...")
    result = _drift_result(second) or {}
    if result.get("run_id"):
        print_report(read_report(project, result["run_id"]), out)
    states = task_states(second)
    skipped = _models(states, "skipped")
    built = _models(states, "success")
    out.print(f"dbt blocked downstream of shop: {len(skipped)} model(s) skipped ({', '.join(skipped)})")
    if built:
        out.print(f"dbt built (not downstream of a broken source): {', '.join(built)}")

    tables = accept(project, ["shop"])
    out.print(f"$ dango drift accept shop  -> accepted {', '.join(tables)}; running the DAG again...")
    third = _run_dag(dag, "third DAG run after accept...")
    states = task_states(third)
    runs = {k: v for k, v in states.items() if k.startswith("dbt.") and k.endswith(".run")}
    ok = sum(v == "success" for v in runs.values())
    out.print(f"After accept: dbt built {ok}/{len(runs)} models, DAG run {third.state}")

    _set_type(project, DEMO_ORIGINAL_TYPE)
    widened = check(project, ["shop"])
    kinds = ", ".join(f"{c.table}.{c.column} {c.old_type} -> {c.new_type} ({c.severity})" for c in widened.changes)
    out.print(f"Widening it back is additive, so the baseline simply advances: {kinds or 'no change'}")


def _models(states: dict[str, str], state: str) -> list[str]:
    """Models whose dbt run task ended in `state`."""
    from airflow_provider_dango.operators.drift import _model_name

    return sorted(
        {
            name
            for task_id, value in states.items()
            if value == state and not task_id.endswith("test") and (name := _model_name(task_id, "dbt"))
        }
    )
