"""The durable outbox: a local SQLite file holding every event, every delivery attempt and the dedup cursor.

Why a file and not memory: Airflow runs callbacks and tasks in separate, short-lived processes. An alert that could
not be delivered stays `pending` here and is retried by the next emit, by the `dango_stale_check` DAG (every few
minutes) or by `dango alerts flush`; the dedup cursor is shared by every process on the machine.
(Multi-machine deployments: put `outbox_path` on a shared volume.)

Exactly-once sending: a delivery is sent only by the process holding its lease (`lease_owner`, `lease_until`), taken
atomically (one `BEGIN IMMEDIATE` transaction) by `record` for the emitter or by `claim` for a flusher. Every sender
(emit from tasks and callbacks, the stale DAG's flush, `dango alerts flush`) goes through those two. A sender that dies
keeps its lease until `lease_until`; the delivery is then retried with the same event id, which the transports send
as the `Idempotency-Key` header so a receiver can drop that one possible repeat.

Storage sits behind `OutboxStore` (the methods the router uses). `Outbox(path)` keeps it in a local SQLite file (the
default with a DuckDB warehouse); `Outbox.in_warehouse(warehouse)` keeps the same tables in a server warehouse's
`dango` schema (`dango_alert_*`), so pending alerts, leases and the dedup cursor survive a worker being replaced and
are shared by every worker. The SQL is written once for both (`ON CONFLICT` upserts); a transaction is `BEGIN
IMMEDIATE` on SQLite and a transaction-scoped advisory lock on PostgreSQL, so both serialise writers the same way.

Tables: `events` (every event, routed or not), `deliveries` (one row per event and webhook: pending, delivered,
failed), `dedup` (last time each (type, key) was sent), `subjects` (failing or ok, for recovery messages),
`state` (small key/values such as when a source was first seen by the stale check).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from airflow_provider_dango.alerts.events import Event

TABLE_NAMES = ("events", "deliveries", "dedup", "subjects", "state")

SCHEMA = """
CREATE TABLE IF NOT EXISTS {events} (
    event_id TEXT PRIMARY KEY, type TEXT NOT NULL, severity TEXT NOT NULL, dedup_key TEXT NOT NULL,
    created_at {real} NOT NULL, outcome TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS {prefix}events_created ON {events} (created_at);
CREATE TABLE IF NOT EXISTS {deliveries} (
    event_id TEXT NOT NULL, webhook TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {real} NOT NULL, last_error TEXT, created_at {real} NOT NULL, delivered_at {real},
    lease_owner TEXT, lease_until {real} NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, webhook));
