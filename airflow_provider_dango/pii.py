"""PII scanning, the Python side (no Airflow import): run the dbt package's scan inside the warehouse, read results.

Detection and the column verdict live in SQL (`dango_monitors/macros/pii/`): values never leave the warehouse, and the
rows read back here carry masked examples only. This module loads `.dango/pii-overrides.yml` into the warehouse (so the
SQL verdict and the dbt test see the same decisions), runs `dango_monitors.pii_scan` for one run id, reads
`dango.dango_pii_findings` / `dango.dango_pii_skips` back and builds governance events for new findings.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.config import DangoProject, Problem
from airflow_provider_dango.config.pii_overrides import PiiOverride, load_pii_overrides
from airflow_provider_dango.steps import AuditRow, Scope, finish, new_run_id
from airflow_provider_dango.warehouse import META_SCHEMA, for_project, qualified

log = logging.getLogger(__name__)

FINDINGS_TABLE = "dango_pii_findings"
SKIPS_TABLE = "dango_pii_skips"
OVERRIDES_TABLE = "dango_pii_overrides"
SCAN_MACRO = "dango_monitors.pii_scan"


@dataclass(frozen=True)
class PiiFinding:
    table: str
    column: str
    entity: str
    prevalence: float
    confidence: float
    sample_size: int
    example: str
    new: bool
    match_mode: str = "full"
    status: str = "detected"

    def as_json(self) -> dict[str, Any]:
        """The `dango pii scan --json` shape, exactly."""
        return {
            "table": self.table,
            "column": self.column,
            "entity": self.entity,
            "prevalence": self.prevalence,
            "confidence": self.confidence,
            "sample_size": self.sample_size,
            "example": self.example,
            "new": self.new,
        }


@dataclass(frozen=True)
class PiiSkip:
    table: str
    column: str | None
    reason: str


@dataclass
class PiiScanResult:
    """One scan (the pillar Result): findings with masked examples only, never raw values."""

    run_id: str
    full: bool
    findings: list[PiiFinding] = field(default_factory=list)
    skips: list[PiiSkip] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    schemas: list[str] = field(default_factory=list)  # the scope scanned ([] = every user schema)
    schedule: str | None = None
    project_name: str | None = None

    @property
    def new_findings(self) -> list[PiiFinding]:
        """New (table, column, entity) findings nobody has acknowledged: the only ones that raise an event."""
        return [f for f in self.findings if f.new and f.status == "detected"]

    def as_dict(self) -> dict[str, Any]:
        """Small, PII-free summary (counts and masked examples) for XCom."""
        return {
            "run_id": self.run_id,
            "schemas": list(self.schemas),
            "findings": len(self.findings),
            "new": [asdict(f) for f in self.new_findings],
            "skipped": len(self.skips),
            "seconds": round(self.seconds, 2),
        }

    def summary(self) -> str:
        return (
            f"PII scan run {self.run_id} ({'full' if self.full else 'sample'}): {len(self.findings)} finding(s), "
            f"{len(self.new_findings)} new, {len(self.skips)} skipped, {self.seconds:.1f} s"
        )

    def events(self) -> list[Event]:
        event = governance_event(self, self.schedule, self.project_name)
        return [event] if event is not None else []

    def audit_rows(self) -> list[AuditRow]:
        """One row per finding (masked example only); a new, unacknowledged finding is a flag. No finding: one pass
        row for the scope."""
        if not self.findings:
            target = ",".join(self.schemas) or "*"
            return [AuditRow(self.run_id, "pii", target, "pass", "info", {"findings": 0})]
        rows = []
        for f in self.findings:
            status = "flag" if f.new and f.status == "detected" else "pass"
            severity = "warn" if status == "flag" else "info"
            rows.append(
                AuditRow(self.run_id, f"pii:{f.entity}", f"{f.table}.{f.column}", status, severity, f.as_json())
            )
        return rows


def write_overrides(project: DangoProject, overrides: list[PiiOverride]) -> None:
    """Mirror `.dango/pii-overrides.yml` into `dango.dango_pii_overrides` (replaced on every scan)."""
    warehouse = for_project(project)
    table = qualified(OVERRIDES_TABLE)
    with warehouse.connect() as con:
        warehouse.ensure_table(OVERRIDES_TABLE, con)
        con.execute(f"DELETE FROM {table}")
        if overrides:
            con.executemany(
                f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?)",
                [
                    [o.table_name, o.column, o.status, o.set_by, o.reason, str(o.updated_at or "") or None]
                    for o in overrides
                ],
            )


def scan(
    project: DangoProject,
    *,
    schemas: list[str] | None = None,
    tables: list[str] | None = None,
    full: bool = False,
    run_id: str | None = None,
    sample_rows: int | None = None,
    quiet: bool = False,
) -> PiiScanResult:
    """Scan the warehouse (default scope: every user table) and return this run's findings."""
    run_id = run_id or new_run_id("pii")
    overrides, problems = load_pii_overrides(project.dango_dir, project.root)
    for problem in problems:
        log.warning("dango pii: %s", problem)
    started = time.monotonic()
    write_overrides(project, overrides)
    args: dict[str, Any] = {"run_id": run_id, "full": full}
    if schemas:
        args["schemas"] = schemas
    if tables:
        args["tables"] = tables
    if sample_rows:
        args["sample_rows"] = sample_rows
    for_project(project).run_operation(SCAN_MACRO, args, quiet=quiet)
    result = read_run(project, run_id, full=full)
    result.problems = problems
    result.seconds = time.monotonic() - started
    log.info(
        "dango pii: run %s: %d findings (%d new), %d skipped columns/tables, %.1f s",
        run_id,
        len(result.findings),
        len(result.new_findings),
        len(result.skips),
        result.seconds,
    )
    return result


