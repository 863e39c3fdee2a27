"""Schema drift, core (no Airflow import): run the dango_monitors drift macros and read their verdict.

The rules (type families, widening, synonyms, what is breaking) live in ONE place, the SQL macros of the dbt package
(`dbt_packages/dango_monitors/macros/drift/`), so `dbt test` with `dango_monitors.no_breaking_schema_drift`, the
`dango drift` CLI and the DAG's drift task give the same answer. This module only chooses the scope, runs the macro
through dbt (`drift_check` / `drift_accept`) and reads the rows it wrote to `dango.dango_schema_changes`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.config import DangoProject
from airflow_provider_dango.dbt import DbtCommandError, descendants, load_manifest, run_dbt
from airflow_provider_dango.steps import AuditRow, Scope, finish, new_run_id
from airflow_provider_dango.warehouse import META_SCHEMA, for_project, qualified, quote_ident

log = logging.getLogger(__name__)

CHANGES_TABLE = "dango_schema_changes"
BASELINES_TABLE = "dango_schema_baselines"
CHANGE_KINDS = (
    "column_added",
    "column_removed",
    "type_changed",
    "table_added",
    "table_removed",
    "nullability_changed",
)
# dbt's target folder for drift runs: keeps the project's own target/manifest.json and run_results.json untouched,
# and keeps dbt's partial-parse cache between runs.
DBT_TARGET_PATH = "target/dango_drift"


class DriftError(RuntimeError):
    """The drift macros could not run (no dango_monitors package, dbt error, unknown source)."""


@dataclass(frozen=True)
class Change:
    schema: str
    table_name: str
    column: str | None
    change: str
    severity: str  # breaking | additive
    old_type: str | None
    new_type: str | None
    rename_of: str | None
    note: str = ""

    @property
    def table(self) -> str:
        """`schema.table`, as in the JSON output."""
        return f"{self.schema}.{self.table_name}"

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "change": self.change,
            "severity": self.severity,
            "old_type": self.old_type,
            "new_type": self.new_type,
            "rename_of": self.rename_of,
        }


@dataclass
class DriftReport:
    run_id: str
    baselined: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    blocked_sources: list[str] = field(default_factory=list)
    source_of_schema: dict[str, str] = field(default_factory=dict)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.severity == "breaking"]

    @property
    def has_breaking(self) -> bool:
        return bool(self.breaking)

    def as_json(self) -> dict[str, Any]:
        """Exactly the documented `dango drift check --json` document."""
        return {
            "baselined": list(self.baselined),
            "changes": [c.as_json() for c in self.changes],
            "blocked_sources": list(self.blocked_sources),
        }


# --- sources <-> schemas ---------------------------------------------------------------------------------------------


def _manifest_or_none(project: DangoProject) -> dict[str, Any] | None:
    if not project.manifest_path.exists():
        return None
    try:
        return load_manifest(project)
    except (OSError, ValueError):
        return None


def schema_sources(project: DangoProject, manifest: dict[str, Any] | None = None) -> dict[str, str]:
    """Schema -> source name: dango sources (`raw_<name>`) first, then dbt sources declared with a schema."""
    mapping: dict[str, str] = {}
    for name, source in project.sources.items():
        mapping[source.schema_name] = name
    for node in (manifest or {}).get("sources", {}).values():
        schema = node.get("schema")
        if schema and schema not in mapping:
            mapping[schema] = node.get("source_name") or schema
    return mapping


def source_of(schema: str, mapping: dict[str, str]) -> str:
    """The source a schema belongs to: mapped, `raw_<name>` -> name, else the schema itself."""
    if schema in mapping:
        return mapping[schema]
    if schema.startswith("raw_") and len(schema) > 4:
        return schema[4:]
    return schema


def schemas_of_source(project: DangoProject, source: str, manifest: dict[str, Any] | None = None) -> list[str]:
    """Schemas making up `source` (declared, in the warehouse, or baselined); DriftError naming the known ones."""
    mapping = schema_sources(project, manifest if manifest is not None else _manifest_or_none(project))
    candidates = set(mapping) | set(_known_schemas(project))
    schemas = sorted(s for s in candidates if source_of(s, mapping) == source)
    if schemas:
        return schemas
    known = sorted({source_of(s, mapping) for s in candidates})
    raise DriftError(f"unknown source {source!r}; known: {', '.join(known) or 'none'}")


def _known_schemas(project: DangoProject) -> list[str]:
    """User schemas in the warehouse plus schemas that still have a baseline (a dropped schema is still known)."""
    warehouse = for_project(project)
    if not warehouse.exists():
        return []
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema NOT IN ('information_schema', ?) "
            "AND table_schema NOT LIKE 'pg\\_%' ESCAPE '\\'",
            [META_SCHEMA],
        ).fetchall()
        if warehouse.table_exists(META_SCHEMA, BASELINES_TABLE, con):
            rows += con.execute(f"SELECT DISTINCT table_schema FROM {qualified(BASELINES_TABLE)}").fetchall()
    return sorted({r[0] for r in rows})


# --- running the macros ----------------------------------------------------------------------------------------------


def _run_macro(project: DangoProject, macro: str, args: dict[str, Any]) -> None:
    try:
        for_project(project).run_operation(f"dango_monitors.{macro}", args, target_path=DBT_TARGET_PATH)
    except DbtCommandError as exc:
        hint = ""
        if "dango_monitors" in str(exc) and "not found" in str(exc).lower():
            hint = " (add the dango_monitors package to the dbt project's packages.yml and run `dbt deps`)"
        raise DriftError(f"schema drift check failed: {exc}{hint}") from exc


RUN_ID_TOKEN = "__dango_drift_run_id__"
STATEMENTS_CACHE = "drift_check_statements.json"


def _statements_key(project: DangoProject, scope: dict[str, Any]) -> str | None:
    """What the compiled statements depend on: the installed package's macros, the project's dbt_project.yml (vars),
    the scope. None when the package is not installed where dbt puts it (then dbt runs the macro itself)."""
    package = project.dbt_project_dir / "dbt_packages" / "dango_monitors"
    if not (package / "macros").is_dir():
        return None
    digest = hashlib.sha256(json.dumps(scope, sort_keys=True).encode())
    for path in [*sorted((package / "macros").rglob("*.sql")), project.dbt_project_dir / "dbt_project.yml"]:
        digest.update(str(path.relative_to(project.dbt_project_dir)).encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def check_statements(project: DangoProject, scope: dict[str, Any]) -> list[str] | None:
    """The SQL statements of `dango_monitors.drift_check` for `scope`, compiled by dbt once and cached per version of
    the macros, so a DuckDB check runs in well under a second instead of paying dbt's startup every time.
    The run id is the placeholder RUN_ID_TOKEN. None when they cannot be compiled (dbt then runs the macro)."""
    import contextlib
    import io

    key = _statements_key(project, scope)
    if key is None:
        return None
    cache_path = project.dbt_project_dir / DBT_TARGET_PATH / STATEMENTS_CACHE
    try:
        cached = json.loads(cache_path.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return list(cached["statements"])
    except (OSError, ValueError, AttributeError):
        pass
    marker = "-- dango drift statement --"
    args = {**scope, "run_id": RUN_ID_TOKEN}
    inline = (
        f"{{% for s in dango_monitors.drift_check_statements(**{json.dumps(args)}) %}}"
        f"{{{{ s }}}}\n{marker}\n{{% endfor %}}"
    )
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # `dbt compile --inline` echoes the SQL
            result = run_dbt(project, ["compile", "--quiet", "--inline", inline, "--target-path", DBT_TARGET_PATH])
        code = result.result.results[0].node.compiled_code
    except (DbtCommandError, AttributeError, IndexError) as exc:
        log.info("dango: compiling the drift statements failed (%s); running the macro through dbt", exc)
        return None
    statements = [part.strip() for part in code.split(marker) if part.strip()]
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_path.with_name(f"{cache_path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps({"key": key, "statements": statements}), encoding="utf-8")
    tmp.replace(cache_path)  # atomic: parallel tasks never read half a file
    return statements


def _run_check(project: DangoProject, scope: dict[str, Any], run_id: str, mapping: dict[str, str]) -> DriftReport:
    """DuckDB: the macro's compiled statements in one transaction, without starting dbt, and the verdict read on the
    same connection. Else: the macro via dbt run-operation, then the verdict."""
    warehouse = for_project(project)
    statements = check_statements(project, scope) if warehouse.is_duckdb else None
    if statements is None:
        _run_macro(project, "drift_check", {**scope, "run_id": run_id})
        return read_report(project, run_id, mapping)
    literal = "'" + run_id.replace("'", "''") + "'"
    token = f"'{RUN_ID_TOKEN}'"
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                con.execute(statement.replace(token, literal))
        except Exception:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        return _report_from(con, run_id, mapping)


def check(
    project: DangoProject,
    sources: list[str] | None = None,
    run_id: str | None = None,
) -> DriftReport:
    """Check the schemas of `sources` (default: every user schema) against their accepted baselines.

    First sight of a schema stores its baseline silently; tables with only additive changes advance their baseline;
    tables with a breaking change keep it, so they are reported (and their source blocked) until accepted.
    """
    manifest = _manifest_or_none(project)
    run_id = run_id or new_run_id()
    scope: dict[str, Any] = {}
    if sources is not None:
        scope["schemas"] = sorted({s for name in sources for s in schemas_of_source(project, name, manifest)})
    return _run_check(project, scope, run_id, schema_sources(project, manifest))


def accept(
    project: DangoProject,
    sources: list[str] | None = None,
    accept_all: bool = False,
    tables: list[str] | None = None,
    accepted_by: str | None = None,
) -> list[str]:
    """Make the current columns the baseline of `sources`, of `tables` (`schema.table`, e.g. from the catalog's
    Governance page) or of everything; returns the tables whose baseline changed (`schema.table`).
    `accepted_by` is recorded with the new baseline (default: `dango drift accept`)."""
    manifest = _manifest_or_none(project)
    run_id = new_run_id("accept")
    args: dict[str, Any] = {"run_id": run_id}
    if accepted_by:
        args["accepted_by"] = accepted_by
    if accept_all:
        args["all"] = True
    elif tables:
        relations = [list(t.rpartition(".")[::2]) for t in tables]
        bad = [t for t, (schema, name) in zip(tables, relations, strict=True) if not schema or not name]
        if bad:
            raise DriftError(f"a table to accept must be schema.table, got {bad[0]!r}")
        args["relations"] = relations
    else:
        if not sources:
            raise DriftError("name a source to accept, or use --all")
        args["schemas"] = sorted({s for name in sources for s in schemas_of_source(project, name, manifest)})
    _run_macro(project, "drift_accept", args)
    rows = for_project(project).rows(
        f"SELECT DISTINCT table_schema, table_name FROM {qualified(CHANGES_TABLE)} WHERE run_id = ? ORDER BY 1, 2",
        [run_id],
    )
    return [f"{s}.{t}" for s, t in rows]


def read_report(project: DangoProject, run_id: str, mapping: dict[str, str] | None = None) -> DriftReport:
    """The verdict the macro wrote for `run_id`."""
    mapping = mapping if mapping is not None else schema_sources(project, _manifest_or_none(project))
    with for_project(project).connect(read_only=True) as con:
        return _report_from(con, run_id, mapping)


def _report_from(con: Any, run_id: str, mapping: dict[str, str]) -> DriftReport:
    rows = con.execute(
        "SELECT table_schema, table_name, column_name, change, severity, old_type, new_type, rename_of, note "
        f"FROM {qualified(CHANGES_TABLE)} WHERE run_id = ? "
        "ORDER BY table_schema, table_name, column_name NULLS FIRST, change",
        [run_id],
    ).fetchall()
    report = DriftReport(run_id=run_id, source_of_schema={})
    for schema, table, column, change, severity, old, new, rename_of, note in rows:
        report.source_of_schema[schema] = source_of(schema, mapping)
        name = f"{schema}.{table}"
        if change == "baselined":
            report.baselined.append(name)
        elif change in CHANGE_KINDS:
            report.changes.append(Change(schema, table, column, change, severity, old, new, rename_of, note or ""))
    report.blocked_sources = sorted({report.source_of_schema[c.schema] for c in report.breaking})
    return report


# --- dbt models behind a source --------------------------------------------------------------------------------------


def model_sources(manifest: dict[str, Any], mapping: dict[str, str]) -> dict[str, set[str]]:
    """Model name -> every source (dango name) it reads from, directly or through other models."""
    parents: dict[str, list[str]] = manifest.get("parent_map", {})
    src_nodes = manifest.get("sources", {})
    memo: dict[str, set[str]] = {}

    def upstream(uid: str, seen: frozenset[str]) -> set[str]:
        if uid in memo:
            return memo[uid]
        found: set[str] = set()
        for parent in parents.get(uid, []):
            if parent in src_nodes:
                node = src_nodes[parent]
                found.add(mapping.get(node.get("schema", ""), node.get("source_name", "")))
            elif parent.startswith(("model.", "snapshot.", "seed.")) and parent not in seen:
                found |= upstream(parent, seen | {parent})
        memo[uid] = found
        return found

    return {
        node["name"]: upstream(uid, frozenset({uid}))
        for uid, node in manifest.get("nodes", {}).items()
        if uid.startswith("model.")
    }


def models_behind(manifest: dict[str, Any], mapping: dict[str, str], sources: list[str]) -> list[str]:
    """Names of the models downstream of any of `sources` (dango names): what a block on them skips."""
    wanted = set(sources)
    start = [
        uid
        for uid, node in manifest.get("sources", {}).items()
        if mapping.get(node.get("schema", ""), node.get("source_name", "")) in wanted
    ]
    nodes = manifest.get("nodes", {})
    return sorted({nodes[uid]["name"] for uid in descendants(manifest, start) if uid.startswith("model.")})


def load_manifest_models(project: DangoProject, sources: list[str]) -> list[str]:
    """Models downstream of `sources` according to the project's dbt manifest (empty without a manifest)."""
    manifest = _manifest_or_none(project)
    if not manifest or not sources:
        return []
    return models_behind(manifest, schema_sources(project, manifest), sources)


