"""DuckDB allows one writer per file: dango's tasks must never collide on it, even when Airflow runs them in
parallel processes. Two sources sync and dbt builds at the same time, in three real processes, on one warehouse."""

from __future__ import annotations

import multiprocessing as mp
import textwrap
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from airflow_provider_dango.warehouse import for_project
from tests.conftest import REPO


def _sync(root: str, source: str, queue: mp.Queue) -> None:
    try:
        from airflow_provider_dango.config import load_project
        from airflow_provider_dango.sync import run_sync

        result = run_sync(load_project(root), source, run_id="parallel")
        queue.put((source, "ok", result.total_rows))
    except Exception as exc:  # reported to the test, which fails with the message
        queue.put((source, "error", repr(exc)))


def _dbt(root: str, queue: mp.Queue) -> None:
    try:
        from airflow_provider_dango.config import load_project
        from airflow_provider_dango.dbt import run_dbt

        run_dbt(load_project(root), ["build", "--select", "stg_customers", "stg_orders", "--threads", "2"])
        queue.put(("dbt", "ok", 0))
    except Exception as exc:
        queue.put(("dbt", "error", repr(exc)))


@pytest.fixture
def two_source_project(shop_project: Path) -> Path:
    (shop_project / ".dango" / "sources.yml").write_text(
        textwrap.dedent(
            """\
            sources:
              - name: shop
                function: pipelines.shop_source:shop
              - name: shop_eu
                function: pipelines.shop_source:shop
                args: {customers: 300, seed: 7}
            """
        )
    )
    return shop_project


def test_parallel_syncs_and_dbt_share_one_duckdb_file(two_source_project: Path) -> None:
    from airflow_provider_dango.config import load_project
    from airflow_provider_dango.dbt import build_manifest
    from airflow_provider_dango.sync import run_sync

    root = str(two_source_project)
    build_manifest(load_project(root))
    run_sync(load_project(root), "shop")  # dbt below reads raw_shop; load it once first
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    procs = [
        ctx.Process(target=_sync, args=(root, "shop", queue)),
        ctx.Process(target=_sync, args=(root, "shop_eu", queue)),
        ctx.Process(target=_dbt, args=(root, queue)),
    ]
    for p in procs:
        p.start()
    results = {}
    for _ in procs:
        source, status, detail = queue.get(timeout=300)
        results[source] = (status, detail)
    for p in procs:
        p.join(timeout=60)
    assert all(status == "ok" for status, _ in results.values()), results
    warehouse = for_project(load_project(root)).path
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM raw_shop_eu.customers").fetchone()[0] == 300
    assert con.execute("SELECT count(*) FROM staging.stg_customers").fetchone()[0] == 500
    con.close()


def test_lock_waits_instead_of_failing(tmp_path: Path) -> None:
    from airflow_provider_dango.warehouse import WarehouseBusyError, connect, warehouse_lock

    path = tmp_path / "w.duckdb"
    ctx = mp.get_context("spawn")
    held = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(path), 1.5, held))
    holder.start()
    assert held.wait(60)  # the other process now holds the lock for 1.5 s
    t0 = time.monotonic()
    with connect(path) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    assert time.monotonic() - t0 > 0.5  # it waited for the holder instead of failing
    holder.join()
    held.clear()
    holder = ctx.Process(target=_hold_lock, args=(str(path), 3, held))
    holder.start()
    assert held.wait(60)
    with pytest.raises(WarehouseBusyError, match="stayed locked"), warehouse_lock(path, timeout_s=0.5):
        pass
    holder.join()


def _hold_lock(path: str, seconds: float, held: Any) -> None:
    from airflow_provider_dango.warehouse import warehouse_lock

    with warehouse_lock(Path(path)):
        held.set()
        time.sleep(seconds)


def test_every_warehouse_task_is_in_the_pool(built_shop: Path) -> None:
    from airflow_provider_dango.dag_factory import build_dags

    dag = build_dags(built_shop)["dango_shop_daily"]
    assert {t.pool for t in dag.tasks} == {"dango_warehouse"}
    assert REPO.exists()
