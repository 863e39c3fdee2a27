"""The registry of dango's own tables in the warehouse (schema `dango`): who writes each, and the DDL of those that
Python creates. Types are logical (`text`, `bigint`, `double`, `timestamptz`, `text[]`, `serial`); each backend maps
them.

Tables written by the dbt package's macros are listed without columns: their DDL lives in the SQL, and Python only
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

META_SCHEMA = "dango"


@dataclass(frozen=True)
class TableSpec:
    name: str
    owner: str  # "python" (DDL below) or "dbt" (created by a dango_monitors macro)
    columns: list[tuple[str, str]] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    timestamp: str | None = None  # the column retention uses

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]


def _spec(name: str, columns: list[tuple[str, str]], key: list[str] | None = None, ts: str | None = None) -> TableSpec:
    return TableSpec(name, "python", columns, key or [], ts)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in [
        _spec(
            "load_stats",
            [
                ("run_id", "text"),
                ("source", "text"),
                ("table_name", "text"),
                ("rows_loaded", "bigint"),
                ("load_ids", "text[]"),
                ("schema_version_hash", "text"),
                ("loaded_at", "timestamptz"),
                ("duration_seconds", "double"),
            ],
        ),
        _spec(
            "dango_pii_overrides",
            [
                ("table_name", "text"),
                ("column_name", "text"),
                ("status", "text"),
                ("set_by", "text"),
                ("reason", "text"),
                ("updated_at", "text"),
            ],
        ),
        _spec(
            "dango_audit_dag_runs",
            [
                ("project", "text"),
                ("dag_id", "text"),
                ("run_id", "text"),
                ("schedule", "text"),
                ("run_type", "text"),
                ("state", "text"),
                ("started_at", "timestamptz"),
                ("ended_at", "timestamptz"),
                ("duration_s", "double"),
                ("sources", "text"),
                ("message", "text"),
                ("run_url", "text"),
                ("recorded_at", "timestamptz"),
            ],
            ["dag_id", "run_id"],
            "recorded_at",
        ),
        _spec(
            "dango_audit_task_runs",
            [
                ("dag_id", "text"),
                ("run_id", "text"),
                ("task_id", "text"),
                ("map_index", "integer"),
                ("try_number", "integer"),
                ("state", "text"),
                ("operator", "text"),
                ("started_at", "timestamptz"),
                ("ended_at", "timestamptz"),
                ("duration_s", "double"),
                ("error_summary", "text"),
                ("recorded_at", "timestamptz"),
            ],
            ["dag_id", "run_id", "task_id", "map_index", "try_number"],
            "recorded_at",
        ),
        _spec(
            "dango_audit_dbt_results",
            [
                ("dag_id", "text"),
                ("run_id", "text"),
                ("task_id", "text"),
                ("try_number", "integer"),
                ("unique_id", "text"),
                ("node_name", "text"),
                ("resource_type", "text"),
                ("status", "text"),
                ("failures", "bigint"),
                ("message", "text"),
                ("execution_time_s", "double"),
                ("tags", "text"),
                ("severity", "text"),
                ("attached_to", "text"),
                ("recorded_at", "timestamptz"),
            ],
            ["dag_id", "run_id", "task_id", "try_number", "unique_id"],
            "recorded_at",
        ),
        _spec(
            "dango_audit_check_results",
            [
                ("project", "text"),
                ("dag_id", "text"),
                ("run_id", "text"),
                ("check_type", "text"),
                ("check_name", "text"),
                ("target", "text"),
                ("status", "text"),
                ("severity", "text"),
                ("details", "text"),
                ("recorded_at", "timestamptz"),
            ],
            ["run_id", "check_name", "target"],
            "recorded_at",
        ),
        _spec(
            "dango_spool_audit",  # audit events waiting for a flush, on a server warehouse (see audit/spool.py)
            [("id", "serial"), ("kind", "text"), ("payload", "text"), ("created", "double")],
            ["id"],
        ),
        TableSpec("dango_schema_changes", "dbt"),
        TableSpec("dango_schema_baselines", "dbt"),
        TableSpec("dango_pii_findings", "dbt"),
        TableSpec("dango_pii_skips", "dbt"),
        TableSpec("dango_metric_history", "dbt"),
        TableSpec("dango_monitor_results", "dbt"),
    ]
}
AUDIT_TABLES = [name for name in TABLES if name.startswith("dango_audit_")]
