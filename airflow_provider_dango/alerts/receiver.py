"""A local HTTP receiver on 127.0.0.1 that records what it is sent: for `dango demo`, tests and the benchmark.

`behaviour(path, n)` (n = requests so far on that path, from 1) may return an HTTP status to answer, or a negative
number of seconds to hang before answering 200. Default: 200. `received` holds what was answered 200; `arrived`
holds every request as it came in (a sender killed mid-request shows there). `unique()` drops repeats of an
`Idempotency-Key`, as a receiver that honours it would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class Receiver:
    def __init__(self, behaviour: Callable[[str, int], float | int | None] | None = None, port: int = 0) -> None:
        self.behaviour = behaviour or (lambda _p, _n: 200)
        self.received: list[Received] = []
        self.arrived: list[Received] = []
        self.requests: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    n = receiver.requests[self.path] = receiver.requests.get(self.path, 0) + 1
                    receiver.arrived.append(Received(self.path, dict(self.headers), raw, time.time()))
                answer = receiver.behaviour(self.path, n)
                status = 200 if answer is None else answer
                if status < 0:
                    time.sleep(-status)
                    status = 200
                if status == 200:
                    with receiver._lock:
                        receiver.received.append(Received(self.path, dict(self.headers), raw, time.time()))
                try:
                    self.send_response(int(status))
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a hang test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def unique(self, path: str) -> list[Received]:
        """The requests that reached `path`, each Idempotency-Key once (the first arrival)."""
        seen: set[str] = set()
        out = []
        with self._lock:
            for r in self.arrived:
                key = r.headers.get("Idempotency-Key", "")
                if r.path == path and key not in seen:
                    seen.add(key)
                    out.append(r)
        return out

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
