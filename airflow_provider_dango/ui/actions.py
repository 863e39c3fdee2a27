"""Governance actions from the UI, core side (no Airflow import): accept drift on one table, mark a column pii /
not_pii in `.dango/pii-overrides.yml` (Dango's format). Both are recorded in the audit trail with who did it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from airflow_provider_dango.config.pii_overrides import OVERRIDES_FILE, load_pii_overrides


class ActionError(ValueError):
    """The action cannot be done as asked (unknown table, bad status); the message says why."""


def _audit(project: Any, check: str, target: str, details: dict[str, Any]) -> None:
    from airflow_provider_dango.audit import record_check_result

    run_id = "ui__" + dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    record_check_result(project, run_id, check, target, "pass", "info", details, dag_id="dango_ui")


def source_of_table(project: Any, table: str) -> str | None:
    """The dango source whose schema holds `schema.table` (raw_<source> or the manifest's source schema)."""
    from airflow_provider_dango.drift import schema_sources

    schema = table.rpartition(".")[0]
    mapping = schema_sources(project)
    name = mapping.get(schema) or (schema.removeprefix("raw_") if schema.startswith("raw_") else None)
    return name if name in project.sources else None


def accept_drift(project: Any, table: str, user: str) -> None:
    """Make `schema.table`'s current columns its baseline (as `dango drift accept` does for a source)."""
    from airflow_provider_dango.drift import DriftError, accept

    try:
        accept(project, tables=[table], accepted_by=user)
    except DriftError as exc:
        raise ActionError(str(exc)) from exc
    _audit(project, "drift:accept", table, {"action": "accept", "by": user})


def _entry_table(entry: dict[str, Any]) -> str:
    """An overrides-file entry's table as `schema.table` when its schema is known (as PiiOverride.table_name)."""
    table, source = str(entry.get("table") or ""), entry.get("source")
    return f"raw_{source}.{table}" if source and "." not in table else table


def set_pii_override(project: Any, table: str, column: str, status: str, user: str, reason: str | None = None) -> None:
    """Add or replace the override of (table, column) in `.dango/pii-overrides.yml`, then mirror the file into the
    warehouse so the SQL verdict and the dbt test see it at once."""
    from airflow_provider_dango.pii import write_overrides

    if status not in ("pii", "not_pii"):
        raise ActionError(f"status must be pii or not_pii, got {status!r}")
    if not table or not column:
        raise ActionError("table and column are required")
    path = project.dango_dir / OVERRIDES_FILE
    doc = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
    entries = [e for e in (doc.get("overrides") or []) if isinstance(e, dict)]
    kept = [e for e in entries if not (_entry_table(e) == table and e.get("column") == column)]
    kept.append(
        {
            "table": table,
            "column": column,
            "status": status,
            "set_by": user,
            "reason": reason or "set in the Airflow UI",
            "updated_at": dt.date.today().isoformat(),
        }
    )
    doc["overrides"] = kept
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    overrides, _ = load_pii_overrides(project.dango_dir, project.root)
    write_overrides(project, overrides)
    _audit(project, "pii:override", f"{table}.{column}", {"action": status, "by": user})
