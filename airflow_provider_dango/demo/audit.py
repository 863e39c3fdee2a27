"""The audit story of `dango demo`: what the audit trail recorded, and the run as the on-call view shows it."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.audit import flush
from airflow_provider_dango.audit.views import build_views, read_view, table_counts
from airflow_provider_dango.commands.audit import print_run


def story(project: Any, dag: Any, dag_run: Any, console: Any) -> None:
    """After the demo run: what the audit trail recorded, and the run as the on-call view shows it."""

    console.print("\n[bold]Audit trail[/] (dango.dango_audit_* in the warehouse)")
    result = flush(project, wait_s=60)
    if result.pending:
        console.print(f"{result.pending} audit events still spooled: {result.error or 'warehouse busy'}")
    counts = table_counts(project)
    console.print("  " + ", ".join(f"{t.removeprefix('dango_audit_')}: {n}" for t, n in counts.items()))
    try:
        with console.status("building the audit views (dbt run --select tag:dango_audit)..."):
            build_views(project)
        rows = read_view(project, "vw_run_summary", where="run_id = ?", params=[dag_run.run_id], limit=1)
    except Exception as exc:  # the demo goes on; say what is missing
        console.print(f"audit views not available: {exc}")
        return
    if not rows:
        console.print(f"vw_run_summary has no row for {dag_run.run_id} yet")
        return
    print_run(rows[0], console)
    days = project.settings.airflow.audit_retention_days
    console.print(f"Audit rows are kept {days} days (airflow.audit_retention_days).")
    console.print("On call: `dango audit runs`, `dango audit failures`, vw_recent_failures, vw_check_history_9d.")
