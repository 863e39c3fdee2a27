"""The catalog model: one JSON-able dict built from dbt's manifest.json (+ catalog.json when present) and dango's
warehouse tables. The static export, the JSON API and the Airflow pages all serve this same dict.

Top-level keys: `generated_at`, `project`, `status` (what exists, and what to run when something is missing),
`nodes`, `lineage`, `monitors`, `drift`, `pii`, `runs`. Each node has `unique_id`, `name`, `resource_type`, `layer`,
`columns` (each with `name`, `data_type`, `profile`, `pii`, ...), its tests with result history, and `failing`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from airflow_provider_dango.catalog.gcpause import gc_paused
from airflow_provider_dango.catalog.jsonio import json_loads
from airflow_provider_dango.catalog.warehouse_reads import WarehouseState

NODE_TYPES = ("model", "seed", "snapshot")
FAILING_TEST = ("fail", "error")
LAYER_PREFIXES = {"stg_": "staging", "int_": "intermediate", "fct_": "marts", "dim_": "marts", "mart_": "marts"}
CODE_LIMIT = 20_000


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _iso(v) for k, v in row.items() if v is not None}


def layer_of(node: dict[str, Any]) -> str:
    """sources / seeds / snapshots / exposures by type; models by name prefix, then folder, then schema."""
    kind = node.get("resource_type")
    if kind in ("source", "seed", "snapshot", "exposure"):
        return kind + "s"
    name = node.get("name", "")
    for prefix, layer in LAYER_PREFIXES.items():
        if name.startswith(prefix):
            return layer
    parts = Path(node.get("original_file_path") or node.get("path") or "").parts
    for part in parts:
        if part in ("staging", "intermediate", "marts"):
            return part
    schema = node.get("schema", "")
    return schema if schema in ("staging", "intermediate", "marts") else "other"


def _relation(node: dict[str, Any]) -> str:
    return f"{node.get('schema')}.{node.get('alias') or node.get('identifier') or node['name']}"


def _owner(node: dict[str, Any]) -> str | None:
    meta = {**(node.get("config") or {}).get("meta", {}), **(node.get("meta") or {})}
    owner = node.get("owner") or meta.get("owner")
    if isinstance(owner, dict):
        owner = owner.get("name") or owner.get("email")
    return str(owner) if owner else None


PROFILE_KEYS = (
    "kind",
    "row_count",
    "null_count",
    "null_share",
    "distinct_count",
    "distinct_approx",
    "min_value",
    "max_value",
    "mean_value",
    "p25",
    "p50",
    "p75",
    "min_length",
    "max_length",
    "mean_length",
    "masked",
    "run_id",
)


def _profile(rows: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(latest profile, compact history oldest first; empty with a single run). Runs 60,000 times on a large
    project: plain dict work only, one pass over the keys."""
    if not rows:
        return None, []
    latest = rows[0]
    profile = {k: v for k in PROFILE_KEYS if (v := latest[k]) is not None}
    profile["profiled_at"] = _iso(latest["profiled_at"])
    top = latest["top_values"]
    profile["top_values"] = json_loads(top) if top and not latest["masked"] else []
    if len(rows) < 2:
        return profile, []
    history = [
        {
            "run_id": r["run_id"],
            "at": _iso(r["profiled_at"]),
            "rows": r["row_count"],
            "null_share": r["null_share"],
            "distinct": r["distinct_count"],
            "mean": r["mean_value"],
        }
        for r in reversed(rows)
    ]
    return profile, history


@gc_paused
def load_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    return json_loads(path.read_bytes())


