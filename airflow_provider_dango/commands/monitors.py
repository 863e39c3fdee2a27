"""`dango monitors run [--as-of TIMESTAMP] [--json]` and `dango monitors suggest [--write]` (alias: `dango monitor`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from airflow_provider_dango.commands.output import console, err_console, print_json

STATUS_STYLE = {
    "error": "bold red",
    "flagged": "red",
    "trending": "yellow",
    "insufficient_history": "cyan",
    "normal": "green",
}


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("monitors", aliases=["monitor"], help="metric monitors from .dango/monitors.yml")
    sub = p.add_subparsers(dest="monitors_command", metavar="SUBCOMMAND", required=True)
    run_p = sub.add_parser("run", parents=[common], help="judge every monitor's latest complete bucket")
    run_p.add_argument(
        "--as-of", metavar="TIMESTAMP", help="judge the latest complete bucket before this (default: now)"
    )
    run_p.add_argument("--json", action="store_true", help="machine-readable output")
    run_p.set_defaults(func=run)
    sug = sub.add_parser("suggest", parents=[common], help="row-count and freshness monitors for every synced table")
    sug.add_argument("--write", action="store_true", help="append the suggestions to .dango/monitors.yml")
    sug.set_defaults(func=suggest)


def run(args: argparse.Namespace) -> int:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.config.monitors import load_monitors
    from airflow_provider_dango.monitors.core import run_monitors

    project = load_project(args.project_dir)
    config = load_monitors(project.root)
    if not args.json:
        for problem in config.problems:
            err_console.print(str(problem), markup=False)
    try:
        as_of = args.as_of
        if as_of:
            from airflow_provider_dango.monitors.core import normalise_as_of

            normalise_as_of(as_of)
    except ValueError:
        err_console.print(f"error: --as-of {args.as_of!r} is not an ISO timestamp (e.g. 2026-11-21T06:00:00Z)")
        return 2
    if args.json:
        with _stdout_to_stderr():  # dbt prints its errors on stdout even with --quiet: keep stdout pure JSON
            results = run_monitors(project, as_of=as_of, config=config)
        print_json({"results": [r.as_dict() for r in results]})
        return 0
    with console.status("running monitors (one scan per table, verdict in SQL)..."):
        results = run_monitors(project, as_of=as_of, config=config)
    if not results:
        console.print("no monitors: add .dango/monitors.yml (try `dango monitors suggest --write`)")
        return 0
    print_results(results, console)
    return 0


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}%" if pct else f"{value:,.2f}"


def print_results(results: list[Any], out: Any) -> None:
    from rich.table import Table

    t = Table(title="Monitors", title_justify="left", show_edge=False, pad_edge=False)
    for col in ["monitor", "status", "bucket", "value", "baseline", "change", "score", "trend", "top driver"]:
        t.add_column(col, justify="right" if col in ("value", "baseline", "change", "score") else "left")
    for r in results:
        style = STATUS_STYLE.get(r.status, "")
        top = f"{r.drivers[0].dimension}={r.drivers[0].value}" if r.drivers else ""
        bucket = "-"
        if r.bucket_start:
            midnight = (r.bucket_start.hour, r.bucket_start.minute) == (0, 0)
            bucket = f"{r.bucket_start:%Y-%m-%d}" if midnight else f"{r.bucket_start:%m-%d %H:%M}"
        t.add_row(
            r.name, f"[{style}]{r.status}[/]", bucket, _fmt(r.value), _fmt(r.baseline), _fmt(r.change_pct, True),
            _fmt(r.score), r.trend.direction, top,
        )
    if getattr(out, "width", 200) >= 110:
        out.print(t)
    else:  # a narrow terminal: one line per monitor reads better than a folded table
        out.print("[bold]Monitors[/]")
        for r in results:
            style = STATUS_STYLE.get(r.status, "")
            line = f"  {r.name}  [{style}]{r.status}[/]"
            if r.bucket_start:
                midnight = (r.bucket_start.hour, r.bucket_start.minute) == (0, 0)
                line += f"  {r.bucket_start:%Y-%m-%d}" if midnight else f"  {r.bucket_start:%Y-%m-%d %H:%M}"
            if r.value is not None:
                line += f"  {_fmt(r.value)} vs {_fmt(r.baseline)}"
            if r.change_pct is not None:
                line += f" ({_fmt(r.change_pct, True)}, score {_fmt(r.score)})"
            line += f"  trend {r.trend.direction}"
            if r.drivers:
                line += f"  driver {r.drivers[0].dimension}={r.drivers[0].value}"
            out.print(line, highlight=False)
    for r in results:
        if r.error:
            out.print(f"[bold red]{r.name}[/]: {r.error}", highlight=False)
        if r.drivers:
            d = Table(title=f"{r.name}: what drove the change", title_justify="left", show_edge=False, pad_edge=False)
            for col in ["dimension", "value", "change", "share of change"]:
                d.add_column(col, justify="right" if col in ("change", "share of change") else "left")
            for drv in r.drivers:
                share = f"{drv.share_of_change * 100:.0f}%" if drv.share_of_change is not None else "-"
                d.add_row(drv.dimension, drv.value, f"{drv.change_abs:+,.2f}", share)
            out.print(d)
        if r.forecast is not None and r.trend.direction != "stable":
            when = f"{r.forecast:%Y-%m-%d %H:%M}"
            out.print(f"{r.name}: {r.trend.direction}; at this rate it crosses its threshold around {when}")


def suggest(args: argparse.Namespace) -> int:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.monitors.suggest import suggest_monitors, write_suggestions

    project = load_project(args.project_dir)
    suggestions = suggest_monitors(project)
    if not suggestions:
        err_console.print("no synced tables found: run `dango sync` first")
        return 1
    if args.write:
        added = write_suggestions(project, suggestions)
        console.print(f"added {len(added)} monitors to .dango/monitors.yml: {', '.join(added) or 'none (all present)'}")
        return 0
    import yaml

    console.print(yaml.safe_dump({"monitors": suggestions}, sort_keys=False), markup=False, highlight=False)
    return 0


def demo_section(project: Any, dag: Any, dag_run: Any, out: Any) -> None:
    """The demo: the monitors task ran in the DAG; show its verdicts, the driving segment and the trend."""
    from airflow_provider_dango.monitors.core import run_monitors

    out.print("\n[bold]Monitors[/] (.dango/monitors.yml)")
    try:
        results = run_monitors(project, run_id=getattr(dag_run, "run_id", None))
    except Exception as exc:  # the demo goes on; the error is shown
        out.print(f"[red]monitors failed: {exc}[/]")
        return
    print_results(results, out)
    for r in results:
        if r.status == "flagged" and r.drivers:
            d = r.drivers[0]
            share = f" ({d.share_of_change * 100:.0f}% of the change)" if d.share_of_change is not None else ""
            out.print(
                f"[red]{r.name}[/] flagged for {r.bucket_start:%Y-%m-%d}: {_fmt(r.change_pct, True)} vs a baseline of "
                f"{_fmt(r.baseline)}; top driver [bold]{d.dimension}={d.value}[/]{share}; trend {r.trend.direction}"
                + (f" (Mann-Kendall p={r.trend.p_value:.2f})" if r.trend.p_value is not None else ""),
                highlight=False,
            )
