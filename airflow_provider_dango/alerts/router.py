"""The router: which webhooks get an event, dedup, then isolated delivery with retries, through the outbox.

Routing (in order):
  1. the category switch of the `notifications:` block (on_failure, on_success, on_stale, on_governance,
     on_analysis); a recovery message counts as `failure` (it closes a failure alert);
  2. the schedule's `notify_on` (when not empty) for the failure / success / stale categories;
  3. per webhook: `events:` (when not empty) and `min_severity:`.
Delivery: each webhook in its own thread, so a hanging or broken one never delays or blocks the others; up to
1 + len(retry_delays) attempts on 5xx / 429 / timeouts / connection errors, none on other 4xx. What is still
undelivered stays `pending` in the outbox and is retried by `flush()`. A router sends only what it holds the outbox
lease of (taken by `emit` when it records the event, or by `flush` when it claims), so concurrent senders never send
one alert twice. A webhook whose last `cooldown_after` events
(default 3) each failed every attempt is "cooling down" for `cooldown_s` (recorded in the outbox, so other processes
know too): further events for it go straight to the outbox instead of waiting through the retries again; `flush()`
still probes it, and one success ends the cooldown.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from airflow_provider_dango.alerts.events import Event, Severity
from airflow_provider_dango.alerts.outbox import OutboxStore
from airflow_provider_dango.alerts.secrets import redact
from airflow_provider_dango.alerts.transports.base import DeliveryError, Transport, build_transport
from airflow_provider_dango.config.notifications import NotificationsConfig, Webhook
from airflow_provider_dango.flushing import FlushResult

log = logging.getLogger("airflow_provider_dango.alerts")


@dataclass
class EmitResult:
    event: Event
    suppressed: bool = False
    targets: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def category_enabled(config: NotificationsConfig, event: Event, notify_on: Sequence[str] = ()) -> bool:
    category = "failure" if event.recovered else event.category
    flags = {
        "failure": config.on_failure,
        "success": config.on_success,
        "stale": config.on_stale,
        "governance": config.on_governance,
        "analysis": config.on_analysis,
    }
    if not flags.get(category, False):
        return False
    return not (notify_on and category in ("failure", "success", "stale") and category not in notify_on)


def webhook_accepts(webhook: Webhook, event: Event) -> bool:
    floor = Severity.parse(webhook.min_severity)
    if event.recovered:
        # A recovery goes wherever the failure could have gone.
        from airflow_provider_dango.alerts.outbox import FAILURE_TYPES

        wanted = not webhook.events or any(e in webhook.events for e in (*FAILURE_TYPES, "sync_completed"))
        return wanted and floor <= Severity.ERROR
    if webhook.events and event.type not in webhook.events:
        return False
    return event.level >= floor


def route(config: NotificationsConfig, event: Event, notify_on: Sequence[str] = ()) -> list[Webhook]:
    if event.type == "test" or not category_enabled(config, event, notify_on):
        return []
    return [w for w in config.webhooks if webhook_accepts(w, event)]


class Router:
    def __init__(
        self,
        config: NotificationsConfig,
        outbox: OutboxStore,
        transports: dict[str, Transport] | None = None,
        notify_on: Callable[[Event], Sequence[str]] | None = None,
        retry_delays: Sequence[float] | None = None,
        cooldown_s: float = 30.0,
        cooldown_after: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.transports: dict[str, Transport] = dict(transports or {})
        for webhook in config.webhooks:
            self.transports.setdefault(webhook.name, build_transport(webhook))
        self.notify_on = notify_on or (lambda _e: ())
        self.retry_delays = list(config.retry_delays_seconds if retry_delays is None else retry_delays)
        self.cooldown_s = cooldown_s
        self.cooldown_after = cooldown_after
        timeouts = [w.timeout_seconds for w in config.webhooks] or [10.0]
        # How long an in-flight delivery may take (all attempts and waits): nobody else claims it meanwhile.
        worst_case = (1 + len(self.retry_delays)) * max(timeouts) + sum(self.retry_delays) + 30
        self.lease_s = config.lease_seconds or worst_case
        self.owner = uuid.uuid4().hex  # this sender, in the outbox's leases
        self.drain_on_success = True
        self.drain_limit = 50
        self.sleep = sleep

    # --- routing -----------------------------------------------------------------------------------------------
    def targets(self, event: Event) -> list[str]:
        return [w.name for w in route(self.config, event, self.notify_on(event)) if w.name in self.transports]

    def emit(self, event: Event) -> EmitResult:
        """Route, dedup, store, deliver. Never raises for a delivery problem (the outbox keeps the alert)."""
        result = EmitResult(event)
        result.targets = self.targets(event)
        if not self.outbox.admit(event, self.config.dedup_window_minutes * 60):
            result.suppressed = True
            self.outbox.record(event, "suppressed", [])
            log.info("alert %s (%s) suppressed: already sent within the dedup window", event.type, event.dedup_key)
            return result
        result.targets = self.targets(event)  # admit() may have turned a success into a recovery
        outcome = "routed" if result.targets else "unrouted"
        leased = self.outbox.record(event, outcome, result.targets, lease_s=self.lease_s, owner=self.owner)
        if not result.targets:
            return result
        # A delivery this router did not get the lease of is being sent by someone else (same event emitted twice).
        result.pending.extend(name for name in result.targets if name not in leased)
        outcomes = self._deliver_all([(event, name, 0) for name in leased])
        for name, outcome in zip(leased, outcomes, strict=True):
            getattr(result, outcome).append(name)
        if result.delivered and self.drain_on_success:
            # The webhooks that just worked may have older alerts waiting: send those now too.
            self.flush(limit=self.drain_limit, webhooks=result.delivered)
        return result

    def send_now(self, event: Event, webhook_names: Sequence[str]) -> EmitResult:
        """Bypass routing and dedup (for `dango webhook test`), still through the outbox."""
        result = EmitResult(event, targets=list(webhook_names))
        leased = self.outbox.record(event, "routed", result.targets, lease_s=self.lease_s, owner=self.owner)
        result.pending.extend(name for name in result.targets if name not in leased)
        outcomes = self._deliver_all([(event, n, 0) for n in leased], respect_cooldown=False)
        for name, outcome in zip(leased, outcomes, strict=True):
            getattr(result, outcome).append(name)
        return result

    # --- delivery ----------------------------------------------------------------------------------------------
    def _deliver_all(self, jobs: list[tuple[Event, str, int]], respect_cooldown: bool = True) -> list[str]:
        if len(jobs) == 1:
            return [self._deliver(*jobs[0], respect_cooldown=respect_cooldown)]
        with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="dango-alert") as pool:
            futures = [pool.submit(self._deliver, e, n, a, respect_cooldown) for e, n, a in jobs]
            return [f.result() for f in futures]

    def _deliver(self, event: Event, name: str, previous_attempts: int, respect_cooldown: bool = True) -> str:
        """One webhook, with retries. Returns 'delivered', 'pending' or 'failed'."""
        transport = self.transports[name]
        failures, cooling_until = self._health(name)
        if respect_cooldown and cooling_until > time.time():
            self.outbox.release(event.event_id, name, cooling_until, owner=self.owner)
            return "pending"
        attempts = 0
        error = ""
        for attempt in range(1 + len(self.retry_delays)):
            attempts += 1
            try:
                transport.send(event)
            except DeliveryError as exc:
                error = self._clean(transport, str(exc))
                if not exc.retryable:
                    log.warning("alert %s to %s failed permanently: %s", event.type, name, error)
                    self.outbox.mark_failed(event.event_id, name, attempts, error, None, owner=self.owner)
                    return "failed"
            except Exception as exc:  # a bug in a transport must not take the others down
                error = self._clean(transport, f"{type(exc).__name__}: {exc}")
            else:
                self.outbox.mark_delivered(event.event_id, name, attempts, owner=self.owner)
                if failures or cooling_until:  # it works again: forget its failures, end any cooldown
                    self._set_health(name, 0, 0.0)
                return "delivered"
            if attempt < len(self.retry_delays):
                log.info(
                    "alert %s to %s: attempt %d failed (%s), retrying in %g s",
                    event.type,
                    name,
                    previous_attempts + attempts,
                    error,
                    self.retry_delays[attempt],
                )
                self.sleep(self.retry_delays[attempt])
        failures = self._health(name)[0] + 1
        now = time.time()
        if failures >= self.cooldown_after:
            retry_at = now + self.cooldown_s
            self._set_health(name, failures, retry_at)
        else:
            # Not (yet) considered down: due again soon, so the next success to this webhook drains it.
            retry_at = now + max(self.retry_delays, default=self.cooldown_s)
            self._set_health(name, failures, 0.0)
        log.warning(
            "alert %s to %s not delivered after %d attempt(s): %s; kept in the outbox",
            event.type,
            name,
            attempts,
            error,
        )
        self.outbox.mark_failed(event.event_id, name, attempts, error, retry_at, owner=self.owner)
        return "pending"

    def _health(self, name: str) -> tuple[int, float]:
        """(events in a row that failed every attempt, cooling down until): kept in the outbox for all processes."""
        stored = self.outbox.get_state(f"health.{name}")
        if not stored:
            return 0, 0.0
        failures, _, until = stored.partition(" ")
        return int(failures), float(until)

    def _set_health(self, name: str, failures: int, until: float) -> None:
        self.outbox.set_state(f"health.{name}", f"{failures} {until!r}")

    @staticmethod
    def _clean(transport: Transport, text: str) -> str:
        secrets = transport.secrets() if hasattr(transport, "secrets") else []
        return redact(text, secrets)[:500]

    def flush(self, limit: int = 500, force: bool = False, webhooks: list[str] | None = None) -> FlushResult:
        """Retry pending deliveries that are due (all pending ones with `force`). Per webhook, stop at the first
        failure: it is still down, and the rest waits for the next flush."""
        total = FlushResult()
        while True:
            step, claimed = self._flush_once(limit, force, webhooks)
            total.delivered += step.delivered
            total.failed += step.failed
            total.pending = step.pending
            # Stop when nothing more was due, or a pass made no progress (a webhook is still down).
            if claimed < limit or step.pending or step.delivered + step.failed == 0:
                return total

    def _flush_once(self, limit: int, force: bool, webhooks: list[str] | None) -> tuple[FlushResult, int]:
        due = self.outbox.claim(
            now=float("inf") if force else None, limit=limit, webhooks=webhooks, lease_s=self.lease_s, owner=self.owner
        )
        by_webhook: dict[str, list] = {}
        for d in due:
            if d.webhook in self.transports:
                by_webhook.setdefault(d.webhook, []).append(d)
        result = FlushResult()

        def drain(name: str) -> tuple[int, int, int]:
            delivered = failed = 0
            items = by_webhook[name]
            for i, d in enumerate(items):
                outcome = self._deliver(d.event, name, d.attempts, respect_cooldown=False)
                if outcome == "delivered":
                    delivered += 1
                elif outcome == "failed":
                    failed += 1
                else:
                    # Still down: leave the rest for the next flush (release their lease).
                    retry_at = time.time() + self.cooldown_s
                    for rest in items[i + 1 :]:
                        self.outbox.release(rest.event.event_id, name, retry_at, owner=self.owner)
                    return delivered, len(items) - i, failed
            return delivered, 0, failed

        if by_webhook:
            with ThreadPoolExecutor(max_workers=len(by_webhook), thread_name_prefix="dango-flush") as pool:
                for delivered, pending, failed in pool.map(drain, list(by_webhook)):
                    result.delivered += delivered
                    result.pending += pending
                    result.failed += failed
        return result, len(due)