_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def display_name(change: Change) -> str:
    """`schema.table.column` for people, with odd names quoted."""
    parts = [change.schema, change.table_name] + ([change.column] if change.column else [])
    return ".".join(p if _IDENT_RE.match(p) else quote_ident(p) for p in parts)


# --- the pillar step ----------------------------------------------------------------------------------------------


@dataclass
class DriftResult:
    """One drift step: the verdict, the sources it covered and the dbt models a block skips."""

    report: DriftReport
    sources: list[str]
    skipped_models: list[str] = field(default_factory=list)
    schedule: str | None = None
    schema_of_source: dict[str, str] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.report.run_id

    def as_dict(self) -> dict[str, Any]:
        """XCom: what the dbt gate reads (blocked_sources, changes) plus run_id, skipped_models, baselined."""
        return {
            "run_id": self.report.run_id,
            "blocked_sources": self.report.blocked_sources,
            "skipped_models": self.skipped_models,
            "baselined": self.report.baselined,
            "changes": [c.as_json() for c in self.report.changes],
        }

    def summary(self) -> str:
        r = self.report
        breaking = len(r.breaking)
        text = f"schema drift run {r.run_id}: {breaking} breaking, {len(r.changes) - breaking} additive change(s)"
        if r.baselined:
            text += f", {len(r.baselined)} table(s) baselined"
        if r.blocked_sources:
            text += f"; blocked: {', '.join(r.blocked_sources)} ({len(self.skipped_models)} dbt model(s) skipped)"
        return text

    def events(self) -> list[Event]:
        event = drift_event(self.report, self.schedule, self.sources, self.skipped_models)
        return [event] if event is not None else []

    def audit_rows(self) -> list[AuditRow]:
        """One row per checked source: fail (error) when blocked, warn on additive changes, else pass."""
        rows = []
        for source in self.sources:
            changes = [c.as_json() for c in self.report.changes if self.report.source_of_schema.get(c.schema) == source]
            blocked = source in self.report.blocked_sources
            status, severity = ("fail", "error") if blocked else (("warn", "warn") if changes else ("pass", "info"))
            details = {"changes": changes, "skipped_models": self.skipped_models if blocked else []}
            target = self.schema_of_source.get(source, f"raw_{source}")
            rows.append(AuditRow(self.report.run_id, "drift", target, status, severity, details))
        return rows


