"""The monitors story of `dango demo`: verdicts, the driving segment and the trend."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.commands.monitors import _fmt, print_results
from airflow_provider_dango.monitors.core import run_monitors


def story(project: Any, dag: Any, dag_run: Any, out: Any) -> None:
    """The demo: the monitors task ran in the DAG; show its verdicts, the driving segment and the trend."""

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
