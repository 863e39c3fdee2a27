"""Run a project's monitors: collection and the flag verdict in SQL (the dango_monitors dbt macros), then trend and
drill-down in Python. No Airflow import: the CLI and the Airflow task both call `run_step`.

Where each decision lives:
- `flagged` / `normal` / `insufficient_history`: only in SQL (`dango_monitors.verdict_sql`), shared with the dbt test
  `dango_monitors.metric_within_baseline`, so the test and the CLI cannot disagree.
- `trending` (Theil-Sen + Mann-Kendall, scipy) and the ranking of drivers: here, as information on top of that verdict;
  `trending` only ever replaces `normal`.
- `error`: here, when a monitor's SQL does not bind (probed before the shared scan, so one bad expression leaves the
  other monitors alone) or the dbt run fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_dango.alerts.events import Event
from airflow_provider_dango.config import DangoProject
from airflow_provider_dango.config.monitors import Monitor, MonitorsConfig, load_monitors
from airflow_provider_dango.dbt import DbtCommandError
from airflow_provider_dango.monitors.stats import Trend, trend
from airflow_provider_dango.steps import AuditRow, Scope, finish, new_run_id
from airflow_provider_dango.warehouse import META_SCHEMA, for_project, quote_ident, relation_sql

log = logging.getLogger(__name__)

HISTORY_TABLE = "dango_metric_history"
RESULTS_TABLE = "dango_monitor_results"
TOTAL = "__total__"
STATUS_ORDER = ["error", "flagged", "trending", "insufficient_history", "normal"]
GRAIN_STEP = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}
MAX_DRIVERS = 5


@dataclass
class Driver:
    dimension: str
    value: str
    change_abs: float
    share_of_change: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "value": self.value,
            "change_abs": _num(self.change_abs),
            "share_of_change": _num(self.share_of_change),
        }


@dataclass
class MonitorResult:
    name: str
    status: str
    value: float | None = None
    baseline: float | None = None
    change_pct: float | None = None
    score: float | None = None
    method: str | None = None
    bucket_start: dt.datetime | None = None
    trend: Trend = field(default_factory=lambda: Trend("stable", None))
    drivers: list[Driver] = field(default_factory=list)
    error: str | None = None
    severity: str = "warn"
    source_table: str | None = None
    forecast: dt.datetime | None = None  # when the trend crosses the alert threshold, if it keeps going

    def as_dict(self) -> dict[str, Any]:
        """Exactly the documented `dango monitors run --json` shape."""
        return {
            "name": self.name,
            "status": self.status,
            "value": _num(self.value),
            "baseline": _num(self.baseline),
            "change_pct": _num(self.change_pct),
            "score": _num(self.score),
            "method": self.method,
            "bucket_start": self.bucket_start.isoformat() if self.bucket_start else None,
            "trend": {"direction": self.trend.direction, "p_value": _num(self.trend.p_value)},
            "drivers": [d.as_dict() for d in self.drivers],
            "error": self.error,
        }


def _num(value: float | None, digits: int = 6) -> float | None:
    """A JSON-safe number: NaN and infinity become null (the SQL verdict gives such a monitor status `error`)."""
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits)


def normalise_as_of(as_of: str | dt.datetime | None) -> dt.datetime:
    """A naive UTC timestamp. Text with an offset is converted; naive text is taken as UTC."""
    if as_of is None:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    value = dt.datetime.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def run_monitors(
    project: DangoProject,
    as_of: str | dt.datetime | None = None,
    run_id: str | None = None,
    config: MonitorsConfig | None = None,
) -> list[MonitorResult]:
    """Collect, judge and explain every enabled monitor; results in monitors.yml order."""
    config = config or load_monitors(project.root)
    if not config.enabled:
        return []
    when = normalise_as_of(as_of)
    run_id = run_id or new_run_id("monitors")
    results: dict[str, MonitorResult] = {
        name: MonitorResult(name, "error", error=f"invalid config: {message}")
        for name, message in config.broken.items()
    }
    errors = probe_monitors(project, config.monitors)
    for monitor in config.monitors:
        if monitor.name in errors:
            results[monitor.name] = _error(monitor, errors[monitor.name])
    good = [m for m in config.monitors if m.name not in errors]
    if good:
        failed = _judge(project, good, when, run_id)
        for monitor in good:
            if monitor.name in failed:
                results[monitor.name] = _error(monitor, failed[monitor.name])
        judged = [m for m in good if m.name not in failed]
        if judged:
            for result in explain(project, judged, run_id):
                results[result.name] = result
    ordered = [results[m.name] for m in config.monitors if m.name in results]
    ordered += [r for name, r in results.items() if name in config.broken]
    return ordered


AUDIT_STATUS = {
    "flagged": "flag",
    "trending": "warn",
    "error": "error",
    "insufficient_history": "skipped",
    "normal": "pass",
}


@dataclass
class MonitorsRun:
    """One monitors step (the pillar Result): every monitor's verdict for one run id."""

    run_id: str
    results: list[MonitorResult] = field(default_factory=list)
    schedule: str | None = None
    project_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Exactly the documented `dango monitors run --json` document (also the task's XCom)."""
        return {"results": [r.as_dict() for r in self.results]}

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER if s in counts)
        return f"monitors run {self.run_id}: {len(self.results)} monitor(s)" + (f" ({parts})" if parts else "")

    def events(self) -> list[Event]:
        """A metric_alert per flagged, trending or errored monitor."""
        return [
            alert_event(r, self.project_name, self.run_id, self.schedule)
            for r in self.results
            if r.status in ("flagged", "trending", "error")
        ]

    def audit_rows(self) -> list[AuditRow]:
        rows = []
        for r in self.results:
            status = AUDIT_STATUS.get(r.status, "error")
            severity = r.severity if status in ("flag", "error") else ("warn" if status == "warn" else "info")
            details = {k: v for k, v in r.as_dict().items() if k not in ("name", "drivers")}
            if r.drivers:
                details["top_driver"] = f"{r.drivers[0].dimension}={r.drivers[0].value}"
            rows.append(AuditRow(self.run_id, f"monitor:{r.name}", r.source_table or r.name, status, severity, details))
        return rows


