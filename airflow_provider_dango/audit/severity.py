"""How dbt nodes and dango checks map onto the one severity scale (`alerts.events.Severity`), shared by the audit
trail and the alert router.

Levels, lowest to highest: `info` < `warn` < `error` < `critical`.

- A node tagged `critical`, or with `meta: {severity: critical}` (in the node's config or on the node), is `critical`.
- `meta: {severity: warn|error|info}` is taken as given.
- Otherwise a test configured with `severity: warn` is `warn`; any other test or model is `error`.

`result_severity` is what a *result* deserves: a passing or skipped node is `info` whatever its configured severity,
and a test that dbt downgraded to `warn` stays `warn` unless the node is critical.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_dango.alerts.events import Severity

SEVERITIES = tuple(level.label for level in Severity)
_RANK = {level.label: int(level) for level in Severity}
OK_STATUSES = frozenset({"success", "pass", "skipped", "skip", "no op"})


def _meta_severity(node: Mapping[str, Any]) -> str | None:
    for meta in ((node.get("config") or {}).get("meta") or {}, node.get("meta") or {}):
        value = str(meta.get("severity", "")).strip().lower()
        if value in _RANK:
            return value
    return None


def node_severity(node: Mapping[str, Any]) -> str:
    """Configured severity of a dbt manifest node (model, test, seed, snapshot, source freshness)."""
    tags = {str(t).lower() for t in (node.get("tags") or []) + list((node.get("config") or {}).get("tags") or [])}
    if "critical" in tags:
        return "critical"
    meta = _meta_severity(node)
    if meta is not None:
        return meta
    if node.get("resource_type") == "test" and str((node.get("config") or {}).get("severity", "")).lower() == "warn":
        return "warn"
    return "error"


def result_severity(node: Mapping[str, Any], status: str) -> str:
    """Severity of one dbt result: `info` when it passed, else the node's severity (`warn` for warned tests)."""
    status = str(status).lower()
    if status in OK_STATUSES:
        return "info"
    configured = node_severity(node)
    if status == "warn" and configured != "critical":
        return "warn"
    return configured


def max_severity(*levels: str) -> str:
    """The highest of the given levels (unknown names count as `error`)."""
    return max(levels or ("info",), key=lambda s: _RANK.get(s, _RANK["error"]))


def at_least(level: str, threshold: str) -> bool:
    """True when `level` is `threshold` or worse: `at_least("critical", "error")`."""
    return _RANK.get(level, _RANK["error"]) >= _RANK.get(threshold, _RANK["error"])
