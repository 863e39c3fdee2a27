"""The one severity mapping (the alert router imports the same functions)."""

from __future__ import annotations

from airflow_provider_dango.audit.severity import at_least, max_severity, node_severity, result_severity


def test_critical_tag_or_meta_is_critical() -> None:
    assert node_severity({"resource_type": "test", "tags": ["critical"]}) == "critical"
    assert node_severity({"resource_type": "model", "config": {"tags": ["Critical"]}}) == "critical"
    assert node_severity({"resource_type": "model", "config": {"meta": {"severity": "critical"}}}) == "critical"
    assert node_severity({"resource_type": "test", "meta": {"severity": "CRITICAL"}}) == "critical"


def test_warn_tests_are_warn_and_everything_else_error() -> None:
    assert node_severity({"resource_type": "test", "config": {"severity": "warn"}}) == "warn"
    assert node_severity({"resource_type": "test", "config": {"severity": "ERROR"}}) == "error"
    assert node_severity({"resource_type": "model"}) == "error"
    # a critical tag beats a warn severity
    assert node_severity({"resource_type": "test", "tags": ["critical"], "config": {"severity": "warn"}}) == "critical"


def test_result_severity_depends_on_outcome() -> None:
    critical = {"resource_type": "test", "tags": ["critical"]}
    assert result_severity(critical, "pass") == "info"
    assert result_severity(critical, "fail") == "critical"
    assert result_severity({"resource_type": "test"}, "warn") == "warn"
    assert result_severity({"resource_type": "model"}, "error") == "error"
    assert result_severity({"resource_type": "model"}, "success") == "info"


def test_ordering_helpers() -> None:
    assert max_severity("warn", "critical", "info") == "critical"
    assert at_least("critical", "error") and not at_least("warn", "error")