def run_step(
    project: DangoProject,
    scope: Scope,
    run_id: str | None = None,
    schedule: str | None = None,
    config: MonitorsConfig | None = None,
) -> MonitorsRun:
    """Judge every monitor as of `scope.as_of`, write one audit row per monitor with the run id of
    `dango_monitor_results`, and (scope.alerts) alert on flagged / trending / errored ones."""
    from airflow_provider_dango.warehouse import require_warehouse

    require_warehouse(project, "metric monitors")
    run_id = run_id or new_run_id("monitors")
    results = run_monitors(project, as_of=scope.as_of, run_id=run_id, config=config)
    run = MonitorsRun(run_id, results, schedule, project.settings.project.name)
    return finish(project, run, scope)


def _error(monitor: Monitor, message: str) -> MonitorResult:
    return MonitorResult(
        monitor.name,
        "error",
        method=monitor.resolved_method,
        error=message,
        severity=monitor.severity,
        source_table=monitor.source_table,
    )


def probe_monitors(project: DangoProject, monitors: list[Monitor]) -> dict[str, str]:
    """Bind every monitor's SQL without scanning (EXPLAIN): name -> one-line error for those that do not bind."""

    errors: dict[str, str] = {}
    if not monitors:
        return errors
    with for_project(project).connect(read_only=True) as con:
        for m in monitors:
            table = relation_sql(m.source_table)
            columns = [quote_ident(c) for c in ([m.time_column] if m.time_column else []) + m.drill_down]
            group = f" GROUP BY {', '.join(columns)}" if columns else ""
            sql = f"EXPLAIN SELECT ({m.value_expression}) FROM {table} WHERE ({m.filter or 'true'}){group}"
            try:
                con.execute(sql)
            except Exception as exc:  # duckdb.Error subclasses: binder, parser, catalog
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                errors[m.name] = f"{m.source_table}: {first}"
    return errors


def _judge(project: DangoProject, monitors: list[Monitor], as_of: dt.datetime, run_id: str) -> dict[str, str]:
    """Run the dbt macro; if the shared run fails, run monitors one by one so one failure hides no other result."""

    def run(batch: list[Monitor]) -> None:
        args = {"monitors": [m.macro_config() for m in batch], "as_of": as_of.isoformat(sep=" "), "run_id": run_id}
        # quiet: dbt's log lines would otherwise mix into `dango monitors run --json` on stdout.
        for_project(project).run_operation("dango_monitors.run_monitors", args, quiet=True)

    try:
        run(monitors)
        return {}
    except DbtCommandError as exc:
        message = str(exc)
        if "run_monitors" in message and "could not find a macro" in message:
            hint = (
                "the dbt project does not have the dango_monitors package: add it to packages.yml and run "
                "`dango dbt manifest`"
            )
            return {m.name: hint for m in monitors}
        if len(monitors) == 1:
            return {monitors[0].name: exc.detail}
        log.warning("dango monitors: the shared run failed (%s); judging monitors one by one", exc)
    failed: dict[str, str] = {}
    for m in monitors:
        failed.update(_judge(project, [m], as_of, run_id))
    return failed


