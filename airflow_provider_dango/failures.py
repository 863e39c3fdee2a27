"""Which failures a retry can fix, and which it cannot: the Airflow retry policy of generated DAGs asks this module.

A failed dbt test, a dbt model whose SQL is wrong, a bad config or a missing warehouse file fail the same way on every
try, so retrying only delays the alert. A refused connection, a lock held too long or a 5xx answer may pass on the
next try. Unknown errors count as transient (Airflow's usual retries apply). Plain Python, no Airflow import.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_dango.config.base import DeterministicError

__all__ = ["DeterministicError", "dbt_failure_is_deterministic", "failing_tests", "is_deterministic", "mask"]

# dbt node messages that point at the environment rather than the SQL: retried.
TRANSIENT_MESSAGE = re.compile(
    r"could not set lock|conflicting lock|lock timeout|timed? ?out|timeout|connection (refused|reset|aborted)|"
    r"could not connect|server closed the connection|temporar(y|ily)|too many connections|"
    r"\b5\d\d\b|service unavailable|bad gateway|network",
    re.IGNORECASE,
)


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _config_error_types() -> tuple[type[BaseException], ...]:
    from airflow_provider_dango.config.loader import ConfigError
    from airflow_provider_dango.sync import SourceImportError
    from airflow_provider_dango.warehouse import WarehouseConfigError

    return (DeterministicError, ConfigError, SourceImportError, WarehouseConfigError)


def is_deterministic(exc: BaseException | None) -> bool:
    """True when `exc` (or what it was raised from) is a config error, a missing file or a failed data check."""
    kinds = _config_error_types()
    return any(isinstance(e, kinds) for e in _chain(exc))


def failed_nodes(run_results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """dbt results with status `fail` (a test found rows) or `error` (the node could not run)."""
    return [r for r in run_results.get("results") or [] if str(r.get("status")) in ("fail", "error")]


def dbt_failure_is_deterministic(run_results: Mapping[str, Any]) -> bool:
    """A dbt invocation failed for good when some test failed, or some node errored for a reason other than the
    environment (lock, network, server)."""
    failed = failed_nodes(run_results)
    if not failed:
        return False
    return any(
        str(r.get("status")) == "fail" or not TRANSIENT_MESSAGE.search(str(r.get("message") or "")) for r in failed
    )


def mask(value: Any) -> str:
    """The token the dbt package's `mask_value` macro gives a PII value: `pii:` + 12 hex digits of its MD5."""
    return "pii:" + hashlib.md5(str(value).encode(), usedforsecurity=False).hexdigest()[:12]


def failing_tests(
    project: Any, run_results: Mapping[str, Any], manifest: Mapping[str, Any] | None, limit: int = 5
) -> list[dict[str, Any]]:
    """Each failed dbt test: its name, model, column, failure count and up to `limit` offending rows, read again
    from the warehouse with the test's compiled SQL. Values of PII columns are masked as the dbt package does."""
    tests = [r for r in failed_nodes(run_results) if str(r.get("unique_id", "")).startswith("test.")]
    if not tests:
        return []
    nodes = (manifest or {}).get("nodes") or {}
    out: list[dict[str, Any]] = []
    for result in tests:
        node = nodes.get(result["unique_id"]) or {}
        attached = nodes.get(node.get("attached_node") or "") or {}
        out.append(
            {
                "test": node.get("name") or str(result["unique_id"]).rsplit(".", 1)[-1],
                "model": attached.get("name"),
                "column": node.get("column_name"),
                "status": str(result.get("status")),
                "failures": result.get("failures"),
                "message": str(result.get("message") or "")[:300] or None,
            }
        )
    try:
        _add_failing_rows(project, tests, dict(manifest or {}), out, limit)
    except Exception as exc:  # the alert still names the tests when the rows cannot be read
        for item in out:
            item.setdefault("values_error", f"offending rows not read: {type(exc).__name__}: {exc}"[:300])
    return out


def _add_failing_rows(
    project: Any, tests: list[Mapping[str, Any]], manifest: dict[str, Any], out: list[dict[str, Any]], limit: int
) -> None:
    from airflow_provider_dango.catalog.warehouse_reads import rows_over
    from airflow_provider_dango.dbt import relation_of
    from airflow_provider_dango.profile import _masked_by_table
    from airflow_provider_dango.warehouse import for_project

    with for_project(project).connect(read_only=True) as con:
        nodes = manifest.get("nodes") or {}
        masked = _masked_by_table(project, rows_over(con), manifest or None)
        for result, item in zip(tests, out, strict=True):
            sql = str(result.get("compiled_code") or "").strip().rstrip(";")
            if not sql or str(result.get("status")) != "fail":
                continue
            node = nodes.get(result["unique_id"]) or {}
            attached = nodes.get(node.get("attached_node") or "")
            pii = {c for t, c in masked if attached and t == relation_of(attached)}
            tested_is_pii = node.get("column_name") in pii
            cur = con.execute(f"SELECT * FROM ({sql}) AS dango_failing LIMIT {int(limit)}")
            names = [d[0] for d in cur.description]
            item["values"] = [
                {
                    name: mask(v)
                    if v is not None and (name in pii or (tested_is_pii and not isinstance(v, int | float)))
                    else v
                    for name, v in zip(names, row, strict=True)
                }
                for row in cur.fetchall()
            ]
