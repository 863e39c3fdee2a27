"""A throw-away Redis on 127.0.0.1 (Debian's `redis-server`), the Celery broker for tests and benchmarks.

No persistence, a temporary working folder, a free port; stopped (and its folder removed) when the context ends.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RedisUnavailable(RuntimeError):
    """No `redis-server` on this machine (`.ci/run` installs it from Debian's packages)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def running_redis() -> Iterator[str]:
    """Yield the URL of a fresh Redis (`redis://127.0.0.1:<port>/0`); the server is stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("no redis-server binary (apt-get install redis-server)")
    root = Path(tempfile.mkdtemp(prefix="dango-redis-"))
    port = _free_port()
    log = open(root / "redis.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(root), "--daemonize", "no", "--protected-mode", "yes"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _ping(port):
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {proc.returncode}: {(root / 'redis.log').read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server not answering on 127.0.0.1:{port} after 30 s")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