def explain(project: DangoProject, monitors: list[Monitor], run_id: str) -> list[MonitorResult]:
    """Read the SQL verdicts of one run and add trend, forecast and drivers."""

    schema = quote_ident(META_SCHEMA)
    with for_project(project).connect(read_only=True) as con:
        rows = con.execute(
            "SELECT monitor, bucket_start, dimension, dimension_value, value, baseline, change_pct, score, scale, "
            f"n_train, series_status, monitor_status, method, reason FROM {schema}.{quote_ident(RESULTS_TABLE)} "
            "WHERE run_id = ?",
            [run_id],
        ).fetchall()
        by_monitor: dict[str, list[tuple]] = {}
        for row in rows:
            by_monitor.setdefault(row[0], []).append(row)
        histories: dict[str, list[tuple[dt.datetime, float]]] = {}
        for m in monitors:
            total = next((r for r in by_monitor.get(m.name, []) if r[2] == TOTAL), None)
            if total is None or total[1] is None:
                continue
            start = total[1] - dt.timedelta(days=m.lookback_days)
            histories[m.name] = con.execute(
                f"SELECT bucket_start, coalesce(value, 0) FROM {schema}.{quote_ident(HISTORY_TABLE)} "
                "WHERE monitor = ? AND dimension = ? AND bucket_start >= ? AND bucket_start <= ? ORDER BY 1",
                [m.name, TOTAL, start, total[1]],
            ).fetchall()
    out = []
    for m in monitors:
        series = by_monitor.get(m.name, [])
        total = next((r for r in series if r[2] == TOTAL), None)
        if total is None:
            out.append(_error(m, "no verdict was recorded for this monitor"))
            continue
        result = MonitorResult(
            name=m.name,
            status=total[11],
            value=total[4],
            baseline=total[5],
            change_pct=total[6],
            score=total[7],
            method=total[12],
            bucket_start=total[1],
            severity=m.severity,
            source_table=m.source_table,
        )
        if result.status == "error":  # NaN / infinity in the bucket under test: the SQL verdict says why
            result.error = total[13]
            out.append(result)
            continue
        points = _dense(m, histories.get(m.name, []), total[1])
        keys = [season_key(b, m.resolved_seasonality) for b, _ in points]
        result.trend = trend([v for _, v in points], keys, m.min_change_pct)
        if result.status == "flagged":
            result.drivers = drivers(total, [r for r in series if r[2] != TOTAL])
        elif result.trend.significant and result.status in ("normal", "insufficient_history"):
            result.status = "trending"
        if result.trend.significant:
            result.forecast = _forecast(m, result, total[8], points)
        out.append(result)
    return out


def _dense(m: Monitor, points: list[tuple[dt.datetime, float]], last: dt.datetime) -> list[tuple[dt.datetime, float]]:
    """Time-bucketed history with empty buckets as 0 (as the SQL verdict sees it); snapshots as recorded."""
    if not m.time_column or not points:
        return list(points)
    step = GRAIN_STEP[m.grain]
    values = dict(points)
    out, b = [], points[0][0]
    while b <= last:
        out.append((b, float(values.get(b, 0.0))))
        b += step
    return out


def season_key(bucket: dt.datetime, seasonality: str) -> int:
    """Same keys as dango_monitors.season_key (ISO weekday 1-7)."""
    if seasonality == "day_of_week":
        return bucket.isoweekday()
    if seasonality == "day_of_month":
        return bucket.day
    if seasonality == "hour_of_day":
        return bucket.hour
    if seasonality == "hour_of_week":
        return bucket.isoweekday() * 24 + bucket.hour
    return 0


def _js_term(p: float, q: float) -> float:
    """One value's term of the Jensen-Shannon divergence between its baseline share p and its current share q."""
    m = (p + q) / 2
    out = 0.0
    if p > 0:
        out += p * math.log(p / m)
    if q > 0:
        out += q * math.log(q / m)
    return out / 2


