"""Retry only what a retry can fix: the retry policy of generated DAGs.

Airflow 3.3 asks a task's `retry_policy` after each failure, in the task's own process. Dango's policy fails at once
(no retries, so the failure alert goes out now) for config errors, a missing warehouse file and dbt runs whose tests
failed or whose SQL is wrong (`failures.py` decides); anything else keeps the schedule's retries. A dbt task's
Cosmos callback records its outcome first (`hooks/dbt_outcome.py`), so the policy sees the failing tests.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy

from airflow_provider_dango.failures import is_deterministic
from airflow_provider_dango.hooks.dbt_outcome import outcome_for


class DangoRetryPolicy(RetryPolicy):
    """Fail without retrying when the failure would repeat; otherwise Airflow's usual retries and backoff."""

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int, context: Any = None) -> Any:
        if is_deterministic(exception):
            return RetryDecision.fail(f"dango: not retried, the same error would repeat ({type(exception).__name__})")
        outcome = outcome_for((context or {}).get("ti"))
        if outcome is not None and outcome.deterministic:
            return RetryDecision.fail(
                "dango: not retried, dbt reported failing tests or SQL errors: " + ", ".join(outcome.failed_nodes[:5])
            )
        return RetryDecision.default()

    def serialize(self) -> dict[str, Any]:
        return {"__type": "dango"}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> DangoRetryPolicy:
        return cls()