@gc_paused
def build_model(
    manifest: dict[str, Any] | None,
    state: WarehouseState,
    *,
    dbt_catalog: dict[str, Any] | None = None,
    overrides: list[Any] | None = None,
    monitors_config: list[Any] | None = None,
    project_name: str = "",
    source_dags: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The whole catalog as one dict (see the module docstring)."""
    hints = []
    if manifest is None:
        hints.append("No dbt manifest yet: run `dango dbt manifest` (or `dbt parse`) in the project.")
    if not state.present:
        hints.append("No warehouse yet: run a sync (`dango sync` or the schedule's DAG), then `dango profile`.")
    elif not state.profiles:
        hints.append("No column profiles yet: run `dango profile` (the sync DAG's `profile` task does it after dbt).")
    manifest = manifest or {}
    nodes_in = {
        **{k: v for k, v in manifest.get("nodes", {}).items() if v.get("resource_type") in NODE_TYPES},
        **manifest.get("sources", {}),
        **manifest.get("exposures", {}),
    }
    cat_nodes = {**(dbt_catalog or {}).get("nodes", {}), **(dbt_catalog or {}).get("sources", {})}
    overrides_by_col: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for o in overrides or []:
        entry = {"status": o.status, "set_by": o.set_by, "reason": o.reason, "updated_at": _iso(o.updated_at)}
        overrides_by_col.setdefault((o.table_name, o.column), []).append(_clean(entry))
    findings_by_col: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in state.pii.findings:
        findings_by_col.setdefault((f["table_name"], f["column_name"]), []).append(f)
    inherited = state.pii.propagated(manifest) - state.pii.columns() if manifest else set()
    drift_by_table: dict[str, list[dict[str, Any]]] = {}
    for d in state.drift:
        drift_by_table.setdefault(f"{d['table_schema']}.{d['table_name']}", []).append(d)

    profiled_by_table: dict[str, list[str]] = {}
    for table, column in state.profiles:
        profiled_by_table.setdefault(table, []).append(column)
    tests_by_node: dict[str, list[dict[str, Any]]] = {}
    for uid, test in manifest.get("nodes", {}).items():
        if test.get("resource_type") != "test":
            continue
        attached = test.get("attached_node") or next(iter((test.get("depends_on") or {}).get("nodes", [])), None)
        if not attached:
            continue
        results = [
            _clean({k: r.get(k) for k in ("status", "failures", "run_id", "dag_id", "recorded_at", "message")})
            for r in state.dbt_results.get(uid, [])
        ]
        tests_by_node.setdefault(attached, []).append(
            {
                "unique_id": uid,
                "name": (test.get("test_metadata") or {}).get("name") or test["name"],
                "column": test.get("column_name"),
                "status": results[0]["status"] if results else None,
                "history": results,
            }
        )

    monitors_by_table: dict[str, list[str]] = {}
    for m in monitors_config or []:
        monitors_by_table.setdefault(m.source_table, []).append(m.name)

    nodes = []
    profiles = state.profiles
    no_rows: list[dict[str, Any]] = []
    for uid, n in sorted(nodes_in.items()):
        kind = n.get("resource_type")
        relation = _relation(n) if kind != "exposure" else None
        rel = relation or ""
        cat_cols = (cat_nodes.get(uid) or {}).get("columns", {})
        meta_cols = n.get("columns") or {}
        col_names = list(meta_cols)
        if cat_cols:
            seen = set(col_names)
            col_names += [c for c in sorted(cat_cols, key=lambda c: cat_cols[c].get("index", 0)) if c not in seen]
        profiled = profiled_by_table.get(rel)
        if profiled:
            seen = set(col_names)
            col_names += [c for c in profiled if c not in seen]
        tests = tests_by_node.get(uid, [])
        tests_by_column: dict[Any, list[dict[str, Any]]] = {}
        for t in tests:
            tests_by_column.setdefault(t["column"], []).append(t)
        table_drift = drift_by_table.get(rel)
        columns = []
        for cname in col_names:
            meta_col = meta_cols.get(cname) or {}
            key = (rel, cname)
            prof_rows = profiles.get(key, no_rows)
            profile, history = _profile(prof_rows)
            pii = [
                _clean(
                    {
                        "entity": f["entity"],
                        "status": f["status"],
                        "match_mode": f["match_mode"],
                        "prevalence": f["prevalence"],
                        "confidence": f["confidence"],
                        "example": f["example"],
                        "run_id": f["run_id"],
                        "source": "finding",
                    }
                )
                for f in findings_by_col.get(key, ())
            ]
            if key in inherited:
                pii.append({"entity": "inherited", "status": "inherited", "source": "lineage"})
            meta = meta_col.get("meta") or {}
            if meta and (meta.get("pii") is True or meta.get("contains_pii") is True):
                pii.append({"entity": "declared", "status": "pii", "source": "meta"})
            data_type = (
                meta_col.get("data_type")
                or (cat_cols.get(cname) or {}).get("type")
                or (prof_rows[0].get("data_type") if prof_rows else None)
            )
            columns.append(
                {
                    "name": cname,
                    "data_type": data_type,
                    "description": meta_col.get("description") or "",
                    "tags": meta_col.get("tags") or [],
                    "meta": meta,
                    "profile": profile,
                    "profile_history": history,
                    "pii": pii,
                    "pii_overrides": overrides_by_col.get(key, []),
                    "drift": [
                        _clean(
                            {
                                k: d.get(k)
                                for k in ("change", "severity", "old_type", "new_type", "state", "checked_at", "run_id")
                            }
                        )
                        for d in table_drift
                        if d["column_name"] == cname
                    ]
                    if table_drift
                    else [],
                    "tests": tests_by_column.get(cname, []),
                }
            )
        built = next((r for r in state.dbt_results.get(uid, []) if r.get("resource_type") in (kind, None)), None)
        rows = next((c["profile"]["row_count"] for c in columns if c["profile"]), None)
        drift = drift_by_table.get(relation or "", [])
        table_monitors = monitors_by_table.get(relation or "", [])
        failing = [t["name"] for t in tests if t["status"] in FAILING_TEST]
        failing += [f"drift: {d['column_name']} {d['change']}" for d in drift if d["state"] == "pending"]
        nodes.append(
            {
                "unique_id": uid,
                "name": n.get("name"),
                "resource_type": kind,
                "layer": layer_of(n),
                "relation": relation,
                "source_name": n.get("source_name"),
                "description": n.get("description") or "",
                "tags": sorted(set(n.get("tags") or []) | set((n.get("config") or {}).get("tags") or [])),
                "meta": {**(n.get("config") or {}).get("meta", {}), **(n.get("meta") or {})},
                "owner": _owner(n),
                "materialized": (n.get("config") or {}).get("materialized"),
                "path": n.get("original_file_path"),
                "code": (n.get("raw_code") or "")[:CODE_LIMIT],
                "rows": rows,
                "last_built": _clean({k: built.get(k) for k in ("recorded_at", "run_id", "dag_id", "status")})
                if built
                else None,
                "dags": (source_dags or {}).get(n.get("source_name") or "", []) if kind == "source" else [],
                "columns": columns,
                "tests": tests,
                "documented": sum(1 for c in columns if c["description"]),
                "monitors": table_monitors,
                "failing": failing,
            }
        )

    edges = []
    known = {n["unique_id"] for n in nodes}
    for child, parents in sorted(manifest.get("parent_map", {}).items()):
        if child not in known:
            continue
        edges.extend([p, child] for p in parents if p in known)

    node_of_relation = {n["relation"]: n["unique_id"] for n in nodes if n["relation"]}
    monitors = _monitors(state, monitors_config or [], node_of_relation)
    by_id = {n["unique_id"]: n for n in nodes}
    for m in monitors:
        if m["node"] and m["status"] in ("flagged", "error"):
            by_id[m["node"]]["failing"].append(f"monitor {m['name']} {m['status']}")
    return {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "project": project_name,
        "status": {
            "manifest": bool(manifest),
            "warehouse": state.present,
            "profiles": bool(state.profiles),
            "hints": hints,
        },
        "nodes": nodes,
        "lineage": {"edges": edges},
        "monitors": monitors,
        "drift": [_clean(d) for d in state.drift],
        "pii": [
            _clean({**f, "overrides": overrides_by_col.get((f["table_name"], f["column_name"]), [])})
            for f in state.pii.findings
        ],
        "runs": {k: [_clean(r) for r in v] for k, v in state.runs.items()},
    }


def _monitors(state: WarehouseState, config: list[Any], node_of_relation: dict[str, str]) -> list[dict[str, Any]]:
    """One entry per monitor: metric history, baseline band and flagged points per bucket, latest verdict, drivers."""
    sensitivity = {m.name: float(getattr(m, "sensitivity", None) or 3.0) for m in config}
    source = {m.name: m.source_table for m in config}
    history: dict[str, list[list[Any]]] = {}
    for h in state.history:
        history.setdefault(h["monitor"], []).append([_iso(h["bucket_start"]), h["value"]])
    total: dict[str, dict[str, dict[str, Any]]] = {}
    segments: dict[tuple[str, str], list[dict[str, Any]]] = {}
    latest_run: dict[str, str] = {}
    for v in state.verdicts:
        if v["dimension"] == "__total__":
            total.setdefault(v["monitor"], {})[_iso(v["bucket_start"])] = v
            latest_run[v["monitor"]] = v["run_id"]
        else:
            segments.setdefault((v["monitor"], v["run_id"]), []).append(v)
    names = list(dict.fromkeys([*[m.name for m in config], *history, *total]))
    out = []
    for name in names:
        by_bucket = total.get(name, {})
        k = sensitivity.get(name, 3.0)
        band = [
            [b, v["baseline"] - k * v["scale"], v["baseline"] + k * v["scale"]]
            for b, v in sorted(by_bucket.items())
            if v.get("baseline") is not None and v.get("scale") is not None
        ]
        flagged = [[b, v["value"]] for b, v in sorted(by_bucket.items()) if v["series_status"] == "flagged"]
        latest = by_bucket[max(by_bucket)] if by_bucket else None
        drivers = []
        if latest and latest["monitor_status"] == "flagged":
            segs = [s for s in segments.get((name, latest_run[name]), []) if s.get("value") is not None]
            segs.sort(key=lambda s: abs((s["value"] or 0) - (s["baseline"] or 0)), reverse=True)
            drivers = [
                {
                    "dimension": s["dimension"],
                    "value": s["dimension_value"],
                    "change_abs": (s["value"] or 0) - (s["baseline"] or 0),
                    "status": s["series_status"],
                }
                for s in segs[:3]
            ]
        out.append(
            {
                "name": name,
                "source_table": source.get(name),
                "node": node_of_relation.get(source.get(name) or ""),
                "status": latest["monitor_status"] if latest else "no_data",
                "latest": _clean(
                    {
                        k: latest.get(k)
                        for k in ("bucket_start", "value", "baseline", "change_pct", "score", "method", "run_id")
                    }
                )
                if latest
                else None,
                "points": history.get(name, []),
                "band": band,
                "flagged": flagged,
                "drivers": drivers,
            }
        )
    return out
