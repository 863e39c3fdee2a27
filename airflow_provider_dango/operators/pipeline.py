"""What the DAG factory hands each pipeline step, and what a step hands back (shared by the factory and operators)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PipelineTasks:
    """What a schedule's DAG holds before the check steps are added."""

    dag: Any
    syncs: list[Any]
    dbt: Any  # a Cosmos DbtTaskGroup, a single operator, or None


@dataclass
class PipelineStep:
    """Tasks a check adds: `after_sync` run between sync and dbt, `after_dbt` after dbt."""

    after_sync: list[Any] = field(default_factory=list)
    after_dbt: list[Any] = field(default_factory=list)
