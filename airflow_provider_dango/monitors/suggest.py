"""`dango monitors suggest`: a row-count and a freshness monitor for every synced table, like Dango's auto monitors.

Row counts are time-bucketed (daily, backfilled from the data) when the table has an obvious timestamp column, so a
new project is judged on its first sync; freshness (hours since the newest row) is recorded once per run.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from airflow_provider_dango.config import DangoProject
from airflow_provider_dango.warehouse import for_project, quote_ident, relation_text

TIME_NAMES = ["created_at", "updated_at", "inserted_at", "event_time", "timestamp", "ts", "occurred_at", "order_date"]


def _time_column(columns: list[tuple[str, str]]) -> str | None:
    """An obvious timestamp column: a known name first, then any *_at / *_time / date-typed column (not dlt's)."""
    typed = [(n, t.upper()) for n, t in columns if not n.startswith("_dlt")]
    timeish = [n for n, t in typed if "TIMESTAMP" in t or t == "DATE"]
    for name in TIME_NAMES:
        if name in timeish:
            return name
    for n in timeish:
        if n.endswith(("_at", "_time", "_date")):
            return n
    return timeish[0] if timeish else None


def _monitor_name(base: str) -> str:
    """A plain monitor name for any table name: other characters become `_`, plus a short hash of the real name when
    any were replaced (so two odd names never collide)."""
    plain = re.sub(r"[^A-Za-z0-9_]+", "_", base).strip("_") or "table"
    if plain == base:
        return base
    return f"{plain}_{hashlib.sha1(base.encode('utf-8')).hexdigest()[:6]}"


def suggest_monitors(project: DangoProject) -> list[dict[str, Any]]:

    warehouse = for_project(project)
    if not warehouse.exists():
        return []
    schemas = [f"raw_{name}" for name in sorted(project.sources)]
    out: list[dict[str, Any]] = []
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema IN ({', '.join('?' for _ in schemas)}) "
            "AND table_name NOT LIKE '\\_dlt\\_%' ESCAPE '\\' "
            "ORDER BY table_schema, table_name, ordinal_position",
            schemas,
        ).fetchall() if schemas else []
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, name, column, dtype in rows:
        tables.setdefault((schema, name), []).append((column, dtype))
    for (schema, name), columns in tables.items():
        source_table = relation_text(schema, name)  # reads back as exactly these two parts, whatever the name
        time_col = _time_column(columns)
        base = _monitor_name(f"{schema.removeprefix('raw_')}_{name}")
        count: dict[str, Any] = {
            "name": f"{base}_row_count",
            "source_table": source_table,
            "value_expression": "count(*)",
        }
        if time_col:
            count.update({"time_column": time_col, "grain": "day", "method": "mad"})
        else:
            count.update({"compare": "prior_period", "alert_threshold": 20})
        out.append(count)
        # Hours since the newest row, in SQL that DuckDB and PostgreSQL both read.
        if time_col:
            now = "cast(timezone('UTC', now()) as timestamp)"
            expression = f"extract(epoch from ({now} - cast(max({quote_ident(time_col)}) as timestamp))) / 3600.0"
        elif any(c == "_dlt_load_id" for c, _ in columns):
            expression = "(extract(epoch from now()) - max(cast(_dlt_load_id as double precision))) / 3600.0"
        else:
            continue
        out.append(
            {
                "name": f"{base}_freshness_hours",
                "source_table": source_table,
                "value_expression": expression,
                "method": "mad",
                "direction": "up",
                "min_history": 7,
                "description": "hours since the newest row",
            }
        )
    return out


def write_suggestions(project: DangoProject, suggestions: list[dict[str, Any]]) -> list[str]:
    """Append suggestions whose names are not in monitors.yml yet; keeps the existing file text (and comments)."""
    import yaml

    path = project.dango_dir / "monitors.yml"
    existing_text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = yaml.safe_load(existing_text) if existing_text.strip() else None
    data = data if isinstance(data, dict) else {}
    key = "metrics" if "metrics" in data and "monitors" not in data else "monitors"
    present = {m.get("name") for m in (data.get(key) or []) if isinstance(m, dict)}
    new = [s for s in suggestions if s["name"] not in present]
    if not new:
        return []
    block = yaml.safe_dump(new, sort_keys=False)
    indented = "".join(f"  {line}\n" for line in block.splitlines())
    if not existing_text.strip():
        header = "# Metric monitors (Dango format). Generated by `dango monitors suggest --write`.\n"
        text = header + "monitors:\n" + indented
    elif data.get(key):
        text = existing_text.rstrip("\n") + "\n" + indented
    else:
        text = existing_text.rstrip("\n") + f"\n{key}:\n" + indented if key not in data else (
            existing_text.replace(f"{key}: []", f"{key}:").rstrip("\n") + "\n" + indented
        )
    path.write_text(text, encoding="utf-8")
    return [s["name"] for s in new]
