"""Catalog figures: a generated 2,000-model x 30-column project (manifest + dango tables in DuckDB).

    .venv/bin/python bench/catalog.py               # --models 2000 --columns 30 --runs 3
    .venv/bin/python bench/catalog.py --profile     # also the profile step vs one hand-written query (demo warehouse)

Measures: the static build (catalog model from manifest + warehouse, index.html + catalog.json written), the size of
index.html (its data is embedded) and of catalog.json, the first render of index.html from file:// in headless
Chromium (performance.now() when the first page is drawn), the p95 of the plugin's search route (in-process HTTP
through the real FastAPI app, auth dependency overridden), and, with --profile, the profile step on the demo
warehouse (`make demo` first) against hand-written profiling queries, side by side.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out" / "catalog"
WORDS = [
    "revenue",
    "customer",
    "order",
    "amount",
    "currency",
    "country",
    "status",
    "created",
    "updated",
    "region",
    "channel",
    "discount",
    "margin",
    "refund",
    "session",
    "device",
    "campaign",
    "product",
    "category",
    "stock",
]


def generate(models: int, columns: int, seed: int = 7) -> tuple[dict, Path]:
    """A manifest in dbt's shape (sources, models in three layers, two tests per model) and a DuckDB warehouse with
    one profile run per column, dbt results for every test and 20 monitors with 90 days of history."""
    import duckdb

    rng = random.Random(seed)
    OUT.mkdir(parents=True, exist_ok=True)
    nodes, sources, parent_map = {}, {}, {}
    for s in range(50):
        uid = f"source.bench.src.table_{s}"
        sources[uid] = {
            "resource_type": "source",
            "name": f"table_{s}",
            "source_name": "src",
            "schema": "raw_src",
            "identifier": f"table_{s}",
            "description": f"Raw table {s} loaded by dlt.",
            "columns": {},
            "original_file_path": "models/staging/_sources.yml",
        }
    layers = [("stg", 0.1), ("int", 0.4), ("fct", 0.5)]
    ids: dict[str, list[str]] = {"src": list(sources)}
    count = 0
    for prefix, share in layers:
        ids[prefix] = []
        for _ in range(int(models * share)):
            name = f"{prefix}_{rng.choice(WORDS)}_{count}"
            uid = f"model.bench.{name}"
            pool = ids["src"] if prefix == "stg" else ids["stg"] + ids.get("int", [])
            parent_map[uid] = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
            cols = {
                f"col_{i}": {
                    "name": f"col_{i}",
                    "data_type": "bigint" if i % 3 else "varchar",
                    "description": f"{rng.choice(WORDS)} {rng.choice(WORDS)} of {name}, column {i}",
                    "meta": {},
                    "tags": [],
                }
                for i in range(columns)
            }
            nodes[uid] = {
                "resource_type": "model",
                "name": name,
                "schema": "marts",
                "alias": name,
                "description": f"{rng.choice(WORDS).title()} model {count}.",
                "columns": cols,
                "tags": [prefix],
                "config": {"materialized": "table", "meta": {"owner": "data@bench"}},
                "original_file_path": f"models/{prefix}/{name}.sql",
                "raw_code": f"select * from {{{{ ref('{name}') }}}} -- " + "x" * 200,
            }
            ids[prefix].append(uid)
            count += 1
            for t in ("unique", "not_null"):
                tid = f"test.bench.{t}_{name}_col_0"
                nodes[tid] = {
                    "resource_type": "test",
                    "name": f"{t}_{name}_col_0",
                    "attached_node": uid,
                    "column_name": "col_0",
                    "test_metadata": {"name": t},
                    "depends_on": {"nodes": [uid]},
                }
    child_map: dict[str, list[str]] = {}
    for child, parents in parent_map.items():
        for p in parents:
            child_map.setdefault(p, []).append(child)
    manifest = {"nodes": nodes, "sources": sources, "exposures": {}, "parent_map": parent_map, "child_map": child_map}
    (OUT / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    db = OUT / "warehouse.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA dango")
    model_names = [nodes[u]["name"] for u in ids["stg"] + ids["int"] + ids["fct"]]
    con.execute("CREATE TEMP TABLE m AS SELECT unnest(?) AS name", [model_names])
    con.execute(f"""CREATE TABLE dango.dango_column_profiles AS
        SELECT 'r1' AS run_id, now()::timestamp AS profiled_at, 'marts.' || m.name AS table_name,
               'col_' || i AS column_name,
               i + 1 AS ordinal, CASE WHEN i % 3 = 0 THEN 'VARCHAR' ELSE 'BIGINT' END AS data_type,
               CASE WHEN i % 3 = 0 THEN 'string' ELSE 'number' END AS kind, 100000::bigint AS row_count,
               (i * 7)::bigint AS null_count, i * 7 / 100000.0 AS null_share, (1000 + i)::bigint AS distinct_count,
               true AS distinct_approx, CASE WHEN i % 3 THEN '0' END AS min_value,
               CASE WHEN i % 3 THEN '99999' END AS max_value,
               CASE WHEN i % 3 THEN '49999.5' END AS mean_value, CASE WHEN i % 3 THEN '25000' END AS p25,
               CASE WHEN i % 3 THEN '50000' END AS p50, CASE WHEN i % 3 THEN '75000' END AS p75,
               CASE WHEN i % 3 = 0 THEN 3 END::bigint AS min_length,
               CASE WHEN i % 3 = 0 THEN 12 END::bigint AS max_length,
               CASE WHEN i % 3 = 0 THEN 7.5 END AS mean_length, '["a","b","c","d","e"]' AS top_values, false AS masked
        FROM m, range({columns}) r(i)""")
    con.execute("""CREATE TABLE dango.dango_audit_dbt_results AS
        SELECT 'dango_bench' AS dag_id, 'run_1' AS run_id, 'dbt' AS task_id, 1 AS try_number,
               'test.bench.' || t || '_' || m.name || '_col_0' AS unique_id, t AS node_name, 'test' AS resource_type,
               CASE WHEN hash(m.name) % 50 = 0 THEN 'fail' ELSE 'pass' END AS status, 0::bigint AS failures,
               NULL AS message, 0.1 AS execution_time_s, NULL AS tags, 'warn' AS severity, NULL AS attached_to,
               now() AS recorded_at FROM m, (VALUES ('unique'), ('not_null')) v(t)""")
    con.execute("""CREATE TABLE dango.dango_metric_history AS
        SELECT 'monitor_' || k AS monitor, (DATE '2026-09-01' + d::int)::timestamp AS bucket_start,
               '__total__' AS dimension,
               NULL AS dimension_value, 1000 + 100 * sin(d) + k AS value, 'r' AS run_id, now() AS computed_at
        FROM range(20) a(k), range(90) b(d)""")
    con.close()
    return manifest, db


def build_once(manifest_path: Path, db: Path, out: Path) -> float:
    from airflow_provider_dango.catalog.build import write_static
    from airflow_provider_dango.catalog.model import build_model, load_json
    from airflow_provider_dango.catalog.warehouse_reads import read_state, warehouse_rows
    from airflow_provider_dango.warehouse import Warehouse

    def read_state_of(path: Path) -> Any:
        with warehouse_rows(Warehouse.from_duckdb_file(path)) as rows:
            return read_state(rows)

    t0 = time.perf_counter()
    manifest = load_json(manifest_path)
    state = read_state_of(db)
    model = build_model(manifest, state, project_name="bench")
    write_static(model, out)
    return time.perf_counter() - t0


def first_render(index: Path, runs: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.catalog.conftest import CHROMIUM, CHROMIUM_ARGS

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context()
            page = context.new_page()
            page.goto(index.as_uri(), timeout=60_000)
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            times.append(page.evaluate("window.dangoReadyMs") / 1000)
            context.close()
        browser.close()
    return times


def search_latencies(index_html_dir: Path, queries: list[str]) -> list[float]:
    import logging

    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    import airflow_provider_dango.ui.app as ui
    from airflow_provider_dango.catalog.search import SearchIndex

    logging.disable(logging.INFO)  # the test client logs every request
    model = json.loads((index_html_dir / "catalog.json").read_text(encoding="utf-8"))
    index = SearchIndex(model)
    ui.project = lambda: None
    ui.CACHE.get = lambda _project: (model, index)
    app = ui.create_app()
    app.dependency_overrides[get_user] = lambda: SimpleNamespace(username="bench")
    client = TestClient(app)
    out = []
    for q in queries:
        t0 = time.perf_counter()
        r = client.get("/api/search", params={"q": q})
        out.append(time.perf_counter() - t0)
        assert r.status_code == 200
    return out


def profile_ratio(runs: int) -> dict[str, list[float]]:
    """The profile step (cached compiled statements, one transaction) vs hand-written queries computing the same
    statistics for the same tables (one SELECT per table), alternating, on the demo warehouse. Two hand-written
    baselines: `hand_read` only reads the statistics (read-only connection); `hand_write` stores them too, as the step
    must (`INSERT ... SELECT` per table into a scratch table, one transaction, read-write connection)."""
    from airflow_provider_dango.catalog.warehouse_reads import rows_over
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import load_manifest
    from airflow_provider_dango.profile import _list_tables, _masked_by_table, run_step
    from airflow_provider_dango.steps import Scope
    from airflow_provider_dango.warehouse import META_SCHEMA, for_project, quote_ident

    project = load_project(REPO / "examples" / "shop")
    warehouse = for_project(project)
    if not warehouse.exists():
        raise SystemExit("run `make demo` first: the profile figure uses the demo warehouse")
    scope = Scope(alerts=False)  # every user table, as `dango profile` does
    run_step(project, scope)  # compile and cache once, as the first DAG run does
    with warehouse.connect(read_only=True) as con:
        tables = _list_tables(con, None)[0]
        masked = _masked_by_table(project, rows_over(con), load_manifest(project))
    hand = []
    for label, cols in tables.items():
        schema, table = label.split(".", 1)
        parts = ["count(*)"]
        for name, data_type in cols:  # the step's statistics; none of the values of PII columns
            c, t, hidden = quote_ident(name), data_type.upper(), (label, name) in masked
            parts.append(f"count(*) - count({c}), least(approx_count_distinct({c}), count({c}))")
            top = [] if hidden else [f"to_json(approx_top_k({c}::varchar, 5))"]
            if t.startswith(("VARCHAR", "TEXT")):
                parts += [f"min(length({c})), max(length({c})), avg(length({c}))", *top]
            elif hidden:
                continue
            elif "TIME" in t or t == "DATE":
                parts.append(
                    f"min({c}), max({c}), avg(epoch({c})), approx_quantile({c}, 0.25), "
                    f"approx_quantile({c}, 0.5), approx_quantile({c}, 0.75), {top[0]}"
                )
            else:
                parts.append(
                    f"min({c}), max({c}), avg({c}::double), approx_quantile({c}, 0.25), "
                    f"approx_quantile({c}, 0.5), approx_quantile({c}, 0.75), {top[0]}"
                )
        hand.append((label, f"SELECT {', '.join(parts)} FROM {quote_ident(schema)}.{quote_ident(table)}"))
    scratch = f"{quote_ident(META_SCHEMA)}.bench_hand_profiles"
    with warehouse.connect() as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS {scratch} (run integer, table_name varchar, stats varchar)")
    out: dict[str, list[float]] = {"step": [], "hand_read": [], "hand_write": []}
    try:
        for i in range(runs):
            t0 = time.perf_counter()
            run_step(project, scope)
            out["step"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with warehouse.connect(read_only=True) as con:
                for _, sql in hand:
                    con.execute(sql).fetchall()
            out["hand_read"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with warehouse.connect() as con:
                con.execute("BEGIN TRANSACTION")
                for label, sql in hand:
                    con.execute(f"INSERT INTO {scratch} SELECT {i}, '{label}', to_json(x)::varchar FROM ({sql}) x")
                con.execute("COMMIT")
            out["hand_write"].append(time.perf_counter() - t0)
    finally:
        with warehouse.connect() as con:
            con.execute(f"DROP TABLE IF EXISTS {scratch}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--columns", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    manifest, db = generate(args.models, args.columns)
    out = OUT / "site"
    builds = [build_once(OUT / "manifest.json", db, out) for _ in range(args.runs)]
    html = (out / "index.html").stat().st_size
    data = (out / "catalog.json").stat().st_size
    renders = first_render(out / "index.html", max(args.runs, 5))
    names = [n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    rng = random.Random(3)
    queries = [rng.choice(names) for _ in range(100)] + [f"col_{rng.randrange(args.columns)}" for _ in range(50)]
    queries += [rng.choice(WORDS) for _ in range(50)] + [f"{w} {v}" for w, v in itertools.pairwise(WORDS)]
    latencies = sorted(search_latencies(out, queries))
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"project: {args.models} models x {args.columns} columns, {len(manifest['sources'])} sources")
    print(f"static build: median {statistics.median(builds):.2f} s  (runs: {', '.join(f'{b:.2f}' for b in builds)})")
    print(f"index.html: {html / 1e6:.2f} MB (data embedded); catalog.json: {data / 1e6:.2f} MB")
    print(
        f"first render in Chromium: median {statistics.median(renders):.2f} s "
        f"(runs: {', '.join(f'{r:.2f}' for r in renders)})"
    )
    print(
        f"search API: p95 {p95 * 1000:.1f} ms, median {statistics.median(latencies) * 1000:.1f} ms "
        f"over {len(latencies)} queries"
    )
    if args.profile:
        times = profile_ratio(max(args.runs, 7))
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in times.items():
            print(f"  {k}: median {med[k]:.3f} s (runs: {', '.join(f'{t:.3f}' for t in v)})")
        print(
            f"profile step (demo warehouse): ratio {med['step'] / med['hand_write']:.2f}x to the hand-written queries "
            f"storing the same statistics, {med['step'] / med['hand_read']:.2f}x to the same queries only reading them"
        )


if __name__ == "__main__":
    main()
