"""Every warehouse read of the catalog, in one place, behind a "read rows" callable.

The catalog needs dango's own tables only (profiles, PII findings, drift changes, monitor verdicts and history, the
audit trail). Each reader takes a `Rows` callable, so the catalog does not care which database or connection sits
behind it; `open_rows(project)` gives one over the project's `Warehouse` (one read-only connection for every read, so
DuckDB's lock is taken once). A missing warehouse or a table that was never written reads as no rows: the pages then
say what to run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dango.catalog.gcpause import gc_paused
from airflow_provider_dango.warehouse import META_SCHEMA, Warehouse, for_project, quote_ident

PROFILE_HISTORY = 10  # profile runs kept per column in the catalog
RESULT_HISTORY = 10  # test / check results kept per node


class Rows:
    """`rows(sql, params)` -> list of dicts. `{dango}` in the SQL is dango's quoted schema. Reads of a table that does
    not exist return no rows (`has(table)` tells which exist)."""

    def __init__(
        self, execute: Callable[[str, list[Any]], tuple[list[str], list[tuple]]] | None, tables: set[str]
    ) -> None:
        self._execute = execute
        self.tables = tables

    def has(self, table: str) -> bool:
        return table in self.tables

    def __call__(self, sql: str, params: list[Any] | None = None, needs: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        if self._execute is None or any(t not in self.tables for t in needs):
            return []
        columns, data = self._execute(sql.replace("{dango}", quote_ident(META_SCHEMA)), params or [])
        return [dict(zip(columns, row, strict=True)) for row in data]


EMPTY = Rows(None, set())


def rows_over(con: Any, tables: set[str] | None = None) -> Rows:
    """A `Rows` over an open DB-API style connection (`execute` returning a cursor with `description`). `tables`:
    dango's tables, when the caller has listed them already (one catalog query less)."""

    def execute(sql: str, params: list[Any]) -> tuple[list[str], list[tuple]]:
        cur = con.execute(sql, params)
        return [d[0] for d in cur.description], cur.fetchall()

    if tables is None:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [META_SCHEMA]
            ).fetchall()
        }
    return Rows(execute, tables)


@contextmanager
def open_rows(project: Any) -> Iterator[Rows]:
    """A `Rows` over the project's warehouse (read-only); `EMPTY` when a DuckDB warehouse was never written."""
    with warehouse_rows(for_project(project)) as rows:
        yield rows


@contextmanager
def warehouse_rows(warehouse: Warehouse) -> Iterator[Rows]:
    """A `Rows` over one read-only connection of `warehouse` (tools without a project: `Warehouse.from_duckdb_file`)."""
    if not warehouse.exists():
        yield EMPTY
        return
    with warehouse.connect(read_only=True) as con:
        yield rows_over(con)


def _split(label: str) -> tuple[str, str]:
    schema, _, table = label.rpartition(".")
    return schema, table


@dataclass
class PiiColumns:
    """PII findings (latest per table, column, entity) and `pii` / `not_pii` overrides in the warehouse."""

    findings: list[dict[str, Any]] = field(default_factory=list)

    # The latest finding per (table, column, entity): a later scan's verdict replaces an earlier one.
    LATEST = (
        "(SELECT *, row_number() OVER (PARTITION BY table_name, column_name, entity ORDER BY last_seen DESC) AS rn "
        "FROM {dango}.dango_pii_findings) f WHERE rn = 1"
    )

    @classmethod
    def read(cls, rows: Rows) -> PiiColumns:
        found = rows(
            "SELECT table_name, column_name, entity, match_mode, prevalence, confidence, example, status, run_id, "
            f"last_seen FROM {cls.LATEST} ORDER BY table_name, column_name, entity",
            needs=("dango_pii_findings",),
        )
        return cls(found)

    def columns(self) -> set[tuple[str, str]]:
        """(`schema.table`, column) with a finding nobody marked not_pii."""
        return {(f["table_name"], f["column_name"]) for f in self.findings if f["status"] != "suppressed"}

    def propagated(self, manifest: dict[str, Any]) -> set[tuple[str, str]]:
        """PII columns plus same-named columns of every model downstream of a table that has one: a model that
        selects `email` from a PII table is treated as holding the same values."""
        from airflow_provider_dango.dbt import relation_of

        out = set(self.columns())
        if not out:
            return out
        by_relation = {
            relation_of(n): uid
            for uid, n in [*manifest.get("nodes", {}).items(), *manifest.get("sources", {}).items()]
            if n.get("resource_type") in ("model", "seed", "snapshot", "source") and n.get("schema")
        }
        children = manifest.get("child_map", {})
        nodes = manifest.get("nodes", {})
        for label, name in list(out):
            start = by_relation.get(label)
            stack, seen = [start] if start else [], set()
            while stack:
                for child in children.get(stack.pop(), []):
                    if child in seen or child not in nodes:
                        continue
                    seen.add(child)
                    stack.append(child)
                    node = nodes[child]
                    if node.get("resource_type") in ("model", "snapshot"):
                        out.add((relation_of(node), name))
        return out


