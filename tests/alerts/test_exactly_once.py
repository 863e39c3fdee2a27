"""Exactly-once alerts: concurrent senders (real processes) never send one alert twice; a sender killed mid-request
keeps its lease until it expires, and the retry carries the same Idempotency-Key, so the receiver sees each event once.
Each test runs with the outbox in a local SQLite file (a DuckDB project) and in a PostgreSQL warehouse (shared by
every worker).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from airflow_provider_dango.alerts import Event, Outbox, outbox_for, router_for
from airflow_provider_dango.alerts.receiver import Receiver
from airflow_provider_dango.config import load_project
from tests.conftest import REPO
from tests.services.postgres import postgres_profile


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where the outbox lives: a SQLite file (`outbox_path`), or the PostgreSQL warehouse (no `outbox_path`)."""
    if request.param == "postgres":
        for key, value in request.getfixturevalue("postgres_db").env().items():
            monkeypatch.setenv(key, value)  # the subprocesses below inherit them
    return request.param


def make_project(root: Path, url: str, backend: str, lease_seconds: float | None = None) -> Path:
    (root / ".dango").mkdir(parents=True)
    lease = f"  lease_seconds: {lease_seconds}\n" if lease_seconds else ""
    where = "  outbox_path: outbox.sqlite\n" if backend == "duckdb" else ""
    (root / ".dango" / "schedules.yml").write_text(
        "schedules: []\n"
        "notifications:\n"
        "  webhooks:\n"
        f"    - name: ops\n      url: {url}\n      timeout_seconds: 300\n"
        "  retry_delays_seconds: []\n"
        f"{where}{lease}"
    )
    if backend == "postgres":
        (root / "dbt").mkdir()
        (root / "dbt" / "dbt_project.yml").write_text("name: pg_alerts\nversion: '1'\nconfig-version: 2\n")
        (root / "dbt" / "profiles.yml").write_text(postgres_profile("pg_alerts", target="ci"))
    return root


def outbox_of(root: Path) -> Outbox:
    outbox = outbox_for(load_project(root))
    assert (outbox.warehouse is None) == (outbox.path == root / "outbox.sqlite")
    return outbox


def pending_alerts(root: Path, n: int) -> list[str]:
    outbox = outbox_of(root)
    events = [Event(type="metric_alert", key=f"m{i}", summary=f"monitor {i} flagged") for i in range(n)]
    for event in events:
        outbox.record(event, "routed", ["ops"])
    return [e.event_id for e in events]


def dango(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("DANGO_ALERTS_OUTBOX", None)
    return subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_dango.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen) -> None:
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]


def assert_once_each(receiver: Receiver, event_ids: list[str]) -> None:
    arrived = receiver.arrived
    assert sorted(r.headers["X-Dango-Event-Id"] for r in arrived) == sorted(event_ids)  # one request per event
    assert all(r.headers["Idempotency-Key"] == r.headers["X-Dango-Event-Id"] for r in arrived)


@pytest.mark.parametrize("flushers", [2, 5])
def test_concurrent_flushes_send_each_alert_once(tmp_path: Path, flushers: int, backend: str) -> None:
    with Receiver(lambda _p, _n: -0.3) as slow:  # each request takes 0.3 s
        root = make_project(tmp_path / "p", slow.url("/ops"), backend)
        ids = pending_alerts(root, 10)
        procs = [dango("alerts", "flush", "--project-dir", str(root)) for _ in range(flushers)]
        for proc in procs:
            finish(proc)
        assert_once_each(slow, ids)
    assert outbox_of(root).counts() == {"ops": {"delivered": 10}}


EMIT = """
import sys
from airflow_provider_dango.alerts import Event, emit
from airflow_provider_dango.config import load_project
result = emit(load_project(sys.argv[1]), Event(type="metric_alert", key="slow", summary="slow one"))
assert result is not None and result.delivered == ["ops"], result
"""


def test_flush_leaves_an_alert_that_is_in_flight_alone(tmp_path: Path, backend: str) -> None:
    """A task's emit is sending to a slow receiver; a flush meanwhile must not send it again."""
    in_flight = threading.Event()
    flushed = threading.Event()

    def behaviour(_path: str, _n: int) -> float:
        in_flight.set()
        flushed.wait(300)  # the emit's request stays in flight until the flush below has finished
        return 200

    with Receiver(behaviour) as slow:
        root = make_project(tmp_path / "p", slow.url("/ops"), backend)
        env = dict(os.environ, PYTHONPATH=str(REPO))
        emitter = subprocess.Popen([sys.executable, "-c", EMIT, str(root)], env=env, stderr=subprocess.PIPE, text=True)
        assert in_flight.wait(120)
        finish(dango("alerts", "flush", "--project-dir", str(root)))
        assert len(slow.arrived) == 1
        assert emitter.poll() is None, "the emit finished before the flush ran; the test proves nothing"
        flushed.set()
        assert emitter.wait(120) == 0, emitter.stderr.read() if emitter.stderr else ""
        assert len(slow.arrived) == 1


LEASE = 10.0


def test_flush_killed_mid_request_is_retried_once_with_the_same_key(tmp_path: Path, backend: str) -> None:
    in_flight = threading.Event()

    def behaviour(_path: str, n: int) -> float:
        if n == 1:
            in_flight.set()
            return -60  # the first request hangs: its sender is killed meanwhile
        return 200

    with Receiver(behaviour) as receiver:
        root = make_project(tmp_path / "p", receiver.url("/ops"), backend, lease_seconds=LEASE)
        [event_id] = pending_alerts(root, 1)
        killed = dango("alerts", "flush", "--project-dir", str(root))
        assert in_flight.wait(120)
        t_sent = time.time()
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(30) == -signal.SIGKILL
        # The dead sender still holds the lease: a flush now (in this process, well within the lease) sends nothing.
        assert router_for(load_project(root)).flush(force=True).delivered == 0
        assert time.time() < t_sent + LEASE, "the check above ran after the lease expired; it proves nothing"
        assert len(receiver.arrived) == 1
        time.sleep(max(0.0, t_sent + LEASE + 0.5 - time.time()))
        finish(dango("alerts", "flush", "--project-dir", str(root)))  # lease expired: retried
        assert [r.headers["Idempotency-Key"] for r in receiver.arrived] == [event_id, event_id]
        assert [r.headers["Idempotency-Key"] for r in receiver.unique("/ops")] == [event_id]
        finish(dango("alerts", "flush", "--project-dir", str(root)))
        assert len(receiver.arrived) == 2
    assert outbox_of(root).counts() == {"ops": {"delivered": 1}}