def read_run(project: DangoProject, run_id: str, full: bool = False) -> PiiScanResult:
    """Findings and skips a scan wrote for `run_id`."""
    findings_t = qualified(FINDINGS_TABLE)
    skips_t = qualified(SKIPS_TABLE)
    result = PiiScanResult(run_id=run_id, full=full)
    with for_project(project).connect(read_only=True) as con:
        names = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [META_SCHEMA]
            ).fetchall()
        }
        if FINDINGS_TABLE in names:
            rows = con.execute(
                f"SELECT table_name, column_name, entity, prevalence, confidence, sample_size, example, is_new, "
                f"match_mode, status FROM {findings_t} WHERE run_id = ? ORDER BY table_name, column_name, entity",
                [run_id],
            ).fetchall()
            result.findings = [
                PiiFinding(t, c, e, round(float(p), 4), round(float(cf), 2), int(n), ex or "", bool(new), m, s)
                for t, c, e, p, cf, n, ex, new, m, s in rows
            ]
        if SKIPS_TABLE in names:
            rows = con.execute(
                f"SELECT DISTINCT table_name, column_name, reason FROM {skips_t} WHERE run_id = ? ORDER BY 1, 2",
                [run_id],
            ).fetchall()
            result.skips = [PiiSkip(t, c, r) for t, c, r in rows]
    return result


def governance_event(
    result: PiiScanResult, schedule: str | None = None, project_name: str | None = None
) -> Event | None:
    """Dango's `pii_detected` event for the new findings of a run (masked examples only), or None."""
    new = result.new_findings
    if not new:
        return None
    pairs = ",".join(sorted(f"{f.table}.{f.column}:{f.entity}:{f.match_mode}" for f in new))
    return Event(
        type="pii_detected",
        # New findings are the subject: a later run with other new findings is a new alert, not a duplicate.
        key="pii:" + hashlib.sha256(pairs.encode()).hexdigest()[:16],
        schedule=schedule,
        run_id=result.run_id,
        summary=f"PII found in {len(new)} new column/entity pair(s)",
        details={
            "project": project_name,
            "findings": [
                {
                    "table": f.table,
                    "column": f.column,
                    "entity": f.entity,
                    "match_mode": f.match_mode,
                    "prevalence": f.prevalence,
                    "confidence": f.confidence,
                    "example": f.example,
                }
                for f in new
            ],
        },
    )


def run_step(
    project: DangoProject, scope: Scope, run_id: str | None = None, schedule: str | None = None
) -> PiiScanResult:
    """Scan `scope.schemas` / `scope.tables` (default: every user table), write one audit row per finding with the
    same run id as `dango_pii_findings`, and (scope.alerts) send one governance event for new findings."""
    from airflow_provider_dango.warehouse import require_warehouse

    require_warehouse(project, "PII scan")
    result = scan(
        project,
        schemas=scope.schemas,
        tables=scope.tables,
        full=scope.full,
        run_id=run_id,
        sample_rows=scope.sample_rows,
        quiet=True,
    )
    result.schemas = list(scope.schemas or [])
    result.schedule = schedule
    result.project_name = project.settings.project.name
    return finish(project, result, scope)
