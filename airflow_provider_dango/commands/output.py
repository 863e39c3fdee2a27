"""Human output for the CLI: rich tables and colour when the terminal has them, plain text otherwise."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# soft_wrap: long lines (paths, FILE:LINE messages) stay one line, so they can be grepped and copied.
# Piped output (no terminal) gets a wide virtual width so table cells are not cut to fit 80 columns.
_PIPE_WIDTH = None if sys.stdout.isatty() else 200
console = Console(highlight=False, soft_wrap=True, width=_PIPE_WIDTH)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 200)


def table(title: str | None, columns: list[str], rows: list[list[Any]], right: set[int] | None = None) -> None:
    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for i, col in enumerate(columns):
        t.add_column(col, justify="right" if right and i in right else "left")
    for row in rows:
        t.add_row(*[f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in row])
    console.print(t)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str) + "\n")


@contextmanager
def output_to_file(path: Path) -> Iterator[Console]:
    """Send everything written to stdout/stderr (Airflow and dbt logs included) to `path`; yield a console that
    still reaches the terminal, for progress and the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = Console(file=os.fdopen(os.dup(saved_out), "w"), highlight=False, force_terminal=console.is_terminal)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.file.flush()


@contextmanager
def silenced_stdout() -> Iterator[None]:
    """Discard what is written to file descriptor 1 (dbt prints there directly, past sys.stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