def drift_event(
    report: DriftReport, schedule: str | None, sources: list[str], skipped_models: list[str]
) -> Event | None:
    """The governance event for a check, or None when nothing changed (first sight is silent)."""
    if not report.changes:
        return None
    breaking = report.breaking
    lines = [
        f"{c.severity}: {c.table}"
        + (f".{c.column}" if c.column else "")
        + f" {c.change}"
        + (f" ({c.old_type} -> {c.new_type})" if c.old_type or c.new_type else "")
        + (f", possible rename of {c.rename_of}" if c.rename_of else "")
        for c in report.changes
    ]
    error = None
    if breaking:
        accept_cmd = " ".join(f"`dango drift accept {s}`" for s in report.blocked_sources)
        error = (
            f"breaking schema drift in {', '.join(report.blocked_sources)}: dbt skipped "
            f"{len(skipped_models)} downstream model(s); accept with {accept_cmd}"
        )
    changes = json.dumps([c.as_json() for c in report.changes], sort_keys=True, default=str)
    return Event(
        type="schema_drift_detected",
        # The same unaccepted change seen again is a duplicate; different changes to the same sources are not.
        key=f"drift:{','.join(sorted(sources))}:" + hashlib.sha256(changes.encode()).hexdigest()[:16],
        severity="error" if breaking else "info",
        schedule=schedule,
        sources=list(sources),
        run_id=report.run_id,
        error=error,
        summary=f"{len(breaking)} breaking, {len(report.changes) - len(breaking)} additive schema change(s)",
        details={
            "details": "\n".join(lines),
            "blocked_sources": report.blocked_sources,
            "skipped_models": skipped_models,
            "changes": [c.as_json() for c in report.changes],
        },
    )