def read_profiles(rows: Rows) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(`schema.table`, column) -> profile rows, newest first, at most PROFILE_HISTORY runs."""
    found = rows(
        "SELECT * FROM (SELECT p.*, dense_rank() OVER (PARTITION BY table_name ORDER BY profiled_at DESC, run_id) "
        "AS rk FROM {dango}.dango_column_profiles p) x WHERE rk <= ? ORDER BY table_name, ordinal, profiled_at DESC",
        [PROFILE_HISTORY],
        needs=("dango_column_profiles",),
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        r.pop("rk", None)
        out.setdefault((r["table_name"], r["column_name"]), []).append(r)
    return out


def read_drift(rows: Rows) -> list[dict[str, Any]]:
    """Every recorded drift change with its state: `pending` for a breaking change newer than the table's last
    acceptance, `accepted` for one the team accepted, `applied` for additive changes (the baseline moved on)."""
    found = rows(
        "SELECT c.run_id, c.checked_at, c.table_schema, c.table_name, c.column_name, c.change, c.severity, "
        "c.old_type, c.new_type, c.rename_of, c.note, a.accepted_at FROM {dango}.dango_schema_changes c "
        "LEFT JOIN (SELECT table_schema, table_name, max(checked_at) AS accepted_at FROM {dango}.dango_schema_changes "
        "WHERE change = 'accepted' GROUP BY 1, 2) a ON a.table_schema = c.table_schema AND a.table_name = c.table_name "
        "WHERE c.change NOT IN ('accepted', 'baselined') ORDER BY c.checked_at DESC, c.table_schema, c.table_name, "
        "c.column_name",
        needs=("dango_schema_changes",),
    )
    latest_check: dict[tuple[str, str], Any] = {}
    for r in found:
        latest_check.setdefault((r["table_schema"], r["table_name"]), r["checked_at"])
    for r in found:
        key = (r["table_schema"], r["table_name"])
        if r["severity"] != "breaking":
            r["state"] = "applied"
        elif r["accepted_at"] is not None and r["accepted_at"] >= r["checked_at"]:
            r["state"] = "accepted"
        elif r["checked_at"] == latest_check[key]:
            r["state"] = "pending"
        else:
            r["state"] = "superseded"
    return found


def read_monitors(rows: Rows) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(verdicts of every run for the total series and its top segments, metric history of the total series)."""
    verdicts = rows(
        "SELECT run_id, monitor, bucket_start, dimension, dimension_value, value, baseline, change_pct, score, scale, "
        "series_status, monitor_status, method, computed_at FROM {dango}.dango_monitor_results "
        "ORDER BY monitor, computed_at, bucket_start",
        needs=("dango_monitor_results",),
    )
    history = rows(
        "SELECT monitor, bucket_start, max(value) AS value FROM {dango}.dango_metric_history "
        "WHERE dimension = '__total__' GROUP BY 1, 2 ORDER BY 1, 2",
        needs=("dango_metric_history",),
    )
    return verdicts, history


def read_dbt_results(rows: Rows) -> dict[str, list[dict[str, Any]]]:
    """unique_id -> dbt results from the audit trail (tests and models), newest first, at most RESULT_HISTORY."""
    found = rows(
        "SELECT * FROM (SELECT dag_id, run_id, task_id, unique_id, resource_type, status, failures, message, "
        "recorded_at, attached_to, row_number() OVER (PARTITION BY unique_id ORDER BY recorded_at DESC) AS rn "
        "FROM {dango}.dango_audit_dbt_results) x WHERE rn <= ? ORDER BY unique_id, recorded_at DESC",
        [RESULT_HISTORY],
        needs=("dango_audit_dbt_results",),
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        r.pop("rn", None)
        out.setdefault(r["unique_id"], []).append(r)
    return out


def read_runs(rows: Rows, limit: int = 200) -> dict[str, list[dict[str, Any]]]:
    """The audit trail for the Runs page: DAG runs and check results, newest first."""
    return {
        "dag_runs": rows(
            "SELECT dag_id, run_id, schedule, run_type, state, started_at, ended_at, duration_s, message, run_url "
            f"FROM {{dango}}.dango_audit_dag_runs ORDER BY started_at DESC NULLS LAST LIMIT {int(limit)}",
            needs=("dango_audit_dag_runs",),
        ),
        "check_results": rows(
            "SELECT dag_id, run_id, check_type, check_name, target, status, severity, details, recorded_at "
            f"FROM {{dango}}.dango_audit_check_results ORDER BY recorded_at DESC LIMIT {int(limit)}",
            needs=("dango_audit_check_results",),
        ),
    }


@dataclass
class WarehouseState:
    """Everything the catalog reads from the warehouse, read once."""

    present: bool = False
    tables: set[str] = field(default_factory=set)
    profiles: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    pii: PiiColumns = field(default_factory=PiiColumns)
    drift: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    dbt_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)


@gc_paused
def read_state(rows: Rows) -> WarehouseState:
    verdicts, history = read_monitors(rows)
    return WarehouseState(
        present=rows is not EMPTY,
        tables=set(rows.tables),
        profiles=read_profiles(rows),
        pii=PiiColumns.read(rows),
        drift=read_drift(rows),
        verdicts=verdicts,
        history=history,
        dbt_results=read_dbt_results(rows),
        runs=read_runs(rows),
    )


def load_state(project: Any) -> WarehouseState:
    with open_rows(project) as rows:
        return read_state(rows)
