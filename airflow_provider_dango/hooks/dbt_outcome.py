"""What one try of a dbt task found (from its run_results.json), kept in the task's process for the retry policy
(`operators/retry.py`) and the failure alert (`notifications.py`) of that same try."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_dango.failures import dbt_failure_is_deterministic, failed_nodes, failing_tests

log = logging.getLogger(__name__)


@dataclass
class DbtOutcome:
    """What one try of a dbt task found: whether a retry could change it, and the failing tests."""

    deterministic: bool
    failed_nodes: list[str] = field(default_factory=list)
    failing_tests: list[dict[str, Any]] = field(default_factory=list)


_outcomes: dict[tuple[Any, ...], DbtOutcome] = {}
outcome_run_results: dict[tuple[Any, ...], Any] = {}  # until the failing rows are read


def _key(ti: Any) -> tuple[Any, ...]:
    return tuple(getattr(ti, a, None) for a in ("dag_id", "task_id", "run_id", "map_index", "try_number"))


def outcome_for(ti: Any) -> DbtOutcome | None:
    return _outcomes.get(_key(ti)) if ti is not None else None


def record_dbt_outcome(project: Any, target_dir: Path, context: Any, since: float = 0.0) -> DbtOutcome | None:
    """Read `<target_dir>/run_results.json` of this try (newer than `since`) and keep its outcome for the task's
    retry policy and failure alert. The offending rows are read after the caller released the warehouse."""
    path = target_dir / "run_results.json"
    ti = (context or {}).get("ti")
    if ti is None or not path.exists() or path.stat().st_mtime < since:
        return None
    run_results = json.loads(path.read_text(encoding="utf-8"))
    failed = failed_nodes(run_results)
    if not failed:
        return None
    outcome = DbtOutcome(dbt_failure_is_deterministic(run_results), [str(r.get("unique_id")) for r in failed])
    _outcomes[_key(ti)] = outcome
    outcome_run_results[_key(ti)] = run_results
    return outcome


def add_failing_tests(project: Any, context: Any) -> None:
    """Fill the failing tests (with offending values) of this try's outcome; needs the warehouse lock, so it runs
    after the dbt task gave it back. Never raises: the failure alert must still go out."""
    ti = (context or {}).get("ti")
    key = _key(ti)
    outcome, run_results = _outcomes.get(key), outcome_run_results.pop(key, None)
    if outcome is None or run_results is None:
        return
    try:
        from airflow_provider_dango.dbt import load_manifest_cached

        manifest = load_manifest_cached(project) if project.manifest_path.exists() else None
        outcome.failing_tests = failing_tests(project, run_results, manifest)
    except Exception as exc:
        log.warning("dango: could not describe the failing dbt tests: %s", exc)
