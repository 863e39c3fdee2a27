"""Column profiles, the pillar step (no Airflow import): run `dango_monitors.profile_run` inside the warehouse.

The statistics are computed in SQL (`dango_monitors/macros/profile/`), one scan per table, and appended to
`dango.dango_column_profiles` under the run id, so every profile has history. Values of PII columns never leave the
warehouse: the macro masks columns with PII findings or `pii` overrides, and this module adds the columns the dbt
project marks `meta: {pii: true}` and the same-named columns of models downstream of a PII column.

`run_step(project, scope, run_id, schedule)` follows the pillar contract (`steps.py`): `scope.tables` names relations
(`schema.table`), `scope.sources` the synced sources (their tables, plus the models built from them unless
`scope.options["models"]` is false); neither means every user table.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.config import DangoProject
from airflow_provider_dango.dbt import DbtCommandError, load_manifest_cached, relation_of
from airflow_provider_dango.steps import AuditRow, Scope, finish, new_run_id
from airflow_provider_dango.warehouse import for_project

log = logging.getLogger(__name__)

PROFILES_TABLE = "dango_column_profiles"
PROFILE_MACRO = "dango_monitors.profile_run"


@dataclass
class ProfileResult:
    """What a profile step did: which relations, under which run id, how long it took."""

    run_id: str
    relations: list[str] = field(default_factory=list)
    columns: int = 0
    seconds: float = 0.0
    schedule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "relations": self.relations,
            "columns": self.columns,
            "seconds": round(self.seconds, 2),
        }

    def summary(self) -> str:
        return (
            f"profiled {len(self.relations)} table(s), {self.columns} column(s) in {self.seconds:.1f} s "
            f"(run {self.run_id})"
        )

    def events(self) -> list[Event]:
        """None: a profile is a measurement, not a verdict; monitors and checks alert on what it shows."""
        return []

    def audit_rows(self) -> list[AuditRow]:
        """None: a profile's record is its `dango.dango_column_profiles` rows under the same run id (as a sync's is
        its `load_stats` rows), read by the catalog with their history."""
        return []


def scope_relations(
    manifest: dict[str, Any],
    sources: list[str] | None = None,
    model_ids: list[str] | None = None,
    downstream: bool = True,
) -> list[str]:
    """Relations built or loaded by a run: the synced sources' tables and the models downstream of them (the models
    a sync DAG just built); every model, seed and snapshot when neither is given."""
    from airflow_provider_dango.dbt import models_downstream_of_sources

    nodes = manifest.get("nodes", {})
    chosen: list[dict[str, Any]] = []
    if sources is None and model_ids is None:
        chosen = [
            n
            for n in nodes.values()
            if n.get("resource_type") in ("model", "seed", "snapshot")
            and (n.get("config") or {}).get("materialized") != "ephemeral"
        ]
    else:
        ids = list(model_ids or [])
        if sources:
            chosen += [s for s in manifest.get("sources", {}).values() if s.get("source_name") in sources]
            ids += models_downstream_of_sources(manifest, sources) if downstream else []
        chosen += [
            nodes[i] for i in ids if i in nodes and (nodes[i].get("config") or {}).get("materialized") != "ephemeral"
        ]
    return sorted({relation_of(n) for n in chosen})


def masked_columns(manifest: dict[str, Any] | None) -> list[str]:
    """`schema.table.column` marked PII in the dbt project (`meta: {pii: true}` or `contains_pii`)."""
    if not manifest:
        return []
    out = []
    for node in [*manifest.get("nodes", {}).values(), *manifest.get("sources", {}).values()]:
        if node.get("resource_type") not in ("model", "seed", "snapshot", "source"):
            continue
        for col in (node.get("columns") or {}).values():
            meta = col.get("meta") or {}
            if meta.get("pii") is True or meta.get("contains_pii") is True:
                out.append(f"{relation_of(node)}.{col['name']}")
    return sorted(out)


RUN_ID_TOKEN = "__dango_profile_run_id__"
STATEMENTS_CACHE = "target/dango_profile/statements.json"
MARKER = "-- dango profile statement --"
DDL_END = "-- dango profile ddl end --"


def _masked_by_table(project: DangoProject, rows: Any, manifest: dict[str, Any] | None) -> set[tuple[str, str]]:
    """(table, column) pairs whose values must stay in the warehouse: PII findings (and the same-named columns
    downstream), `pii` overrides, `meta: {pii: true}`."""
    from airflow_provider_dango.catalog.warehouse_reads import PiiColumns

    parts = []  # one query for both tables: this runs on every profile step
    if rows.has("dango_pii_findings"):
        parts.append(f"SELECT 'finding' AS source, table_name, column_name, status FROM {PiiColumns.LATEST}")
    if rows.has("dango_pii_overrides"):
        parts.append(
            "SELECT 'override', table_name, column_name, status FROM {dango}.dango_pii_overrides WHERE status = 'pii'"
        )
    found = rows(" UNION ALL ".join(parts)) if parts else []
    pii = PiiColumns([r for r in found if r["source"] == "finding"])
    out = pii.propagated(manifest) if manifest else pii.columns()
    out |= {tuple(c.rsplit(".", 1)) for c in masked_columns(manifest)}  # type: ignore[misc]
    out |= {(r["table_name"], r["column_name"]) for r in found if r["source"] == "override"}
    return out


def _list_tables(con: Any, scope: list[str] | None) -> tuple[dict[str, list[list[str]]], set[str]]:
    """`schema.table` -> [[column, data_type], ...] of the tables to profile (dlt's `_dlt_*` columns left out), and
    the names of dango's own tables, in one catalog query on a DuckDB connection."""
    from airflow_provider_dango.warehouse import META_SCHEMA

    found: dict[str, list[list[str]]] = {}
    dango_tables: set[str] = set()
    # DuckDB's own catalog functions: the information_schema views over them cost ~10x more per call, and this runs
    # on every profile step (the step is meant to cost little more than the profiling scans themselves).
    listed = con.execute(
        "SELECT c.schema_name, c.table_name, c.column_name, c.data_type, "
        "CASE WHEN t.table_name IS NULL THEN 'VIEW' WHEN t.temporary THEN 'LOCAL TEMPORARY' ELSE 'BASE TABLE' END, "
        "c.column_index "
        "FROM duckdb_columns() c LEFT JOIN duckdb_tables() t ON t.database_name = c.database_name "
        "AND t.schema_name = c.schema_name AND t.table_name = c.table_name "
        "WHERE c.database_name = current_database() AND c.schema_name NOT IN (?, 'information_schema', 'pg_catalog') "
        "UNION ALL SELECT schema_name, table_name, NULL, NULL, 'DANGO', 0 FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = ? "
        "ORDER BY 1, 2, 6",
        [META_SCHEMA, META_SCHEMA],
    ).fetchall()
    for schema, table, column, data_type, kind, _ in listed:
        label = f"{schema}.{table}"
        if kind == "DANGO":
            dango_tables.add(table)
            continue
        if scope is not None:
            if label not in scope:
                continue
        elif table.startswith("_dlt_") or kind != "BASE TABLE":
            continue
        if not column.startswith("_dlt_"):
            found.setdefault(label, []).append([column, data_type])
    return found, dango_tables


def plan_key(
    project: DangoProject, tables: dict[str, list[list[str]]], masked: set[tuple[str, str]]
) -> tuple[str, list[Any]] | None:
    """(cache key, plan): what the compiled statements depend on (the macros, dbt_project.yml, tables and masks).
    None when the package is not installed where dbt puts it."""
    import hashlib

    package = project.dbt_project_dir / "dbt_packages" / "dango_monitors"
    if not (package / "macros").is_dir():
        return None
    plan = [[label, cols, sorted(c for t, c in masked if t == label)] for label, cols in sorted(tables.items())]
    digest = hashlib.sha256(json.dumps(plan).encode())
    for path in [*sorted((package / "macros").rglob("*.sql")), project.dbt_project_dir / "dbt_project.yml"]:
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest(), plan


@dataclass
class Compiled:
    """The compiled SQL of a profile run: `ddl` creates dango's profile table (skipped when it exists), `statements`
    profile the tables (a few batched INSERTs, whatever the number of tables)."""

    ddl: list[str]
    statements: list[str]


def cached_statements(project: DangoProject, key: str) -> Compiled | None:
    try:
        cached = json.loads((project.dbt_project_dir / STATEMENTS_CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(cached, dict) or cached.get("key") != key or "ddl" not in cached:
        return None
    return Compiled(list(cached["ddl"]), list(cached["statements"]))


def compile_statements(
    project: DangoProject, tables: dict[str, list[list[str]]], masked: set[tuple[str, str]]
) -> Compiled | None:
    """The SQL `profile_run` would run for these tables, compiled by dbt once per version of the macros and of the
    tables' columns, then cached: on DuckDB the step then runs without paying dbt's start-up. The run id is
    RUN_ID_TOKEN. None when it cannot be compiled (the step then runs the macro through dbt)."""
    import contextlib
    import io

    key_plan = plan_key(project, tables, masked)
    if key_plan is None:
        return None
    key, plan = key_plan
    cached = cached_statements(project, key)
    if cached is not None:
        return cached
    inline = (
        f"{{% set plan = fromjson({json.dumps(json.dumps(plan))}) %}}"
        f"{{% for s in dango_monitors.profile_ddl() %}}{{{{ s }}}}\n{MARKER}\n{{% endfor %}}{DDL_END}\n"
        "{% set specs = [] %}{% for label, cols, hidden in plan %}{% set parts = label.split('.', 1) %}"
        "{% do specs.append([parts[0], parts[1], cols, hidden]) %}{% endfor %}"
        f"{{% for s in dango_monitors.profile_tables_statements('{RUN_ID_TOKEN}', specs) %}}"
        f"{{{{ s }}}}\n{MARKER}\n{{% endfor %}}"
    )
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = for_project(project).run_dbt(
                ["compile", "--quiet", "--inline", inline, "--target-path", "target/dango_profile"]
            )
        code = result.result.results[0].node.compiled_code
    except (DbtCommandError, AttributeError, IndexError) as exc:
        log.info("dango profile: compiling the statements failed (%s); running the macro through dbt", exc)
        return None
    ddl_code, _, code = code.partition(DDL_END)
    compiled = Compiled(
        [part.strip() for part in ddl_code.split(MARKER) if part.strip()],
        [part.strip() for part in code.split(MARKER) if part.strip()],
    )
    cache = project.dbt_project_dir / STATEMENTS_CACHE
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f"{cache.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps({"key": key, "ddl": compiled.ddl, "statements": compiled.statements}), encoding="utf-8")
    tmp.replace(cache)  # atomic: parallel tasks never read half a file
    return compiled


COUNT_SQL = f"SELECT table_name, count(*) AS n FROM {{dango}}.{PROFILES_TABLE} WHERE run_id = ? GROUP BY 1"


def _run_compiled(
    project: DangoProject, scope: list[str] | None, run_id: str, manifest: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    """DuckDB: masks, columns, the cached statements and the counts on one connection; a cache miss (new columns or
    macros) closes it while dbt compiles, then reopens. None when the statements cannot be compiled."""
    from airflow_provider_dango.catalog.warehouse_reads import rows_over

    warehouse = for_project(project)
    literal = "'" + run_id.replace("'", "''") + "'"
    for attempt in range(2):
        with warehouse.connect() as con:
            tables, dango_tables = _list_tables(con, scope)
            rows = rows_over(con, dango_tables)
            masked = _masked_by_table(project, rows, manifest)
            key_plan = plan_key(project, tables, masked)
            if key_plan is None:
                return None
            compiled = cached_statements(project, key_plan[0]) if tables else Compiled([], [])
            if compiled is not None:
                if not tables:
                    return []
                statements = compiled.statements if rows.has(PROFILES_TABLE) else compiled.ddl + compiled.statements
                con.execute("BEGIN TRANSACTION")
                try:
                    for statement in statements:
                        con.execute(statement.replace(f"'{RUN_ID_TOKEN}'", literal))
                except Exception:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                # Committed: one row per planned column of each table, so the counts need no query.
                return [{"table_name": label, "n": len(cols)} for label, cols in tables.items()]
        if attempt == 0 and compile_statements(project, tables, masked) is None:
            return None
    return None


class ProfileError(RuntimeError):
    """The profile step cannot run as asked (no manifest for a source scope, the dbt macro failed)."""


def relations_in_scope(project: DangoProject, scope: Scope, manifest: dict[str, Any] | None) -> list[str] | None:
    """The relations `scope` names (`schema.table`), or None for every user table."""
    if scope.tables is None and scope.sources is None:
        return None
    relations = set(scope.tables or [])
    if scope.sources is not None:
        if manifest is None:
            raise ProfileError(f"no dbt manifest at {project.manifest_path}: run `dango dbt manifest` first")
        models = bool(scope.options.get("models", True))
        relations |= set(scope_relations(manifest, sources=list(scope.sources), downstream=models))
    return sorted(relations)


def profile(
    project: DangoProject,
    relations: list[str] | None = None,
    run_id: str | None = None,
    quiet: bool = True,
    manifest: dict[str, Any] | None = None,
) -> ProfileResult:
    """Profile `relations` (`schema.table`; None = every user table) under `run_id`: one scan per table.

    DuckDB: the macro's compiled statements (cached) run in one transaction without starting dbt. Elsewhere:
    `dbt run-operation dango_monitors.profile_run` through the warehouse layer."""
    from airflow_provider_dango.catalog.warehouse_reads import open_rows

    run_id = run_id or new_run_id("profile")
    if relations is not None and not relations:
        return ProfileResult(run_id)
    warehouse = for_project(project)
    if manifest is None and project.manifest_path.exists():
        manifest = load_manifest_cached(project)
    started = time.monotonic()
    found = None
    if warehouse.is_duckdb and warehouse.exists():
        found = _run_compiled(project, relations, run_id, manifest)
    if found is None:
        with open_rows(project) as rows:
            masked = _masked_by_table(project, rows, manifest)
        args: dict[str, Any] = {"run_id": run_id, "masked": sorted(f"{t}.{c}" for t, c in masked)}
        if relations is not None:
            args["relations"] = relations
        try:
            warehouse.run_operation(PROFILE_MACRO, args, quiet=quiet)
        except DbtCommandError as exc:
            raise ProfileError(f"column profiles failed: {exc}") from exc
        with open_rows(project) as rows:
            found = rows(COUNT_SQL, [run_id], needs=(PROFILES_TABLE,))
    result = ProfileResult(run_id, seconds=time.monotonic() - started)
    result.relations = sorted(r["table_name"] for r in found)
    result.columns = sum(int(r["n"]) for r in found)
    return result


def run_step(
    project: DangoProject, scope: Scope, run_id: str | None = None, schedule: str | None = None
) -> ProfileResult:
    """Profile what `scope` names under `run_id` (Airflow's run id in a DAG, so profiles join the run's other
    results); the pillar step the operator and `dango profile` both call."""
    from airflow_provider_dango.warehouse import require_warehouse

    require_warehouse(project, "column profiles")
    manifest = load_manifest_cached(project) if project.manifest_path.exists() else None
    relations = relations_in_scope(project, scope, manifest)
    result = profile(project, relations, run_id=run_id or new_run_id("profile"), manifest=manifest)
    result.schedule = schedule
    log.info("dango profile%s: %s", f" ({schedule})" if schedule else "", result.summary())
    return finish(project, result, scope)


__all__ = ["ProfileError", "ProfileResult", "profile", "relation_of", "run_step", "scope_relations"]