CREATE INDEX IF NOT EXISTS {prefix}deliveries_due ON {deliveries} (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS {dedup} (type TEXT NOT NULL, key TEXT NOT NULL, last_sent_at {real} NOT NULL,
    PRIMARY KEY (type, key));
CREATE TABLE IF NOT EXISTS {subjects} (subject TEXT PRIMARY KEY, state TEXT NOT NULL, since {real} NOT NULL);
CREATE TABLE IF NOT EXISTS {state} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# One advisory lock key for every outbox transaction on PostgreSQL (what BEGIN IMMEDIATE is to SQLite).
PG_LOCK_KEY = 0x64616E676F  # "dango"

FAILURE_TYPES = ("sync_failed", "dag_failed", "dbt_test_failed")
LEASE_COLUMNS = {"lease_owner": "TEXT", "lease_until": "REAL NOT NULL DEFAULT 0"}


@dataclass
class DueDelivery:
    event: Event
    webhook: str
    attempts: int


class OutboxStore(Protocol):
    """What the router needs from outbox storage; `Outbox` keeps it in SQLite. `owner` identifies one sender."""

    def admit(self, event: Event, window_s: float, now: float | None = None) -> bool: ...

    def record(
        self,
        event: Event,
        outcome: str,
        webhooks: list[str],
        now: float | None = None,
        lease_s: float = 0,
        owner: str | None = None,
    ) -> list[str]: ...

    def claim(
        self,
        now: float | None = None,
        limit: int = 500,
        webhooks: list[str] | None = None,
        lease_s: float = 120,
        owner: str | None = None,
    ) -> list[DueDelivery]: ...

    def mark_delivered(self, event_id: str, webhook: str, attempts: int, owner: str | None = None) -> None: ...

    def mark_failed(
        self, event_id: str, webhook: str, attempts: int, error: str, retry_at: float | None, owner: str | None = None
    ) -> None: ...

    def release(
        self, event_id: str, webhook: str, retry_at: float, note: str = ..., owner: str | None = None
    ) -> None: ...

    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...


class Outbox:
    """The `OutboxStore`: a local SQLite file (`Outbox(path)`) or a server warehouse (`Outbox.in_warehouse`)."""

    def __init__(self, path: str | Path | None = None, *, warehouse: Any = None) -> None:
        self.warehouse = warehouse
        if warehouse is not None:
            from airflow_provider_dango.warehouse import META_SCHEMA, qualified, quote_ident

            self.path = None
            self.where = f"{warehouse.target.describe()} ({META_SCHEMA}.dango_alert_*)"
            self.t = {name: qualified(f"dango_alert_{name}") for name in TABLE_NAMES}
            ddl = SCHEMA.format(real="double precision", prefix="dango_alert_", **self.t)
            with self._tx() as con:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(META_SCHEMA)}")
                for statement in filter(str.strip, ddl.split(";")):
                    con.execute(statement)
            return
        self.path = Path(path)  # type: ignore[arg-type]
        self.where = str(self.path)
        self.t = {name: name for name in TABLE_NAMES}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA.format(real="REAL", prefix="", **self.t))
            have = {row[1] for row in con.execute("PRAGMA table_info(deliveries)")}
            for column, ddl in LEASE_COLUMNS.items():
                if column not in have:  # an outbox written before leases existed
                    try:
                        con.execute(f"ALTER TABLE deliveries ADD COLUMN {column} {ddl}")
                    except sqlite3.OperationalError as exc:  # another process added it meanwhile
                        if "duplicate column" not in str(exc):
                            raise

    @classmethod
    def in_warehouse(cls, warehouse: Any) -> Outbox:
        """The outbox in a server warehouse's `dango` schema (shared by every worker)."""
        return cls(warehouse=warehouse)

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        if self.warehouse is not None:
            with self.warehouse.connect() as con:
                yield con
            return
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the last commits.
            con.execute("PRAGMA synchronous=NORMAL")
            yield con
        finally:
            con.close()

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        """One writer at a time, across processes and machines: BEGIN IMMEDIATE (SQLite) or an advisory lock held
        until COMMIT (PostgreSQL)."""
        with self._connect() as con:
            if self.warehouse is not None:
                con.execute("BEGIN")
                con.execute("SELECT pg_advisory_xact_lock(?)", [PG_LOCK_KEY])
            else:
                con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def admit(self, event: Event, window_s: float, now: float | None = None) -> bool:
        """Dedup and recovery in one transaction. False when the same (type, key) was sent within the window.

        A success that follows an alerted failure of the same subject (schedule) becomes a recovery
        (`event.recovered = True`), deduplicated as its own kind, so a flapping fail/success/fail/success sequence
        gives one failure alert and one recovery message per window.
        """
        now = time.time() if now is None else now
        with self._tx() as con:
            row = con.execute(f"SELECT state FROM {self.t['subjects']} WHERE subject = ?", [event.subject]).fetchone()
            if event.type in FAILURE_TYPES:
                con.execute(
                    f"INSERT INTO {self.t['subjects']} AS s VALUES (?, 'failing', ?) ON CONFLICT (subject) DO UPDATE "
                    "SET state = 'failing', since = CASE WHEN s.state = 'failing' THEN s.since "
                    "ELSE excluded.since END",
                    [event.subject, now],
                )
            elif event.type == "sync_completed":
                if row and row[0] == "failing":
                    event.recovered = True
                con.execute(
                    f"INSERT INTO {self.t['subjects']} VALUES (?, 'ok', ?) ON CONFLICT (subject) "
                    "DO UPDATE SET state = 'ok', since = excluded.since",
                    [event.subject, now],
                )
            kind = event.type + (":recovered" if event.recovered else "")
            if window_s > 0:
                last = con.execute(
                    f"SELECT last_sent_at FROM {self.t['dedup']} WHERE type = ? AND key = ?", [kind, event.dedup_key]
                ).fetchone()
                if last and now - last[0] < window_s:
                    return False
            con.execute(
                f"INSERT INTO {self.t['dedup']} VALUES (?, ?, ?) ON CONFLICT (type, key) "
                "DO UPDATE SET last_sent_at = ?",
                [kind, event.dedup_key, now, now],
            )
            return True

    def record(
        self,
        event: Event,
        outcome: str,
        webhooks: list[str],
        now: float | None = None,
        lease_s: float = 0,
        owner: str | None = None,
    ) -> list[str]:
        """Store the event (outcome: routed, suppressed, unrouted) and one pending delivery per webhook.

        With `lease_s` and `owner`, the caller is about to deliver these itself: in the same transaction it takes
        the lease of each pending delivery nobody else holds, and gets back the webhooks it may send to (an event
        recorded twice is sent once). If the caller dies mid-way, the deliveries become due when the lease ends."""
        now = time.time() if now is None else now
        with self._tx() as con:
            con.execute(
                f"INSERT INTO {self.t['events']} VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET "
                "type = excluded.type, severity = excluded.severity, dedup_key = excluded.dedup_key, "
                "created_at = excluded.created_at, outcome = excluded.outcome, body = excluded.body",
                [event.event_id, event.type, event.level.label, event.dedup_key, now, outcome, event.to_json()],
            )
            con.executemany(
                f"INSERT INTO {self.t['deliveries']} (event_id, webhook, status, attempts, next_attempt_at, "
                "last_error, created_at, delivered_at) VALUES (?, ?, 'pending', 0, ?, NULL, ?, NULL) "
                "ON CONFLICT DO NOTHING",
                [(event.event_id, w, now, now) for w in webhooks],
            )
            if not (lease_s > 0 and owner and webhooks):
                return []
            marks = ", ".join("?" for _ in webhooks)
            con.execute(
                f"UPDATE {self.t['deliveries']} SET lease_owner = ?, lease_until = ? WHERE event_id = ? "
                f"AND webhook IN ({marks}) "
                "AND status = 'pending' AND lease_until <= ?",
                [owner, now + lease_s, event.event_id, *webhooks, now],
            )
            rows = con.execute(
                f"SELECT webhook FROM {self.t['deliveries']} WHERE event_id = ? AND webhook IN ({marks}) "
                "AND lease_owner = ? AND status = 'pending'",
                [event.event_id, *webhooks, owner],
            ).fetchall()
        leased = {r[0] for r in rows}
        return [w for w in webhooks if w in leased]

    def mark_delivered(self, event_id: str, webhook: str, attempts: int, owner: str | None = None) -> None:
        """Delivered, whoever held the lease: the receiver has it."""
        with self._tx() as con:
            con.execute(
                f"UPDATE {self.t['deliveries']} SET status = 'delivered', attempts = attempts + ?, delivered_at = ?, "
                "last_error = NULL, lease_owner = NULL, lease_until = 0 WHERE event_id = ? AND webhook = ?",
                [attempts, time.time(), event_id, webhook],
            )

    def mark_failed(
        self,
        event_id: str,
        webhook: str,
        attempts: int,
        error: str,
        retry_at: float | None,
        owner: str | None = None,
    ) -> None:
        """`retry_at` None: a permanent failure (4xx), kept as `failed` for inspection; else pending until then.
        With `owner`, only while it still holds the lease: a sender whose lease ran out changes nothing."""
        status = "failed" if retry_at is None else "pending"
        with self._tx() as con:
            con.execute(
                f"UPDATE {self.t['deliveries']} SET status = ?, attempts = attempts + ?, last_error = ?, "
                "next_attempt_at = ?, lease_owner = NULL, lease_until = 0 WHERE event_id = ? AND webhook = ? "
                "AND status = 'pending' "
                "AND (? IS NULL OR lease_owner = ?)",
                [status, attempts, error, retry_at if retry_at is not None else 0, event_id, webhook, owner, owner],
            )

    def release(
        self,
        event_id: str,
        webhook: str,
        retry_at: float,
        note: str = "not attempted: webhook down",
        owner: str | None = None,
    ) -> None:
        """Give back the lease of a pending delivery, due again at `retry_at`, keeping its last error (or `note`)."""
        with self._tx() as con:
            con.execute(
                f"UPDATE {self.t['deliveries']} SET next_attempt_at = ?, last_error = coalesce(last_error, ?), "
                "lease_owner = NULL, lease_until = 0 WHERE event_id = ? AND webhook = ? AND status = 'pending' "
                "AND (? IS NULL OR lease_owner = ?)",
                [retry_at, note, event_id, webhook, owner, owner],
            )

    def claim(
        self,
        now: float | None = None,
        limit: int = 500,
        webhooks: list[str] | None = None,
        lease_s: float = 120,
        owner: str | None = None,
    ) -> list[DueDelivery]:
        """Take the leases of due pending deliveries, in one transaction. A delivery leased by another sender (an
        emit or a flush in progress) is never taken, not even by a forced flush (`now=inf`). A sender that dies
        while sending keeps its lease until it expires; the alert is retried then, with the same event id."""
        current = time.time()
        cutoff = current if now is None else now
        where = "d.status = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?"
        args: list = [cutoff, current]
        if webhooks is not None:
            where += f" AND d.webhook IN ({', '.join('?' for _ in webhooks)})"
            args.extend(webhooks)
        with self._tx() as con:
            rows = con.execute(
                f"SELECT d.event_id, e.body, d.webhook, d.attempts FROM {self.t['deliveries']} d "
                f"JOIN {self.t['events']} e USING (event_id) "
                f"WHERE {where} ORDER BY d.created_at LIMIT ?",
                [*args, limit],
            ).fetchall()
            con.executemany(
                f"UPDATE {self.t['deliveries']} SET lease_owner = ?, lease_until = ? "
                "WHERE event_id = ? AND webhook = ?",
                [(owner, current + lease_s, event_id, webhook) for event_id, _, webhook, _ in rows],
            )
        return [DueDelivery(Event.from_json(body), webhook, attempts) for _, body, webhook, attempts in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """{webhook: {status: n}}"""
        with self._connect() as con:
            rows = con.execute(f"SELECT webhook, status, count(*) FROM {self.t['deliveries']} GROUP BY 1, 2").fetchall()
        out: dict[str, dict[str, int]] = {}
        for webhook, status, n in rows:
            out.setdefault(webhook, {})[status] = n
        return out

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[dict]:
        with self._connect() as con:
            sql = (
                "SELECT d.event_id, e.type, e.severity, d.webhook, d.status, d.attempts, d.last_error, d.created_at "
                f"FROM {self.t['deliveries']} d JOIN {self.t['events']} e USING (event_id)"
            )
            args: list = []
            if status:
                sql += " WHERE d.status = ?"
                args.append(status)
            sql += " ORDER BY d.created_at DESC LIMIT ?"
            args.append(limit)
            cur = con.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def events_since(self, since: float) -> list[tuple[Event, str]]:
        with self._connect() as con:
            rows = con.execute(
                f"SELECT body, outcome FROM {self.t['events']} WHERE created_at >= ? ORDER BY created_at", [since]
            ).fetchall()
        return [(Event.from_json(body), outcome) for body, outcome in rows]

    def get_state(self, key: str) -> str | None:
        with self._connect() as con:
            row = con.execute(f"SELECT value FROM {self.t['state']} WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._tx() as con:
            con.execute(
                f"INSERT INTO {self.t['state']} VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
