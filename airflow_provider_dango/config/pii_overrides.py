"""`.dango/pii-overrides.yml`: per-column decisions on PII findings, in Dango's format.

```yaml
overrides:
  - source: shop            # optional: the table lives in schema raw_<source>
    table: customers        # table name, or schema.table
    column: email
    status: pii             # pii = known and allowed (no alert, tests pass) | not_pii = a false positive
    set_by: dana@example.com
    reason: needed for invoices
    updated_at: "2026-11-21"
```

Each entry is validated on its own: a bad entry is reported as `FILE:LINE: overrides[i].key: message` and the good
entries still apply.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, field_validator

from airflow_provider_dango.config.base import DangoModel
from airflow_provider_dango.config.loader import ConfigError, Problem, load_yaml, validation_problems

OVERRIDES_FILE = "pii-overrides.yml"


class PiiOverride(DangoModel):
    source: str | None = None
    table: str
    column: str
    status: Literal["pii", "not_pii"]
    set_by: str | None = None
    reason: str | None = None
    updated_at: dt.datetime | dt.date | str | None = None

    @field_validator("table", "column")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @property
    def table_name(self) -> str:
        """`schema.table` when the schema is known (from `source` or a dotted `table`), else the bare table name."""
        if self.source and "." not in self.table:
            return f"raw_{self.source}.{self.table}"
        return self.table


class PiiOverridesFile(DangoModel):
    overrides: list[Any] = []


def load_pii_overrides(dango_dir: Path, root: Path | None = None) -> tuple[list[PiiOverride], list[Problem]]:
    """The valid overrides and one Problem per bad entry (never raises for a bad entry)."""
    path = dango_dir / OVERRIDES_FILE
    if not path.exists():
        return [], []
    shown = path.relative_to(root) if root and path.is_relative_to(root) else path
    try:
        doc = load_yaml(path, display_path=shown)
    except ConfigError as exc:
        return [], exc.problems
    if doc.data is None:
        return [], []
    if not isinstance(doc.data, dict):
        return [], [doc.problem((), "expected a mapping with an `overrides:` list")]
    problems: list[Problem] = list(doc.problems)  # duplicate keys: reported, and their entries skipped below
    unknown = [k for k in doc.data if k != "overrides"]
    if unknown:
        try:
            PiiOverridesFile.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc, PiiOverridesFile))
    items = doc.data.get("overrides") or []
    if not isinstance(items, list):
        return [], [*problems, doc.problem(("overrides",), "overrides: expected a list")]
    good: list[PiiOverride] = []
    for i, item in enumerate(items):
        if doc.has_duplicate_in(("overrides", i)):
            continue
        if not isinstance(item, dict):
            problems.append(doc.problem(("overrides", i), f"overrides[{i}]: expected a mapping"))
            continue
        try:
            good.append(PiiOverride.model_validate(item))
        except ValidationError as exc:
            problems.extend(validation_problems(doc, exc, PiiOverride, ("overrides", i)))
    return good, problems
