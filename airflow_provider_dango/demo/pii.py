"""The PII story of `dango demo`: what the DAG's `pii_scan` task found, masked."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.pii import read_run


def story(project: Any, dag: Any, dag_run: Any, out: Any) -> None:
    """After the demo's DAG run: the PII its `pii_scan` task found (customers, and emails inside order notes)."""

    result = read_run(project, dag_run.run_id)
    out.print("\n[bold]PII scan[/] (task pii_scan after dbt: sampled, in SQL inside DuckDB, masked examples only)")
    if not result.findings:
        out.print("No PII found.")
    for f in result.findings:
        where = "inside free text" if f.match_mode == "contains" else "whole values"
        out.print(
            f"  {f.table}.{f.column}: {f.entity} in {f.prevalence:.1%} of {f.sample_size:,} values ({where}), "
            f"confidence {f.confidence:.2f}, e.g. {f.example}{' [new]' if f.new else ''}",
            markup=False,
        )
    notes = [f for f in result.findings if f.column == "notes"]
    if notes:
        out.print(
            f"{notes[0].table}.notes is free text: customers started writing their email address into order notes "
            "last week. Whole-value prevalence stays near 0, so it is reported as 'inside free text'. Acknowledge or "
            "silence a column in .dango/pii-overrides.yml (status: pii | not_pii).",
            markup=False,
        )
