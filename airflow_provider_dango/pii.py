"""PII scanning, the Python side (no Airflow import): run the dbt package's scan inside the warehouse, read results.

Detection and the column verdict live in SQL (`dango_monitors/macros/pii/`): values never leave the warehouse, and the
rows read back here carry masked examples only. This module loads `.dango/pii-overrides.yml` into the warehouse (so the
SQL verdict and the dbt test see the same decisions), runs `dango_monitors.pii_scan` for one run id, reads
`dango.dango_pii_findings` / `dango.dango_pii_skips` back and builds governance events for new findings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_dango.config import DangoProject, Problem
from airflow_provider_dango.config.pii_overrides import PiiOverride, load_pii_overrides
from airflow_provider_dango.warehouse import META_SCHEMA, connect, quote_ident

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
    run_id: str
    full: bool
    findings: list[PiiFinding] = field(default_factory=list)
    skips: list[PiiSkip] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new_findings(self) -> list[PiiFinding]:
        """New (table, column, entity) findings nobody has acknowledged: the only ones that raise an event."""
        return [f for f in self.findings if f.new and f.status == "detected"]

    def summary(self) -> dict[str, Any]:
        """Small, PII-free summary (counts and masked examples) for XCom and logs."""
        return {
            "run_id": self.run_id,
            "findings": len(self.findings),
            "new": [asdict(f) for f in self.new_findings],
            "skipped": len(self.skips),
            "seconds": round(self.seconds, 2),
        }


def write_overrides(project: DangoProject, overrides: list[PiiOverride]) -> None:
    """Mirror `.dango/pii-overrides.yml` into `dango.dango_pii_overrides` (replaced on every scan)."""
    schema = quote_ident(META_SCHEMA)
    table = f"{schema}.{quote_ident(OVERRIDES_TABLE)}"
    with connect(project.warehouse_path) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (table_name VARCHAR, column_name VARCHAR, status VARCHAR, "
            "set_by VARCHAR, reason VARCHAR, updated_at VARCHAR)"
        )
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
    from airflow_provider_dango.dbt import run_dbt

    run_id = run_id or f"pii_{uuid.uuid4().hex[:12]}"
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
    run_dbt(project, [*(["--quiet"] if quiet else []), "run-operation", SCAN_MACRO, "--args", json.dumps(args)])
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
    findings_t = f"{quote_ident(META_SCHEMA)}.{quote_ident(FINDINGS_TABLE)}"
    skips_t = f"{quote_ident(META_SCHEMA)}.{quote_ident(SKIPS_TABLE)}"
    result = PiiScanResult(run_id=run_id, full=full)
    with connect(project.warehouse_path, read_only=True) as con:
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
    project: DangoProject, result: PiiScanResult, schedule: str | None = None
) -> dict[str, Any] | None:
    """Dango's `pii_detected` event for the new findings of a run (masked examples only), or None."""
    new = result.new_findings
    if not new:
        return None
    pairs = ",".join(sorted(f"{f.table}.{f.column}:{f.entity}:{f.match_mode}" for f in new))
    return {
        "event": "pii_detected",
        "category": "governance",
        # New findings are the subject: a later run with other new findings is a new alert, not a duplicate.
        "key": "pii:" + hashlib.sha256(pairs.encode()).hexdigest()[:16],
        "schedule": schedule,
        "project": project.settings.project.name,
        "run_id": result.run_id,
        "summary": f"PII found in {len(new)} new column/entity pair(s)",
        "metadata": {
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
            ]
        },
    }


def emit_governance_event(project: DangoProject, result: PiiScanResult, schedule: str | None = None) -> bool:
    """Log the event (masked examples only) and send it through the alert router. True when there was one."""
    event = governance_event(project, result, schedule)
    if event is None:
        return False
    from airflow_provider_dango.alerts import emit

    log.warning("dango pii: %s: %s", event["summary"], event["metadata"]["findings"])
    emit(project, event)
    return True
