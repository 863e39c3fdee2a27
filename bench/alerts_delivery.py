"""Alert delivery under faults: 1,000 events through three transports on 127.0.0.1.

  healthy  Slack Block Kit, always answers 200
  flaky    generic JSON with HMAC signature, answers 500 to every other request
  down     Teams Adaptive Card, connection refused until "recovery" (a server starts on its port after the burst)

Events are emitted from a pool of threads (like concurrent task callbacks) through the real router and SQLite outbox.
200 of the 1,000 repeat an earlier (type, key) within the dedup window and must be suppressed. After the burst the
down transport recovers and the outbox is flushed.

Reports: delivered per transport (target: every non-suppressed event, on every transport), duplicates beyond the
dedup rules (the same event received twice by one transport; target 0), and p50/p95 latency from emit to receipt on
the healthy transport (target p95 < 1 s).

Run: .venv/bin/python bench/alerts_delivery.py [--runs 3] [--events 1000] [--threads 8] [--retry-delays 0.05,0.2]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from airflow_provider_dango.alerts import Event, Outbox, Router
from airflow_provider_dango.alerts.receiver import Receiver
from airflow_provider_dango.config import NotificationsConfig

TYPES = ["sync_failed", "sync_completed", "schema_drift_detected", "pii_detected", "metric_alert", "dbt_test_failed"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeats", type=float, default=0.2, help="share of events repeating an earlier key")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--retry-delays", default="0.05,0.2", help="seconds between attempts (Dango: 5,15)")
    parser.add_argument("--timeout", type=float, default=2.0, help="per-request timeout in seconds")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("airflow_provider_dango.alerts").setLevel(logging.ERROR)  # per-attempt warnings: too many
    results = []
    for run in range(args.runs):
        print(f"--- run {run + 1}/{args.runs}")
        results.append(run_once(args, seed=run))
    ok = all(r[0] for r in results)
    p50s, p95s, undelivered, dupes = ([r[i] for r in results] for i in range(1, 5))
    print(
        f"=== median of {args.runs} runs: healthy p50 {statistics.median(p50s) * 1000:.0f} ms, "
        f"p95 {statistics.median(p95s) * 1000:.0f} ms; undelivered after recovery (max) {max(undelivered)}; "
        f"duplicates beyond dedup (max) {max(dupes)}"
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


def run_once(args: argparse.Namespace, seed: int) -> tuple[bool, float, float, int, int]:
    delays = [float(x) for x in args.retry_delays.split(",") if x]
    rng = random.Random(seed)

    lock = threading.Lock()
    flaky_count = [0]

    def flaky(_path: str, _n: int) -> int:
        with lock:
            flaky_count[0] += 1
            return 500 if flaky_count[0] % 2 == 1 else 200

    down_port = free_port()
    os.environ["BENCH_HMAC"] = "bench-signing-key"
    with tempfile.TemporaryDirectory() as tmp, Receiver() as healthy, Receiver(flaky) as half:
        config = NotificationsConfig.model_validate(
            {
                "webhooks": [
                    {
                        "name": "healthy",
                        "url": healthy.url("/slack"),
                        "format": "slack",
                        "timeout_seconds": args.timeout,
                    },
                    {
                        "name": "flaky",
                        "url": half.url("/json"),
                        "secret": "${BENCH_HMAC}",
                        "timeout_seconds": args.timeout,
                    },
                    {
                        "name": "down",
                        "url": f"http://127.0.0.1:{down_port}/teams",
                        "format": "teams",
                        "timeout_seconds": args.timeout,
                    },
                ],
                "retry_delays_seconds": delays,
                "dedup_window_minutes": 60,
            }
        )
        router = Router(config, Outbox(Path(tmp) / "outbox.sqlite"), cooldown_s=30)
        unique = int(args.events * (1 - args.repeats))
        specs = [(rng.choice(TYPES), f"key-{i}") for i in range(unique)]
        specs += [rng.choice(specs) for _ in range(args.events - unique)]
        rng.shuffle(specs)
        emitted_at: dict[str, float] = {}
        suppressed = Counter()

        def one(spec: tuple[str, str]) -> None:
            kind, key = spec
            event = Event(type=kind, schedule=f"bench_{key}", sources=["shop"], key=key, summary=f"bench {key}")
            emitted_at[event.event_id] = time.time()
            result = router.emit(event)
            if result.suppressed:
                with lock:
                    suppressed["n"] += 1

        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(one, specs))
        burst_s = time.monotonic() - t0
        pending_before = router.outbox.counts().get("down", {}).get("pending", 0)
        pending_flaky = router.outbox.counts().get("flaky", {}).get("pending", 0)
        # Recovery: the down transport comes back; the outbox is flushed (as the stale-check DAG does every 15 min).
        with Receiver(port=down_port) as back:
            t1 = time.monotonic()
            passes = 0
            while any(c.get("pending") for c in router.outbox.counts().values()) and passes < 100:
                router.flush(force=True)  # each pass stands for one run of the stale-check DAG
                passes += 1
            recover_s = time.monotonic() - t1
            got = {"healthy": healthy.received, "flaky": half.received, "down": back.received}
            expected = unique  # every distinct (type, key) once
            print(
                f"events emitted: {args.events} ({args.threads} threads), suppressed by dedup: {suppressed['n']} "
                f"(expected {args.events - unique}); burst took {burst_s:.1f} s; retry delays {delays}"
            )
            print(
                f"after the burst: {pending_before} pending for `down`, {pending_flaky} for `flaky`; after recovery "
                f"the outbox was flushed in {passes} pass(es), {recover_s:.1f} s"
            )
            ok = suppressed["n"] == args.events - unique
            undelivered = all_dupes = 0
            for name, received in got.items():
                ids = Counter(r.headers.get("X-Dango-Event-Id") for r in received)
                dupes = sum(n - 1 for n in ids.values() if n > 1)
                ok &= len(ids) == expected and dupes == 0
                undelivered += expected - len(ids)
                all_dupes += dupes
                print(f"  {name:8} delivered {len(ids):5}/{expected}  duplicates {dupes}")
            lat = sorted(r.at - emitted_at[r.headers["X-Dango-Event-Id"]] for r in healthy.received)
            p95 = lat[int(0.95 * (len(lat) - 1))]
            print(
                f"healthy transport latency: p50 {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {lat[-1] * 1000:.0f} ms"
            )
            counts = router.outbox.counts()
            print(f"outbox: {counts}")
            ok &= p95 < 1.0
    return ok, statistics.median(lat), p95, undelivered, all_dupes


if __name__ == "__main__":
    sys.exit(main())
