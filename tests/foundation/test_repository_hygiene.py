"""The repository never ships a project's generated state.

dlt's working folder under `.dango/state/` was once committed by accident; a fresh clone's first sync then found a
half-made load package and failed. `git ls-files` is what a clone receives, so that is what this checks.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def test_no_generated_state_is_tracked() -> None:
    tracked = _tracked_files()
    offenders = [p for p in tracked if "/.dango/state/" in f"/{p}" or p.endswith((".duckdb", ".duckdb.wal"))]
    offenders += [p for p in tracked if "/target/" in f"/{p}" or "/logs/dbt.log" in f"/{p}"]
    assert offenders == [], f"generated files are committed: {offenders[:10]}"


def test_gitignore_covers_state_at_any_depth() -> None:
    probe = "examples/any/.dango/state/dlt/pipelines/x/state.json"
    result = subprocess.run(["git", "check-ignore", "-q", probe], cwd=REPO)
    assert result.returncode == 0, f"{probe} is not ignored by .gitignore"