def run_step(
    project: DangoProject, scope: Scope, run_id: str | None = None, schedule: str | None = None
) -> DriftResult:
    """Check `scope.sources` (default: every schema), name the dbt models a block skips, write the audit rows and
    (scope.alerts) send the governance event. The run id is used as given: results and audit rows join on it."""
    from airflow_provider_dango.warehouse import require_warehouse

    require_warehouse(project, "schema drift check")
    run_id = run_id or new_run_id("cli")
    report = check(project, sources=scope.sources, run_id=run_id)
    if scope.sources is not None:
        sources = list(scope.sources)
    else:
        sources = sorted(set(project.sources) | set(report.source_of_schema.values()))
    skipped = load_manifest_models(project, report.blocked_sources)
    schema_of = {name: src.schema_name for name, src in project.sources.items()}
    result = DriftResult(report, sources, skipped, schedule, schema_of)
    return finish(project, result, scope)


def describe_block(result: dict[str, Any], sources: set[str]) -> str | None:
    """Why a dbt task reading `sources` must not run, or None when none of them is blocked."""
    blocked = sorted(set(result.get("blocked_sources") or []) & sources)
    if not blocked:
        return None
    breaking = [
        f"{c['table']}"
        + (f".{c['column']}" if c.get("column") else "")
        + f" {c['change']}"
        + (f" ({c['old_type']} -> {c['new_type']})" if c.get("old_type") or c.get("new_type") else "")
        for c in result.get("changes") or []
        if c.get("severity") == "breaking"
    ]
    accept_cmds = ", ".join(f"`dango drift accept {s}`" for s in blocked)
    return (
        f"skipped: breaking schema drift in source {', '.join(blocked)}"
        + (f" ({'; '.join(breaking[:5])}{'; ...' if len(breaking) > 5 else ''})" if breaking else "")
        + f"; review the change, then run {accept_cmds} and the next run builds again"
    )
