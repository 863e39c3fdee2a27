"""`dango audit ...`: the audit trail in the warehouse (flush the spool, build and read the curated views)."""

from __future__ import annotations

import argparse
from typing import Any

from airflow_provider_dango.commands.output import console, err_console, print_json, table


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("audit", help="audit trail: runs, tasks, dbt results and checks in the warehouse")
    sub = p.add_subparsers(dest="audit_command", required=True)
    f = sub.add_parser("flush", parents=[common], help="write spooled audit events to the warehouse now")
    f.add_argument("--wait", type=float, default=60.0, metavar="SECONDS", help="wait for the warehouse lock")
    f.set_defaults(func=run_flush)
    r = sub.add_parser("runs", parents=[common], help="recent DAG runs (vw_run_summary)")
    r.add_argument("--limit", type=int, default=10)
    r.add_argument("--build", action="store_true", help="flush and (re)build the audit views first")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(func=run_runs)
    x = sub.add_parser("failures", parents=[common], help="failures of the last 7 days (vw_recent_failures)")
    x.add_argument("--limit", type=int, default=20)
    x.add_argument("--build", action="store_true", help="flush and (re)build the audit views first")
    x.add_argument("--json", action="store_true", help="machine-readable output")
    x.set_defaults(func=run_failures)
    v = sub.add_parser("views", parents=[common], help="build the audit views (dbt run --select tag:dango_audit)")
    v.add_argument("--build", action="store_true", default=True, help=argparse.SUPPRESS)
    v.set_defaults(func=run_views)


def _project(args: argparse.Namespace) -> Any:
    from airflow_provider_dango.config import load_project

    return load_project(args.project_dir)


def run_flush(args: argparse.Namespace) -> int:
    from airflow_provider_dango.audit import flush

    result = flush(_project(args), wait_s=args.wait)
    if result.error:
        err_console.print(f"error: {result.error} ({result.pending} events kept in the spool)", markup=False)
        return 1
    if result.busy:
        err_console.print(f"warehouse busy: {result.pending} events kept in the spool", markup=False)
        return 1
    console.print(f"{result.delivered} audit events written, {result.purged} rows past retention removed")
    return 0


def _prepare(project: Any, build: bool) -> None:
    if build:
        from airflow_provider_dango.audit import flush
        from airflow_provider_dango.audit.views import build_views

        flush(project, wait_s=60)
        with console.status("building the audit views (dbt run --select tag:dango_audit)..."):
            build_views(project)


def run_views(args: argparse.Namespace) -> int:
    project = _project(args)
    _prepare(project, True)
    console.print("audit views built: vw_run_summary, vw_recent_failures, vw_check_history_9d")
    return 0


def _cell(value: Any) -> Any:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else value


def run_runs(args: argparse.Namespace) -> int:
    from airflow_provider_dango.audit.views import ViewsNotBuiltError, read_view

    project = _project(args)
    _prepare(project, args.build)
    try:
        rows = read_view(project, "vw_run_summary", limit=args.limit, order_by="started_at DESC")
    except ViewsNotBuiltError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 1
    if args.json:
        print_json({"runs": rows})
        return 0
    print_summary(rows)
    return 0


def print_summary(rows: list[dict[str, Any]], title: str = "DAG runs (vw_run_summary)", out: Any = None) -> None:
    from rich.table import Table

    t = Table(
        title=title,
        title_justify="left",
        caption="tests: passed/failed/warned; findings: drift + PII + monitors + freshness",
        caption_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    for header in ("started", "schedule", "status", "secs", "rows", "tests", "findings", "verdict"):
        t.add_column(header, justify="right" if header in ("secs", "rows") else "left", no_wrap=header != "verdict")
    for r in rows:
        findings = sum(r[k] for k in ("drift_findings", "pii_findings", "monitor_findings", "freshness_findings"))
        started = r["started_at"].strftime("%m-%d %H:%M") if r["started_at"] else ""
        t.add_row(
            started,
            str(r["schedule"] or r["dag_id"]),
            str(r["status"]),
            str(_cell(r["duration_s"])),
            str(_cell(r["rows_loaded"])),
            f"{r['tests_passed']}/{r['tests_failed']}/{r['tests_warned']}",
            str(findings),
            str(r["verdict"]),
        )
    (out or console).print(t)


def print_run(r: dict[str, Any], out: Any) -> None:
    """One run of vw_run_summary, in a few lines that fit a narrow terminal."""
    colour = {"ok": "green", "running": "yellow"}.get(r["verdict"], "red" if "CRITICAL" in r["verdict"] else "yellow")
    out.print(
        f"This run, as vw_run_summary shows it: [bold]{r['schedule']}[/] {r['status']} in {_cell(r['duration_s'])} s"
        f" -> [{colour}]{r['verdict']}[/]"
    )
    out.print(
        f"  loaded {_cell(r['rows_loaded'])} rows · models {r['models_built']} built, {r['models_failed']} failed"
    )
    out.print(
        f"  tests {r['tests_passed']} passed, {r['tests_failed']} failed, {r['tests_warned']} warned"
        f" · critical problems {r['critical_problems']}"
    )
    out.print(
        f"  findings: drift {r['drift_findings']} · PII {r['pii_findings']} · monitors {r['monitor_findings']}"
        f" · freshness {r['freshness_findings']}"
    )
    out.print(f"  {r['run_url']}", markup=False, soft_wrap=True)


def run_failures(args: argparse.Namespace) -> int:
    from airflow_provider_dango.audit.views import ViewsNotBuiltError, read_view

    project = _project(args)
    _prepare(project, args.build)
    try:
        rows = read_view(project, "vw_recent_failures", limit=args.limit, order_by="failed_at DESC")
    except ViewsNotBuiltError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return 1
    if args.json:
        print_json({"failures": rows})
        return 0
    table(
        "Failures, last 7 days (vw_recent_failures)",
        ["when", "severity", "what", "item", "error", "tries"],
        [
            [
                _cell(r["failed_at"]),
                r["severity"],
                r["failure_kind"],
                r["failed_item"],
                (r["error_text"] or "")[:80],
                r["tries"],
            ]
            for r in rows
        ],
        right={5},
    )
    return 0