def drivers(total: tuple, segments: list[tuple]) -> list[Driver]:
    """Rank (dimension, value) pairs across all dimensions; the first is the top driver.

    change_abs = segment value - segment baseline (a new segment's baseline is 0, a vanished one's value is 0);
    share_of_change = change_abs / total change. A segment that merely is most of the table (status=completed)
    always carries most of the change, so dimensions are ordered first by how much the change reshuffled them
    (Jensen-Shannon divergence between baseline and current shares, as in Adtributor), then values by their share of
    the change in its direction. When the total barely moved (one segment collapsing while others grew), the largest
    absolute moves rank first within a dimension. Dimensions with a single value say nothing and are skipped.
    """
    by_dim: dict[str, list[tuple]] = {}
    for r in segments:
        by_dim.setdefault(r[2], []).append(r)
    total_change = (total[4] or 0.0) - (total[5] or 0.0)
    found: list[tuple[float, float, Driver]] = []
    for dim, rows in by_dim.items():
        if len(rows) < 2:
            continue
        base_sum = sum(max(r[5] or 0.0, 0.0) for r in rows)
        cur_sum = sum(max(r[4] or 0.0, 0.0) for r in rows)
        changes = [(r, (r[4] or 0.0) - (r[5] or 0.0)) for r in rows]
        biggest = max(abs(c) for _, c in changes)
        aligned = bool(total_change) and abs(total_change) >= 0.5 * biggest
        sign = 1 if total_change >= 0 else -1
        for r, change in changes:
            if change == 0:
                continue
            surprise = 0.0
            if base_sum > 0 and cur_sum > 0:
                surprise = _js_term(max(r[5] or 0.0, 0.0) / base_sum, max(r[4] or 0.0, 0.0) / cur_sum)
            share = change / total_change if total_change else None
            within = change * sign if aligned else abs(change)
            found.append((surprise * max(within, 0.0), within, Driver(dim, r[3], change, share)))
    found.sort(key=lambda x: (-x[0], -x[1], x[2].dimension, x[2].value))
    return [d for _, _, d in found[:MAX_DRIVERS]]


def _forecast(
    m: Monitor, result: MonitorResult, scale: float | None, points: list[tuple[dt.datetime, float]]
) -> dt.datetime | None:
    """When the fitted trend line reaches the alert threshold, if it keeps its slope (None if it moves away)."""
    t = result.trend
    if not t.slope or result.baseline is None or not points:
        return None
    if m.resolved_method == "pct_change":
        distance = abs(result.baseline) * m.alert_threshold / 100
    else:
        distance = m.sensitivity * (scale or 0.0)
    if distance <= 0:
        return None
    target = result.baseline + distance if t.slope > 0 else result.baseline - distance
    fitted_now = t.intercept + t.slope * (len(points) - 1)
    steps = (target - fitted_now) / t.slope
    if steps <= 0:
        return result.bucket_start
    if m.time_column:
        return points[-1][0] + GRAIN_STEP[m.grain] * steps
    span = (points[-1][0] - points[0][0]) / max(len(points) - 1, 1)
    return points[-1][0] + span * steps


def worst(results: list[MonitorResult]) -> str:
    return min((r.status for r in results), key=STATUS_ORDER.index, default="normal")


def alert_event(
    result: MonitorResult, project_name: str | None, run_id: str | None = None, schedule: str | None = None
) -> Event:
    """Dango's `metric_alert` event (category on_analysis) for a flagged or trending monitor.

    Its dedup key is the monitor and the bucket judged: two monitors flagged in one run are two alerts, and re-judging
    the same bucket (a retried task, a re-run date) is not a new one."""
    driver = result.drivers[0] if result.drivers else None
    summary = f"{result.name}: {result.status}"
    if result.change_pct is not None:
        summary += f" ({result.change_pct:+.1f}% vs baseline {result.baseline:,.2f})"
    if driver:
        summary += f"; top driver {driver.dimension}={driver.value}"
    bucket = result.bucket_start.isoformat() if result.bucket_start else ""
    return Event(
        type="metric_alert",
        key=f"monitor:{result.name}|{bucket}|{result.status}",
        schedule=schedule,
        severity=result.severity,
        run_id=run_id,
        summary=summary,
        details={"project": project_name, **result.as_dict()},
    )
