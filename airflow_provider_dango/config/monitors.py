"""`.dango/monitors.yml`: metric monitors, in Dango's format plus our additions.

Dango's keys (`name`, `source_table`, `value_expression`, `filter`, `compare`, `alert_threshold` alias
`warn_threshold`, `drill_down`; top level `enabled` and `monitors` alias `metrics`) load unchanged. Additions bucket a
monitor by a time column (backfilled from the data itself) and judge it with robust, seasonal statistics.

`method: auto` (the default) keeps Dango's behaviour for Dango's monitors (no `time_column`: one value per run,
`pct_change` with `compare`), and uses the robust median / MAD method for time-bucketed monitors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from airflow_provider_dango.config.base import DangoModel
from airflow_provider_dango.config.loader import ConfigError, Problem, YamlDocument, load_yaml, validation_problems

Compare = Literal["week_over_week", "rolling_7day_avg", "rolling_30day_avg", "prior_period", "none"]
Grain = Literal["hour", "day", "week"]
Method = Literal["auto", "pct_change", "zscore", "mad"]
Direction = Literal["up", "down", "both"]
Seasonality = Literal["auto", "none", "day_of_week", "day_of_month", "hour_of_day", "hour_of_week"]
Severity = Literal["info", "warn", "error", "critical"]

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def split_relation(text: str) -> list[str]:
    """`schema.table` (or `db.schema.table`) as written in monitors.yml -> its parts (the same rule as the dbt macro
    `source_parts`). A part may be written in double quotes (`""` for a quote) to hold a dot; otherwise it runs to the
    next dot and is taken literally, so `we"ird.a"b` is schema `we"ird`, table `a"b`."""
    parts: list[str] = []
    cur, quoted, in_quotes, i = "", False, False, 0
    while i < len(text):
        ch = text[i]
        if in_quotes:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                cur += '"'
                i += 1
            elif ch == '"':
                in_quotes = False
            else:
                cur += ch
        elif ch == '"' and cur == "" and not quoted:
            in_quotes = quoted = True
        elif ch == ".":
            parts.append(cur)
            cur, quoted = "", False
        else:
            cur += ch
        i += 1
    parts.append(cur)
    if in_quotes or len(parts) not in (2, 3) or "" in parts:
        raise ValueError(f"source_table {text!r}: use schema.table (or database.schema.table)")
    return parts


def one_expression_problem(sql: str) -> str | None:
    """What would let `sql` end the statement it is pasted into or comment out its rest (the same rule as the dbt
    macro `require_one_expression`): a `;` or a comment outside quotes, an unclosed quote, or a quoted `;` beside a
    backslash or `$` (escape strings and dollar quoting). None when it is one expression."""
    quote = None
    for i, ch in enumerate(sql):
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == ";":
            return "a ';' (only one SQL expression is allowed)"
        elif sql[i : i + 2] in ("--", "/*"):
            return "a SQL comment"
    if quote is not None:
        return f"an unclosed {quote} quote"
    if ";" in sql and ("\\" in sql or "$" in sql):
        return "a ';' next to a backslash or dollar quote"
    return None


class Monitor(DangoModel):
    """One monitor. Dango's keys first, then our additions (all optional)."""

    name: str = Field(min_length=1)
    source_table: str
    value_expression: str = "count(*)"
    filter: str | None = None
    compare: Compare = "week_over_week"
    alert_threshold: float = Field(
        default=20.0, gt=0, validation_alias=AliasChoices("alert_threshold", "warn_threshold")
    )
    drill_down: list[str] = []
    description: str | None = None
    enabled: bool = True
    # Our additions.
    time_column: str | None = None
    grain: Grain = "day"
    lookback_days: int = Field(default=56, ge=1, le=3660)
    method: Method = "auto"
    sensitivity: float = Field(default=3.0, gt=0)
    direction: Direction = "both"
    seasonality: Seasonality = "auto"
    min_history: int | None = Field(default=None, ge=1)
    min_change_pct: float = Field(default=5.0, ge=0)
    segment_alerts: bool = True
    min_segment_share: float = Field(default=5.0, ge=0, le=100)
    severity: Severity = "warn"
    max_dimension_values: int = Field(default=20, ge=1, le=10000)
    metric_kind: Literal["auto", "count", "value"] = "auto"
    new_segment_share: float = Field(default=10.0, ge=0, le=100)

    @field_validator("source_table")
    @classmethod
    def _table(cls, value: str) -> str:
        split_relation(value)
        return value

    @field_validator("drill_down")
    @classmethod
    def _columns(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("drill_down lists a column twice")
        return value

    @field_validator("value_expression")
    @classmethod
    def _expression(cls, value: str) -> str:
        problem = one_expression_problem(value)
        if problem:
            raise ValueError(f"value_expression must be one SQL expression: it contains {problem}")
        return value

    @model_validator(mode="after")
    def _rules(self) -> Monitor:
        problem = one_expression_problem(self.filter) if self.filter is not None else None
        if problem:
            raise ValueError(f"filter must be one SQL predicate: it contains {problem}")
        if self.time_column is None and self.seasonality not in ("auto", "none"):
            raise ValueError(f"seasonality {self.seasonality!r} needs `time_column` (a time-bucketed monitor)")
        if self.grain == "week" and self.seasonality in ("day_of_week", "hour_of_day", "hour_of_week"):
            raise ValueError(f"seasonality {self.seasonality!r} cannot apply to weekly buckets")
        if self.grain == "day" and self.seasonality in ("hour_of_day", "hour_of_week"):
            raise ValueError(f"seasonality {self.seasonality!r} needs grain: hour")
        return self

    @property
    def resolved_method(self) -> str:
        if self.method != "auto":
            return self.method
        return "mad" if self.time_column else "pct_change"

    @property
    def resolved_seasonality(self) -> str:
        if self.seasonality != "auto":
            return self.seasonality
        if self.time_column is None:
            return "none"
        return {"hour": "hour_of_week", "day": "day_of_week", "week": "none"}[self.grain]

    @property
    def resolved_min_history(self) -> int:
        if self.min_history is not None:
            return self.min_history
        return 1 if self.resolved_method == "pct_change" else 6

    def macro_config(self) -> dict[str, Any]:
        """What the dbt macros get: every default resolved, so SQL and Python read the same values."""
        return {
            "name": self.name,
            "source_table": self.source_table,
            "value_expression": self.value_expression,
            "filter": self.filter,
            "compare": self.compare,
            "alert_threshold": self.alert_threshold,
            "drill_down": list(self.drill_down),
            "time_column": self.time_column,
            "grain": self.grain,
            "lookback_days": self.lookback_days,
            "method": self.resolved_method,
            "sensitivity": self.sensitivity,
            "direction": self.direction,
            "seasonality": self.resolved_seasonality,
            "min_history": self.resolved_min_history,
            "min_change_pct": self.min_change_pct,
            "segment_alerts": self.segment_alerts,
            "min_segment_share": self.min_segment_share,
            "max_dimension_values": self.max_dimension_values,
            "metric_kind": self.metric_kind,
            "new_segment_share": self.new_segment_share,
        }


class MonitorsFile(DangoModel):
    enabled: bool = True
    monitors: list[dict] = Field(default=[], validation_alias=AliasChoices("monitors", "metrics"))


class MonitorsConfig:
    """The valid monitors, the entries that failed (name -> problem, shown as status `error`), and all problems."""

    def __init__(self) -> None:
        self.enabled = True
        self.monitors: list[Monitor] = []
        self.broken: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.path: Path | None = None


def load_monitors(root: Path) -> MonitorsConfig:
    """Read `<root>/.dango/monitors.yml`; a bad entry is reported (FILE:LINE: key: message) and the rest load."""
    config = MonitorsConfig()
    path = root / ".dango" / "monitors.yml"
    config.path = path
    if not path.exists():
        return config
    try:
        doc = load_yaml(path, display_path=path.relative_to(root))
    except ConfigError as exc:
        config.problems.extend(exc.problems)
        config.broken["monitors.yml"] = "; ".join(p.message for p in exc.problems)
        return config
    config.problems.extend(doc.problems)  # duplicate keys: reported, and their entries skipped below
    if doc.data is None:
        return config
    if not isinstance(doc.data, dict):
        config.problems.append(doc.problem((), "expected a mapping at the top of the file"))
        return config
    key = "metrics" if "metrics" in doc.data and "monitors" not in doc.data else "monitors"
    top = {k: v for k, v in doc.data.items() if k not in ("monitors", "metrics")}
    try:
        config.enabled = MonitorsFile.model_validate(top).enabled
    except Exception as exc:  # pydantic ValidationError
        config.problems.extend(validation_problems(doc, exc, MonitorsFile))  # type: ignore[arg-type]
    items = doc.data.get(key) or []
    if not isinstance(items, list):
        config.problems.append(doc.problem((key,), f"{key}: expected a list"))
        return config
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        _load_entry(doc, key, i, item, config, seen)
    return config


def _load_entry(
    doc: YamlDocument, key: str, i: int, item: Any, config: MonitorsConfig, seen: dict[str, int]
) -> None:
    from pydantic import ValidationError

    if not isinstance(item, dict):
        config.problems.append(doc.problem((key, i), f"{key}[{i}]: expected a mapping"))
        return
    name = item.get("name") if isinstance(item.get("name"), str) else f"{key}[{i}]"
    if doc.has_duplicate_in((key, i)):
        config.broken[name] = "duplicate key (see the problems)"
        return
    try:
        monitor = Monitor.model_validate(item)
    except ValidationError as exc:
        found = validation_problems(doc, exc, Monitor, (key, i))
        config.problems.extend(Problem(p.file, p.line, f"{p.message} (in {name!r})", p.level) for p in found)
        config.broken[name] = "; ".join(str(p) for p in found)
        return
    if monitor.name in seen:
        problem = doc.problem(
            (key, i, "name"), f"{key}[{i}].name: duplicate monitor name {monitor.name!r} (first at {key}[{seen[name]}])"
        )
        config.problems.append(problem)
        return
    seen[monitor.name] = i
    if monitor.enabled:
        config.monitors.append(monitor)
