"""Run `dango sync` in this process and SIGKILL it at one chosen point of dlt's work (used by test_crash_safe_sync).

Usage: python crash_driver.py KILL_POINT PROJECT_DIR SOURCE. The kill is real: no cleanup, no atexit, no finally.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    import dlt
    from dlt.common.destination.client import RunnableLoadJob
    from dlt.destinations.job_client_impl import SqlJobClientBase

    if point == "before_normalize":
        dlt.Pipeline.normalize = lambda self, *a, **k: die()  # type: ignore[method-assign]
    elif point == "before_load":
        dlt.Pipeline.load = lambda self, *a, **k: die()  # type: ignore[method-assign]
    elif point in ("job_committed_unrecorded", "job_recorded"):
        # The first data job's rows are committed in the warehouse; dlt has (or has not yet) recorded that.
        original = RunnableLoadJob.set_run_vars

        def set_run_vars(self: Any, *args: Any, on_completed: Any = None, **kwargs: Any) -> None:
            def completed(state: str, message: Any) -> None:
                data_job = not self._load_table["name"].startswith("_dlt")
                if data_job and point == "job_committed_unrecorded":
                    die()
                if on_completed:
                    on_completed(state, message)
                if data_job:
                    die()

            original(self, *args, on_completed=completed, **kwargs)

        RunnableLoadJob.set_run_vars = set_run_vars  # type: ignore[method-assign]
    elif point == "load_recorded":
        # `_dlt_loads` has the row; the package is not yet moved to `loaded`.
        original_complete = SqlJobClientBase.complete_load

        def complete_load(self: Any, load_id: str) -> None:
            original_complete(self, load_id)
            die()

        SqlJobClientBase.complete_load = complete_load  # type: ignore[method-assign]
    elif point == "mid_atomic_save":
        # dlt saves a file into a package by writing `<stage>/<16 hex>` and renaming it into place: killed in
        # between, the temp file stays at the top of `load/normalized` (seen once in CI under the kill above).
        from dlt.common.storages.file_storage import FileStorage

        original_save = FileStorage.save_atomic

        def save_atomic(storage_path: str, relative_path: str, data: Any, file_type: str = "t") -> str:
            if os.path.basename(os.path.normpath(storage_path)) == "normalized":
                from dlt.common.utils import uniq_id

                with open(os.path.join(storage_path, uniq_id(8)), "w" + file_type) as f:
                    f.write(data)
                die()
            return original_save(storage_path, relative_path, data, file_type)

        FileStorage.save_atomic = staticmethod(save_atomic)  # type: ignore[method-assign]
    elif point == "after_load":
        original_load = dlt.Pipeline.load

        def load(self: Any, *args: Any, **kwargs: Any) -> Any:
            original_load(self, *args, **kwargs)
            die()

        dlt.Pipeline.load = load  # type: ignore[method-assign]
    elif point != "none":
        raise SystemExit(f"unknown kill point {point!r}")


if __name__ == "__main__":
    kill_point, project_dir, source = sys.argv[1:4]
    arm(kill_point)
    from airflow_provider_dango.cli import main

    sys.exit(main(["sync", source, "--project-dir", project_dir, "--json"]))
