"""DagBag load time for a project with 100 schedules of mixed types over a ~30-model dbt project.

What it measures: the time Airflow's DagBag takes to import `dags/dango_dags.py` and build every DAG (config
loading, Cosmos rendering from the manifest), in a fresh process per run, with Airflow itself already imported
(as in the DAG processor). Reports the median over --runs runs. Target: <= 5 s on a 2-core machine.

    .venv/bin/python bench/dagbag_load.py [--schedules 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
N_SOURCES = 10


def make_project(root: Path, n_schedules: int) -> None:
    """10 dlt sources, a 30-model dbt project (10 staging, 10 intermediate, 10 marts, with tests), n schedules."""
    dango = root / ".dango"
    dango.mkdir(parents=True)
    (dango / "project.yml").write_text("project:\n  name: bench\n")
    (root / "pipelines").mkdir()
    (root / "pipelines" / "__init__.py").write_text("")
    (root / "pipelines" / "src.py").write_text(
        "import dlt\n\n@dlt.resource(name='items')\ndef items(n: int = 10):\n"
        "    yield from ({'id': i} for i in range(n))\n"
    )
    (dango / "sources.yml").write_text(
        "sources:\n" + "".join(f"  - name: src_{i}\n    function: pipelines.src:items\n" for i in range(N_SOURCES))
    )
    kinds = ["sync", "sync", "sync", "sync_only", "dbt"]
    crons = ["every_15m", "every_hour", "every_6h", "daily", "weekly", "30 2 * * *"]
    lines = ["schedules:"]
    for i in range(n_schedules):
        kind = kinds[i % len(kinds)]
        sources = [f"src_{i % N_SOURCES}", f"src_{(i + 3) % N_SOURCES}"]
        lines.append(f"  - name: s_{i:03d}\n    type: {kind}\n    cron: '{crons[i % len(crons)]}'")
        lines.append(f"    timezone: {'Europe/Berlin' if i % 2 else 'UTC'}\n    tags: [bench]")
        if kind == "dbt":
            lines.append(f"    dbt_command: dbt build --select marts.mart_{i % 10}+")
        else:
            lines.append(f"    sources: [{', '.join(sources)}]")
    (dango / "schedules.yml").write_text("\n".join(lines) + "\n")

    dbt = root / "dbt"
    (dbt / "models" / "staging").mkdir(parents=True)
    (dbt / "models" / "intermediate").mkdir()
    (dbt / "models" / "marts").mkdir()
    (dbt / "dbt_project.yml").write_text(
        "name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\nmodel-paths: [models]\n"
    )
    (dbt / "profiles.yml").write_text(
        "bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('DANGO_WAREHOUSE', 'bench.duckdb') }}\"\n"
    )
    sources_yml = ["version: 2", "sources:"]
    models_yml = ["version: 2", "models:"]
    for i in range(N_SOURCES):
        sources_yml.append(f"  - name: src_{i}\n    schema: raw_src_{i}\n    tables:\n      - name: items")
        stg = f"select id from {{{{ source('src_{i}', 'items') }}}}\n"
        (dbt / "models" / "staging" / f"stg_{i}.sql").write_text(stg)
        (dbt / "models" / "intermediate" / f"int_{i}.sql").write_text(
            f"select a.id from {{{{ ref('stg_{i}') }}}} a "
            f"join {{{{ ref('stg_{(i + 1) % N_SOURCES}') }}}} b using (id)\n"
        )
        (dbt / "models" / "marts" / f"mart_{i}.sql").write_text(f"select id from {{{{ ref('int_{i}') }}}}\n")
        for name in (f"stg_{i}", f"int_{i}", f"mart_{i}"):
            models_yml.append(
                f"  - name: {name}\n    columns:\n      - name: id\n        data_tests: [not_null, unique]"
            )
    (dbt / "models" / "staging" / "_sources.yml").write_text("\n".join(sources_yml) + "\n")
    (dbt / "models" / "_models.yml").write_text("\n".join(models_yml) + "\n")


LOAD_SNIPPET = textwrap.dedent(
    """
    import json, os, sys, time
    import airflow  # preloaded, as in Airflow's DAG processor
    from airflow.dag_processing.dagbag import DagBag
    t0 = time.perf_counter()
    bag = DagBag(dag_folder=sys.argv[1], safe_mode=True)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": elapsed, "dags": len(bag.dags), "errors": bag.import_errors,
                      "tasks": sum(len(d.tasks) for d in bag.dags.values())}))
    """
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schedules", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dango-bench-") as tmp:
        root = Path(tmp) / "project"
        make_project(root, args.schedules)
        sys.path.insert(0, str(REPO))
        from airflow_provider_dango.config import load_project
        from airflow_provider_dango.dbt import build_manifest

        build_manifest(load_project(root))
        dags = Path(tmp) / "dags"
        dags.mkdir()
        shutil.copy(REPO / "dags" / "dango_dags.py", dags / "dango_dags.py")
        env = {
            **os.environ,
            "DANGO_PROJECT_DIR": str(root),
            "AIRFLOW_HOME": str(Path(tmp) / "airflow"),
            "AIRFLOW__COSMOS__CACHE_DIR": str(Path(tmp) / "cosmos"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        }
        results = []
        for _ in range(args.runs):
            proc = subprocess.run(
                [sys.executable, "-c", LOAD_SNIPPET, str(dags)], env=env, capture_output=True, text=True, check=True
            )
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        first = results[0]
        if first["errors"]:
            print("import errors:", first["errors"], file=sys.stderr)
            return 1
        times = [r["seconds"] for r in results]
        print(
            f"{first['dags']} DAGs, {first['tasks']} tasks, dbt project of 30 models + 60 tests; "
            f"DagBag load over {args.runs} fresh processes: median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
