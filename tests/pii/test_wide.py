"""A wide table does not blow up the scan (issue 16, item 3): columns are judged in batches of bounded width, so the
scan's memory stays flat. Before batching, 300 string columns took 1.5 GB and 600 took 4.6 GB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.pii.warehouses import WarehouseProject

RUNNER = """
import json, resource, sys
from dbt.cli.main import dbtRunner
res = dbtRunner().invoke(sys.argv[1:])
print(json.dumps({"ok": res.success, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def test_wide_table_is_scanned_in_bounded_memory(tmp_path: Path) -> None:
    project = WarehouseProject(tmp_path / "p", "duckdb")
    shapes = [
        "'user' || r || '@example.org'", "'SKU-' || r", "['Berlin','Paris','Rome'][1 + r % 3]",
        "(r % 7) || '.' || (r % 13) || '.' || (r % 29) || '.' || (r % 31)", "md5(r::VARCHAR)",
        "'leave at the door ' || r", "['Anna Schmidt','Jürgen van der Berg','Zoé Dubois'][1 + r % 3]",
    ]
    select = ", ".join(f"({shapes[i % len(shapes)]})::VARCHAR AS col_{i:03d}" for i in range(420))
    with duckdb.connect(str(project.warehouse)) as con:
        con.execute("CREATE SCHEMA wide")
        con.execute(f"CREATE TABLE wide.t AS SELECT {select} FROM range(200) t(r)")
    args = ["--quiet", "run-operation", "dango_monitors.pii_scan", "--args", json.dumps({"run_id": "w"}),
            "--project-dir", str(project.root), "--profiles-dir", str(project.root)]
    out = subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, timeout=900)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"], out.stdout[-3000:]
    # Before batching, 300 columns took 1.5 GB; batched, 420 columns measure 0.55-0.8 GB depending on what the
    # environment makes dbt load, so the cap leaves room for that and still fails on the unbatched scan.
    assert result["rss_mb"] < 1000, result
    with duckdb.connect(str(project.warehouse)) as con:
        found = con.execute("SELECT column_name, entity FROM dango.dango_pii_findings WHERE run_id = 'w'").fetchall()
    # Every 7th column from col_000 holds emails, every 7th from col_006 full names; the last batch is judged too.
    assert {(f"col_{i:03d}", "EMAIL_ADDRESS") for i in range(0, 420, 7)} <= set(found)
    assert ("col_419", "PERSON") in found
    assert {e for _, e in found} == {"EMAIL_ADDRESS", "PERSON"}
