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
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.config.monitors import load_monitors
    from airflow_provider_dango.monitors.core import run_step
    from airflow_provider_dango.steps import Scope

    project = load(args.project_dir)
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
    scope = Scope(as_of=as_of, alerts=False)
    if args.json:
        with _stdout_to_stderr():  # dbt prints its errors on stdout even with --quiet: keep stdout pure JSON
            run = run_step(project, scope, config=config)
        print_json(run.as_dict())
        return _exit_code(run.results)
    with console.status("running monitors (one scan per table, verdict in SQL)..."):
        run = run_step(project, scope, config=config)
    results = run.results
    if not results:
        console.print("no monitors: add .dango/monitors.yml (try `dango monitors suggest --write`)")
        return 0
    print_results(results, console)
    return _exit_code(results)


def _exit_code(results: list[Any]) -> int:
    """1 when any monitor could not be judged (status `error`): a scheduler or CI must not read it as a pass."""
    return 1 if any(r.status == "error" for r in results) else 0


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
    from airflow_provider_dango.commands._project import load
    from airflow_provider_dango.monitors.suggest import suggest_monitors, write_suggestions

    project = load(args.project_dir)
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
